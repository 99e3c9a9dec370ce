#include "sw/loadgen/fleet.h"

#include <sys/resource.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "sw/common/mqtt.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"
#include "sw/loadgen/mqtt_client.h"

namespace sw::loadgen {

std::string fleetDeviceId(const std::string& prefix, int64_t index) {
  char id[96];
  std::snprintf(id, sizeof id, "%s-%05lld", prefix.c_str(), static_cast<long long>(index));
  return id;
}

int64_t fleetStoreIndex(int64_t index, int64_t devices_per_store) { return index / std::max<int64_t>(1, devices_per_store); }

std::string fleetLocation(const std::string& prefix, int64_t store) {
  char id[96];
  std::snprintf(id, sizeof id, "%s-store-%04lld", prefix.c_str(), static_cast<long long>(store));
  return id;
}

int64_t raiseFileLimit(int64_t needed) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return -1;
  if (lim.rlim_cur != RLIM_INFINITY && static_cast<int64_t>(lim.rlim_cur) < needed) {
    rlim_t want = static_cast<rlim_t>(needed);
    if (lim.rlim_max != RLIM_INFINITY) want = std::min(want, lim.rlim_max);
    lim.rlim_cur = want;
    (void)setrlimit(RLIMIT_NOFILE, &lim);
    (void)getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur == RLIM_INFINITY ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(lim.rlim_cur);
}

namespace {

enum class Phase { kConnecting = 0, kSelling = 1, kDraining = 2, kStopping = 3 };

}  // namespace

// What every worker reads: the fleet's phase and when selling began.
struct Fleet::FleetShared {
  std::atomic<int> phase{static_cast<int>(Phase::kConnecting)};
  std::atomic<int64_t> selling_t0_mono{0};
};

class Fleet::Worker {
 public:
  Worker(const FleetConfig& config, const common::Clock& clock, const TrafficModel& traffic,
         const Fleet::FleetShared& shared, int id, sockaddr_in broker, std::unique_ptr<EventLoop> loop)
      : config_(config),
        clock_(clock),
        traffic_(traffic),
        shared_(shared),
        broker_(broker),
        loop_(std::move(loop)),
        rng_(config.traffic.seed * 7919 + static_cast<uint64_t>(id)) {
    const double share = config_.connect_per_s / std::max(1, config_.threads);
    connect_burst_ = std::max(1.0, share / 10);  // at most a tenth of a second's worth at once
    connect_per_ms_ = share / 1000.0;
  }

  ~Worker() {
    halt();
    slots_.clear();  // the connections, before the loop they are registered with
  }

  void add(int64_t index) {
    const int64_t store = fleetStoreIndex(index, config_.devices_per_store);
    DeviceIdentity id{fleetDeviceId(config_.prefix, index), fleetLocation(config_.prefix, store), "till"};
    auto slot = std::make_unique<Slot>(*this, index, store,
                                       SimDevice(id, common::newUuid(), common::newUuid(), config_.sync));
    slot->spell = traffic_.offlineSpell(index);
    slot->state_topic = common::topics::state(id.device_id);
    MqttConnection::Options o;
    o.broker = broker_;
    o.client_id = id.device_id;
    o.keepalive_s = config_.keepalive_s;
    o.subscriptions = slot->device.subscriptions();
    slot->conn = std::make_unique<MqttConnection>(*loop_, std::move(o), *slot);
    slots_.push_back(std::move(slot));
  }

  void start() {
    last_budget_mono_ = clock_.monoMs();
    thread_ = std::thread([this] { run(); });
  }

