#include "sw/coordinator/ingest/ingest.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "sw/common/card_data.h"
#include "sw/common/codec.h"
#include "sw/common/crash_point.h"
#include "sw/common/log.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"

namespace sw::coordinator {

namespace topics = common::topics;
constexpr std::string_view kLog = "ingest";

IngestService::IngestService(Ledger& ledger, common::MqttTransport& transport, const common::Clock& clock,
                             IngestConfig config, std::string session)
    : ledger_(ledger),
      transport_(transport),
      clock_(clock),
      config_(std::move(config)),
      session_(std::move(session)),
      sequencer_(config_.sequencer) {}

IngestService::~IngestService() { stop(); }

common::Status IngestService::start() {
  partitions_ = ledger_.partitions();
  if (partitions_ > 0) {
    // Split: only the devices of the partitions taken now (checkPartitions loads them).
    if (config_.registry == nullptr) {
      return common::Error::reject("bad_option", "a split ledger needs the device registry (devices are placed "
                                                 "by their registered location)");
    }
    checkPartitions();
    // Another coordinator's presence gone offline (its will) would hold every device back: this
    // one's is published again (checked by the apply thread).
    transport_.addMessageHandler(std::string(topics::kCoordinatorState), [this](std::string_view, std::string_view p) {
      auto cs = common::decodeCoordinatorState(p);
      if (!cs || cs->online) return;
      republish_presence_ = true;
      cv_.notify_one();
    });
    if (auto s = transport_.subscribe(std::string(topics::kCoordinatorState), 1); !s) return s;
  } else {
    auto devices = ledger_.loadDevices();
    if (!devices) return devices.error();
    for (const DeviceRow& d : *devices) {
      if (!d.epoch.empty()) {
        sequencer_.load(d.device_id, d.epoch, d.last_applied_seq, d.retired_epochs, d.resequencing, d.chain_head);
      }
    }
    SW_INFO(kLog) << "loaded " << devices->size() << " devices";
  }
  std::string prefix = config_.share_group.empty() ? "" : "$share/" + config_.share_group + "/";
  for (std::string_view filter : {topics::kEventsFilter, topics::kStateFilter}) {
    transport_.addMessageHandler(std::string(filter),
                                 [this](std::string_view topic, std::string_view payload) { enqueue(topic, payload); });
  }
  transport_.addConnectionHandler([this](bool connected) {
    if (!connected) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      connected_event_ = true;
    }
    cv_.notify_one();
  });
  if (auto s = transport_.subscribe(prefix + std::string(topics::kEventsFilter), 1); !s) return s;
  if (auto s = transport_.subscribe(prefix + std::string(topics::kStateFilter), 1); !s) return s;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
  transport_.start();
  return {};
}

void IngestService::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  room_cv_.notify_all();
  thread_.join();
  if (transport_.isConnected()) publishPresence(false);
  transport_.stop();
}

size_t IngestService::heldCount(const std::string& device) {
  std::lock_guard<std::mutex> lock(seq_mu_);
  return sequencer_.heldCount(device);
}

