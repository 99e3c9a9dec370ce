#pragma once
// The push scheduler: keeps each online channel showing the available-to-sell figure.
//
// One worker thread per channel. Changes arrive as SKUs (stockChanged from the ledger's
// commit hook, skuChanged from order reservations); nothing is computed on the caller's
// thread. The worker:
//   - coalesces per SKU: a SKU changed ten times before its turn is computed once, at send time,
//     so only the newest value goes out; a value equal to what the channel is known to show is
//     not sent at all;
//   - sends SKUs whose new value is lowest first (close to zero matters most: oversell);
//   - batches up to connector->maxBatch() and waits connector->msUntilReady() before each call,
//     so pacing follows the buckets the connector learned from the channel's answers;
//   - uses compare-and-set where the channel offers it (expected_previous = the last value the
//     channel was seen to hold; SKUs never seen are read back first);
//   - per item: kApplied done; kAccepted read back later (and collectAccepted for feeds);
//     kStale re-read and resend; kRetry backoff (the channel's retry_after_ms when it gave one,
//     else doubling from backoff_initial_ms); kRejected to the dead-letter list.
// Prices go through the same worker (setPrices): a SKU's price is computed at send time from the
// catalog and the channel's rules, coalesced, skipped when equal to what the channel was sent,
// batched to maxBatch() and paced by msUntilReady(); kRetry backs off, kRejected is
// dead-lettered (code "price:<channel code>"). A promotion's start and end are timers: at each,
// the SKU's price is computed and pushed again.
// Reconciliation reads every known SKU back from the channel (readQuantities, in chunks between
// push rounds) and queues a push for each that differs from the computed figure.
//
// Refused items go to the dead-letter list (dead_letters.h). Replaying a dead letter marks it replayed and queues the SKU again: the value then sent is
// the figure computed at that moment, not the stale one that was refused.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/clock.h"
#include "sw/common/metrics.h"
#include "sw/common/result.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/channels/dead_letters.h"

namespace sw::coordinator::channels {

class ChannelWorker;

struct PushOptions {
  int64_t backoff_initial_ms = 250;
  int64_t backoff_max_ms = 30'000;
  int64_t accepted_readback_ms = 1'000;   // first read-back of a kAccepted item
  int64_t accepted_timeout_ms = 300'000;  // still not visible after this: send again
  int64_t max_stale = 10;                 // compare-and-set refused this often in a row: dead-letter
  size_t reconcile_chunk = 100;           // SKUs per readQuantities call during reconciliation
  int64_t reconcile_interval_s = 86'400;  // nightly-style; 0 = only on request (and at start)
  // Every this often, SKUs the channel was sent are computed again even without a change notice:
  // the offline-exposure buffer grows with time alone. Unchanged figures are not sent. 0 = never.
  int64_t refresh_interval_s = 30;
  bool reconcile_at_start = true;
  size_t max_compute_per_round = 5'000;   // ATS figures computed per round (bounds one round's work)
};

// The figure a channel should show for a SKU (Availability::availableToSell).
using AtsFunction = std::function<common::Result<int64_t>(const std::string& channel, const std::string& sku)>;
// Every SKU the ledger knows (for reconciliation).
using SkuListFunction = std::function<common::Result<std::vector<std::string>>()>;

// The price a channel should show for a SKU at wall-clock time now_ms (the catalog's effective
// price through the channel's price rules: price_rules.h), and when that answer may change next
// (a promotion starts or ends), so the worker pushes again then.
struct PriceQuote {
  std::optional<ChannelPrice> price;       // nullopt: no catalog price, nothing to send
  std::optional<int64_t> next_change_ms;   // wall clock
};
using PriceFunction =
    std::function<common::Result<PriceQuote>(const std::string& channel, const std::string& sku, int64_t now_ms)>;

struct ReconcileReport {
  std::string channel;
  bool done = false;
  int64_t skus = 0;       // SKUs to check
  int64_t checked = 0;
  int64_t in_step = 0;    // channel showed the computed figure
  int64_t drifted = 0;    // channel showed something else: a push was queued
  int64_t not_listed = 0; // the channel has no listing for the SKU
  int64_t read_errors = 0;
  std::string last_error;
  int64_t started_at_ms = 0;
  int64_t finished_at_ms = 0;
};
nlohmann::json toJson(const ReconcileReport& r);

