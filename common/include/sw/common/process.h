#pragma once
// Process plumbing shared by the daemons: orderly shutdown on SIGINT/SIGTERM, and telling the
// service manager (sd_notify.h) when they are ready, alive and stopping.

#include <functional>
#include <string_view>

namespace sw::common {

class ServiceNotifier;

// Call first in main(), before any thread starts, so every thread inherits the mask (SIGINT,
// SIGTERM and kWakeSignal). Also ignores SIGPIPE and SIGXFSZ so that those failures come back as
// errors.
void blockTerminationSignals();
// The signal a daemon sends itself (wakeMainThread) so that serveUntilTerminated returns for work
// its main thread must do (the coordinator's restore while it runs). Blocked like the others: one
// sent from outside is taken by serveUntilTerminated and ignored unless `woken` wants it.
int wakeSignal();
void wakeMainThread();
// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
int waitForTerminationSignal();
// What a daemon's main thread does once it serves: tells the service manager READY=1 with
// STATUS=status, then waits for SIGINT or SIGTERM, sending WATCHDOG=1 every
// notifier.watchdogPing() meanwhile, and STOPPING=1 when the signal comes. Returns the signal.
// The first notice that cannot be sent is logged, and the daemon goes on.
// When wakeSignal() arrives and `woken` (if given) answers true, it returns wakeSignal() after
// RELOADING=1 instead: the daemon rebuilds and calls it again (READY=1 once more).
int serveUntilTerminated(const ServiceNotifier& notifier, std::string_view status,
                         const std::function<bool()>& woken = {});

}  // namespace sw::common
