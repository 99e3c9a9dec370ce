#pragma once
// One channel's push worker: the thread and the state behind one channel of the PushScheduler
// (push_scheduler.h says what it does and why). Internal to sw_channels.
//
// Threads: run() is the worker thread. changed(), status(), reconcile(), replay() and stop()
// may be called from any thread; they touch only what mu_ guards. What is marked "worker thread
// only" is read and written by run() and the steps it calls, never under mu_.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sw/common/clock.h"
#include "sw/common/metrics.h"
#include "sw/common/result.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/channels/dead_letters.h"
#include "sw/coordinator/channels/push_scheduler.h"

namespace sw::coordinator::channels {

class ChannelWorker {
 public:
  ChannelWorker(std::string name, std::unique_ptr<ChannelConnector> connector, const AtsFunction& ats,
                const SkuListFunction& skus, const PriceFunction& prices, DeadLetterStore& dead_letters,
                const common::Clock& clock, const PushOptions& options);
  ~ChannelWorker();
  ChannelWorker(const ChannelWorker&) = delete;
  ChannelWorker& operator=(const ChannelWorker&) = delete;

  const std::string& name() const { return name_; }
  void start();
  // Asks the thread to stop (returns at once); join() waits for it.
  void requestStop();
  void join();

  // These SKUs' figures may have changed (counted as change notices).
  void changed(const std::vector<std::string>& skus);
  // Every SKU's price is to be computed again (catalog import).
  void pricesChanged();
  ChannelStatus status() const;
  // How long each pushQuantities call to the channel took (its API's answer time, rate waits not included).
  const common::LatencyHistogram& pushLatency() const { return push_latency_; }
  // From a change notice (a ledger commit or a reservation: stockChanged/skuChanged) to the
  // channel's answer applying or accepting the figure that covers it (retries, backoff and rate
  // waits included).
  const common::LatencyHistogram& changeLatency() const { return change_latency_; }
  // The same, each in ms, since the last call (at most kMaxChangeSamples are kept between calls).
  std::vector<int64_t> takeChangeLatencies();
  static constexpr size_t kMaxChangeSamples = 100'000;
  // Starts a reconciliation unless one runs, and waits up to `wait` for it.
  ReconcileReport reconcile(std::chrono::milliseconds wait);
  // A dead letter of this SKU was replayed: send it again from scratch.
  void replay(const std::string& sku);
  // What the channel last showed for sku (any thread).
  std::optional<ChannelShows> shows(const std::string& sku) const;

 private:
  struct Pending {
    uint64_t gen = 0;  // bumped by every change: a result only retires the generation it sent
    int64_t not_before_ms = 0;
    int64_t attempts = 0;
    int64_t stale = 0;
    bool solo = false;  // a batch containing it was refused as a whole: send it alone
    // Monotonic ms of the first change notice no answer has covered yet, and of the newest one
    // (-1: none; a refresh or replay is not a change notice).
    int64_t changed_at_ms = -1;
    int64_t last_changed_at_ms = -1;
  };
  struct Ready {  // a SKU due now, as taken from pending_
    std::string sku;
    uint64_t gen = 0;
    int64_t attempts = 0;
    bool solo = false;
    int64_t changed_at_ms = -1;  // Pending::changed_at_ms when taken
  };
  struct Candidate {  // a due SKU with the figure computed for it
    Ready r;
    int64_t value = 0;
  };
  struct Accepted {
    int64_t value = 0;
    int64_t sent_at_ms = 0;
    int64_t check_at_ms = 0;
    int64_t delay_ms = 0;
  };
  struct Key {
    int64_t value = 0;
    std::optional<int64_t> expected;
    std::string key;
  };
  struct ReconcileJob {
    ReconcileReport report;         // under mu_
    std::vector<std::string> skus;  // worker thread only
    size_t pos = 0;
    bool loaded = false;
    int64_t errors_in_row = 0;
  };

  // ---- one turn of the worker ---------------------------------------------------------------
  void run();
  // Takes the SKUs due now and the reconciliation to work on; returns when to wake otherwise.
  int64_t takeDue(int64_t now, std::vector<Ready>& ready, std::shared_ptr<ReconcileJob>& job);
  // Every refresh_interval_s: every SKU sent is due again (the exposure buffer grows with time).
  // True when it queued anything.
  bool refreshIfDue(int64_t now);
  // One push round. Returns ms to wait (the channel is not ready), or 0 when it went on.
  int64_t pushRound(std::vector<Ready>& ready);
  std::vector<Candidate> computeFigures(std::vector<Ready>& ready, int64_t now);
  std::vector<Candidate> chooseBatch(std::vector<Candidate>& candidates) const;
  // Reads SKUs never asked about before they are sent. nullopt: send what is left of the batch;
  // a value: pushRound returns it (a wait, or 0 when nothing is left to send now).
  std::optional<int64_t> readUnknown(std::vector<Candidate>& batch, int64_t now);
  void send(const std::vector<Candidate>& batch);
  void sendFailed(const std::vector<Candidate>& batch, const common::Error& e, int64_t now);
  void applyResults(const std::vector<Candidate>& batch, const PushResult& res, int64_t now);
  // Follows items a channel accepted to apply later. True if it did anything.
  bool checkAccepted();
  // One chunk of a reconciliation. Returns ms to wait before the next chunk can be read (0 = went on).
  int64_t reconcileStep(ReconcileJob& job);