IngestService::Message IngestService::decode(std::string_view topic, std::string_view payload) {
  Message m;
  m.topic = std::string(topic);
  auto dt = topics::parseDeviceTopic(topic);
  auto bad = [&](common::Error e) {
    m.kind = Message::Kind::kBad;
    m.error = std::move(e);
    // Quarantine keeps what came, but never a card number: a forged or faulty device may send one.
    m.payload = common::maskCardData(payload.substr(0, config_.max_quarantine_payload));
    return std::move(m);
  };
  if (!dt) return bad(common::Error::reject("bad_topic", "not a device topic"));
  m.device = dt->device;
  if (!common::isValidId(dt->device)) {
    m.device.clear();
    return bad(common::Error::reject("bad_device_id", "device id in topic is not valid"));
  }
  std::optional<RegisteredDevice> reg;
  if (config_.registry != nullptr) {
    reg = registered(dt->device);
    if (partitions_ > 0) {
      // Split: another coordinator's device is left to it, not even decoded.
      m.partition = partitionOf(reg, dt->device);
      if (!ours(m)) {
        m.kind = Message::Kind::kNotOurs;
        return m;
      }
    }
    if (dt->leaf == "state" && (!reg || reg->revoked)) {
      m.kind = Message::Kind::kIgnored;  // not stored: a flood of them must not fill the quarantine
      return m;
    }
    if (!reg) {
      ++stats_.refused_identity;
      return bad(common::Error::reject("unknown_device", "device '" + dt->device +
                                                             "' is not registered (enroll it with a token from"
                                                             " stockwire-provision): batch not applied"));
    }
    if (reg->revoked) {
      ++stats_.refused_identity;
      return bad(common::Error::reject("device_revoked", "device '" + dt->device + "' was revoked (" +
                                                             reg->revoked_reason + "): batch kept here, not applied"));
    }
  }
  if (dt->leaf == "state") {
    auto st = common::decodeDeviceState(payload);
    if (!st) return bad(st.error());
    m.kind = Message::Kind::kState;
    m.state = std::move(*st);
    m.state_json = std::string(payload);
    return m;
  }
  auto batch = common::decodeBatch(payload);
  if (!batch) return bad(batch.error());
  if (batch->device_id != dt->device) {
    return bad(common::Error::reject("topic_mismatch", "batch for device '" + batch->device_id +
                                                           "' published on another device's topic"));
  }
  for (const common::Event& e : batch->events) {
    if (reg && e.location != reg->location) {
      ++stats_.refused_identity;
      return bad(common::Error::reject("wrong_location", "event " + e.event_id + " is for location '" + e.location +
                                                             "' but device '" + dt->device + "' is registered at '" +
                                                             reg->location + "': batch not applied"));
    }
    if (auto field = common::cardDataInEvent(e)) {
      ++stats_.refused_card_data;
      return bad(common::Error::reject("card_data_refused", "event " + e.event_id + ": " + *field +
                                                                " looks like payment card data: batch not applied,"
                                                                " kept here with the digits masked"));
    }
  }
  m.kind = Message::Kind::kBatch;
  m.batch = std::move(*batch);
  return m;
}

std::optional<RegisteredDevice> IngestService::registered(const std::string& device) const {
  // Changes made by another process (stockwire-coordinator device add/revoke) are picked up at
  // once for a device not known yet, and within registry_refresh_ms for one known (a revocation).
  auto d = config_.registry->find(device);
  const int64_t now = clock_.monoMs();
  int64_t last = registry_refreshed_mono_.load();
  const bool due = now - last >= config_.registry_refresh_ms && registry_refreshed_mono_.compare_exchange_strong(last, now);
  if (d && !d->revoked && !due) return d;
  if (d && d->revoked) return d;  // revoked stays revoked
  if (auto s = config_.registry->refreshIfChanged(); !s) {
    SW_WARN(kLog) << "cannot re-read the device registry: " << s.error().toString();
    return d;
  }
  return config_.registry->find(device);
}

void IngestService::enqueue(std::string_view topic, std::string_view payload) {
  auto dt = topics::parseDeviceTopic(topic);
  if (!dt || (dt->leaf != "events" && dt->leaf != "state")) return;  // not ours
  Message m = decode(topic, payload);  // on the transport's thread, outside the lock
  std::unique_lock<std::mutex> lock(mu_);
  // A full queue holds the broker back only while the apply thread is draining it. Paho calls
  // this holding the client's lock, which every publish takes: waiting while the apply thread
  // publishes acks (or runs its hooks) would stop both for good, and the broker would drop the
  // connection for its missed keepalives. Then the queue may pass its capacity by what arrives.
  room_cv_.wait(lock, [&] { return stop_ || queue_.size() < config_.queue_capacity || !draining_; });
  if (stop_) return;
  queue_.push_back(std::move(m));
  stats_.queue_depth = static_cast<int64_t>(queue_.size());
  lock.unlock();
  cv_.notify_one();
}

