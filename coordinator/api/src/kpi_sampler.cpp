#include "sw/coordinator/api/kpi_sampler.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "sw/common/decimal.h"
#include "sw/common/log.h"

namespace sw::coordinator {

using common::Result;
using common::Status;

namespace {

constexpr const char* kLog = "kpis";
constexpr int64_t kMaxLatencySample = 100'000;  // events per sample read for the sync latency

}  // namespace

KpiSampler::KpiSampler(KpiSources sources, SqliteKpiSeries& store, const common::Clock& clock,
                       KpiSamplerOptions options)
    : sources_(sources), store_(store), clock_(clock), options_(options) {}

KpiSampler::~KpiSampler() { stop(); }

KpiSampler::Counters KpiSampler::readCounters() const {
  Counters c;
  if (sources_.ingest) {
    const IngestStats& s = sources_.ingest->stats();
    c.messages = s.messages.load();
    c.quarantined = s.quarantined.load();
  }
  if (sources_.http) {
    c.requests = sources_.http->requests.load();
    c.rejected = sources_.http->rejected.load();
    c.failed = sources_.http->failed.load();
  }
  if (sources_.push) {
    for (const channels::ChannelStatus& s : sources_.push->status()) {
      c.retried[s.channel] = s.retried;
      c.dead_lettered[s.channel] = s.failed;
    }
  }
  return c;
}

void KpiSampler::start() {
  {
    std::lock_guard lock(run_mu_);
    last_ = readCounters();
    auto last = store_.lastSampleAt();
    if (!last) SW_WARN(kLog) << "cannot read the newest KPI point: " << last.error().toString();
    const int64_t now = clock_.nowMs();
    // Within the retention: the next sample covers what was applied since (nothing is applied
    // while the coordinator is down, so a restart leaves no gap and counts nothing twice).
    if (last && *last && **last < now && **last >= now - options_.retention_h * 3'600'000) last_at_ms_ = **last;
  }
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { run(); });
  SW_INFO(kLog) << "sampling KPIs every " << options_.interval_ms << " ms, kept " << options_.retention_h << " h";
}

void KpiSampler::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void KpiSampler::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms), [this] { return stop_; })) break;
    lock.unlock();
    if (auto s = sampleOnce(); !s) SW_WARN(kLog) << "KPI sample not written: " << s.error().toString();
    lock.lock();
  }
}

Status KpiSampler::sampleOnce() {
  std::lock_guard lock(run_mu_);
  const int64_t now = clock_.nowMs();
  auto values = collect(now);
  if (!values) return values.error();
  if (auto s = store_.append(now, *values, now - options_.retention_h * 3'600'000); !s) return s;
  samples_.fetch_add(1);
  return common::Status{};
}

