#pragma once
// Process plumbing shared by the daemons: orderly shutdown on SIGINT/SIGTERM, and telling the
// service manager (sd_notify.h) when they are ready, alive and stopping.

#include <string_view>

namespace sw::common {

class ServiceNotifier;

// Call first in main(), before any thread starts, so every thread inherits the mask.
// Also ignores SIGPIPE and SIGXFSZ so that those failures come back as errors.
void blockTerminationSignals();
// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
int waitForTerminationSignal();
// What a daemon's main thread does once it serves: tells the service manager READY=1 with
// STATUS=status, then waits for SIGINT or SIGTERM, sending WATCHDOG=1 every
// notifier.watchdogPing() meanwhile, and STOPPING=1 when the signal comes. Returns the signal.
// The first notice that cannot be sent is logged, and the daemon goes on.
int serveUntilTerminated(const ServiceNotifier& notifier, std::string_view status);

}  // namespace sw::common