int IngestService::partitionOf(const std::optional<RegisteredDevice>& reg, const std::string& device) const {
  return locationPartition(reg ? reg->location : "device:" + device, partitions_);
}

bool IngestService::ours(const Message& m) const {
  return partitions_ == 0 || ledger_.holdsPartition(m.partition);
}

void IngestService::checkPartitions() {
  next_partition_check_mono_ = clock_.monoMs() + config_.partition_check_ms;
  auto ch = ledger_.maintainPartitions();
  if (!ch) {
    SW_WARN(kLog) << "cannot renew this coordinator's partitions (they run out with their lease): "
                  << ch.error().toString();
    return;
  }
  std::set<int> moved(ch->acquired.begin(), ch->acquired.end());
  moved.insert(ch->lost.begin(), ch->lost.end());
  stats_.partitions_taken += ch->acquired.size();
  stats_.partitions_given += ch->lost.size();
  auto partitionOfDevice = [this](const std::string& device) { return partitionOf(config_.registry->find(device), device); };
  const int64_t mono = clock_.monoMs();
  if (!moved.empty() || mono - last_device_sweep_mono_ >= kDeviceSweepMs) {
    // A device whose partition changed hands, or that moved to a location of a partition not
    // held here (its registry entry changed), is forgotten: its cursor is read again before it
    // is applied here next. Every device is looked at: at each change, else every few seconds.
    last_device_sweep_mono_ = mono;
    std::lock_guard<std::mutex> lock(seq_mu_);
    for (const std::string& d : sequencer_.deviceIds()) {
      const int p = partitionOfDevice(d);
      if (moved.count(p) || !ledger_.holdsPartition(p)) sequencer_.forget(d);
    }
  }
  for (auto it = pending_states_.begin(); it != pending_states_.end();) {
    it = ledger_.holdsPartition(partitionOfDevice(it->first)) ? std::next(it) : pending_states_.erase(it);
  }
  if (!ch->acquired.empty()) {
    auto rows = ledger_.loadDevices();
    if (!rows) {
      SW_WARN(kLog) << "cannot read the devices of the partitions taken (read one by one as they send): "
                    << rows.error().toString();
    } else {
      size_t loaded = 0;
      std::lock_guard<std::mutex> lock(seq_mu_);
      for (const DeviceRow& d : *rows) {
        if (d.epoch.empty() || sequencer_.known(d.device_id) || !ledger_.holdsPartition(partitionOfDevice(d.device_id))) {
          continue;
        }
        sequencer_.load(d.device_id, d.epoch, d.last_applied_seq, d.retired_epochs, d.resequencing, d.chain_head);
        ++loaded;
      }
      SW_INFO(kLog) << "took " << ch->acquired.size() << " partition(s) (" << ch->coordinators
                    << " coordinator(s) alive): " << loaded << " devices read from the ledger";
    }
    // A new session: every device starts again from its last ack, and those of the partitions
    // taken find their batches applied here (what the last holder committed is acknowledged).
    session_ = common::newUuid();
    if (transport_.isConnected()) publishPresence(true);
  }
  if (!ch->lost.empty()) {
    SW_INFO(kLog) << "gave up or lost " << ch->lost.size() << " partition(s) (" << ch->coordinators
                  << " coordinator(s) alive)";
  }
  int64_t held = 0;
  for (int p = 0; p < partitions_; ++p) held += ledger_.holdsPartition(p) ? 1 : 0;
  stats_.partitions_held = held;
  if (partition_hook_) partition_hook_(*ch);
}

void IngestService::endDraining() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    draining_ = false;
  }
  room_cv_.notify_all();
}

