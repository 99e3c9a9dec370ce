#include "sw/coordinator/ingest/sequencer.h"

#include <algorithm>

#include "sw/common/chain.h"

namespace sw::coordinator {

bool Sequencer::isRetired(const Device& d, const std::string& epoch) {
  if (epoch.empty()) return false;
  size_t at = 0;
  while (at < d.prev_epoch.size()) {
    size_t end = d.prev_epoch.find(' ', at);
    if (end == std::string::npos) end = d.prev_epoch.size();
    if (d.prev_epoch.compare(at, end - at, epoch) == 0) return true;
    at = end + 1;
  }
  return false;
}

std::string Sequencer::retire(const std::string& epoch, const std::string& retired) {
  std::string out = epoch;
  size_t kept = 1, at = 0;
  while (at < retired.size() && kept < kMaxRetiredEpochs) {
    size_t end = retired.find(' ', at);
    if (end == std::string::npos) end = retired.size();
    out += ' ';
    out.append(retired, at, end - at);
    ++kept;
    at = end + 1;
  }
  return out;
}

void Sequencer::load(const std::string& device, const std::string& epoch, uint64_t last_applied,
                     const std::string& prev_epoch, uint64_t resequencing, const std::string& chain_head) {
  Device& d = devices_[device];
  d.head_committed = chain_head;
  d.head_planned = chain_head;
  d.epoch = epoch;
  d.prev_epoch = prev_epoch;
  d.resequencing = resequencing;
  d.committed = last_applied;
  d.planned = last_applied;
  d.planned_ids.clear();
  d.undo.reset();
  d.held.clear();
}

void Sequencer::reset(const std::string& device, const std::string& epoch, uint64_t last_applied) {
  load(device, epoch, last_applied);
}

void Sequencer::forget(const std::string& device) {
  devices_.erase(device);
  with_held_.erase(device);
}

std::vector<std::string> Sequencer::deviceIds() const {
  std::vector<std::string> out;
  out.reserve(devices_.size());
  for (const auto& [id, d] : devices_) out.push_back(id);
  return out;
}

Offer Sequencer::offer(common::EventBatch batch, int64_t mono_now, const CommittedIdLookup& lookup) {
  Offer out;
  auto it = devices_.find(batch.device_id);
  if (it == devices_.end()) {
    it = devices_.emplace(batch.device_id, Device{}).first;
    it->second.epoch = batch.epoch;
    out.verdict = Offer::Verdict::kNewDevice;
  } else if (it->second.epoch != batch.epoch) {
    Device& d = it->second;
    if (isRetired(d, batch.epoch)) {
      // A batch of a numbering the device has left: sent before it renumbered, or its store was
      // put back to a copy from then. Events the ledger has under their ids are duplicates;
      // any other is a conflict, answered under that old epoch so such a store renumbers too.
      out.retired_epoch = true;
      for (common::Event& e : batch.events) {
        std::optional<std::string> have;
        if (e.seq <= d.committed && lookup) have = lookup(batch.device_id, e.seq);
        if (have && *have == e.event_id) continue;
        out.verdict = Offer::Verdict::kConflict;
        out.conflict_seq = e.seq;
        auto [rc, fresh] = d.retired_conflicts.emplace(batch.epoch, e.seq);
        if (!fresh) rc->second = std::min(rc->second, e.seq);
        out.existing_id = have.value_or("");
        out.conflict_event = std::move(e);
        return out;
      }
      out.verdict = Offer::Verdict::kStaleEpoch;
      out.duplicates = batch.events.size();
      return out;
    }
    // A switch names the epoch it leaves: the current one after a conflict it was told of, or
    // (a store put back to an older copy) one it had before.
    const bool named = (d.resequencing != 0 && batch.prev_epoch == d.epoch) ||
                       (!batch.prev_epoch.empty() && isRetired(d, batch.prev_epoch));
    if (!named) {
      out.verdict = Offer::Verdict::kEpochMismatch;
      out.known_epoch = d.epoch;
      return out;
    }
    // The device renumbered after the conflict it was told of: its new epoch starts here.
    remember(batch.device_id, d);
    out.verdict = Offer::Verdict::kEpochSwitch;
    out.previous_epoch = d.epoch;
    d.prev_epoch = retire(d.epoch, d.prev_epoch);
    d.retired_conflicts.erase(batch.prev_epoch);
    d.epoch = batch.epoch;
    d.resequencing = 0;
    for (auto& [seq, e] : d.held) out.dropped_held.push_back(std::move(e));
    d.held.clear();
  }
  Device& d = it->second;
  // Resent seqs must carry the events already applied, planned or held there.
  for (common::Event& e : batch.events) {
    std::optional<std::string> have;
    if (e.seq <= d.committed) {
      if (lookup) have = lookup(batch.device_id, e.seq);
    } else if (e.seq <= d.planned) {
      auto p = d.planned_ids.find(e.seq);
      if (p != d.planned_ids.end()) have = p->second;
    } else if (auto h = d.held.find(e.seq); h != d.held.end()) {
      have = h->second.event_id;
    }
    if (!have || *have == e.event_id) continue;
    remember(batch.device_id, d);
    out.verdict = Offer::Verdict::kConflict;
    out.conflict_seq = e.seq;
    out.existing_id = *have;
    out.conflict_event = std::move(e);
    // Several batches may conflict before the device renumbers: it renumbers from the lowest.
    d.resequencing = d.resequencing ? std::min(d.resequencing, out.conflict_seq) : out.conflict_seq;
    for (auto& [seq, h] : d.held) out.dropped_held.push_back(std::move(h));
    d.held.clear();
    return out;
  }
  out.apply.reserve(batch.events.size());
  for (common::Event& e : batch.events) {
    if (out.chain_break) {
      ++out.chain_dropped;
    } else if (e.seq <= d.planned) {
      ++out.duplicates;
    } else if (e.seq == d.planned + 1) {
      if (!link(d, e, out)) {
        out.chain_break = std::move(e);
        continue;
      }
      d.planned = e.seq;
      d.planned_ids.emplace(e.seq, e.event_id);
      out.apply.push_back(std::move(e));
    } else if (d.held.count(e.seq)) {
      ++out.duplicates;
    } else if (d.held.size() < config_.max_held_per_device) {
      if (d.held.empty()) d.gap_since_mono = mono_now;
      d.held.emplace(e.seq, std::move(e));
      with_held_.insert(batch.device_id);
      ++out.held;
    } else {
      ++out.dropped;
    }
  }
  // Held events that now continue the run.
  while (!d.held.empty() && !out.chain_break) {
    auto h = d.held.begin();
    if (h->first <= d.planned) {
      d.held.erase(h);
      continue;
    }
    if (h->first != d.planned + 1) break;
    if (!link(d, h->second, out)) {
      out.chain_break = std::move(h->second);
      d.held.erase(h);
      break;
    }
    d.planned = h->first;
    d.planned_ids.emplace(h->first, h->second.event_id);
    out.apply.push_back(std::move(h->second));
    d.held.erase(h);
  }
  if (!d.held.empty() && out.apply.size() > 0) d.gap_since_mono = mono_now;  // progress restarts the wait
  out.chain_head = d.head_planned;
  return out;
}

bool Sequencer::link(Device& d, const common::Event& e, Offer& out) {
  if (d.head_planned.empty()) {
    if (e.prev_hash.empty()) return true;  // unchained, as every device was before the chain
    if (e.prev_hash != common::kChainGenesis) {
      out.chain_expected.clear();
      return false;
    }
  } else if (e.prev_hash != d.head_planned) {
    out.chain_expected = d.head_planned;
    return false;
  }
  d.head_planned = common::chainHash(e);
  out.chain_moved = true;
  return true;
}

void Sequencer::commit(const std::string& device, uint64_t applied) {
  auto it = devices_.find(device);
  if (it == devices_.end()) return;
  Device& d = it->second;
  if (applied > d.committed) d.committed = applied;
  if (d.committed == d.planned) d.head_committed = d.head_planned;
  d.planned_ids.erase(d.planned_ids.begin(), d.planned_ids.upper_bound(d.committed));
}

// Before a switch or conflict mark in the open group: what rollbackAll() restores.
void Sequencer::remember(const std::string& device, Device& d) {
  if (d.undo) return;
  d.undo = Device::Undo{d.epoch, d.prev_epoch, d.resequencing};
  undone_.push_back(device);
}

void Sequencer::commitAll() {
  for (const std::string& id : undone_) {
    if (auto it = devices_.find(id); it != devices_.end()) it->second.undo.reset();
  }
  undone_.clear();
}

void Sequencer::rollbackAll() {
  for (auto it = devices_.begin(); it != devices_.end();) {
    Device& d = it->second;
    d.planned = d.committed;
    d.head_planned = d.head_committed;
    d.planned_ids.clear();
    if (d.undo) {
      d.epoch = d.undo->epoch;
      d.prev_epoch = d.undo->prev_epoch;
      d.resequencing = d.undo->resequencing;
      d.undo.reset();
    }
    // Held events above the committed cursor stay valid; ones at or below are stale.
    while (!d.held.empty() && d.held.begin()->first <= d.committed) d.held.erase(d.held.begin());
    ++it;
  }
  undone_.clear();
}

uint64_t Sequencer::applied(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? 0 : it->second.committed;
}

std::string Sequencer::epoch(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? std::string() : it->second.epoch;
}

uint64_t Sequencer::ackLimit(const std::string& device, const std::string& epoch) const {
  auto it = devices_.find(device);
  if (it == devices_.end()) return UINT64_MAX;
  const Device& d = it->second;
  if (epoch == d.epoch) return d.resequencing ? d.resequencing - 1 : UINT64_MAX;
  auto rc = d.retired_conflicts.find(epoch);
  return rc == d.retired_conflicts.end() ? UINT64_MAX : rc->second - 1;
}

std::string Sequencer::retiredEpochs(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? std::string() : it->second.prev_epoch;
}

uint64_t Sequencer::resequencing(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? 0 : it->second.resequencing;
}

std::string Sequencer::chainHead(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? std::string() : it->second.head_committed;
}

size_t Sequencer::heldCount(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? 0 : it->second.held.size();
}

std::vector<std::pair<std::string, uint64_t>> Sequencer::expiredGaps(int64_t mono_now) {
  std::vector<std::pair<std::string, uint64_t>> out;
  // Only the devices that held something since they were last seen here: not the whole fleet
  // after every commit (at 10,000 devices that scan was a quarter of the coordinator's CPU).
  for (auto it = with_held_.begin(); it != with_held_.end();) {
    auto dev = devices_.find(*it);
    if (dev == devices_.end() || dev->second.held.empty()) {
      it = with_held_.erase(it);
      continue;
    }
    const std::string& id = *it++;
    Device& d = dev->second;
    if (mono_now - d.gap_since_mono < config_.reorder_timeout_ms) continue;
    if (mono_now - d.last_resend_request_mono < config_.reorder_timeout_ms) continue;
    d.last_resend_request_mono = mono_now;
    out.emplace_back(id, d.planned + 1);
  }
  return out;
}

}  // namespace sw::coordinator
