// Running under systemd (sd_notify.h, log.h): notices reach a real unix datagram socket as
// sd_notify(3) sends them, the watchdog interval comes from the environment, and log lines carry
// the journal's priority prefix only when stderr is the journal's stream.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "sw/common/log.h"
#include "sw/common/log_style.h"
#include "sw/common/process.h"
#include "sw/common/sd_notify.h"
#include "test_support.h"

using namespace sw;

namespace {

// A datagram socket bound where a service manager would listen; abstract when name starts with '@'.
class NotifyListener {
 public:
  explicit NotifyListener(const std::string& name) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@') addr.sun_path[0] = '\0';
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) == 0;
  }
  ~NotifyListener() {
    if (fd_ >= 0) close(fd_);
  }
  bool bound() const { return bound_; }
  // The next datagram, or "" when none comes within 5 s.
  std::string next() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) return "";
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

// Sets (or with nullptr unsets) an environment variable for one test, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    had_ = std::getenv(name) != nullptr;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_) setenv(name_.c_str(), old_.c_str(), 1);
    else unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

}  // namespace

TEST(ServiceNotifier, SendsEachNoticeAsOneDatagramToAPathSocket) {
  test::TempDir dir;
  const std::string path = dir.file("notify");
  NotifyListener listener(path);
  ASSERT_TRUE(listener.bound());
  common::ServiceNotifier notifier(path, 0);
  ASSERT_TRUE(notifier.enabled());
  ASSERT_TRUE(notifier.notify("READY=1\nSTATUS=serving"));
  ASSERT_TRUE(notifier.notify("WATCHDOG=1"));
  EXPECT_EQ(listener.next(), "READY=1\nSTATUS=serving");
  EXPECT_EQ(listener.next(), "WATCHDOG=1");
}

// The coordinator's restore while it runs wakes its main thread: a wake it wants returns with
// RELOADING=1 (not STOPPING=1), one it does not want (sent from outside) is taken and ignored,
// and SIGTERM still stops it.
TEST(ServeUntilTerminated, ReturnsForAWakeItWantsIgnoresOneItDoesNotAndStopsOnSigterm) {
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, nullptr, &old);
  common::blockTerminationSignals();
  test::TempDir dir;
  const std::string path = dir.file("notify");
  NotifyListener listener(path);
  ASSERT_TRUE(listener.bound());
  common::ServiceNotifier notifier(path, 0);
  std::atomic<int> asked{0};
  // The first wake is not wanted; the second, sent once the first was looked at, is.
  std::thread waker([&asked] {
    common::wakeMainThread();
    while (asked.load() < 1) std::this_thread::yield();
    common::wakeMainThread();
  });
  int sig = common::serveUntilTerminated(notifier, "serving", [&asked] { return ++asked >= 2; });
  waker.join();
  EXPECT_EQ(sig, common::wakeSignal());
  EXPECT_EQ(asked.load(), 2);
  EXPECT_EQ(listener.next(), "READY=1\nSTATUS=serving");
  EXPECT_EQ(listener.next(), "RELOADING=1\nSTATUS=rebuilding");

  ::kill(::getpid(), SIGTERM);  // blocked: pending until the call below takes it
  sig = common::serveUntilTerminated(notifier, "serving again", [] { return true; });
  EXPECT_EQ(sig, SIGTERM);
  EXPECT_EQ(listener.next(), "READY=1\nSTATUS=serving again");
  EXPECT_EQ(listener.next(), "STOPPING=1");
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

TEST(ServiceNotifier, ReachesAnAbstractSocket) {
  const std::string name = "@stockwire-test-notify-" + std::to_string(getpid());
  NotifyListener listener(name);
  ASSERT_TRUE(listener.bound());
  ASSERT_TRUE(common::ServiceNotifier(name, 0).notify("STOPPING=1"));
  EXPECT_EQ(listener.next(), "STOPPING=1");
}

