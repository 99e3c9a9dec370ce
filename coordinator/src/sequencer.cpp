#include "sw/coordinator/sequencer.h"

namespace sw::coordinator {

void Sequencer::load(const std::string& device, const std::string& epoch, uint64_t last_applied,
                     const std::string& prev_epoch, uint64_t resequencing) {
  Device& d = devices_[device];
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

Offer Sequencer::offer(common::EventBatch batch, int64_t mono_now, const CommittedIdLookup& lookup) {
  Offer out;
  auto it = devices_.find(batch.device_id);
  if (it == devices_.end()) {
    it = devices_.emplace(batch.device_id, Device{}).first;
    it->second.epoch = batch.epoch;
    out.verdict = Offer::Verdict::kNewDevice;
  } else if (it->second.epoch != batch.epoch) {
    Device& d = it->second;
    if (!d.prev_epoch.empty() && batch.epoch == d.prev_epoch) {
      // Sent before the device renumbered; what it held is in the new epoch's batches.
      out.verdict = Offer::Verdict::kStaleEpoch;
      out.duplicates = batch.events.size();
      return out;
    }
    if (d.resequencing == 0 || batch.prev_epoch != d.epoch) {
      out.verdict = Offer::Verdict::kEpochMismatch;
      out.known_epoch = d.epoch;
      return out;
    }
    // The device renumbered after the conflict it was told of: its new epoch starts here.
    if (!d.undo) d.undo = Device::Undo{d.epoch, d.prev_epoch, d.resequencing};
    out.verdict = Offer::Verdict::kEpochSwitch;
    out.previous_epoch = d.epoch;
    d.prev_epoch = d.epoch;
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
    if (!d.undo) d.undo = Device::Undo{d.epoch, d.prev_epoch, d.resequencing};
    out.verdict = Offer::Verdict::kConflict;
    out.conflict_seq = e.seq;
    out.existing_id = *have;
    out.conflict_event = std::move(e);
    d.resequencing = out.conflict_seq;
    for (auto& [seq, h] : d.held) out.dropped_held.push_back(std::move(h));
    d.held.clear();
    return out;
  }
  out.apply.reserve(batch.events.size());
  for (common::Event& e : batch.events) {
    if (e.seq <= d.planned) {
      ++out.duplicates;
    } else if (e.seq == d.planned + 1) {
      d.planned = e.seq;
      d.planned_ids.emplace(e.seq, e.event_id);
      out.apply.push_back(std::move(e));
    } else if (d.held.count(e.seq)) {
      ++out.duplicates;
    } else if (d.held.size() < config_.max_held_per_device) {
      if (d.held.empty()) d.gap_since_mono = mono_now;
      d.held.emplace(e.seq, std::move(e));
      ++out.held;
    } else {
      ++out.dropped;
    }
  }
  // Held events that now continue the run.
  while (!d.held.empty()) {
    auto h = d.held.begin();
    if (h->first <= d.planned) {
      d.held.erase(h);
      continue;
    }
    if (h->first != d.planned + 1) break;
    d.planned = h->first;
    d.planned_ids.emplace(h->first, h->second.event_id);
    out.apply.push_back(std::move(h->second));
    d.held.erase(h);
  }
  if (!d.held.empty() && out.apply.size() > 0) d.gap_since_mono = mono_now;  // progress restarts the wait
  return out;
}

void Sequencer::commit(const std::string& device, uint64_t applied) {
  auto it = devices_.find(device);
  if (it == devices_.end()) return;
  Device& d = it->second;
  if (applied > d.committed) d.committed = applied;
  d.planned_ids.erase(d.planned_ids.begin(), d.planned_ids.upper_bound(d.committed));
}

void Sequencer::commitAll() {
  for (auto& [id, d] : devices_) d.undo.reset();
}

void Sequencer::rollbackAll() {
  for (auto it = devices_.begin(); it != devices_.end();) {
    Device& d = it->second;
    d.planned = d.committed;
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
}

uint64_t Sequencer::applied(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? 0 : it->second.committed;
}

std::string Sequencer::epoch(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? std::string() : it->second.epoch;
}

uint64_t Sequencer::resequencing(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? 0 : it->second.resequencing;
}

size_t Sequencer::heldCount(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? 0 : it->second.held.size();
}

std::vector<std::pair<std::string, uint64_t>> Sequencer::expiredGaps(int64_t mono_now) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (auto& [id, d] : devices_) {
    if (d.held.empty()) continue;
    if (mono_now - d.gap_since_mono < config_.reorder_timeout_ms) continue;
    if (mono_now - d.last_resend_request_mono < config_.reorder_timeout_ms) continue;
    d.last_resend_request_mono = mono_now;
    out.emplace_back(id, d.planned + 1);
  }
  return out;
}

}  // namespace sw::coordinator
