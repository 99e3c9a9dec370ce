#include "sw/coordinator/sequencer.h"

namespace sw::coordinator {

void Sequencer::load(const std::string& device, const std::string& epoch, uint64_t last_applied) {
  Device& d = devices_[device];
  d.epoch = epoch;
  d.committed = last_applied;
  d.planned = last_applied;
  d.held.clear();
}

void Sequencer::reset(const std::string& device, const std::string& epoch, uint64_t last_applied) {
  load(device, epoch, last_applied);
}

Offer Sequencer::offer(common::EventBatch batch, int64_t mono_now) {
  Offer out;
  auto it = devices_.find(batch.device_id);
  if (it == devices_.end()) {
    it = devices_.emplace(batch.device_id, Device{}).first;
    it->second.epoch = batch.epoch;
    out.verdict = Offer::Verdict::kNewDevice;
  } else if (it->second.epoch != batch.epoch) {
    out.verdict = Offer::Verdict::kEpochMismatch;
    out.known_epoch = it->second.epoch;
    return out;
  }
  Device& d = it->second;
  out.apply.reserve(batch.events.size());
  for (common::Event& e : batch.events) {
    if (e.seq <= d.planned) {
      ++out.duplicates;
    } else if (e.seq == d.planned + 1) {
      d.planned = e.seq;
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
    out.apply.push_back(std::move(h->second));
    d.held.erase(h);
  }
  if (!d.held.empty() && out.apply.size() > 0) d.gap_since_mono = mono_now;  // progress restarts the wait
  return out;
}

void Sequencer::commit(const std::string& device, uint64_t applied) {
  auto it = devices_.find(device);
  if (it == devices_.end()) return;
  if (applied > it->second.committed) it->second.committed = applied;
}

void Sequencer::rollbackAll() {
  for (auto it = devices_.begin(); it != devices_.end();) {
    Device& d = it->second;
    d.planned = d.committed;
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