  // ---- prices (channel_worker_prices.cpp) ---------------------------------------------------------
  struct PricePending {
    uint64_t gen = 0;
    int64_t not_before_ms = 0;
    int64_t attempts = 0;
  };
  // One price round: promotion timers that are due, then up to maxBatch() due SKUs priced and sent.
  // Returns ms to wait (the channel is not ready, or the next timer), or 0 when it went on.
  int64_t priceRound(int64_t now);
  void markPriceLocked(const std::string& sku, int64_t not_before_ms);  // caller holds mu_
  void priceTimersDue(int64_t wall);
  void applyPriceResults(const std::vector<PriceUpdate>& batch, const std::vector<PricePending>& taken,
                         const PushResult& res, int64_t now);
  // Follows prices a channel accepted into a feed (collectAcceptedPrices) to each item's result:
  // a refused one is a dead letter, one not applied is priced and sent again. True if it asked.
  bool checkAcceptedPrices(int64_t now);

  // ---- helpers --------------------------------------------------------------------------------
  void setError(const std::string& e);
  void retryLater(const std::string& sku, int64_t at_ms, bool count_attempt);
  void deadLetter(const std::string& sku, int64_t value, const std::string& code, const std::string& message,
                  int64_t attempts);
  void markLocked(const std::string& sku, int64_t not_before_ms);  // caller holds mu_
  void mark(const std::string& sku);
  void finish(const std::string& sku, uint64_t gen);
  // The channel applied or accepted r's figure at `now`: its change latency, and a change that
  // came in since r was taken starts its own clock.
  void recordAccepted(const Ready& r, int64_t now);
  void markUnlisted(const std::string& sku);
  void markListed(const ChannelLevel& l);
  std::shared_ptr<ReconcileJob> newJobLocked();
  int64_t backoffMs(int64_t attempts) const;

  const std::string name_;
  const std::unique_ptr<ChannelConnector> conn_;
  const AtsFunction& ats_;
  const SkuListFunction& skus_;
  const PriceFunction& prices_;
  DeadLetterStore& dead_;
  const common::Clock& clock_;
  const PushOptions& options_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // wakes the worker
  std::condition_variable done_cv_;  // a reconciliation finished
  bool stop_ = false;
  bool poked_ = false;
  std::map<std::string, Pending> pending_;
  uint64_t next_gen_ = 1;
  std::shared_ptr<ReconcileJob> job_;
  ChannelStatus stats_;
  common::LatencyHistogram push_latency_;
  common::LatencyHistogram change_latency_;
  std::vector<int64_t> change_samples_;  // ms, since the last takeChangeLatencies()
  std::map<std::string, ChannelShows> shows_;  // known_'s figures with their time, for the API
  int64_t next_reconcile_ms_ = 0;
  std::map<std::string, PricePending> price_pending_;
  bool prices_unsupported_ = false;
  bool price_resend_all_ = false;  // set at start and by each reconciliation: every price is sent again
  bool reprice_all_ = false;       // set by pricesChanged(): every price is computed again

  // Worker thread only.
  std::map<std::string, int64_t> known_;  // what the channel was last seen (or told) to hold
  // Sets known_ and, under mu_, what shows() answers (when and how it was learned).
  void remember(const std::string& sku, int64_t quantity, const char* how);
  // SKUs the channel has no listing for, as the channel itself said: a read found none, or a
  // push was answered kNotListed. Not pushed, so a SKU sold in stores but never listed online
  // does not fill the dead-letter list. Only a reconciliation's read that finds a listing takes
  // one off (then the figure is pushed).
  std::set<std::string> unlisted_;
  // SKUs a read found listed (quantity or not). A SKU in neither set has never been asked
  // about: it is read before its first push on every channel.
  std::set<std::string> listed_;
  std::map<std::string, Accepted> accepted_;
  std::map<std::string, Key> keys_;  // one idempotency key per logical change, reused on retry
  int64_t next_collect_ms_ = 0;
  int64_t next_refresh_ms_ = 0;
  std::map<std::string, ChannelPrice> price_known_;  // what the channel was last told (and applied)
  std::map<std::string, int64_t> price_timers_;      // SKU -> wall ms of its next promotion start or end
  struct PriceAccepted {
    ChannelPrice price;   // what was sent
    std::string feed_id;  // what it was accepted under: only that feed's result counts
    int64_t attempts = 0;
  };
  // Prices accepted with reported_later, by SKU, until their result comes in (or a newer price for
  // the SKU is sent, which makes the older result irrelevant).
  std::map<std::string, PriceAccepted> price_accepted_;
  int64_t next_price_collect_ms_ = 0;
};

}  // namespace sw::coordinator::channels
