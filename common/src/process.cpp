#include "sw/common/process.h"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "sw/common/log.h"
#include "sw/common/sd_notify.h"

namespace sw::common {
namespace {

sigset_t terminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

void blockTerminationSignals() {
  sigset_t set = terminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // A write past a file-size limit must fail with EFBIG (and be reported), not kill the process.
  std::signal(SIGXFSZ, SIG_IGN);
}

int wakeSignal() { return SIGUSR1; }

void wakeMainThread() { ::kill(::getpid(), SIGUSR1); }

int waitForTerminationSignal() {
  sigset_t set = terminationSet();
  int sig = 0;
  do {
    sigwait(&set, &sig);
  } while (sig == SIGUSR1);
  return sig;
}

int serveUntilTerminated(const ServiceNotifier& notifier, std::string_view status,
                         const std::function<bool()>& woken) {
  // A service manager that stopped listening would otherwise be logged at every watchdog ping.
  bool warned = false;
  auto send = [&notifier, &warned](const std::string& state) {
    auto s = notifier.notify(state);
    if (!s && !warned) {
      SW_WARN("process") << "sd_notify " << state << ": " << s.error().toString() << " (later failures not logged)";
      warned = true;
    }
  };
  send("READY=1\nSTATUS=" + std::string(status));
  const sigset_t set = terminationSet();
  const auto ping = notifier.watchdogPing();
  int sig = 0;
  // A wake signal nobody asked for (sent from outside) is taken and ignored.
  auto done = [&woken](int s) { return s > 0 && (s != SIGUSR1 || (woken && woken())); };
  if (ping.count() == 0) {
    do {
      sigwait(&set, &sig);
    } while (!done(sig));
  } else {
    const timespec wait{static_cast<time_t>(ping.count() / 1000), static_cast<long>(ping.count() % 1000) * 1'000'000};
    while (true) {
      send("WATCHDOG=1");
      sig = sigtimedwait(&set, nullptr, &wait);
      if (done(sig)) break;  // otherwise EAGAIN (the ping is due), EINTR or an unwanted wake
    }
  }
  send(sig == SIGUSR1 ? "RELOADING=1\nSTATUS=rebuilding" : "STOPPING=1");
  return sig;
}

}  // namespace sw::common
