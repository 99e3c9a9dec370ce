#include "sw/coordinator/channels/push_scheduler.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "channel_worker.h"

namespace sw::coordinator::channels {

using common::Error;
using common::Result;
using nlohmann::json;

// ---- JSON ------------------------------------------------------------------------------------

json toJson(const ReconcileReport& r) {
  return {{"channel", r.channel},         {"done", r.done},          {"skus", r.skus},
          {"checked", r.checked},         {"in_step", r.in_step},    {"drifted", r.drifted},
          {"not_listed", r.not_listed},   {"read_errors", r.read_errors}, {"last_error", r.last_error},
          {"started_at_ms", r.started_at_ms}, {"finished_at_ms", r.finished_at_ms}};
}

json toJson(const ChannelStatus& s) {
  json rate = {{"known", s.rate.known},
               {"capacity", s.rate.capacity},
               {"available", s.rate.available},
               {"refill_per_sec", s.rate.refill_per_sec},
               {"blocked_until_ms", s.rate.blocked_until_ms},
               {"throttled_count", s.rate.throttled_count},
               {"source", s.rate.source}};
  json j = {{"channel", s.channel},
            {"queue", s.queue},
            {"awaiting_accept", s.awaiting_accept},
            {"last_push_at_ms", s.last_push_at_ms},
            {"last_error", s.last_error},
            {"pushed", s.pushed},
            {"failed", s.failed},
            {"retried", s.retried},
            {"stale", s.stale},
            {"calls", s.calls},
            {"changes", s.changes},
            {"skipped_unchanged", s.skipped_unchanged},
            {"not_listed", s.not_listed},
            {"prices", {{"state", s.prices},
                        {"queue", s.price_queue},
                        {"pushed", s.prices_pushed},
                        {"calls", s.price_calls},
                        {"timers", s.price_timers},
                        {"awaiting", s.prices_awaiting},
                        {"failed", s.prices_failed}}},
            {"rate", rate}};
  j["reconcile"] = s.reconcile ? toJson(*s.reconcile) : json(nullptr);
  return j;
}

// ---- the scheduler ----------------------------------------------------------------------------

PushScheduler::PushScheduler(AtsFunction ats, SkuListFunction skus, DeadLetterStore& dead_letters,
                             const common::Clock& clock, PushOptions options)
    : ats_(std::move(ats)), skus_(std::move(skus)), dead_(dead_letters), clock_(clock), options_(options) {}

PushScheduler::~PushScheduler() { stop(); }

void PushScheduler::setPrices(PriceFunction prices) { prices_ = std::move(prices); }

void PushScheduler::pricesChanged() {
  for (auto& w : workers_) w->pricesChanged();
}

void PushScheduler::addChannel(const std::string& name, std::unique_ptr<ChannelConnector> connector) {
  workers_.push_back(std::make_unique<ChannelWorker>(name, std::move(connector), ats_, skus_, prices_, dead_, clock_, options_));
}

void PushScheduler::start() {
  if (started_) return;
  started_ = true;
  for (auto& w : workers_) w->start();
}

void PushScheduler::stop() {
  for (auto& w : workers_) w->requestStop();
  for (auto& w : workers_) w->join();
}

void PushScheduler::stockChanged(const std::vector<std::string>& skus) {
  if (skus.empty()) return;
  for (auto& w : workers_) w->changed(skus);
}

void PushScheduler::skuChanged(const std::string& sku) { stockChanged({sku}); }

ChannelWorker* PushScheduler::find(const std::string& channel) const {
  for (const auto& w : workers_) {
    if (w->name() == channel) return w.get();
  }
  return nullptr;
}

std::vector<std::string> PushScheduler::channels() const {
  std::vector<std::string> out;
  for (const auto& w : workers_) out.push_back(w->name());
  return out;
}

std::optional<ChannelShows> PushScheduler::shows(const std::string& channel, const std::string& sku) const {
  ChannelWorker* w = find(channel);
  if (!w) return std::nullopt;
  return w->shows(sku);
}

std::vector<ChannelStatus> PushScheduler::status() const {
  std::vector<ChannelStatus> out;
  for (const auto& w : workers_) out.push_back(w->status());
  return out;
}

void PushScheduler::writeMetrics(common::PrometheusText& out) const {
  std::vector<ChannelStatus> all = status();
  auto family = [&](const char* name, const char* help, const char* type, auto value) {
    out.family(name, help, type);
    for (const ChannelStatus& s : all) {
      out.sample(std::string(name) + "{channel=\"" + s.channel + "\"}", static_cast<double>(value(s)));
    }
  };
  family("stockwire_channel_items_pushed_total", "Items a channel applied or accepted", "counter",
         [](const ChannelStatus& s) { return s.pushed; });
  family("stockwire_channel_items_dead_lettered_total", "Items a channel refused for good (dead letters)", "counter",
         [](const ChannelStatus& s) { return s.failed; });
  family("stockwire_channel_items_retried_total", "Item attempts that must be tried again", "counter",
         [](const ChannelStatus& s) { return s.retried; });
  family("stockwire_channel_push_calls_total", "Quantity update calls made", "counter",
         [](const ChannelStatus& s) { return s.calls; });
  family("stockwire_channel_queue", "SKUs waiting to be computed and sent", "gauge",
         [](const ChannelStatus& s) { return s.queue; });
  family("stockwire_channel_awaiting_accept", "Items accepted and not yet seen applied", "gauge",
         [](const ChannelStatus& s) { return s.awaiting_accept; });
  family("stockwire_channel_not_listed", "SKUs the channel has no listing for", "gauge",
         [](const ChannelStatus& s) { return s.not_listed; });
  out.family("stockwire_channel_push_seconds", "Time a quantity update call to the channel took", "histogram");
  for (const auto& w : workers_) {
    out.histogramSamples("stockwire_channel_push_seconds", "channel=\"" + w->name() + "\"", w->pushLatency());
  }
  out.family("stockwire_channel_latency_seconds",
             "Stock change (ledger commit or reservation) to the channel applying or accepting its figure",
             "histogram");
  for (const auto& w : workers_) {
    out.histogramSamples("stockwire_channel_latency_seconds", "channel=\"" + w->name() + "\"", w->changeLatency());
  }
}

std::map<std::string, std::vector<int64_t>> PushScheduler::takeChangeLatencies() {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& w : workers_) out[w->name()] = w->takeChangeLatencies();
  return out;
}

Result<ReconcileReport> PushScheduler::reconcile(const std::string& channel, std::chrono::milliseconds wait) {
  ChannelWorker* w = find(channel);
  if (!w) return Error::reject("unknown_channel", "channel '" + channel + "' is not enabled");
  return w->reconcile(wait);
}

Result<DeadLetter> PushScheduler::replay(int64_t id) {
  // Check the channel before marking, so a letter for a channel not enabled now stays open.
  auto open = dead_.list(true, 1'000'000);
  if (!open) return open.error();
  auto it = std::find_if(open->begin(), open->end(), [id](const DeadLetter& d) { return d.id == id; });
  if (it == open->end()) return Error::reject("not_found", "no dead letter " + std::to_string(id));
  ChannelWorker* w = find(it->channel);
  if (!w) return Error::reject("unknown_channel", "channel '" + it->channel + "' is not enabled; cannot replay");
  auto d = dead_.markReplayed(id, clock_.nowMs());
  if (!d) return d.error();
  w->replay(d->sku);
  return d;
}

Result<std::vector<DeadLetter>> PushScheduler::deadLetters(bool include_replayed, int64_t limit) {
  return dead_.list(include_replayed, limit);
}

}  // namespace sw::coordinator::channels