void IngestService::publishPresence(bool online) {
  common::CoordinatorState cs{online, session_, clock_.nowMs()};
  (void)transport_.publish(topics::kCoordinatorState, common::encodeCoordinatorState(cs), 1, true);
}

void IngestService::publishAck(const std::string& device, const common::Ack& ack) {
  if (auto s = transport_.publish(topics::ack(device), common::encodeAck(ack), 1, false); !s) {
    SW_DEBUG(kLog) << "ack to " << device << " not sent: " << s.error().toString();
    return;
  }
  ++stats_.acks;
}

void IngestService::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100),
                 [&] { return stop_ || !queue_.empty() || connected_event_ || republish_presence_; });
    if (stop_) break;
    if (partitions_ > 0) {
      const bool republish = republish_presence_.exchange(false);
      if (republish || clock_.monoMs() >= next_partition_check_mono_) {
        lock.unlock();
        if (clock_.monoMs() >= next_partition_check_mono_) checkPartitions();
        if (republish && transport_.isConnected()) publishPresence(true);
        lock.lock();
        if (stop_) break;
      }
    }
    bool connected = connected_event_;
    connected_event_ = false;
    if (connected) {
      lock.unlock();
      publishPresence(true);
      lock.lock();
    }
    // From here to its commit the group calls no MQTT (see enqueue()).
    draining_ = true;
    // Take whole messages up to the event budget (a batch is never split).
    std::deque<Message> msgs;
    size_t events = 0;
    while (!queue_.empty() && msgs.size() < 4096 && events < config_.max_group_events) {
      events += queue_.front().batch.events.size();
      msgs.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    stats_.queue_depth = static_cast<int64_t>(queue_.size());
    lock.unlock();
    room_cv_.notify_all();
    processGroup(msgs);
    endDraining();
    lock.lock();
  }
  lock.unlock();
  std::deque<Message> none;
  processGroup(none, true);  // states still waiting for their flush
}

