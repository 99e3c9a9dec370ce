#pragma once
// Process plumbing shared by the daemons: orderly shutdown on SIGINT/SIGTERM.

namespace sw::common {

// Call first in main(), before any thread starts, so every thread inherits the mask.
// Also ignores SIGPIPE and SIGXFSZ so that those failures come back as errors.
void blockTerminationSignals();
// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
int waitForTerminationSignal();

}  // namespace sw::common