struct ChannelStatus {
  std::string channel;
  size_t queue = 0;           // SKUs waiting to be computed and sent
  size_t awaiting_accept = 0; // sent, accepted, not yet seen applied
  int64_t last_push_at_ms = 0;
  std::string last_error;
  int64_t pushed = 0;         // items the channel applied or accepted
  int64_t failed = 0;         // items dead-lettered
  int64_t retried = 0;        // item attempts that must be tried again
  int64_t stale = 0;          // compare-and-set refusals
  int64_t calls = 0;          // pushQuantities calls
  int64_t changes = 0;        // change notices received
  int64_t skipped_unchanged = 0;  // computed figure equal to what the channel shows, or SKU not listed
  size_t not_listed = 0;          // SKUs the channel has no listing for (not pushed)
  // Prices (PushScheduler::setPrices): "off" (no price source, or "prices": false for this channel),
  // "on", or "not_supported" (the connector does not push prices yet).
  std::string prices = "off";
  size_t price_queue = 0;        // SKUs whose price waits to be computed and sent
  int64_t prices_pushed = 0;     // prices the channel applied or accepted
  int64_t price_calls = 0;       // pushPrices calls
  size_t price_timers = 0;       // SKUs with a promotion start or end still to come
  size_t prices_awaiting = 0;    // prices accepted into a feed whose per-item result is not in yet
  int64_t prices_failed = 0;     // prices a feed's result refused (dead letters) or left unapplied
  RateState rate;
  std::optional<ReconcileReport> reconcile;
};
nlohmann::json toJson(const ChannelStatus& s);

// What a channel was last seen or told to hold for one SKU: the figure it applied or accepted
// from us, or read back from it.
struct ChannelShows {
  int64_t quantity = 0;
  int64_t at_ms = 0;
  std::string how;  // "applied", "accepted" (not yet seen applied), "read"
};

class PushScheduler {
 public:
  PushScheduler(AtsFunction ats, SkuListFunction skus, DeadLetterStore& dead_letters, const common::Clock& clock,
                PushOptions options = {});
  ~PushScheduler();
  PushScheduler(const PushScheduler&) = delete;
  PushScheduler& operator=(const PushScheduler&) = delete;

  // Before start(): where prices come from. Without it, no prices are pushed. A channel
  // whose quote function answers nullopt for every SKU is simply not priced.
  void setPrices(PriceFunction prices);
  // Before start().
  void addChannel(const std::string& name, std::unique_ptr<ChannelConnector> connector);
  void start();
  void stop();

  // On-hand or reservations changed for these SKUs; cheap and non-blocking (any thread).
  void stockChanged(const std::vector<std::string>& skus);
  void skuChanged(const std::string& sku);
  // Catalog prices changed (an import, a price-list mapping): every SKU's price is computed again
  // on every channel; a price equal to what the channel was sent is not sent. Non-blocking.
  void pricesChanged();

  // Starts a full reconciliation of one channel and waits up to `wait` for it to finish.
  // Reject "unknown_channel".
  common::Result<ReconcileReport> reconcile(const std::string& channel, std::chrono::milliseconds wait);
  // Marks a dead letter replayed and queues its SKU on its channel again.
  common::Result<DeadLetter> replay(int64_t id);
  common::Result<std::vector<DeadLetter>> deadLetters(bool include_replayed, int64_t limit);

  std::vector<ChannelStatus> status() const;
  // What `channel` last showed for `sku` (nullopt: not known yet, or no such channel).
  std::optional<ChannelShows> shows(const std::string& channel, const std::string& sku) const;
  // Per channel, labelled channel="...": items pushed, dead-lettered and retried, calls, their
  // latency, the queue and what awaits acceptance (for /metrics).
  void writeMetrics(common::PrometheusText& out) const;
  // Per channel, change notice to the channel's answer applying or accepting it, in ms, of every
  // such answer since the last call (for the KPI history; ChannelWorker::takeChangeLatencies).
  std::map<std::string, std::vector<int64_t>> takeChangeLatencies();
  std::vector<std::string> channels() const;

 private:
  ChannelWorker* find(const std::string& channel) const;

  AtsFunction ats_;
  SkuListFunction skus_;
  PriceFunction prices_;
  DeadLetterStore& dead_;
  const common::Clock& clock_;
  const PushOptions options_;
  std::vector<std::unique_ptr<ChannelWorker>> workers_;  // one thread each (src/channel_worker.h)
  bool started_ = false;
};

}  // namespace sw::coordinator::channels
