#include "sw/common/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sw/common/log.h"

namespace sw::common {
namespace {

// Written once by initCrashPoints() before any thread starts; read-only afterwards.
struct CrashConfig {
  bool armed = false;
  std::string name;
  std::atomic<long> remaining{0};
};

CrashConfig& config() {
  static CrashConfig c;
  return c;
}

}  // namespace

void initCrashPoints() {
  const char* name = std::getenv("SW_CRASH_POINT");
  if (!name || !*name) return;
  const char* after = std::getenv("SW_CRASH_AFTER");
  long n = after ? std::strtol(after, nullptr, 10) : 1;
  CrashConfig& c = config();
  c.name = name;
  c.remaining = n < 1 ? 1 : n;
  c.armed = true;
  SW_WARN("crash") << "armed: SIGKILL at crash point " << c.name << " (pass " << c.remaining.load() << ")";
}

void crashPoint(const char* name) {
  CrashConfig& c = config();
  if (!c.armed || c.name != name) return;
  if (--c.remaining == 0) {
    logLine(LogLevel::kWarn, "crash", std::string("crash point ") + name + " reached: SIGKILL");
    ::kill(::getpid(), SIGKILL);
  }
}

}  // namespace sw::common
