#include "sw/coordinator/fleet/exposure.h"

#include <algorithm>
#include <cstdlib>

#include "sw/common/codec.h"

namespace sw::coordinator {

Exposure exposureOf(const DeviceRow& d, int64_t now_ms) {
  Exposure e;
  auto st = common::decodeDeviceState(d.state_json);
  if (d.online == false && d.last_seen_ms > 0) e.offline_s = std::max<int64_t>(0, (now_ms - d.last_seen_ms) / 1000);
  if (!st || st->at_ms == 0 || st->session.empty()) return e;
  // The will's payload has no figures; state_json keeps the last full one (see the ledger).
  e.known = st->online || st->queue_depth > 0 || st->disk_free_bytes >= 0;
  if (!e.known) return e;
  e.queue_depth = st->queue_depth;
  e.disk_free_bytes = st->disk_free_bytes;
  e.clock_offset_ms = st->clock_offset_ms;
  e.oldest_unsynced_age_s = st->oldest_unsynced_age_s;
  if (st->disk_time_left_s >= 0) {
    const int64_t silent_s = d.last_seen_ms > 0 ? std::max<int64_t>(0, (now_ms - d.last_seen_ms) / 1000) : 0;
    e.disk_time_left_s = std::max<int64_t>(0, st->disk_time_left_s - (d.online ? 0 : silent_s));
  }
  // Since that message the oldest unsynced event has aged by the time the coordinator has not
  // heard from the device, unless the ledger has caught up with everything it had.
  if (e.queue_depth > 0 && d.last_applied_seq < st->last_seq) {
    e.oldest_unsynced_age_s += std::max<int64_t>(0, (now_ms - std::max(d.last_seen_ms, d.last_applied_at_ms)) / 1000);
  }
  if (d.last_applied_seq >= st->last_seq) {
    e.queue_depth = 0;
    e.oldest_unsynced_age_s = 0;
  }
  return e;
}

std::vector<DeviceAlert> deviceAlerts(const DeviceRow& d, int64_t now_ms, const ExposureLimits& l) {
  std::vector<DeviceAlert> out;
  Exposure e = exposureOf(d, now_ms);
  auto add = [&](const char* code, double used, const std::string& what) {
    if (used < 0.8) return;
    out.push_back({d.device_id, code, used >= 1.0 ? "critical" : "warning", what});
  };
  auto hours = [](int64_t s) { return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min"; };
  if (e.offline_s > 0) {
    add("offline_long", static_cast<double>(e.offline_s) / static_cast<double>(l.max_offline_s),
        "offline for " + hours(e.offline_s) + " (limit " + hours(l.max_offline_s) + ")");
  }
  if (e.queue_depth > 0) {
    add("unsynced_too_old", static_cast<double>(e.oldest_unsynced_age_s) / static_cast<double>(l.max_offline_s),
        "oldest unsynced event is " + hours(e.oldest_unsynced_age_s) + " old (limit " + hours(l.max_offline_s) + ")");
    add("queue_too_deep", static_cast<double>(e.queue_depth) / static_cast<double>(l.max_queue_depth),
        std::to_string(e.queue_depth) + " unsynced events (limit " + std::to_string(l.max_queue_depth) + ")");
  }
  if (e.disk_free_bytes >= 0 && e.disk_free_bytes < l.min_disk_free_bytes) {
    out.push_back({d.device_id, "disk_low", e.disk_free_bytes < l.min_disk_free_bytes / 4 ? "critical" : "warning",
                   std::to_string(e.disk_free_bytes >> 20) + " MiB free (limit " +
                       std::to_string(l.min_disk_free_bytes >> 20) + " MiB)"});
  }
  // Synced events are pruned, so the rate fills the disk only while events stay unsynced.
  if (e.disk_time_left_s >= 0 && e.disk_time_left_s < l.min_disk_time_left_s && (e.offline_s > 0 || e.queue_depth > 0)) {
    out.push_back({d.device_id, "disk_filling", e.disk_time_left_s < l.min_disk_time_left_s / 4 ? "critical" : "warning",
                   "the store's disk is full in " + hours(e.disk_time_left_s) + " at the recent sales rate (limit " +
                       hours(l.min_disk_time_left_s) + ")"});
  }
  // A store restored from an older copy reused seqs (see the Sequencer): critical until the
  // device has renumbered, then a warning for a day so IT sees it happened.
  // A device's own last seq never falls below what the ledger applied from it under the same
  // epoch, unless its store was put back to an older copy and it has not sold since (its next
  // sale will be a seq conflict, see above).
  // A report sent before the ledger applied the device's newest events is merely stale (the
  // device has sold since it said it); only one sent after them (its time, corrected by its
  // clock offset, later than the ledger's apply time) shows a store that went back.
  if (auto st = common::decodeDeviceState(d.state_json);
      st && st->online && !st->epoch.empty() && st->epoch == d.epoch && st->last_seq < d.last_applied_seq &&
      st->at_ms + st->clock_offset_ms > d.last_applied_at_ms) {
    out.push_back({d.device_id, "store_behind_ledger", "warning",
                   "the device reports seq " + std::to_string(st->last_seq) + " as its last, the ledger has up to " +
                       std::to_string(d.last_applied_seq) + " from it: its store may have been put back to an older copy"});
  }
  if (d.resequencing != 0) {
    out.push_back({d.device_id, "seq_conflict", "critical",
                   "waiting for the device to renumber from seq " + std::to_string(d.resequencing) + ": " +
                       d.last_conflict});
  } else if (d.seq_conflicts > 0 && now_ms - d.last_conflict_at_ms < 24LL * 3600 * 1000) {
    out.push_back({d.device_id, "seq_conflict", "warning",
                   "renumbered its unsent events after a seq conflict (" + std::to_string(d.seq_conflicts) +
                       " so far); last: " + d.last_conflict});
  }
  if (e.known) {
    add("clock_skew", static_cast<double>(std::llabs(e.clock_offset_ms)) / static_cast<double>(l.max_clock_offset_ms),
        "device clock is " + std::to_string(e.clock_offset_ms / 1000) + " s off the coordinator's");
  }
  return out;
}

std::vector<DeviceAlert> certificateAlerts(const RegisteredDevice& reg, int64_t now_ms) {
  if (reg.revoked || reg.cert_not_after_ms <= 0) return {};
  const int64_t left_s = (reg.cert_not_after_ms - now_ms) / 1000;
  if (left_s <= 0) {
    return {{reg.device_id, "cert_expired", "critical",
             "its certificate expired " + std::to_string(-left_s / 3600) + " h ago: it cannot reconnect"}};
  }
  if (left_s < kCertWarnS) {
    return {{reg.device_id, "cert_expiring", "warning",
             "its certificate expires in " + std::to_string(left_s / 3600) + " h and was not renewed"}};
  }
  return {};
}

}  // namespace sw::coordinator
