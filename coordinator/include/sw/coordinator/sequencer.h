#pragma once
// Per-device ordering, with no I/O: decides which received events can be applied
// now (the contiguous run after the last applied seq), which are duplicates
// (at or below it) and which must wait for a gap to fill (held, bounded).
//
// Cursors move only after the ledger commit succeeds (commit()); if the commit fails,
// rollback() forgets what was planned and the device resends it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sw/common/event.h"

namespace sw::coordinator {

struct SequencerConfig {
  int64_t reorder_timeout_ms = 1000;      // how long a gap is held before asking for a resend
  size_t max_held_per_device = 20'000;    // events beyond a gap kept in memory per device
};

struct Offer {
  enum class Verdict { kAccepted, kNewDevice, kEpochMismatch };
  Verdict verdict = Verdict::kAccepted;
  std::vector<common::Event> apply;  // contiguous from the planned cursor + 1
  size_t duplicates = 0;
  size_t held = 0;
  size_t dropped = 0;                // beyond the hold limit; the device will resend them
  std::string known_epoch;           // on kEpochMismatch
};

class Sequencer {
 public:
  explicit Sequencer(SequencerConfig config) : config_(config) {}

  // Restores a device's committed cursor at start-up.
  void load(const std::string& device, const std::string& epoch, uint64_t last_applied);

  // Takes a decoded batch and plans what to apply. Several offers may be planned before one commit.
  Offer offer(common::EventBatch batch, int64_t mono_now);

  // The planned events up to applied are durable: move the committed cursor.
  void commit(const std::string& device, uint64_t applied);
  // The commit failed: forget all planned-but-uncommitted events.
  void rollbackAll();

  uint64_t applied(const std::string& device) const;
  std::string epoch(const std::string& device) const;
  bool known(const std::string& device) const { return devices_.count(device) > 0; }
  size_t heldCount(const std::string& device) const;

  // Devices whose gap has been waiting longer than the reorder timeout; each is returned
  // at most once per timeout period. Value: the seq to resend from.
  std::vector<std::pair<std::string, uint64_t>> expiredGaps(int64_t mono_now);

  // An operator accepted a device's new store: forget the old epoch and cursor.
  void reset(const std::string& device, const std::string& epoch, uint64_t last_applied);

 private:
  struct Device {
    std::string epoch;
    uint64_t committed = 0;
    uint64_t planned = 0;
    std::map<uint64_t, common::Event> held;
    int64_t gap_since_mono = 0;
    int64_t last_resend_request_mono = 0;
  };

  SequencerConfig config_;
  std::unordered_map<std::string, Device> devices_;
};

}  // namespace sw::coordinator
