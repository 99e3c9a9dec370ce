#include "sw/harness/postgres.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sw::test {

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int runToEnd(const std::vector<std::string>& argv, const std::string& log_prefix, std::chrono::seconds timeout) {
  Child c = Child::spawn(argv, log_prefix);
  auto st = c.wait(timeout);
  if (!st) {
    c.kill(SIGKILL);
    return -1;
  }
  return WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
}

}  // namespace

std::string Postgres::binDir() {
  const char* env = std::getenv("SW_PG_BINDIR");
  if (env && *env) return env;
  std::error_code ec;
  int best = -1;
  std::string found;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best && std::filesystem::exists(entry.path() / "bin" / "postgres")) {
      best = version;
      found = (entry.path() / "bin").string();
    }
  }
  return found;
}

bool Postgres::available() {
  std::string dir = binDir();
  return !dir.empty() && access((dir + "/initdb").c_str(), X_OK) == 0 && access((dir + "/postgres").c_str(), X_OK) == 0;
}

Postgres::Postgres() : Postgres(Options{}) {}

Postgres::Postgres(Options options) : options_(options), port_(freePort()) {
  data_ = dir_.file("data");
  if (geteuid() == 0) {
    const char* env = std::getenv("SW_PG_USER");
    std::string user = env && *env ? env : (getpwnam("postgres") ? "postgres" : "nobody");
    struct passwd* pw = getpwnam(user.c_str());
    if (!pw) throw std::runtime_error("postgres harness: no user " + user + " to run the server as");
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    // The server's user must reach its data directory inside our (root-owned) temp dir.
    chmod(dir_.path().c_str(), 0711);
  }
}

Postgres::~Postgres() {
  if (child_.running()) stop();
}

std::vector<std::string> Postgres::asServerUser(std::vector<std::string> argv) const {
  // setpriv execs the command (the pid we hold is the server's); see stop_with_starting_thread.
  std::vector<std::string> out = {"/usr/bin/setpriv"};
  if (options_.stop_with_starting_thread) out.push_back("--pdeathsig=INT");
  if (geteuid() == 0) {
    for (std::string a : {"--reuid=" + std::to_string(uid_), "--regid=" + std::to_string(gid_), std::string("--clear-groups")}) {
      out.push_back(a);
    }
  }
  out.push_back("--");
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void Postgres::start() {
  const std::string bin = binDir();
  if (bin.empty()) throw std::runtime_error("postgres harness: no PostgreSQL server installed (/usr/lib/postgresql/N/bin)");
  if (!initialised_) {
    std::filesystem::create_directories(data_);
    if (geteuid() == 0 && chown(data_.c_str(), uid_, gid_) != 0) throw std::runtime_error("postgres harness: chown failed");
    chmod(data_.c_str(), 0700);
    int rc = runToEnd(asServerUser({bin + "/initdb", "-D", data_, "-A", "trust", "-U", "stockwire", "-E", "UTF8",
                                    "--no-sync", "--no-instructions"}),
                      dir_.file("initdb"), std::chrono::seconds(120));
    if (rc != 0) throw std::runtime_error("initdb failed: " + readFile(dir_.file("initdb.err")));
    initialised_ = true;
  }
  std::vector<std::string> argv = {bin + "/postgres", "-D", data_, "-p", std::to_string(port_),
                                   "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                                   "-c", "max_connections=" + std::to_string(options_.max_connections)};
  if (!options_.durable) {
    // Only what matters if the machine loses power: a killed server still has every commit
    // (synchronous_commit stays on: off would lose the last commits of a SIGKILLed server).
    for (const char* c : {"fsync=off", "full_page_writes=off"}) {
      argv.push_back("-c");
      argv.push_back(c);
    }
  }
  // In a group of its own: kill9() takes the postmaster and its backends together, as the loss
  // of the server's machine would (a postmaster killed alone leaves backends holding its shared
  // memory, and a new one refuses to start until they have gone).
  child_ = Child::spawn(asServerUser(argv), dir_.file("postgres"), {}, Child::Group::kOwn);
  // Up once it answers a query (it accepts connections a moment before it is ready).
  bool up = waitFor(
      [&] {
        if (!child_.running()) return true;
        return runToEnd({bin + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "stockwire", "-d", "postgres"},
                        dir_.file("pg_isready"), std::chrono::seconds(10)) == 0;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(50));
  if (!up || !child_.running()) throw std::runtime_error("postgres did not start: " + child_.stderrText());
}

void Postgres::stop() { child_.kill(SIGINT); }
void Postgres::kill9() { child_.killGroup(SIGKILL); }
bool Postgres::running() { return child_.running(); }

std::string Postgres::url(const std::string& database) const {
  return "postgresql://stockwire@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string Postgres::psql(const std::string& database, const std::string& sql) {
  static int n = 0;
  std::string prefix = dir_.file("psql-" + std::to_string(++n));
  int rc = runToEnd({binDir() + "/psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url(database), "-c", sql},
                    prefix, std::chrono::seconds(60));
  if (rc != 0) throw std::runtime_error("psql failed (" + sql + "): " + readFile(prefix + ".err"));
  std::string out = readFile(prefix + ".out");
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string Postgres::createDatabase(const std::string& name) {
  psql("postgres", "CREATE DATABASE \"" + name + "\"");
  return url(name);
}

}  // namespace sw::test