Result<std::vector<KpiValue>> KpiSampler::collect(int64_t now) {
  std::vector<KpiValue> out;
  auto add = [&out](const char* name, const char* unit, double value, KpiLabels labels = {},
                    std::optional<double> target = std::nullopt) {
    out.push_back({name, unit, std::move(labels), target, value});
  };
  Ledger& ledger = *sources_.ledger;
  // A clock that went back: the interval before now, never a window that ends before it starts.
  const int64_t after = last_at_ms_ > 0 && last_at_ms_ < now ? last_at_ms_ : now - options_.interval_ms;

  // Occurred -> applied, of the events applied since the last sample.
  auto lat = ledger.syncLatencies(after + 1, kMaxLatencySample);
  if (!lat) return lat.error();
  if (!lat->empty()) {
    add("sync_latency_p50_ms", "ms", percentile(*lat, 50));
    add("sync_latency_p99_ms", "ms", percentile(*lat, 99));
  }
  // Applied (change notice) -> the channel applied or accepted the figure, per channel.
  std::set<std::string> channels;
  if (sources_.push) {
    for (auto& [channel, samples] : sources_.push->takeChangeLatencies()) {
      channels.insert(channel);
      if (samples.empty()) continue;
      std::sort(samples.begin(), samples.end());
      add("channel_latency_p50_ms", "ms", percentile(samples, 50), {{"channel", channel}});
      add("channel_latency_p99_ms", "ms", percentile(samples, 99), {{"channel", channel}});
    }
  }

  // Error rates: differences of the process counters since the last sample.
  const Counters c = readCounters();
  auto diff = [](uint64_t a, uint64_t b) { return a >= b ? a - b : a; };  // a restarted counter: from 0
  const uint64_t messages = diff(c.messages, last_.messages);
  if (messages > 0) {
    add("quarantine_rate_pct", "%",
        100.0 * static_cast<double>(diff(c.quarantined, last_.quarantined)) / static_cast<double>(messages));
  }
  const uint64_t requests = diff(c.requests, last_.requests);
  if (requests > 0) {
    add("http_4xx_rate_pct", "%",
        100.0 * static_cast<double>(diff(c.rejected, last_.rejected)) / static_cast<double>(requests));
    add("http_5xx_rate_pct", "%",
        100.0 * static_cast<double>(diff(c.failed, last_.failed)) / static_cast<double>(requests));
  }
  for (const auto& [channel, retried] : c.retried) {
    auto before = [](const std::map<std::string, int64_t>& m, const std::string& k) {
      auto it = m.find(k);
      return it == m.end() ? int64_t{0} : it->second;
    };
    add("channel_push_errors", "count", static_cast<double>(retried - before(last_.retried, channel)),
        {{"channel", channel}});
    add("channel_dead_letters", "count",
        static_cast<double>(c.dead_lettered.at(channel) - before(last_.dead_lettered, channel)), {{"channel", channel}});
  }
  last_ = c;

  // The figures as they stand now.
  auto accuracy = inventoryAccuracy(ledger, 0);
  if (!accuracy) return accuracy.error();
  if (auto pct = accuracy->pct()) add("inventory_accuracy_pct", "%", *pct, {}, kInventoryAccuracyTargetPct);
  auto orders = orderKpis(ledger, sources_.orders, sources_.revenue, {now - kReturnRateWindowMs, now, ""});
  if (!orders) return orders.error();
  if (auto pct = orders->fulfilment.pct()) add("fulfilment_accuracy_pct", "%", *pct, {}, kFulfilmentAccuracyTargetPct);
  if (auto pct = orders->returns.pct()) add("return_rate_pct", "%", *pct);

  // Sales since the last sample, by location (every location the ledger knows, 0 when nothing
  // sold) and channel orders taken in, by channel.
  auto names = ledger.locationNames();
  if (!names) return names.error();
  std::map<std::string, std::pair<int64_t, int64_t>> by_location;  // units, amount
  for (const std::string& loc : *names) by_location[loc];
  auto sales = ledger.salesApplied(after, now);
  if (!sales) return sales.error();
  for (const SalesFigure& f : *sales) {
    if (f.internal) continue;
    by_location[f.location].first += f.sold_units;
    by_location[f.location].second += f.sold_amount;
  }
  for (const auto& [loc, figures] : by_location) {
    add("sales_units", "units", static_cast<double>(figures.first), {{"location", loc}});
    const double amount = static_cast<double>(figures.second) / static_cast<double>(common::Decimal::kScale);
    add("sales_amount", "currency", amount, {{"location", loc}});
  }
  if (sources_.orders) {
    auto book = sources_.orders->kpiFigures(after, now);
    if (!book) return book.error();
    std::map<std::string, int64_t> by_channel;
    for (const std::string& ch : channels) by_channel[ch];
    for (const auto& [ch, units] : book->ordered_units_by_channel) by_channel[ch] += units;
    for (const auto& [ch, units] : by_channel) {
      add("channel_order_units", "units", static_cast<double>(units), {{"channel", ch}});
    }
  }

  // Offline exposure across the fleet.
  auto exposure = fleetExposure(ledger, now);
  if (!exposure) return exposure.error();
  add("devices_offline", "count", static_cast<double>(exposure->offline));
  add("unsynced_events", "count", static_cast<double>(exposure->unsynced_events));
  add("oldest_unsynced_age_s", "s", static_cast<double>(exposure->oldest_unsynced_age_s));

  last_at_ms_ = now;
  return out;
}

}  // namespace sw::coordinator