void IngestService::processGroup(std::deque<Message>& msgs, bool final_flush) {
  ApplyGroup group;
  group.applied_at_ms = clock_.nowMs();
  group.held_partitions_only = partitions_ > 0;
  int64_t mono = clock_.monoMs();
  struct AckInfo {
    int64_t echo = 0;
    std::string error;
    std::string epoch;
    std::optional<uint64_t> conflict;
    std::string chain_head;  // with a conflict: what the renumbered events must link to
  };
  std::map<std::string, AckInfo> acks;
  auto quarantine = [&](const Message& m, const common::Error& e, const std::string& payload) {
    QuarantineRow q;
    q.received_at_ms = group.applied_at_ms;
    q.topic = m.topic;
    q.device_id = m.device;
    q.code = e.code;
    q.reason = e.message;
    q.payload = payload;
    SW_WARN(kLog) << "quarantined message on " << m.topic << ": " << e.toString();
    group.quarantined.push_back(std::move(q));
    ++stats_.quarantined;
  };

  // Reserved once: growing a vector of 8000 events step by step copied it and faulted in fresh
  // pages each time (about 8% of the apply thread in a drain). And kept from group to group, with
  // a quarter to spare: a full group's vector is ~18 MB, and a new one for every group faulted
  // its pages in again. tools/bench drain, time outside the ledger commit before it, alternating
  // runs: 386-588 ms per drain kept, 655-1322 ms new.
  group.events.swap(spare_events_);
  size_t offered = 0;
  for (const Message& m : msgs) offered += m.batch.events.size();
  if (group.events.capacity() < offered) group.events.reserve(offered + offered / 4);
  std::unique_lock<std::mutex> seq_lock(seq_mu_);
  size_t events_in_group = 0;
  // Resent seqs are checked against the event ids the ledger holds there.
  const CommittedIdLookup lookup = [this](const std::string& device, uint64_t seq) -> std::optional<std::string> {
    auto id = ledger_.eventIdAt(device, seq);
    if (!id) {
      SW_WARN(kLog) << "cannot read event id at " << device << " seq " << seq << ": " << id.error().toString();
      return std::nullopt;
    }
    return *id;
  };
  for (Message& m : msgs) {
    if (m.kind == Message::Kind::kNotOurs || !ours(m)) {
      ++stats_.not_ours;  // another coordinator's (or became so while it waited here)
      continue;
    }
    ++stats_.messages;
    if (m.kind == Message::Kind::kBad) {
      quarantine(m, m.error, m.payload);
      continue;
    }
    if (m.kind == Message::Kind::kIgnored) {
      ++stats_.states_ignored;
      continue;
    }
    if (m.kind == Message::Kind::kState) {
      pending_states_[m.device] = {m.device, m.state.online, m.state.kind, m.state.location, std::move(m.state_json),
                                   group.applied_at_ms};
      continue;
    }
    ++stats_.batches;
    const std::string& device = m.device;
    int64_t offset = m.batch.clock_offset_ms.value_or(0);
    int64_t sent = m.batch.sent_at_ms;
    std::string epoch = m.batch.epoch;
    if (partitions_ > 0 && !sequencer_.known(device)) {
      // Split: a device not read when its partition was taken (new, or moved here) is read now.
      auto row = ledger_.deviceRow(device);
      if (!row) {
        SW_WARN(kLog) << "cannot read device " << device << " from the ledger, batch left for its resend: "
                      << row.error().toString();
        continue;
      }
      if (*row && !(*row)->epoch.empty()) {
        const DeviceRow& d = **row;
        sequencer_.load(d.device_id, d.epoch, d.last_applied_seq, d.retired_epochs, d.resequencing, d.chain_head);
      }
    }
    Offer offer = sequencer_.offer(std::move(m.batch), mono, lookup);
    AckInfo& ai = acks[device];
    ai.echo = std::max(ai.echo, sent);
    last_echo_[device] = std::max(last_echo_[device], sent);
    // Events held for the numbering the device has left behind are not dropped without a trace.
    if (!offer.dropped_held.empty()) {
      std::string lines;
      for (const common::Event& e : offer.dropped_held) lines += common::eventToJsonText(e) + "\n";
      quarantine(m,
                 common::Error::reject("seq_conflict_held",
                                       std::to_string(offer.dropped_held.size()) + " event(s) held beyond a gap under " +
                                           device + "'s old numbering, dropped when it renumbered (one JSON per line)"),
                 lines);
    }
    if (offer.verdict == Offer::Verdict::kConflict && offer.retired_epoch) {
      // Under an epoch the device left: answered under that epoch (a device still on it, its
      // store put back to a copy from then, renumbers; one that moved on ignores the answer).
      std::string why = "device '" + device + "' sent seq " + std::to_string(offer.conflict_seq) + " as event " +
                        offer.conflict_event->event_id + " under its retired epoch " + epoch +
                        (offer.existing_id.empty() ? std::string(", which the ledger does not have there")
                                                   : ", but the ledger has event " + offer.existing_id + " there") +
                        ": batch not applied; a device still on that epoch is told to renumber after seq " +
                        std::to_string(sequencer_.applied(device));
      quarantine(m, common::Error::reject("seq_conflict", why), common::eventToJsonText(*offer.conflict_event));
      // Several of its batches may conflict in one group: the device renumbers from the lowest.
      ai.conflict = std::min(ai.conflict.value_or(UINT64_MAX), offer.conflict_seq);
      ai.epoch = epoch;
      ++stats_.seq_conflicts;
      continue;
    }
    if (offer.verdict == Offer::Verdict::kConflict) {
      std::string why = "device '" + device + "' sent seq " + std::to_string(offer.conflict_seq) + " as event " +
                        offer.conflict_event->event_id + ", but the ledger has event " + offer.existing_id +
                        " there (its store was restored from an older copy?): batch not applied, device told to"
                        " renumber its unsent events after seq " + std::to_string(sequencer_.applied(device));
      quarantine(m, common::Error::reject("seq_conflict", why), common::eventToJsonText(*offer.conflict_event));
      const uint64_t from = sequencer_.resequencing(device);  // the lowest conflict not yet renumbered
      group.conflicts[device] = {from, why};
      ai.conflict = from;
      ai.epoch = sequencer_.epoch(device);
      ai.chain_head = sequencer_.chainHead(device);
      ++stats_.seq_conflicts;
      continue;
    }
    if (offer.verdict == Offer::Verdict::kStaleEpoch) {
      ai.epoch = epoch;  // a device that has moved on ignores it; one still on it takes the ack
      stats_.duplicates += offer.duplicates;
      continue;
    }
    if (offer.verdict == Offer::Verdict::kEpochSwitch) {
      group.epoch_switches[device] = {epoch, sequencer_.retiredEpochs(device)};
      SW_INFO(kLog) << device << " renumbered after a seq conflict: epoch " << offer.previous_epoch << " -> " << epoch;
    }
    if (offer.verdict == Offer::Verdict::kEpochMismatch) {
      std::string why = "device '" + device + "' sent store epoch " + epoch + " but the ledger knows epoch " +
                        offer.known_epoch + ": its store was re-created; an operator must accept it";
      quarantine(m, common::Error::reject("epoch_mismatch", why), "");
      ai.error = why;
      ai.epoch = offer.known_epoch;
      continue;
    }
    if (offer.verdict == Offer::Verdict::kNewDevice) {
      group.new_devices[device] = epoch;
      SW_INFO(kLog) << "new device " << device << " (epoch " << epoch << ")";
    }
    ai.epoch = sequencer_.epoch(device);
    stats_.duplicates += offer.duplicates;
    stats_.held += offer.held;
    stats_.dropped += offer.dropped;
    if (offer.chain_break) {
      // Not applied, nor anything after it from this device until an event that links arrives
      // (the device's own, when the break was forged): visible in quarantine and on the device.
      const common::Event& b = *offer.chain_break;
      std::string why = "device '" + device + "' sent seq " + std::to_string(b.seq) + " (event " + b.event_id +
                        ") linking to " + (b.prev_hash.empty() ? std::string("nothing (unchained)") : b.prev_hash) +
                        ", but " +
                        (offer.chain_expected.empty() ? std::string("its chain must start at the genesis hash")
                                                      : "its chain head is " + offer.chain_expected) +
                        ": a forged, replaced or lost event; not applied, nor the " +
                        std::to_string(offer.chain_dropped) + " event(s) after it in the batch";
      quarantine(m, common::Error::reject("chain_break", why), common::eventToJsonText(b));
      group.chain_breaks[device] = why;
      ++stats_.chain_breaks;
    }
    if (offer.chain_moved) group.chain_heads[device] = offer.chain_head;
    if (!offer.apply.empty()) group.cursors[device] = offer.apply.back().seq;
    events_in_group += offer.apply.size();
    for (common::Event& e : offer.apply) group.events.push_back({std::move(e), offset});
  }
  auto gaps = sequencer_.expiredGaps(mono);
  seq_lock.unlock();
  bool other_rows = !group.events.empty() || !group.quarantined.empty() || !group.new_devices.empty() ||
                    !group.conflicts.empty() || !group.epoch_switches.empty() || !group.chain_breaks.empty();
  if (!pending_states_.empty() &&
      (other_rows || final_flush || mono - last_state_flush_mono_ >= config_.state_flush_ms)) {
    for (auto& [device, st] : pending_states_) group.states.push_back(std::move(st));
    pending_states_.clear();
    last_state_flush_mono_ = mono;
  }

  bool committed = true;
  if (other_rows || !group.states.empty()) {
    // Measured on the real clock whatever clock_ is: a figure for /metrics, not a decision.
    auto t0 = std::chrono::steady_clock::now();
    CommitInfo info;
    auto s = ledger_.commit(group, &info);
    endDraining();  // what follows may publish, and the hooks take other subsystems' locks
    if (!s) {
      committed = false;
      ++stats_.commit_failures;
      SW_ERROR(kLog) << "ledger commit failed, nothing acknowledged (devices will resend): " << s.error().toString();
      if (s.error().code == "partition_lost" || s.error().code == "partition_not_held") {
        next_partition_check_mono_ = 0;  // learn what is held now before the next group
      }
      if (s.error().code == "lease_lost") {
        // Another coordinator writes this ledger now: stop (as on SIGTERM) rather than fail every
        // group; a service manager's restart then waits for the lease (ledger_taken).
        SW_ERROR(kLog) << "stopping: this coordinator no longer holds the ledger's writer lease";
        ::kill(::getpid(), SIGTERM);
      }
      // States not written are kept for the next try unless a newer one has come meanwhile.
      for (DeviceStateUpdate& st : group.states) pending_states_.try_emplace(st.device_id, std::move(st));
      std::lock_guard<std::mutex> lock(seq_mu_);
      sequencer_.rollbackAll();
    } else {
      ++stats_.commits;
      stats_.recordCommit(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count()));
      stats_.events_applied += events_in_group;
      for (const ApplyEvent& ae : group.events) {
        const int64_t ms = group.applied_at_ms - (ae.event.occurred_at_ms + ae.clock_offset_ms);
        stats_.sync_latency.observeUs(static_cast<uint64_t>(std::max<int64_t>(0, ms)) * 1000);
      }
      {
        std::lock_guard<std::mutex> lock(seq_mu_);
        for (const auto& [device, seq] : group.cursors) sequencer_.commit(device, seq);
        sequencer_.commitAll();
      }
      if (stock_changed_ && !info.changed.empty()) stock_changed_(info);
    }
  }
  // A group with nothing to write (only duplicates, or resend requests) did not commit: it is
  // past its draining part all the same, before the acks below publish (see enqueue()).
  endDraining();
  group.events.clear();  // keeps the vector's memory for the next group (see above)
  spare_events_.swap(group.events);
  if (!committed) return;
  if (after_commit_) after_commit_();
  if (events_in_group > 0) common::crashPoint("coordinator.after_commit_before_ack");
  int64_t now = clock_.nowMs();
  for (const auto& [device, ai] : acks) {
    common::Ack ack;
    {
      std::lock_guard<std::mutex> lock(seq_mu_);
      ack.applied_seq = sequencer_.applied(device);
      // An ordinary ack is cumulative: it must not confirm seqs at or past a conflict the device
      // was told of, whose events there are not the ledger's (a conflict ack says applied in full).
      if (!ai.conflict) ack.applied_seq = std::min(ack.applied_seq, sequencer_.ackLimit(device, ai.epoch));
    }
    ack.epoch = ai.epoch;
    ack.error = ai.error;
    ack.conflict_seq = ai.conflict;
    if (ai.conflict) ack.chain_head = ai.chain_head;
    ack.coord_time_ms = now;
    ack.echo_sent_at_ms = ai.echo;
    publishAck(device, ack);
  }
  for (const auto& [device, from] : gaps) {
    common::Ack ack;
    {
      std::lock_guard<std::mutex> lock(seq_mu_);
      ack.epoch = sequencer_.epoch(device);
      ack.applied_seq = std::min(sequencer_.applied(device), sequencer_.ackLimit(device, ack.epoch));
    }
    ack.resend_from = from;
    // Echoes the device's last batch, so the device can tell this request from a forged ack.
    if (auto e = last_echo_.find(device); e != last_echo_.end()) ack.echo_sent_at_ms = e->second;
    ack.coord_time_ms = now;
    ++stats_.resend_requests;
    SW_INFO(kLog) << device << ": gap after seq " << from - 1 << ", asking for a resend";
    publishAck(device, ack);
  }
}

}  // namespace sw::coordinator
