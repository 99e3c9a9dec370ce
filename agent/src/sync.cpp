#include "sw/agent/sync.h"

#include <algorithm>
#include <cmath>

#include "sw/common/cli.h"
#include "sw/common/codec.h"
#include "sw/common/crash_point.h"
#include "sw/common/log.h"
#include "sw/common/topics.h"

namespace sw::agent {

namespace topics = common::topics;
constexpr std::string_view kLog = "sync";

SyncLoop::SyncLoop(Store& store, common::MqttTransport& transport, const common::Clock& clock, SyncConfig config,
                   std::string session)
    : store_(store), transport_(transport), clock_(clock), config_(config), session_(std::move(session)) {
  status_.batch_events = config_.initial_batch_events;
  rto_ms_ = config_.ack_timeout_ms;
}

SyncLoop::~SyncLoop() { stop(); }

void SyncLoop::start() {
  auto inbound = [this](std::string_view topic, std::string_view payload) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      inbound_.push_back({std::string(topic), std::string(payload)});
    }
    cv_.notify_one();
  };
  transport_.addMessageHandler(common::topics::ack(store_.deviceId()), inbound);
  transport_.addMessageHandler(std::string(common::topics::kCoordinatorState), inbound);
  transport_.addConnectionHandler([this](bool connected) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.broker_connected = connected;
      if (connected) connected_event_ = true;
      else lost_event_ = true;
    }
    cv_.notify_one();
  });
  (void)transport_.subscribe(topics::ack(store_.deviceId()), 1);
  (void)transport_.subscribe(topics::kCoordinatorState, 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  transport_.start();
  thread_ = std::thread([this] { run(); });
}

void SyncLoop::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  if (transport_.isConnected()) publishState(false);
  transport_.stop();
}

void SyncLoop::notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

SyncStatus SyncLoop::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void SyncLoop::run() {
  if (auto st = store_.stats(); st) {
    last_acked_ = st->last_acked_seq;
    next_seq_ = last_acked_ + 1;
    highest_sent_ = last_acked_;
  }
  last_prune_mono_ = clock_.monoMs();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_ || wake_ || !inbound_.empty() || connected_event_; });
    if (stop_) break;
    wake_ = false;
    std::deque<Inbound> msgs;
    msgs.swap(inbound_);
    bool connected = connected_event_, lost = lost_event_;
    connected_event_ = lost_event_ = false;
    lock.unlock();

    if (lost) {
      // Whatever was in flight may be lost with the old connection. Only a loss rewinds: the
      // first connection is often reported after its retained presence has arrived and the
      // first window has gone out, and rewinding then sent that window twice.
      next_seq_ = last_acked_ + 1;
      in_flight_.clear();
    }
    if (connected) last_state_mono_ = -1'000'000;  // publish a birth now
    for (const Inbound& m : msgs) handleInbound(m);

    int64_t mono = clock_.monoMs();
    if (transport_.isConnected()) {
      bool due = mono - last_state_mono_ >= config_.state_interval_ms;
      if (!due && mono - last_state_mono_ >= config_.state_min_interval_ms) {
        auto st = store_.stats();
        due = st && (st->queue_depth != last_state_depth_ || st->last_seq != last_state_seq_);
      }
      if (due) {
        publishState(true);
        last_state_mono_ = mono;
      }
      sendWhatFits();
    }
    if (mono - last_prune_mono_ >= config_.prune_interval_ms) {
      last_prune_mono_ = mono;
      auto n = store_.prune(config_.retention_ms);
      if (!n) {
        SW_WARN(kLog) << "prune failed: " << n.error().toString();
        noteError("prune failed: " + n.error().toString());
      }
      else if (*n > 0) SW_INFO(kLog) << "pruned " << *n << " acknowledged events past retention";
    }
    lock.lock();
  }
}