  // Wakes the worker for the stopping phase and waits until it has published the offline
  // states and disconnected every device.
  void stopDevices() {
    if (!thread_.joinable()) return;
    loop_->wake();
    std::unique_lock<std::mutex> lock(done_mu_);
    done_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return stopped_devices_; });
  }

  void halt() {
    halt_ = true;
    loop_->wake();
    if (thread_.joinable()) thread_.join();
  }

  void addStatus(FleetStatus* st) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : slots_) {
      const DeviceCounters& c = s->device.counters();
      ++st->devices;
      if (s->state == Slot::Link::kUp) ++st->connected;
      if (s->connects > 0) ++st->ever_connected;
      if (s->state == Slot::Link::kOffline) ++st->offline_spell;
      st->connects += s->connects;
      st->unexpected_losses += s->losses;
      st->recorded += c.recorded;
      st->acked += c.acked;
      st->batches += c.batches_sent;
      st->acks += c.acks;
      st->rewinds += c.rewinds;
      st->bad_acks += c.bad_acks;
      st->states += c.states_sent;
      if (!c.refused.empty()) ++st->refused;
      if (s->device.drained()) ++st->drained;
    }
    st->connect_failures += connect_failures_;
    st->lag.live.merge(lag_.live);
    st->lag.catch_up.merge(lag_.catch_up);
  }

  void resetLag() {
    std::lock_guard<std::mutex> lock(mu_);
    lag_.live.clear();
    lag_.catch_up.clear();
  }

  void addReports(std::vector<DeviceReport>* out) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : slots_) {
      const DeviceCounters& c = s->device.counters();
      DeviceReport d;
      d.device_id = s->device.deviceId();
      d.location = s->device.location();
      d.epoch = s->device.epoch();
      d.recorded = c.recorded;
      d.highest_sent = c.highest_sent;
      d.acked = c.acked;
      d.recorded_units = c.recorded_units;
      d.acked_units = c.acked_units;
      d.batches = c.batches_sent;
      d.rewinds = c.rewinds;
      d.resend_requests = c.resend_requests;
      d.bad_acks = c.bad_acks;
      d.states = c.states_sent;
      d.connects = s->connects;
      d.losses = s->losses;
      d.offline_spells = s->spells;
      d.refused = c.refused;
      out->push_back(std::move(d));
    }
  }

 private:
  // One device and its connection; the connection's events come back here, on the worker's thread.
  struct Slot final : MqttConnection::Handler {
    Slot(Worker& w, int64_t i, int64_t st, SimDevice d) : worker(w), index(i), store(st), device(std::move(d)) {}
    void mqttUp() override { worker.up(*this); }
    void mqttFailed(const std::string&) override { worker.failed(*this); }
    void mqttLost(const std::string&) override { worker.lost(*this); }
    void mqttMessage(std::string_view topic, std::string_view payload) override { worker.message(*this, topic, payload); }

    enum class Link { kIdle, kConnecting, kUp, kOffline };
    Worker& worker;
    int64_t index;
    int64_t store;
    SimDevice device;
    std::string state_topic;
    std::unique_ptr<MqttConnection> conn;
    Link state = Link::kIdle;
    int64_t retry_at_mono = 0;
    int failures = 0;  // consecutive, for the backoff
    int64_t next_sale_ms = -1;  // ms into selling; -1: not drawn yet
    std::optional<TrafficModel::Spell> spell;
    bool spell_started = false;
    uint64_t connects = 0, losses = 0, spells = 0;
  };

  void run() {
    auto next_tick = std::chrono::steady_clock::now();
    while (!halt_) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - std::chrono::steady_clock::now());
      loop_->wait(static_cast<int>(std::max<int64_t>(0, wait.count())));
      if (halt_) break;
      std::lock_guard<std::mutex> lock(mu_);
      now_ = clock_.nowMs();
      mono_ = clock_.monoMs();
      loop_->dispatch();
      const bool stopping = shared_.phase.load() == static_cast<int>(Phase::kStopping);
      if (stopping && !stopped_devices_) {
        disconnectAll();
        std::lock_guard<std::mutex> done(done_mu_);
        stopped_devices_ = true;
        done_cv_.notify_all();
      }
      if (std::chrono::steady_clock::now() >= next_tick) {
        if (!stopped_devices_) tick();
        next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.tick_ms);
      }
    }
  }

  void up(Slot& s) {
    if (s.state != Slot::Link::kConnecting) return;
    s.state = Slot::Link::kUp;
    s.failures = 0;
    ++s.connects;
    s.device.connected();
    s.device.pump(*s.conn, now_, mono_);
  }
  void failed(Slot& s) {
    if (s.state != Slot::Link::kConnecting) return;
    ++connect_failures_;
    backoff(s);
  }
  void lost(Slot& s) {
    if (s.state != Slot::Link::kUp) return;
    ++s.losses;
    s.device.lost();
    backoff(s);
  }
  void message(Slot& s, std::string_view topic, std::string_view payload) {
    s.device.message(topic, payload, now_, mono_, lag_);
    if (s.state == Slot::Link::kUp) s.device.pump(*s.conn, now_, mono_);
  }

  // The agent's transport: exponential from 250 ms to 15 s with full jitter.
  void backoff(Slot& s) {
    s.state = Slot::Link::kIdle;
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    s.retry_at_mono = mono_ + common::reconnectDelayMs(s.failures++, 250, 15'000, uni(rng_));
  }

  void tick() {
    const int64_t now = now_, mono = mono_;
    const auto phase = static_cast<Phase>(shared_.phase.load());
    const bool selling = phase == Phase::kSelling;
    const int64_t t = selling ? mono - shared_.selling_t0_mono.load() : 0;
    budget_ = std::min(connect_burst_, budget_ + static_cast<double>(mono - last_budget_mono_) * connect_per_ms_);
    last_budget_mono_ = mono;
    for (auto& sp : slots_) {
      Slot& s = *sp;
      s.conn->service(mono);  // keepalive, connect timeout (may call failed/lost)
      if (s.spell && !s.spell_started && selling && t >= s.spell->from_ms && s.state != Slot::Link::kConnecting) {
        if (s.state == Slot::Link::kUp) {
          // The broker publishes the will, as when a store's line goes down.
          s.conn->drop(mqtt::kReasonDisconnectWithWill);
          s.device.lost();
        }
        s.state = Slot::Link::kOffline;
        s.spell_started = true;
        ++s.spells;
      }
      if (s.state == Slot::Link::kOffline && (phase != Phase::kSelling || t >= s.spell->until_ms)) {
        s.state = Slot::Link::kIdle;
        s.retry_at_mono = mono;
      }
      if (selling) {
        if (s.next_sale_ms < 0) s.next_sale_ms = traffic_.nextSale(s.index, s.store, 0, rng_);
        while (s.next_sale_ms <= t) {
          TrafficModel::Sale sale = traffic_.makeSale(rng_);
          s.device.record(sale.type, std::move(sale.lines), now, s.state == Slot::Link::kUp);
          s.next_sale_ms = traffic_.nextSale(s.index, s.store, s.next_sale_ms, rng_);
        }
      }
      if (s.state == Slot::Link::kIdle && mono >= s.retry_at_mono && budget_ >= 1) {
        budget_ -= 1;
        s.state = Slot::Link::kConnecting;
        s.conn->connect(mqtt::Will{s.state_topic, s.device.willPayload(now), 1, true});
      }
      if (s.state == Slot::Link::kUp) s.device.pump(*s.conn, now, mono);
    }
  }

  void disconnectAll() {
    for (auto& sp : slots_) {
      Slot& s = *sp;
      if (s.state == Slot::Link::kUp) s.device.publishOffline(*s.conn, now_);
      s.conn->drop(mqtt::kReasonNormal);
      s.state = Slot::Link::kIdle;
    }
  }

  const FleetConfig& config_;
  const common::Clock& clock_;
  const TrafficModel& traffic_;
  const Fleet::FleetShared& shared_;
  sockaddr_in broker_;
  std::unique_ptr<EventLoop> loop_;
  std::mt19937_64 rng_;
  double connect_burst_ = 1, connect_per_ms_ = 0, budget_ = 0;
  int64_t last_budget_mono_ = 0;
  int64_t now_ = 0, mono_ = 0;  // of the current pass

  mutable std::mutex mu_;  // the slots and figures: the worker's thread, and readers of the status
  std::vector<std::unique_ptr<Slot>> slots_;
  LagSink lag_;
  uint64_t connect_failures_ = 0;

  std::atomic<bool> halt_{false};
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  bool stopped_devices_ = false;  // under mu_ and done_mu_
  std::thread thread_;
};

