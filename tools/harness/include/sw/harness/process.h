#pragma once
// Harness for tests, the chaos harness and benchmarks that use real parts: temp dirs, free
// ports, child processes, a private Mosquitto, waiting on a condition with a deadline.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sw::test {

// A fresh directory under $TMPDIR, removed on destruction unless SW_KEEP_TMP is set.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int freePort();
// True once something accepts TCP connections on 127.0.0.1:port.
bool canConnect(int port);

// Polls pred every few milliseconds until it is true or the deadline passes.
bool waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll = std::chrono::milliseconds(10));

// A child process with stdout/stderr captured to files.
class Child {
 public:
  Child() = default;
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // kOwn: the child leads a new process group, so killGroup() also ends what it starts itself
  // (chromedriver's Chromium and its helpers), even after the child is gone.
  enum class Group { kInherit, kOwn };
  static Child spawn(const std::vector<std::string>& argv, const std::string& log_prefix,
                     const std::map<std::string, std::string>& env = {}, Group group = Group::kInherit);
  pid_t pid() const { return pid_; }
  bool running();
  // Sends sig and waits for the exit; returns the wait status.
  int kill(int sig);
  // For a child spawned with Group::kOwn: sends sig to its whole process group, waits for the child
  // as kill() does, then SIGKILLs whatever of the group is still there. Returns the child's status.
  int killGroup(int sig);
  // Waits up to timeout for exit; nullopt if still running.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string stdoutText() const;
  std::string stderrText() const;
  // Waits for a line "listening http://HOST:PORT" on stdout; returns the port or -1.
  int waitForHttpPort(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::string out_path_;
  std::string err_path_;
  bool reaped_ = false;
  bool own_group_ = false;
  int status_ = 0;
};

// A private Mosquitto with a generated config: loopback, anonymous, no persistence,
// set_tcp_nodelay, on a free port that survives restarts of the broker.
class Broker {
 public:
  struct Options {
    size_t message_size_limit = 0;  // 0 = Mosquitto's default
    size_t max_packet_size = 0;     // 0 = none; Mosquitto announces it to MQTT 5 clients in CONNACK
    int max_queued_messages = 100000;
  };
  Broker();
  explicit Broker(Options options);
  // extra_config is appended to the generated mosquitto.conf (e.g. "acl_file PATH\n").
  Broker(Options options, std::string extra_config);
  ~Broker();
  void start();
  void stop();     // SIGTERM
  void kill9();    // SIGKILL: whatever was in flight is lost
  bool running();
  pid_t pid() const { return child_.pid(); }
  int port() const { return port_; }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

 private:
  Options options_;
  std::string extra_config_;
  TempDir dir_;
  int port_;
  Child child_;
};

// Paths of our binaries: $SW_BIN_DIR/<folder>/<name> if SW_BIN_DIR is set, else this build tree.
std::string agentBinary();
std::string coordinatorBinary();
std::string binaryPath(const std::string& folder, const std::string& name);

}  // namespace sw::test
