#pragma once
// The service manager's notification protocol (systemd Type=notify, see sd_notify(3)), spoken
// directly instead of through libsystemd: one datagram per notice to the unix socket that
// NOTIFY_SOCKET names ("@name" is in the abstract namespace). Without NOTIFY_SOCKET (not started
// by systemd) the notifier is disabled and every call does nothing.
//
// The daemons send READY=1 once they serve their API (and their status line), WATCHDOG=1 every
// watchdogPing() from their main thread while it waits for a signal, STOPPING=1 on SIGTERM.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::common {

class ServiceNotifier {
 public:
  // Disabled.
  ServiceNotifier() = default;
  // socket_path as NOTIFY_SOCKET gives it; watchdog_usec as WATCHDOG_USEC (0: no watchdog).
  ServiceNotifier(std::string socket_path, int64_t watchdog_usec)
      : socket_(std::move(socket_path)), watchdog_usec_(watchdog_usec) {}
  // From NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (a watchdog meant for another pid is not ours).
  static ServiceNotifier fromEnvironment();

  bool enabled() const { return !socket_.empty(); }
  // Sends one notice, e.g. "READY=1\nSTATUS=listening on 127.0.0.1:8800". Disabled: does nothing.
  // A socket that cannot be reached is a retry error (the caller logs it and goes on).
  Status notify(std::string_view state) const;
  // Half of WatchdogSec (what sd_watchdog_enabled(3) advises), or zero when there is no watchdog.
  std::chrono::milliseconds watchdogPing() const;

 private:
  std::string socket_;
  int64_t watchdog_usec_ = 0;
};

}  // namespace sw::common
