#include "sw/common/process.h"

#include <csignal>
#include <pthread.h>

namespace sw::common {
namespace {

sigset_t terminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
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

int waitForTerminationSignal() {
  sigset_t set = terminationSet();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace sw::common