void SyncLoop::handleInbound(const Inbound& msg) {
  if (msg.topic == topics::kCoordinatorState) {
    auto cs = common::decodeCoordinatorState(msg.payload);
    if (!cs) {
      SW_WARN(kLog) << "ignoring bad coordinator state: " << cs.error().toString();
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (cs->online && cs->session != coordinator_session_) {
      // A new coordinator session may not have seen what was in flight: start again from the last ack.
      next_seq_ = last_acked_ + 1;
      in_flight_.clear();
      last_progress_mono_ = clock_.monoMs();
      probe_ = last_acked_ > 0;
    }
    coordinator_session_ = cs->online ? cs->session : "";
    if (status_.coordinator_online != cs->online) {
      SW_INFO(kLog) << "coordinator is " << (cs->online ? "online" : "offline");
    }
    status_.coordinator_online = cs->online;
    return;
  }
  if (msg.topic == topics::ack(store_.deviceId())) handleAck(msg.payload);
}

void SyncLoop::handleAck(std::string_view payload) {
  auto ack = common::decodeAck(payload);
  if (!ack) {
    SW_WARN(kLog) << "ignoring bad ack: " << ack.error().toString();
    noteError("ignored a bad ack: " + ack.error().toString());
    return;
  }
  int64_t now = clock_.nowMs();
  int64_t mono = clock_.monoMs();
  const std::string epoch = store_.epoch(), prev_epoch = store_.prevEpoch();
  if (!prev_epoch.empty() && ack->epoch == prev_epoch) return;  // answers a batch sent before we renumbered
  if (std::string why = inconsistency(*ack, now); !why.empty()) {
    SW_WARN(kLog) << "ignoring an inconsistent ack (applied " << ack->applied_seq << ", epoch " << ack->epoch
                  << "): " << why;
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.bad_acks;
    status_.last_bad_ack = why;
    status_.last_bad_ack_at_ms = now;
    noteErrorLocked("ignored an inconsistent ack: " + why);
    return;
  }
  if (ack->conflict_seq && ack->error.empty() && ack->epoch == epoch) return handleConflict(*ack);
  if (!ack->error.empty() || (!ack->epoch.empty() && ack->epoch != epoch)) {
    std::string why = !ack->error.empty() ? ack->error
                                          : "coordinator knows this device with store epoch " + ack->epoch +
                                                ", this store is " + epoch;
    std::lock_guard<std::mutex> lock(mu_);
    if (!status_.refused) SW_ERROR(kLog) << "coordinator refused this device: " << why;
    status_.refused = true;
    status_.refused_reason = why;
    noteErrorLocked("refused by the coordinator: " + why);
    return;
  }
  // An ack older than one already handled (a duplicate delivered late) must not rewind anything;
  // it may still move forward (that is never wrong, and keeps a coordinator whose clock stepped
  // back from stalling us).
  bool stale = ack->coord_time_ms < newest_ack_coord_ms_;
  newest_ack_coord_ms_ = std::max(newest_ack_coord_ms_, ack->coord_time_ms);
  if (!stale && ack->applied_seq < last_acked_ && ack->resend_from && *ack->resend_from <= last_acked_) {
    // The coordinator has less than it acknowledged before (restored from a backup?): resend
    // what it lost from the copies kept for the retention period.
    SW_WARN(kLog) << "coordinator now has only up to seq " << ack->applied_seq << " of " << last_acked_
                  << " it acknowledged; resending from retained events";
    if (auto s = store_.rewindAcked(ack->applied_seq); !s) {
      std::lock_guard<std::mutex> lock(mu_);
      SW_ERROR(kLog) << "cannot resend what the coordinator lost: " << s.error().toString();
      status_.refused = true;
      status_.refused_reason = "the coordinator lost acknowledged events: " + s.error().message;
      noteErrorLocked(status_.refused_reason);
      return;
    }
    last_acked_ = ack->applied_seq;
    next_seq_ = last_acked_ + 1;
    in_flight_.clear();
    last_progress_mono_ = mono;
  }
  // An ack confirms only what this device has sent: the coordinator may hold more under this
  // device's seqs (this store was restored from an older copy), and events not yet sent must be
  // compared with what it holds (a seq conflict, handleConflict()) before counting as applied.
  // And at most what was sent up to the batch it answers: a batch sent after that one may not have
  // reached the coordinator yet (the probe after a new coordinator session answers for one
  // acknowledged event, while the new events after it wait to be compared).
  uint64_t cap = std::max(highest_sent_, last_acked_);
  if (auto through = answeredThrough(*ack)) cap = std::min(cap, std::max(*through, last_acked_));
  const uint64_t applied = std::min(ack->applied_seq, cap);
  bool progressed = applied > last_acked_;
  if (progressed) {
    common::crashPoint("agent.before_mark_acked");
    if (auto s = store_.markAcked(applied); !s) {
      std::lock_guard<std::mutex> lock(mu_);
      SW_ERROR(kLog) << "cannot record ack " << applied << ": " << s.error().toString();
      if (s.error().code == "ack_beyond_last") {
        status_.refused = true;
        status_.refused_reason = s.error().message;
      }
      noteErrorLocked("cannot record an ack: " + s.error().toString());
      return;
    }
    common::crashPoint("agent.after_mark_acked");
    last_acked_ = applied;
    last_progress_mono_ = mono;
    // Round-trip samples from batches now fully acknowledged and sent only once.
    while (!in_flight_.empty() && in_flight_.front().last_seq <= last_acked_) {
      const InFlight& f = in_flight_.front();
      if (!f.resent) {
        rto_ms_ = rtt_.observe(static_cast<double>(mono - f.sent_mono), config_.ack_timeout_ms,
                               config_.max_ack_timeout_ms);
      }
      in_flight_.pop_front();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  status_.last_ack_at_ms = now;
  status_.rto_ms = rto_ms_;
  status_.srtt_ms = static_cast<int64_t>(rtt_.srtt_ms);
  if (ack->resend_from) {
    uint64_t from = std::max(last_acked_ + 1, *ack->resend_from);
    if (from < next_seq_) {
      next_seq_ = from;
      in_flight_.clear();
      ++status_.resends;
      status_.batch_events = std::max<size_t>(1, status_.batch_events / 2);
    }
  } else if (progressed && rtt_.srtt_ms < static_cast<double>(config_.ack_timeout_ms) / 2) {
    // The coordinator is taking batches in: allow bigger ones. Growing only when an ack covered
    // everything in flight left most devices of a catch-up at the first size, since a backlogged
    // coordinator acks part of a window at a time; a window of 4 x 64 events a round trip then
    // starved the ledger, and the last devices trickled in 64 at a time (tools/bench drain fell
    // to 63k events/s on such a tail). A resend or a silence still halves the size.
    // Not once the round trip passes half the least ack timeout: acks that slow mean the
    // coordinator's queue is deep already, and doubling what a whole fleet has in flight would
    // push acks past the timeout and cause resends.
    status_.batch_events = std::min(config_.max_batch_events, status_.batch_events * 2);
  }
  next_seq_ = std::max(next_seq_, last_acked_ + 1);
  if (ack->echo_sent_at_ms > 0 && ack->echo_sent_at_ms <= now) {
    int64_t rtt = now - ack->echo_sent_at_ms;
    // Keep the offset from the fastest exchange in the last minute: its midpoint is the tightest bound.
    if (best_rtt_ms_ < 0 || rtt <= best_rtt_ms_ || mono - best_rtt_mono_ > 60'000) {
      best_rtt_ms_ = rtt;
      best_rtt_mono_ = mono;
      status_.clock_offset_ms = ack->coord_time_ms - (ack->echo_sent_at_ms + rtt / 2);
      status_.clock_offset_known = true;
    }
  }
}

// The coordinator holds, at ack.conflict_seq, another event than ours: this store reused seqs
// (restored from an older copy). Renumber what it has not got after what it has, under a new
// epoch (the coordinator switches to it on the next batch, which names the old one), and go on.
// Sales are never refused for this: only their seqs change.
void SyncLoop::handleConflict(const common::Ack& ack) {
  auto r = store_.resequence(*ack.conflict_seq, ack.applied_seq, ack.chain_head);
  if (!r) {
    SW_ERROR(kLog) << "seq conflict at " << *ack.conflict_seq << ": cannot renumber: " << r.error().toString();
    noteError("seq conflict at " + std::to_string(*ack.conflict_seq) + ": cannot renumber: " + r.error().toString());
    return;  // the next batch meets the same conflict, and its ack brings it again
  }
  if (!*r) return;  // already handled
  const Store::Resequenced& rs = **r;
  SW_WARN(kLog) << "the coordinator has other events at seq " << rs.from_seq << ".." << ack.applied_seq
                << " (this store was restored from an older copy?): renumbered " << rs.events << " unsent events by +"
                << rs.shift << ", new epoch " << rs.new_epoch << " (was " << rs.old_epoch << ")";
  last_acked_ = rs.acked_through;
  next_seq_ = last_acked_ + 1;
  highest_sent_ = last_acked_;
  in_flight_.clear();
  last_progress_mono_ = clock_.monoMs();
  std::lock_guard<std::mutex> lock(mu_);
  status_.last_ack_at_ms = clock_.nowMs();
}

std::optional<uint64_t> SyncLoop::answeredThrough(const common::Ack& ack) const {
  if (ack.echo_sent_at_ms <= 0) return std::nullopt;
  // Batches of one window often go out in the same millisecond, and the coordinator echoes the
  // latest it has taken: the last of them. But a probe among them caps it at the probe's seq (the
  // ack may answer the probe alone; the batches after it are confirmed by a later answer).
  std::optional<uint64_t> through;
  for (const Sent& s : recent_sent_) {
    if (s.sent_at_ms != ack.echo_sent_at_ms) continue;
    if (s.probe) return s.highest_seq;
    through = std::max(through.value_or(0), s.highest_seq);
  }
  return through;
}

bool SyncLoop::answersOurBatch(const common::Ack& ack) const { return answeredThrough(ack).has_value(); }

void SyncLoop::rememberSent(int64_t sent_at_ms, uint64_t highest_seq, bool probe) {
  recent_sent_.push_back({sent_at_ms, highest_seq, probe});
  if (recent_sent_.size() > kRecentBatches) recent_sent_.pop_front();
}

std::string SyncLoop::inconsistency(const common::Ack& ack, int64_t now) const {
  if (ack.coord_time_ms <= 0 || ack.coord_time_ms > common::kMaxEventTimeMs) {
    return "coordinator time " + std::to_string(ack.coord_time_ms) + " is not a time before 2100";
  }
  if (ack.coord_time_ms - now > common::kMaxClockOffsetMs || now - ack.coord_time_ms > common::kMaxClockOffsetMs) {
    return "coordinator time " + std::to_string(ack.coord_time_ms) + " is more than ten years from ours";
  }
  if (ack.echo_sent_at_ms < 0 || ack.echo_sent_at_ms > now) {
    return "it echoes a send time (" + std::to_string(ack.echo_sent_at_ms) + ") later than now";
  }
  if (answersOurBatch(ack)) return {};
  // Not an answer to a batch of ours (a resend request, or forged): it may only confirm what was
  // sent, under our epoch, forward.
  if (!ack.error.empty()) return "a refusal that answers no batch this device sent";
  if (ack.epoch != store_.epoch()) return "epoch '" + ack.epoch + "' is not this store's, and it answers no batch sent";
  if (ack.conflict_seq) return "a seq conflict that answers no batch this device sent";
  if (ack.applied_seq > std::max(highest_sent_, last_acked_)) {
    return "it confirms seq " + std::to_string(ack.applied_seq) + ", but only up to " +
           std::to_string(std::max(highest_sent_, last_acked_)) + " was sent";
  }
  if (ack.applied_seq < last_acked_) {
    return "it moves the acknowledged seq back from " + std::to_string(last_acked_) + " to " +
           std::to_string(ack.applied_seq);
  }
  return {};
}

void SyncLoop::sendWhatFits() {
  size_t batch_events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.refused) return;
    if (config_.wait_for_coordinator && !status_.coordinator_online) return;
    batch_events = status_.batch_events;
  }
  int64_t mono = clock_.monoMs();
  uint64_t in_flight = next_seq_ - (last_acked_ + 1);
  if (in_flight > 0 && mono - last_progress_mono_ > rto_ms_) {
    SW_INFO(kLog) << "no ack for " << (mono - last_progress_mono_) << " ms; resending from " << last_acked_ + 1;
    next_seq_ = last_acked_ + 1;
    in_flight = 0;
    in_flight_.clear();
    rto_ms_ = std::min(rto_ms_ * 2, config_.max_ack_timeout_ms);
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.resends;
    status_.batch_events = std::max<size_t>(1, status_.batch_events / 2);
    batch_events = status_.batch_events;
  }
  uint64_t window = config_.window_batches * batch_events;
  // Stay under the broker's advertised packet limit (topic and header overhead kept aside).
  size_t max_bytes = config_.max_batch_bytes;
  if (uint32_t broker_max = transport_.maxPacketSize(); broker_max > 0) {
    max_bytes = std::min<size_t>(max_bytes, broker_max > 2048 ? broker_max - 1024 : broker_max / 2);
  }
  if (probe_ && in_flight == 0) {
    // The coordinator may have less than it acknowledged (restored from a backup), and a device
    // with nothing new to send would not tell it until its next sale: the last acknowledged event
    // goes once more. A coordinator that has it answers with the same ack; one that lost it holds
    // it behind the gap and asks for a resend from what it has (handleAck rewinds for that,
    // as the request answers this batch). Nothing else changes here.
    probe_ = false;
    auto kept = store_.retained(last_acked_);
    if (!kept) {
      SW_WARN(kLog) << "cannot read the last acknowledged event: " << kept.error().toString();
    } else if (*kept) {
      common::BatchHeader header{store_.deviceId(), store_.epoch(), clock_.nowMs(), std::nullopt, store_.prevEpoch()};
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (status_.clock_offset_known) header.clock_offset_ms = status_.clock_offset_ms;
      }
      std::vector<std::string_view> bodies = {(*kept)->body};
      std::string payload = common::encodeBatchFromEncodedEvents(header, bodies);
      // Its answer confirms at most this seq, whatever is sent after it meanwhile: a store put back
      // to an older copy has new events above it that the coordinator must compare first.
      rememberSent(header.sent_at_ms, last_acked_, true);
      if (auto s = transport_.publish(common::topics::events(store_.deviceId()), payload, 1, false); !s) {
        SW_DEBUG(kLog) << "probe publish failed: " << s.error().toString();
      }
    }
  }
  while (in_flight < window) {
    size_t want = std::min<uint64_t>(batch_events, window - in_flight);
    auto pending = store_.pending(next_seq_, want, max_bytes);
    if (!pending) {
      SW_WARN(kLog) << "cannot read outbox: " << pending.error().toString();
      noteError("cannot read the outbox: " + pending.error().toString());
      return;
    }
    if (pending->empty()) return;
    if (pending->front().seq != next_seq_) {
      SW_ERROR(kLog) << "outbox does not continue at seq " << next_seq_ << " (found " << pending->front().seq << ")";
      noteError("the outbox does not continue at seq " + std::to_string(next_seq_));
      return;
    }
    std::vector<std::string_view> bodies;
    bodies.reserve(pending->size());
    for (const auto& p : *pending) bodies.push_back(p.body);
    common::BatchHeader header{store_.deviceId(), store_.epoch(), clock_.nowMs(), std::nullopt, store_.prevEpoch()};
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (status_.clock_offset_known) header.clock_offset_ms = status_.clock_offset_ms;
    }
    std::string payload = common::encodeBatchFromEncodedEvents(header, bodies);
    rememberSent(header.sent_at_ms, next_seq_ + pending->size() - 1, false);
    auto s = transport_.publish(common::topics::events(store_.deviceId()), payload, 1, false);
    if (!s) {
      SW_DEBUG(kLog) << "publish failed: " << s.error().toString();
      return;
    }
    common::crashPoint("agent.after_publish");
    if (in_flight == 0) last_progress_mono_ = mono;
    uint64_t batch_last = next_seq_ + pending->size() - 1;
    in_flight_.push_back({batch_last, mono, next_seq_ <= highest_sent_});
    highest_sent_ = std::max(highest_sent_, batch_last);
    next_seq_ += pending->size();
    in_flight += pending->size();
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.batches_sent;
  }
}

