#include "sw/harness/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sw::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/stockwire-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (std::getenv("SW_KEEP_TMP")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool canConnect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

bool waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout, std::chrono::milliseconds poll) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

Child::~Child() {
  if (pid_ > 0 && own_group_) {
    killGroup(SIGKILL);
  } else if (pid_ > 0 && !reaped_) {
    kill(SIGKILL);
  }
}

Child::Child(Child&& o) noexcept
    : pid_(o.pid_), out_path_(std::move(o.out_path_)), err_path_(std::move(o.err_path_)), reaped_(o.reaped_),
      own_group_(o.own_group_), status_(o.status_) {
  o.pid_ = -1;
}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0 && own_group_) {
      killGroup(SIGKILL);
    } else if (pid_ > 0 && !reaped_) {
      kill(SIGKILL);
    }
    pid_ = o.pid_;
    out_path_ = std::move(o.out_path_);
    err_path_ = std::move(o.err_path_);
    reaped_ = o.reaped_;
    own_group_ = o.own_group_;
    status_ = o.status_;
    o.pid_ = -1;
  }
  return *this;
}

Child Child::spawn(const std::vector<std::string>& argv, const std::string& log_prefix,
                   const std::map<std::string, std::string>& env, Group group) {
  Child c;
  c.out_path_ = log_prefix + ".out";
  c.err_path_ = log_prefix + ".err";
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (group == Group::kOwn) setpgid(0, 0);
    int out = open(c.out_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err = open(c.err_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(out, 1);
    dup2(err, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  if (group == Group::kOwn) {
    // Also from the parent, so that the group exists before spawn returns (no race with killGroup).
    setpgid(pid, pid);
    c.own_group_ = true;
  }
  c.pid_ = pid;
  return c;
}

bool Child::running() {
  if (pid_ <= 0 || reaped_) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = st;
    return false;
  }
  return true;
}

int Child::kill(int sig) {
  if (pid_ <= 0 || reaped_) return status_;
  ::kill(pid_, sig);
  // A child that does not stop on sig within 30 s is killed: a test must never hang here.
  if (sig != SIGKILL && !waitFor([&] { return !running(); }, std::chrono::seconds(30))) {
    std::fprintf(stderr, "harness: pid %d ignored signal %d for 30 s; killing it\n", static_cast<int>(pid_), sig);
    ::kill(pid_, SIGKILL);
  }
  if (reaped_) return status_;
  int st = 0;
  waitpid(pid_, &st, 0);
  reaped_ = true;
  status_ = st;
  return st;
}

int Child::killGroup(int sig) {
  if (pid_ <= 0 || !own_group_) return kill(sig);
  // The group outlives its leader while members remain, and its id is not reused meanwhile. Once
  // this returns the group is gone and its id may be reused: it is never signalled again.
  ::kill(-pid_, sig);
  const int st = kill(sig);
  ::kill(-pid_, SIGKILL);
  own_group_ = false;
  return st;
}

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  if (waitFor([&] { return !running(); }, timeout)) return status_;
  return std::nullopt;
}

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::string Child::stdoutText() const { return slurp(out_path_); }
std::string Child::stderrText() const { return slurp(err_path_); }

int Child::waitForHttpPort(std::chrono::milliseconds timeout) {
  static const std::regex kRe(R"(listening https?://[^:]+:(\d+))");
  int port = -1;
  waitFor(
      [&] {
        std::smatch m;
        std::string out = stdoutText();
        if (std::regex_search(out, m, kRe)) {
          port = std::stoi(m[1].str());
          return true;
        }
        return !running();
      },
      timeout);
  return port;
}

Broker::Broker() : Broker(Options{}) {}

Broker::Broker(Options options) : options_(options), port_(freePort()) { start(); }

Broker::Broker(Options options, std::string extra_config)
    : options_(options), extra_config_(std::move(extra_config)), port_(freePort()) {
  start();
}

Broker::~Broker() { kill9(); }

void Broker::start() {
  std::string conf = dir_.file("mosquitto.conf");
  {
    std::ofstream out(conf);
    out << "listener " << port_ << " 127.0.0.1\n"
        << "allow_anonymous true\n"
        << "set_tcp_nodelay true\n"
        << "persistence false\n"
        << "max_queued_messages " << options_.max_queued_messages << "\n";
    if (options_.message_size_limit) out << "message_size_limit " << options_.message_size_limit << "\n";
    if (options_.max_packet_size) out << "max_packet_size " << options_.max_packet_size << "\n";
    out << extra_config_;
  }
  const char* bin = std::getenv("SW_MOSQUITTO");
  std::string mosquitto = bin && *bin ? bin : "/usr/sbin/mosquitto";
  child_ = Child::spawn({mosquitto, "-c", conf}, dir_.file("mosquitto"));
  if (!waitFor([&] { return canConnect(port_) || !child_.running(); }, std::chrono::seconds(10)) ||
      !child_.running()) {
    throw std::runtime_error("mosquitto did not start: " + child_.stderrText());
  }
}

void Broker::stop() { child_.kill(SIGTERM); }
void Broker::kill9() { child_.kill(SIGKILL); }
bool Broker::running() { return child_.running(); }

std::string binaryPath(const std::string& folder, const std::string& name) {
  const char* dir = std::getenv("SW_BIN_DIR");
  std::string base = dir && *dir ? dir : SW_DEFAULT_BIN_DIR;
  return base + "/" + folder + "/" + name;
}

std::string agentBinary() { return binaryPath("agent", "stockwire-agent"); }
std::string coordinatorBinary() { return binaryPath("coordinator", "stockwire-coordinator"); }

}  // namespace sw::test
