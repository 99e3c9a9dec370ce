#pragma once
// Per-device ordering, with no I/O: decides which received events can be applied
// now (the contiguous run after the last applied seq), which are duplicates
// (at or below it) and which must wait for a gap to fill (held, bounded).
//
// Cursors move only after the ledger commit succeeds (commit()); if the commit fails,
// rollback() forgets what was planned and the device resends it.
//
// A seq the device sends again must carry the same event: one at or below the cursor (or
// held) with another event id is a conflict (the device's store was restored from an older
// copy and reuses seqs). The whole batch is refused, nothing changes but the device's
// "resequencing" mark, and the device is told to renumber its unsent events after the cursor
// under a new epoch; its next batch names the old epoch (prev_epoch) and switches it. Batches
// under an epoch the device has left are duplicates when the ledger has their events, else a
// conflict answered under that epoch: a store put back to a copy from before a renumbering
// renumbers again, and its switch may name that retired epoch.
//
// The hash chain (common/chain.h): each event applied must link to the hash of the device's event
// before it (its chain head). A device that has never sent a chained event is accepted unchained;
// its chain starts at its first chained event, which must link to kChainGenesis; from then on an
// unchained event or a wrong link is a break. The breaking event is not applied (Offer::chain_break)
// and the rest of its batch is dropped, so nothing after it from that device applies until an event
// that links arrives (a forged event is followed by the device's own, which links).

#include <cstdint>
#include <functional>
#include <map>
#include <set>
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
  // kConflict: nothing applied (see above). kStaleEpoch: a batch of the epoch the device left
  // behind (sent before it renumbered): ignored. kEpochSwitch: accepted, under the new epoch.
  enum class Verdict { kAccepted, kNewDevice, kEpochMismatch, kConflict, kStaleEpoch, kEpochSwitch };
  Verdict verdict = Verdict::kAccepted;
  std::vector<common::Event> apply;  // contiguous from the planned cursor + 1
  size_t duplicates = 0;
  size_t held = 0;
  size_t dropped = 0;                // beyond the hold limit; the device will resend them
  std::string known_epoch;           // on kEpochMismatch
  // On kConflict: the first conflicting seq, the event the device sent there and the id already
  // applied or held there; and the held events dropped (they belong to the retired numbering).
  uint64_t conflict_seq = 0;
  std::optional<common::Event> conflict_event;
  std::string existing_id;
  std::vector<common::Event> dropped_held;
  std::string previous_epoch;  // on kEpochSwitch
  bool retired_epoch = false;  // the batch came under an epoch the device has left (see offer())
  // A chain break: the event that did not link (not applied), the hash it had to link to (empty:
  // the device is unchained, so only kChainGenesis starts it), and the batch's events after it,
  // dropped (the device resends them).
  std::optional<common::Event> chain_break;
  std::string chain_expected;
  size_t chain_dropped = 0;
  // The device's chain head after `apply` (empty: unchained), and whether `apply` moved it.
  std::string chain_head;
  bool chain_moved = false;
};

// The event id the ledger holds at (device, seq), if any: how offers check resent seqs.
using CommittedIdLookup = std::function<std::optional<std::string>(const std::string& device, uint64_t seq)>;

class Sequencer {
 public:
  explicit Sequencer(SequencerConfig config) : config_(config) {}

  // Restores a device's committed cursor at start-up (retired epochs and resequencing as stored).
  void load(const std::string& device, const std::string& epoch, uint64_t last_applied,
            const std::string& retired_epochs = "", uint64_t resequencing = 0, const std::string& chain_head = "");

  // Takes a decoded batch and plans what to apply. Several offers may be planned before one commit.
  // lookup (optional) gives the committed event ids, for the conflict check of resent seqs.
  Offer offer(common::EventBatch batch, int64_t mono_now, const CommittedIdLookup& lookup = {});

  // The planned events up to applied are durable: move the committed cursor.
  void commit(const std::string& device, uint64_t applied);
  // The group's commit succeeded: epoch switches and conflict marks in it are durable.
  void commitAll();
  // The commit failed: forget all planned-but-uncommitted events (and switches, conflict marks).
  void rollbackAll();

  uint64_t applied(const std::string& device) const;
  std::string epoch(const std::string& device) const;
  bool known(const std::string& device) const { return devices_.count(device) > 0; }
  // The conflicting seq a device has been told to renumber from (0: none pending).
  uint64_t resequencing(const std::string& device) const;
  // The highest seq an ordinary ack may confirm to a device sending under `epoch`: below the
  // conflict it was told of (its events from there on are not the ledger's), else no limit.
  uint64_t ackLimit(const std::string& device, const std::string& epoch) const;
  // The epochs the device has left, most recent first, space-separated (at most kMaxRetiredEpochs).
  std::string retiredEpochs(const std::string& device) const;
  static constexpr size_t kMaxRetiredEpochs = 16;
  size_t heldCount(const std::string& device) const;
  // The hash of the device's last committed event (empty: none chained).
  std::string chainHead(const std::string& device) const;

  // Devices whose gap has been waiting longer than the reorder timeout; each is returned
  // at most once per timeout period. Value: the seq to resend from.
  std::vector<std::pair<std::string, uint64_t>> expiredGaps(int64_t mono_now);

  // An operator accepted a device's new store: forget the old epoch and cursor.
  void reset(const std::string& device, const std::string& epoch, uint64_t last_applied);
  // Another coordinator applies this device now (a split ledger): forget it whole, events held
  // included (the device resends them to whoever applies it); load() it again when it comes back.
  void forget(const std::string& device);
  std::vector<std::string> deviceIds() const;

 private:
  struct Device {
    std::string epoch;
    std::string prev_epoch;  // the retired epochs, most recent first, space-separated
    uint64_t resequencing = 0;
    uint64_t committed = 0;
    uint64_t planned = 0;
    std::string head_committed, head_planned;  // chain heads at committed and planned
    std::map<uint64_t, std::string> planned_ids;
    std::map<std::string, uint64_t> retired_conflicts;  // retired epoch -> lowest conflicting seq seen  // (committed, planned]: ids, for the conflict check
    // A switch or conflict mark made in the open group: undone by rollbackAll().
    struct Undo {
      std::string epoch, prev_epoch;
      uint64_t resequencing;
    };
    std::optional<Undo> undo;
    std::map<uint64_t, common::Event> held;
    int64_t gap_since_mono = 0;
    int64_t last_resend_request_mono = 0;
  };

  void remember(const std::string& device, Device& d);
  // Whether e links to d's planned chain head; moves the head if it does, else fills out's break.
  static bool link(Device& d, const common::Event& e, Offer& out);
  static bool isRetired(const Device& d, const std::string& epoch);
  static std::string retire(const std::string& epoch, const std::string& retired);

  SequencerConfig config_;
  std::unordered_map<std::string, Device> devices_;
  // Devices that have held events since expiredGaps() last found them empty: the only ones it
  // looks at. A device enters when an event is held (the only way held grows).
  std::set<std::string> with_held_;
  std::vector<std::string> undone_;  // devices with an undo in the open group
};

}  // namespace sw::coordinator
