// The daemons as systemd runs them (packaging/systemd: Type=notify, WatchdogSec): the real
// binaries tell a real unix datagram socket (NOTIFY_SOCKET) READY=1 once they serve, WATCHDOG=1
// while they run, STOPPING=1 on SIGTERM; with stderr the journal's stream (JOURNAL_STREAM) their
// log lines carry syslog priorities instead of timestamps.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <sstream>
#include <string>

#include "stack.h"

namespace sw::test {
namespace {

// Where a service manager listens for a service's notices.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }
  // The next notice, or "" if none comes within 10 s.
  std::string next() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 10'000) != 1) return "";
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  // The next notice other than WATCHDOG=1.
  std::string nextBesidesWatchdog() {
    for (std::string n = next();; n = next()) {
      if (n != "WATCHDOG=1") return n;
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

// JOURNAL_STREAM for a file the harness will append the child's stderr to (it opens it O_APPEND).
std::string journalStreamFor(const std::string& err_path) {
  int fd = open(err_path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  struct stat st {};
  fstat(fd, &st);
  close(fd);
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// A run under the "service manager": READY with its status first, the watchdog pinged (at half
// of WATCHDOG_USEC=200 ms), STOPPING on SIGTERM; the journal's priority prefixes in the log.
void expectServiceProtocol(NotifySocket& sock, const std::function<void()>& stop, const std::function<std::string()>& logs,
                           const std::string& status_start, const std::string& component) {
  const std::string ready = sock.next();
  EXPECT_EQ(ready.rfind("READY=1\nSTATUS=" + status_start, 0), 0u) << "first notice: " << ready;
  EXPECT_EQ(sock.next(), "WATCHDOG=1");
  EXPECT_EQ(sock.next(), "WATCHDOG=1");
  stop();
  EXPECT_EQ(sock.nextBesidesWatchdog(), "STOPPING=1");
  const std::string log = logs();
  EXPECT_NE(log.find("<6>INFO  " + component + ": "), std::string::npos) << log;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.rfind("<", 0), 0u) << "a line without its priority: " << line;
  }
}

TEST(Service, TheCoordinatorTellsReadyWatchdogAndStoppingAndLogsWithPriorities) {
  TempDir dir;
  Broker broker;
  NotifySocket sock(dir.file("notify"));
  ASSERT_TRUE(sock.bound());
  CoordinatorProc coord(dir, broker.url(),
                        {{"NOTIFY_SOCKET", sock.path()},
                         {"WATCHDOG_USEC", "200000"},
                         {"JOURNAL_STREAM", journalStreamFor(dir.file("coordinator.1.err"))}});
  coord.start();
  expectServiceProtocol(
      sock, [&] { coord.stop(); }, [&] { return coord.logs(); },
      "serving http://127.0.0.1:" + std::to_string(coord.port()) + ", ledger " + coord.db(), "coordinator");
}

TEST(Service, TheAgentTellsReadyWatchdogAndStoppingAndLogsWithPriorities) {
  TempDir dir;
  Broker broker;
  NotifySocket sock(dir.file("notify"));
  ASSERT_TRUE(sock.bound());
  AgentProc till(dir, "till-1", "store-1", broker.url(), "till",
                 {{"NOTIFY_SOCKET", sock.path()},
                  {"WATCHDOG_USEC", "200000"},
                  {"JOURNAL_STREAM", journalStreamFor(dir.file("till-1.1.err"))}});
  till.setRegistryDb("");
  till.start();
  expectServiceProtocol(
      sock, [&] { till.stop(); }, [&] { return till.logs(); },
      "device till-1 recording, API http://127.0.0.1:" + std::to_string(till.port()), "agent");
}

// Without NOTIFY_SOCKET (not under systemd) nothing changes: the log keeps its timestamps.
TEST(Service, WithoutAServiceManagerTheLogKeepsItsTimestamps) {
  TempDir dir;
  Broker broker;
  AgentProc till(dir, "till-1", "store-1", broker.url());
  till.setRegistryDb("");
  till.start();
  till.stop();
  const std::string log = till.logs();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.rfind("20", 0), 0u) << log;  // "2026-12-07T..."
  EXPECT_EQ(log.find("<6>"), std::string::npos) << log;
}

}  // namespace
}  // namespace sw::test