TEST(ServiceNotifier, WithoutASocketDoesNothingAndABadOneIsAnError) {
  common::ServiceNotifier off;
  EXPECT_FALSE(off.enabled());
  EXPECT_TRUE(off.notify("READY=1"));
  EXPECT_FALSE(common::ServiceNotifier("relative/path", 0).notify("READY=1"));
  test::TempDir dir;
  auto missing = common::ServiceNotifier(dir.file("nobody-listens"), 0).notify("READY=1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, common::ErrorKind::kRetry) << missing.error().toString();
}

TEST(ServiceNotifier, TakesItsSocketAndWatchdogFromTheEnvironment) {
  {
    ScopedEnv socket("NOTIFY_SOCKET", nullptr);
    ScopedEnv usec("WATCHDOG_USEC", "4000000");
    EXPECT_FALSE(common::ServiceNotifier::fromEnvironment().enabled());
  }
  ScopedEnv socket("NOTIFY_SOCKET", "/run/systemd/notify");
  {
    ScopedEnv usec("WATCHDOG_USEC", "4000000");
    ScopedEnv pid("WATCHDOG_PID", nullptr);
    auto n = common::ServiceNotifier::fromEnvironment();
    EXPECT_TRUE(n.enabled());
    EXPECT_EQ(n.watchdogPing().count(), 2000);  // half of WatchdogSec=4
  }
  {
    ScopedEnv usec("WATCHDOG_USEC", "4000000");
    ScopedEnv pid("WATCHDOG_PID", std::to_string(getpid()).c_str());
    EXPECT_EQ(common::ServiceNotifier::fromEnvironment().watchdogPing().count(), 2000);
  }
  {
    ScopedEnv usec("WATCHDOG_USEC", "4000000");
    ScopedEnv pid("WATCHDOG_PID", std::to_string(getpid() + 1).c_str());  // meant for another process
    EXPECT_EQ(common::ServiceNotifier::fromEnvironment().watchdogPing().count(), 0);
  }
  for (const char* bad : {"", "soon", "-5", "12x"}) {
    ScopedEnv usec("WATCHDOG_USEC", bad);
    EXPECT_EQ(common::ServiceNotifier::fromEnvironment().watchdogPing().count(), 0) << bad;
  }
}

TEST(Log, PrefixesThePriorityOnlyWhenStderrIsTheJournalStream) {
  test::TempDir dir;
  const std::string path = dir.file("stream");
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  const std::string ours = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  {
    ScopedEnv stream("JOURNAL_STREAM", nullptr);
    EXPECT_EQ(common::logStyleOf(fd), common::LogStyle::kPlain);
  }
  {
    ScopedEnv stream("JOURNAL_STREAM", ours.c_str());
    EXPECT_EQ(common::logStyleOf(fd), common::LogStyle::kJournal);
  }
  for (const std::string& other : {std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1), std::string("x:y"),
                                   ours + "junk", std::string("")}) {
    // Another stream (stderr redirected by whoever started us), or no valid value.
    ScopedEnv stream("JOURNAL_STREAM", other.c_str());
    EXPECT_EQ(common::logStyleOf(fd), common::LogStyle::kPlain) << other;
  }
  close(fd);

  using common::LogLevel;
  using common::LogStyle;
  EXPECT_EQ(common::formatLogLine(LogStyle::kJournal, LogLevel::kError, "ingest", "disk full", 0),
            "<3>ERROR ingest: disk full\n");
  EXPECT_EQ(common::formatLogLine(LogStyle::kJournal, LogLevel::kWarn, "sync", "w", 0), "<4>WARN  sync: w\n");
  EXPECT_EQ(common::formatLogLine(LogStyle::kJournal, LogLevel::kInfo, "agent", "i", 0), "<6>INFO  agent: i\n");
  EXPECT_EQ(common::formatLogLine(LogStyle::kJournal, LogLevel::kDebug, "agent", "d", 0), "<7>DEBUG agent: d\n");
  // Plain: as before, the time first and no prefix.
  EXPECT_EQ(common::formatLogLine(LogStyle::kPlain, LogLevel::kWarn, "sync", "late", 1'700'000'000'123),
            "2023-11-14T22:13:20.123Z WARN  sync: late\n");
}