void SyncLoop::countRequest(bool rejected) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (rejected) rejected_requests_.fetch_add(1, std::memory_order_relaxed);
}

void SyncLoop::noteErrorLocked(std::string why) {
  status_.last_error = std::move(why);
  status_.last_error_at_ms = clock_.nowMs();
}

void SyncLoop::noteError(std::string why) {
  std::lock_guard<std::mutex> lock(mu_);
  noteErrorLocked(std::move(why));
}

void SyncLoop::publishState(bool online) {
  common::DeviceState st;
  st.online = online;
  st.session = session_;
  st.kind = store_.kind();
  st.location = store_.location();
  st.epoch = store_.epoch();
  st.at_ms = clock_.nowMs();
  st.requests = requests_.load();
  st.rejected_requests = rejected_requests_.load();
  st.version = std::string(common::version());
  if (auto s = store_.stats(); s) {
    st.last_seq = s->last_seq;
    st.last_acked_seq = s->last_acked_seq;
    st.queue_depth = s->queue_depth;
    st.oldest_unsynced_age_s =
        s->oldest_unsynced_recorded_at_ms ? std::max<int64_t>(0, (st.at_ms - s->oldest_unsynced_recorded_at_ms) / 1000) : 0;
    st.disk_free_bytes = s->disk_free_bytes;
    st.disk_time_left_s = s->disk_time_left_s;
    last_state_depth_ = s->queue_depth;
    last_state_seq_ = s->last_seq;
    // The device's last error: the store's last failed write or the sync loop's, whichever is newer.
    if (s->last_write_failure.at_ms > 0) {
      st.last_error = s->last_write_failure.code + ": " + s->last_write_failure.message;
      st.last_error_at_ms = s->last_write_failure.at_ms;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    st.clock_offset_ms = status_.clock_offset_ms;
    if (!status_.last_error.empty() && status_.last_error_at_ms >= st.last_error_at_ms) {
      st.last_error = status_.last_error;
      st.last_error_at_ms = status_.last_error_at_ms;
    }
  }
  (void)transport_.publish(common::topics::state(store_.deviceId()), common::encodeDeviceState(st), 1, true);
}

}  // namespace sw::agent
