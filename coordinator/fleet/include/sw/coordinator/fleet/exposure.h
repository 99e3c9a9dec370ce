#pragma once
// Offline exposure across the fleet: from each device's last state message and when it was
// last seen, which devices are close to (warning, 80%) or past (critical) a configured limit.

#include <cstdint>
#include <string>
#include <vector>

#include "sw/coordinator/fleet/registry.h"
#include "sw/coordinator/ledger/ledger.h"

namespace sw::coordinator {

struct ExposureLimits {
  int64_t max_offline_s = 12 * 3600;        // offline, or holding unsynced events, this long
  uint64_t max_queue_depth = 100'000;       // unsynced events on one device
  int64_t min_disk_free_bytes = 256LL << 20;
  int64_t max_clock_offset_ms = 60'000;     // device clock this far from the coordinator's
  // Disk time left at the device's recording rate, while it is offline or holding unsynced
  // events: a warning below this, critical below a quarter of it.
  int64_t min_disk_time_left_s = 24 * 3600;
};

struct DeviceAlert {
  std::string device_id;
  std::string code;   // offline_long, unsynced_too_old, queue_too_deep, disk_low, disk_filling, clock_skew, ...
  std::string level;  // warning or critical
  std::string message;
};

// Exposure figures of one device as the coordinator sees them now.
struct Exposure {
  uint64_t queue_depth = 0;
  int64_t oldest_unsynced_age_s = 0;  // grows while the device is silent
  int64_t offline_s = 0;               // 0 when online
  int64_t disk_free_bytes = -1;
  // Until its store refuses writes at its last hour's recording rate (-1 unknown); counted down
  // by the time the coordinator has not heard from it, since it may be selling offline.
  int64_t disk_time_left_s = -1;
  int64_t clock_offset_ms = 0;
  bool known = false;                  // the device has sent a state message
};

Exposure exposureOf(const DeviceRow& device, int64_t now_ms);
std::vector<DeviceAlert> deviceAlerts(const DeviceRow& device, int64_t now_ms, const ExposureLimits& limits);

// A certificate the registry says was issued and not renewed: cert_expiring (warning) under
// kCertWarnS left, cert_expired (critical) once past. None for a revoked device or one with no
// recorded certificate.
inline constexpr int64_t kCertWarnS = 7 * 24 * 3600;
std::vector<DeviceAlert> certificateAlerts(const RegisteredDevice& device, int64_t now_ms);

}  // namespace sw::coordinator