Fleet::Fleet(FleetConfig config, const common::Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      traffic_(config_.traffic, config_.devices),
      shared_(std::make_unique<FleetShared>()) {}

common::Result<std::unique_ptr<Fleet>> Fleet::create(FleetConfig config, const common::Clock& clock) {
  auto broker = parseBrokerUrl(config.broker_url);
  if (!broker) return broker.error();
  if (!common::isValidId(fleetDeviceId(config.prefix, std::max<int64_t>(0, config.devices - 1))) ||
      !common::isValidId(fleetLocation(config.prefix, 0))) {
    return common::Error::reject("bad_prefix", "the prefix makes device ids that are not valid ids");
  }
  std::unique_ptr<Fleet> fleet(new Fleet(std::move(config), clock));
  fleet->config_.threads = std::max(1, fleet->config_.threads);
  for (int w = 0; w < fleet->config_.threads; ++w) {
    auto loop = EventLoop::create(clock);
    if (!loop) return loop.error();
    fleet->workers_.push_back(std::make_unique<Worker>(fleet->config_, clock, fleet->traffic_, *fleet->shared_, w,
                                                       *broker, std::move(*loop)));
  }
  for (int64_t i = 0; i < fleet->config_.devices; ++i) {
    fleet->workers_[static_cast<size_t>(i % fleet->config_.threads)]->add(i);
  }
  return fleet;
}

Fleet::~Fleet() { stop(); }

void Fleet::start() {
  for (auto& w : workers_) w->start();
}

void Fleet::startSelling() {
  shared_->selling_t0_mono = clock_.monoMs();
  shared_->phase = static_cast<int>(Phase::kSelling);
}

void Fleet::stopSelling() { shared_->phase = static_cast<int>(Phase::kDraining); }

void Fleet::stop() {
  if (stopped_) return;
  shared_->phase = static_cast<int>(Phase::kStopping);
  for (auto& w : workers_) w->stopDevices();
  for (auto& w : workers_) w->halt();
  stopped_ = true;
}

FleetStatus Fleet::status() const {
  FleetStatus st;
  for (const auto& w : workers_) w->addStatus(&st);
  return st;
}

void Fleet::resetLag() {
  for (auto& w : workers_) w->resetLag();
}

std::vector<DeviceReport> Fleet::devices() const {
  std::vector<DeviceReport> out;
  out.reserve(static_cast<size_t>(config_.devices));
  for (const auto& w : workers_) w->addReports(&out);
  std::sort(out.begin(), out.end(), [](const DeviceReport& a, const DeviceReport& b) { return a.device_id < b.device_id; });
  return out;
}

}  // namespace sw::loadgen
