#include "sw/loadgen/sim_device.h"

#include <algorithm>
#include <cmath>

#include "sw/common/chain.h"
#include "sw/common/cli.h"
#include "sw/common/codec.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"

namespace sw::loadgen {

namespace topics = common::topics;

SimDevice::SimDevice(DeviceIdentity identity, std::string epoch, std::string session, agent::SyncConfig config)
    : id_(std::move(identity)),
      epoch_(std::move(epoch)),
      session_(std::move(session)),
      config_(config),
      events_topic_(topics::events(id_.device_id)),
      ack_topic_(topics::ack(id_.device_id)),
      state_topic_(topics::state(id_.device_id)),
      chain_head_(common::kChainGenesis),
      batch_events_(config_.initial_batch_events),
      rto_ms_(config_.ack_timeout_ms) {}

std::vector<std::string> SimDevice::subscriptions() const {
  return {ack_topic_, std::string(topics::kCoordinatorState)};
}

std::string SimDevice::willPayload(int64_t now_ms) const {
  common::DeviceState death;
  death.online = false;
  death.session = session_;
  death.at_ms = now_ms;
  return common::encodeDeviceState(death);
}

void SimDevice::record(common::EventType type, std::vector<common::Line> lines, int64_t now_ms, bool live) {
  common::Event e;
  e.device_id = id_.device_id;
  e.seq = c_.recorded + 1;
  e.event_id = common::newUuidV7(now_ms);
  e.type = type;
  e.occurred_at_ms = now_ms;
  e.location = id_.location;
  e.lines = std::move(lines);
  e.prev_hash = chain_head_;
  int64_t units = 0;
  for (const common::Line& l : e.lines) units += type == common::EventType::kReturn ? l.qty : -l.qty;
  chain_head_ = common::chainHash(e);
  outbox_.push_back({e.seq, now_ms, static_cast<int32_t>(units), live, common::encodeEvent(e)});
  c_.recorded = e.seq;
  c_.recorded_units += units;
}

void SimDevice::connected() { birth_due_ = true; }

void SimDevice::lost() {
  // Whatever was in flight may be lost with the old connection (the agent rewinds on a loss only).
  next_seq_ = c_.acked + 1;
  in_flight_.clear();
}

void SimDevice::rewind() {
  next_seq_ = c_.acked + 1;
  in_flight_.clear();
  ++c_.rewinds;
}

void SimDevice::message(std::string_view topic, std::string_view payload, int64_t now_ms, int64_t mono_ms,
                        LagSink& lag) {
  if (topic == topics::kCoordinatorState) {
    auto cs = common::decodeCoordinatorState(payload);
    if (!cs) return;  // as the agent: a bad presence message is ignored
    if (cs->online && cs->session != coordinator_session_) {
      // A new coordinator session may not have seen what was in flight: start again from the last ack.
      next_seq_ = c_.acked + 1;
      in_flight_.clear();
      last_progress_mono_ = mono_ms;
    }
    coordinator_session_ = cs->online ? cs->session : "";
    coordinator_online_ = cs->online;
    return;
  }
  if (topic == ack_topic_) handleAck(payload, now_ms, mono_ms, lag);
}

namespace {
bool answersBatch(const std::deque<int64_t>& recent, const common::Ack& ack) {
  return ack.echo_sent_at_ms > 0 && std::find(recent.begin(), recent.end(), ack.echo_sent_at_ms) != recent.end();
}
}  // namespace

// The agent's checks (SyncLoop::inconsistency): an ack that cannot be the coordinator's answer
// to what this device sent is never acted on.
std::string SimDevice::inconsistency(const common::Ack& ack, int64_t now) const {
  if (ack.coord_time_ms <= 0 || ack.coord_time_ms > common::kMaxEventTimeMs) return "coordinator time out of range";
  if (ack.coord_time_ms - now > common::kMaxClockOffsetMs || now - ack.coord_time_ms > common::kMaxClockOffsetMs) {
    return "coordinator time more than ten years from ours";
  }
  if (ack.echo_sent_at_ms < 0 || ack.echo_sent_at_ms > now) return "it echoes a send time later than now";
  if (answersBatch(recent_sent_at_, ack)) return {};
  if (!ack.error.empty()) return "a refusal that answers no batch this device sent";
  if (ack.epoch != epoch_) return "another epoch, answering no batch sent";
  if (ack.conflict_seq) return "a seq conflict that answers no batch this device sent";
  if (ack.applied_seq > std::max(c_.highest_sent, c_.acked)) return "it confirms a seq not sent";
  if (ack.applied_seq < c_.acked) return "it moves the acknowledged seq back";
  return {};
}

void SimDevice::handleAck(std::string_view payload, int64_t now, int64_t mono, LagSink& lag) {
  auto ack = common::decodeAck(payload);
  if (!ack) {
    ++c_.bad_acks;
    noteError("ignored a bad ack: " + ack.error().toString(), now);
    return;
  }
  if (std::string why = inconsistency(*ack, now); !why.empty()) {
    ++c_.bad_acks;
    noteError("ignored an inconsistent ack: " + why, now);
    return;
  }
  ++c_.acks;
  if (ack->conflict_seq && ack->error.empty() && ack->epoch == epoch_) {
    c_.refused = "seq conflict at " + std::to_string(*ack->conflict_seq) + " (the load generator does not renumber)";
    noteError("refused by the coordinator: " + c_.refused, now);
    return;
  }
  if (!ack->error.empty() || (!ack->epoch.empty() && ack->epoch != epoch_)) {
    c_.refused = !ack->error.empty() ? ack->error : "the coordinator knows this device under epoch " + ack->epoch;
    noteError("refused by the coordinator: " + c_.refused, now);
    return;
  }
  const bool stale = ack->coord_time_ms < newest_ack_coord_ms_;
  newest_ack_coord_ms_ = std::max(newest_ack_coord_ms_, ack->coord_time_ms);
  if (!stale && ack->applied_seq < c_.acked && ack->resend_from && *ack->resend_from <= c_.acked) {
    c_.refused = "the coordinator lost acknowledged events (it has " + std::to_string(ack->applied_seq) + " of " +
                 std::to_string(c_.acked) + "); the load generator keeps none to resend";
    noteError(c_.refused, now);
    return;
  }
  const uint64_t applied = std::min(ack->applied_seq, std::max(c_.highest_sent, c_.acked));
  const bool progressed = applied > c_.acked;
  if (progressed) {
    markAcked(applied, now, lag);
    last_progress_mono_ = mono;
    while (!in_flight_.empty() && in_flight_.front().last_seq <= c_.acked) {
      const InFlight& f = in_flight_.front();
      if (!f.resent) {
        rto_ms_ = rtt_.observe(static_cast<double>(mono - f.sent_mono), config_.ack_timeout_ms,
                               config_.max_ack_timeout_ms);
      }
      in_flight_.pop_front();
    }
  }
  if (ack->resend_from) {
    ++c_.resend_requests;
    const uint64_t from = std::max(c_.acked + 1, *ack->resend_from);
    if (from < next_seq_) {
      next_seq_ = from;
      in_flight_.clear();
      ++c_.rewinds;
      batch_events_ = std::max<size_t>(1, batch_events_ / 2);
    }
  } else if (progressed && rtt_.srtt_ms < static_cast<double>(config_.ack_timeout_ms) / 2) {
    batch_events_ = std::min(config_.max_batch_events, batch_events_ * 2);
  }
  next_seq_ = std::max(next_seq_, c_.acked + 1);
  if (ack->echo_sent_at_ms > 0 && ack->echo_sent_at_ms <= now) {
    const int64_t rtt = now - ack->echo_sent_at_ms;
    if (best_rtt_ms_ < 0 || rtt <= best_rtt_ms_ || mono - best_rtt_mono_ > 60'000) {
      best_rtt_ms_ = rtt;
      best_rtt_mono_ = mono;
      clock_offset_ms_ = ack->coord_time_ms - (ack->echo_sent_at_ms + rtt / 2);
      clock_offset_known_ = true;
    }
  }
}

void SimDevice::markAcked(uint64_t applied, int64_t now, LagSink& lag) {
  while (!outbox_.empty() && outbox_.front().seq <= applied) {
    const Entry& e = outbox_.front();
    (e.live ? lag.live : lag.catch_up).add(now - e.occurred_ms);
    c_.acked_units += e.units;
    outbox_.pop_front();
  }
  c_.acked = applied;
}

void SimDevice::pump(Publisher& out, int64_t now_ms, int64_t mono_ms) {
  // As the agent: every state_interval_ms, and sooner (at most every state_min_interval_ms) when the
  // queue depth or the last seq has changed since the last state.
  const bool changed = outbox_.size() != last_state_depth_ || c_.recorded != last_state_seq_;
  const bool due = birth_due_ || mono_ms - last_state_mono_ >= config_.state_interval_ms ||
                   (mono_ms - last_state_mono_ >= config_.state_min_interval_ms && changed);
  if (due) {
    publishState(out, true, now_ms);
    birth_due_ = false;
    last_state_mono_ = mono_ms;
  }
  sendWhatFits(out, now_ms, mono_ms);
}

void SimDevice::sendWhatFits(Publisher& out, int64_t now_ms, int64_t mono) {
  if (!c_.refused.empty()) return;
  if (config_.wait_for_coordinator && !coordinator_online_) return;
  uint64_t in_flight = next_seq_ - (c_.acked + 1);
  if (in_flight > 0 && mono - last_progress_mono_ > rto_ms_) {
    rewind();
    in_flight = 0;
    rto_ms_ = std::min(rto_ms_ * 2, config_.max_ack_timeout_ms);
    batch_events_ = std::max<size_t>(1, batch_events_ / 2);
  }
  const uint64_t window = config_.window_batches * batch_events_;
  // As the agent: under the broker's announced packet limit, topic and header overhead kept aside.
  size_t max_bytes = config_.max_batch_bytes;
  if (const uint32_t broker_max = out.maxPacketSize(); broker_max > 0) {
    max_bytes = std::min<size_t>(max_bytes, broker_max > 2048 ? broker_max - 1024 : broker_max / 2);
  }
  std::vector<std::string_view> bodies;
  while (in_flight < window) {
    const size_t want = std::min<uint64_t>(batch_events_, window - in_flight);
    // The outbox starts at the last ack + 1, so next_seq_ sits at this index.
    size_t i = next_seq_ - (c_.acked + 1);
    if (i >= outbox_.size()) return;
    bodies.clear();
    size_t bytes = 0;
    for (; i < outbox_.size() && bodies.size() < want; ++i) {
      const std::string& b = outbox_[i].body;
      if (!bodies.empty() && bytes + b.size() > max_bytes) break;
      bytes += b.size();
      bodies.push_back(b);
    }
    common::BatchHeader header{id_.device_id, epoch_, now_ms, std::nullopt, ""};
    if (clock_offset_known_) header.clock_offset_ms = clock_offset_ms_;
    const std::string payload = common::encodeBatchFromEncodedEvents(header, bodies);
    if (!out.publish(events_topic_, payload, 1, false)) return;
    recent_sent_at_.push_back(header.sent_at_ms);
    if (recent_sent_at_.size() > kRecentBatches) recent_sent_at_.pop_front();
    if (in_flight == 0) last_progress_mono_ = mono;
    const uint64_t batch_last = next_seq_ + bodies.size() - 1;
    in_flight_.push_back({batch_last, mono, next_seq_ <= c_.highest_sent});
    c_.highest_sent = std::max(c_.highest_sent, batch_last);
    next_seq_ += bodies.size();
    in_flight += bodies.size();
    ++c_.batches_sent;
  }
}

void SimDevice::publishState(Publisher& out, bool online, int64_t now_ms) {
  common::DeviceState st;
  st.online = online;
  st.session = session_;
  st.kind = id_.kind;
  st.location = id_.location;
  st.epoch = epoch_;
  st.at_ms = now_ms;
  st.last_seq = c_.recorded;
  st.last_acked_seq = c_.acked;
  st.queue_depth = outbox_.size();
  st.oldest_unsynced_age_s = outbox_.empty() ? 0 : std::max<int64_t>(0, (now_ms - outbox_.front().occurred_ms) / 1000);
  st.clock_offset_ms = clock_offset_ms_;
  st.version = std::string(common::version());
  st.last_error = last_error_;
  st.last_error_at_ms = last_error_at_ms_;
  last_state_depth_ = outbox_.size();
  last_state_seq_ = c_.recorded;
  if (out.publish(state_topic_, common::encodeDeviceState(st), 1, true)) ++c_.states_sent;
}

void SimDevice::noteError(std::string why, int64_t now_ms) {
  last_error_ = std::move(why);
  last_error_at_ms_ = now_ms;
}

void SimDevice::publishOffline(Publisher& out, int64_t now_ms) { publishState(out, false, now_ms); }

}  // namespace sw::loadgen
