#include "channel_worker.h"

#include <algorithm>

#include "sw/common/log.h"
#include "sw/common/uuid.h"

namespace sw::coordinator::channels {

using common::Error;

ChannelWorker::ChannelWorker(std::string name, std::unique_ptr<ChannelConnector> connector, const AtsFunction& ats,
                             const SkuListFunction& skus, const PriceFunction& prices, DeadLetterStore& dead_letters,
                             const common::Clock& clock, const PushOptions& options)
    : name_(std::move(name)),
      conn_(std::move(connector)),
      ats_(ats),
      skus_(skus),
      prices_(prices),
      dead_(dead_letters),
      clock_(clock),
      options_(options) {
  stats_.channel = name_;
}

ChannelWorker::~ChannelWorker() {
  requestStop();
  join();
}

void ChannelWorker::start() {
  {
    std::lock_guard lock(mu_);
    if (options_.reconcile_at_start) job_ = newJobLocked();
    price_resend_all_ = static_cast<bool>(prices_);
    next_reconcile_ms_ = clock_.monoMs() + options_.reconcile_interval_s * 1000;
  }
  next_refresh_ms_ = clock_.monoMs() + options_.refresh_interval_s * 1000;
  thread_ = std::thread([this] { run(); });
}

void ChannelWorker::requestStop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  done_cv_.notify_all();
}

void ChannelWorker::join() {
  if (thread_.joinable()) thread_.join();
}

void ChannelWorker::changed(const std::vector<std::string>& skus) {
  {
    const int64_t now = clock_.monoMs();
    std::lock_guard lock(mu_);
    for (const auto& sku : skus) {
      markLocked(sku, 0);
      Pending& p = pending_[sku];
      if (p.changed_at_ms < 0) p.changed_at_ms = now;
      p.last_changed_at_ms = now;
      // Its price is computed again too (one catalog read; nothing is sent when unchanged), so a SKU
      // new to the ledger gets its price with its first stock change.
      if (prices_ && !price_pending_.count(sku)) markPriceLocked(sku, 0);
    }
    stats_.changes += static_cast<int64_t>(skus.size());
  }
  cv_.notify_one();
}

ChannelStatus ChannelWorker::status() const {
  ChannelStatus s;
  {
    std::lock_guard lock(mu_);
    s = stats_;
    s.queue = pending_.size();
    s.price_queue = price_pending_.size();
    if (job_) s.reconcile = job_->report;
  }
  s.rate = conn_->rateState();  // documented as callable from any thread
  return s;
}

ReconcileReport ChannelWorker::reconcile(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  // One reconciliation at a time per channel: asking again while one runs waits for that one.
  if (!job_ || job_->report.done) {
    job_ = newJobLocked();
    poked_ = true;
    cv_.notify_one();
  }
  std::shared_ptr<ReconcileJob> job = job_;
  done_cv_.wait_for(lock, wait, [&] { return job->report.done || stop_; });
  return job->report;
}

void ChannelWorker::replay(const std::string& sku) {
  {
    std::lock_guard lock(mu_);
    markLocked(sku, 0);
    pending_[sku].stale = 0;
    pending_[sku].attempts = 0;
    if (prices_) markPriceLocked(sku, 0);  // a price dead letter replays through the same call
  }
  cv_.notify_one();
}

// ---- helpers ------------------------------------------------------------------------------------

std::shared_ptr<ChannelWorker::ReconcileJob> ChannelWorker::newJobLocked() {
  auto job = std::make_shared<ReconcileJob>();
  if (prices_) price_resend_all_ = true;  // prices are not read back: a reconciliation sends them all again
  job->report.channel = name_;
  job->report.started_at_ms = clock_.nowMs();
  return job;
}

int64_t ChannelWorker::backoffMs(int64_t attempts) const {
  int64_t shift = std::clamp<int64_t>(attempts - 1, 0, 20);
  return std::min(options_.backoff_max_ms, options_.backoff_initial_ms << shift);
}

void ChannelWorker::setError(const std::string& e) {
  std::lock_guard lock(mu_);
  stats_.last_error = e;
}

void ChannelWorker::retryLater(const std::string& sku, int64_t at_ms, bool count_attempt) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(sku);
  if (it == pending_.end()) it = pending_.emplace(sku, Pending{next_gen_++, 0, 0, 0, false, -1, -1}).first;
  if (count_attempt) it->second.attempts++;
  it->second.not_before_ms = std::max(it->second.not_before_ms, at_ms);
}

void ChannelWorker::deadLetter(const std::string& sku, int64_t value, const std::string& code,
                               const std::string& message, int64_t attempts) {
  DeadLetter d;
  d.channel = name_;
  d.sku = sku;
  d.quantity = value;
  d.code = code;
  d.message = message;
  d.attempts = attempts;
  d.created_at_ms = clock_.nowMs();
  auto id = dead_.add(d);
  if (!id) SW_ERROR("push") << name_ << ": could not store dead letter for " << sku << ": " << id.error().toString();
  SW_WARN("push") << name_ << ": " << sku << " = " << value << " dead-lettered: " << code << " " << message;
  std::lock_guard lock(mu_);
  stats_.failed++;
}

void ChannelWorker::markLocked(const std::string& sku, int64_t not_before_ms) {
  Pending& p = pending_[sku];
  p.gen = next_gen_++;
  p.not_before_ms = std::max(p.not_before_ms, not_before_ms);
  poked_ = true;
}

void ChannelWorker::mark(const std::string& sku) {
  std::lock_guard lock(mu_);
  markLocked(sku, 0);
  cv_.notify_one();
}

void ChannelWorker::finish(const std::string& sku, uint64_t gen) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(sku);
  if (it != pending_.end() && it->second.gen == gen) pending_.erase(it);
}

void ChannelWorker::recordAccepted(const Ready& r, int64_t now) {
  if (r.changed_at_ms < 0) return;
  const int64_t ms = std::max<int64_t>(0, now - r.changed_at_ms);
  change_latency_.observeUs(static_cast<uint64_t>(ms) * 1000);
  std::lock_guard lock(mu_);
  if (change_samples_.size() < kMaxChangeSamples) change_samples_.push_back(ms);
  auto it = pending_.find(r.sku);
  // Changed again since it was taken (finish() will keep it): the newest notice is not covered.
  if (it != pending_.end() && it->second.gen != r.gen) it->second.changed_at_ms = it->second.last_changed_at_ms;
}

std::vector<int64_t> ChannelWorker::takeChangeLatencies() {
  std::lock_guard lock(mu_);
  std::vector<int64_t> out;
  out.swap(change_samples_);
  return out;
}

void ChannelWorker::markUnlisted(const std::string& sku) {
  unlisted_.insert(sku);
  listed_.erase(sku);
  known_.erase(sku);
  accepted_.erase(sku);
  keys_.erase(sku);
}

void ChannelWorker::remember(const std::string& sku, int64_t quantity, const char* how) {
  known_[sku] = quantity;
  std::lock_guard lock(mu_);
  shows_[sku] = {quantity, clock_.nowMs(), how};
}

std::optional<ChannelShows> ChannelWorker::shows(const std::string& sku) const {
  std::lock_guard lock(mu_);
  auto it = shows_.find(sku);
  if (it == shows_.end()) return std::nullopt;
  return it->second;
}

void ChannelWorker::markListed(const ChannelLevel& l) {
  unlisted_.erase(l.sku);
  listed_.insert(l.sku);
  if (l.quantity) remember(l.sku, *l.quantity, "read");
}

// ---- the worker's loop ----------------------------------------------------------------------------

void ChannelWorker::run() {
  while (true) {
    int64_t now = clock_.monoMs();
    std::vector<Ready> ready;
    std::shared_ptr<ReconcileJob> job;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    int64_t wake = takeDue(now, ready, job);
    if (refreshIfDue(now)) continue;
    bool went_on = false;
    if (!ready.empty()) {
      int64_t wait = std::min<int64_t>(pushRound(ready), 60'000);
      if (wait > 0) {
        wake = std::min(wake, now + wait);
      } else {
        went_on = true;
      }
    }
    if (prices_) {
      int64_t wait = std::min<int64_t>(priceRound(now), 60'000);
      if (wait > 0) {
        wake = std::min(wake, now + wait);
      } else if (wait == 0) {
        std::lock_guard lock(mu_);
        for (const auto& [sku, p] : price_pending_) {
          if (p.not_before_ms <= now) went_on = true;
        }
      }
    }
    if (checkAccepted()) {  // paced by next_collect_ms_
      std::lock_guard lock(mu_);
      stats_.awaiting_accept = accepted_.size();
    }
    if (!accepted_.empty()) wake = std::min(wake, next_collect_ms_);
    if (checkAcceptedPrices(clock_.monoMs())) {
      std::lock_guard lock(mu_);
      stats_.prices_awaiting = price_accepted_.size();
    }
    if (!price_accepted_.empty()) wake = std::min(wake, next_price_collect_ms_);
    if (job) {
      int64_t wait = std::min<int64_t>(reconcileStep(*job), 60'000);
      if (wait > 0) {
        wake = std::min(wake, now + wait);
      } else {
        went_on = true;
      }
    }
    if (went_on) continue;
    std::unique_lock lock(mu_);
    if (stop_) return;
    int64_t sleep_ms = std::max<int64_t>(1, wake - clock_.monoMs());
    cv_.wait_for(lock, std::chrono::milliseconds(sleep_ms), [this] { return stop_ || poked_; });
  }
}

int64_t ChannelWorker::takeDue(int64_t now, std::vector<Ready>& ready, std::shared_ptr<ReconcileJob>& job) {
  int64_t wake = now + 1'000;  // at least once a second: read-backs, interval reconciliation
  std::lock_guard lock(mu_);
  poked_ = false;
  for (auto& [sku, p] : pending_) {
    if (p.not_before_ms <= now) {
      if (ready.size() < options_.max_compute_per_round) ready.push_back({sku, p.gen, p.attempts, p.solo, p.changed_at_ms});
    } else {
      wake = std::min(wake, p.not_before_ms);
    }
  }
  if (job_ && !job_->report.done) {
    job = job_;
  } else if (options_.reconcile_interval_s > 0 && now >= next_reconcile_ms_) {
    job_ = newJobLocked();
    job = job_;
  }
  stats_.awaiting_accept = accepted_.size();
  stats_.not_listed = unlisted_.size();
  return wake;
}

bool ChannelWorker::refreshIfDue(int64_t now) {
  if (options_.refresh_interval_s <= 0 || now < next_refresh_ms_) return false;
  next_refresh_ms_ = now + options_.refresh_interval_s * 1000;
  std::lock_guard lock(mu_);
  for (const auto& [sku, q] : known_) {
    // Not counted as a change notice; gen bumped so an in-flight result does not retire it.
    Pending& p = pending_[sku];
    p.gen = next_gen_++;
  }
  return !known_.empty();
}

// ---- pushing --------------------------------------------------------------------------------------

int64_t ChannelWorker::pushRound(std::vector<Ready>& ready) {
  int64_t now = clock_.monoMs();
  std::vector<Candidate> candidates = computeFigures(ready, now);
  if (candidates.empty()) return 0;
  std::vector<Candidate> batch = chooseBatch(candidates);
  if (auto done = readUnknown(batch, now)) return *done;
  int64_t wait = conn_->msUntilReady(Operation::kPush, batch.size());
  if (wait > 0) return wait;
  send(batch);
  return 0;
}

std::vector<ChannelWorker::Candidate> ChannelWorker::computeFigures(std::vector<Ready>& ready, int64_t now) {
  std::vector<Candidate> candidates;
  int64_t skipped = 0;
  for (Ready& r : ready) {
    auto v = ats_(name_, r.sku);
    if (!v) {
      setError("available to sell for " + r.sku + ": " + v.error().toString());
      retryLater(r.sku, now + backoffMs(r.attempts + 1), true);
      continue;
    }
    int64_t value = std::max<int64_t>(0, *v);
    auto k = known_.find(r.sku);
    if (unlisted_.count(r.sku) || (k != known_.end() && k->second == value && !accepted_.count(r.sku))) {
      finish(r.sku, r.gen);
      skipped++;
      continue;
    }
    candidates.push_back({r, value});
  }
  if (skipped) {
    std::lock_guard lock(mu_);
    stats_.skipped_unchanged += skipped;
  }
  return candidates;
}

std::vector<ChannelWorker::Candidate> ChannelWorker::chooseBatch(std::vector<Candidate>& candidates) const {
  // Lowest figure first: a listing about to run out matters most. Ties: decreases first.
  std::sort(candidates.begin(), candidates.end(), [this](const Candidate& a, const Candidate& b) {
    if (a.value != b.value) return a.value < b.value;
    auto ka = known_.find(a.r.sku);
    auto kb = known_.find(b.r.sku);
    bool da = ka != known_.end() && ka->second > a.value;
    bool db = kb != known_.end() && kb->second > b.value;
    if (da != db) return da;
    return a.r.sku < b.r.sku;
  });
  std::vector<Candidate> batch;
  if (candidates.front().r.solo) {
    batch.push_back(candidates.front());
    return batch;
  }
  size_t max = std::max<size_t>(1, conn_->maxBatch());
  for (Candidate& c : candidates) {
    if (c.r.solo) continue;
    batch.push_back(c);
    if (batch.size() >= max) break;
  }
  return batch;
}

// Read SKUs never asked about first, on every channel: the channel's answer says whether it lists
// the SKU at all (a SKU sold only in stores is then never pushed, so it is no dead letter), and
// compare-and-set needs the channel's current figure (so there a SKU whose figure is unknown is
// read again).
std::optional<int64_t> ChannelWorker::readUnknown(std::vector<Candidate>& batch, int64_t now) {
  const bool cas = conn_->supportsCompareAndSet();
  std::vector<std::string> unknown;
  for (const Candidate& c : batch) {
    if (!known_.count(c.r.sku) && (cas || !listed_.count(c.r.sku))) unknown.push_back(c.r.sku);
  }
  if (unknown.empty()) return std::nullopt;
  int64_t wait = conn_->msUntilReady(Operation::kRead, unknown.size());
  if (wait > 0) return wait;
  auto levels = conn_->readQuantities(unknown);
  if (!levels) {
    setError("read before compare-and-set: " + levels.error().toString());
    for (const Candidate& c : batch) retryLater(c.r.sku, now + backoffMs(c.r.attempts + 1), true);
    return 0;
  }
  for (const ChannelLevel& l : *levels) {
    if (l.found) {
      markListed(l);
    } else {
      markUnlisted(l.sku);
    }
  }
  // Those already showing the figure, or not listed at all, need nothing more.
  std::vector<Candidate> left;
  for (const Candidate& c : batch) {
    auto k = known_.find(c.r.sku);
    if (unlisted_.count(c.r.sku) || (k != known_.end() && k->second == c.value)) {
      finish(c.r.sku, c.r.gen);
    } else {
      left.push_back(c);
    }
  }
  batch.swap(left);
  if (batch.empty()) return 0;
  return std::nullopt;
}

void ChannelWorker::send(const std::vector<Candidate>& batch) {
  std::vector<QuantityUpdate> updates;
  for (const Candidate& c : batch) {
    QuantityUpdate u;
    u.sku = c.r.sku;
    u.quantity = c.value;
    if (conn_->supportsCompareAndSet()) {
      auto k = known_.find(c.r.sku);
      if (k != known_.end()) u.expected_previous = k->second;
    }
    Key& key = keys_[c.r.sku];
    if (key.key.empty() || key.value != u.quantity || key.expected != u.expected_previous) {
      key = {u.quantity, u.expected_previous, common::newUuid()};
    }
    u.idempotency_key = key.key;
    updates.push_back(std::move(u));
  }
  const int64_t sent_at = clock_.monoMs();
  auto res = conn_->pushQuantities(updates);
  int64_t now = clock_.monoMs();
  push_latency_.observeUs(static_cast<uint64_t>(std::max<int64_t>(0, now - sent_at)) * 1000);
  {
    std::lock_guard lock(mu_);
    stats_.calls++;
    stats_.last_push_at_ms = clock_.nowMs();
  }
  if (!res) {
    sendFailed(batch, res.error(), now);
  } else {
    applyResults(batch, *res, now);
  }
}

void ChannelWorker::sendFailed(const std::vector<Candidate>& batch, const Error& e, int64_t now) {
  setError(e.toString());
  if (e.kind == common::ErrorKind::kReject && batch.size() > 1) {
    // The channel refused the whole request: find the item it objects to by sending each alone.
    std::lock_guard lock(mu_);
    for (const Candidate& c : batch) {
      auto it = pending_.find(c.r.sku);
      if (it != pending_.end()) it->second.solo = true;
    }
    return;
  }
  if (e.kind == common::ErrorKind::kReject) {
    deadLetter(batch[0].r.sku, batch[0].value, e.code, e.message, batch[0].r.attempts + 1);
    keys_.erase(batch[0].r.sku);
    finish(batch[0].r.sku, batch[0].r.gen);
    return;
  }
  // Retry (network, 5xx, throttled) or fatal (credentials): the whole batch waits. Fatal waits
  // the longest backoff, since only a person can fix it; it is shown in last_error.
  int64_t channel_wait = conn_->msUntilReady(Operation::kPush, batch.size());
  for (const Candidate& c : batch) {
    int64_t delay = e.kind == common::ErrorKind::kFatal ? options_.backoff_max_ms
                                                         : std::max(channel_wait, backoffMs(c.r.attempts + 1));
    retryLater(c.r.sku, now + delay, true);
  }
  std::lock_guard lock(mu_);
  stats_.retried += static_cast<int64_t>(batch.size());
}

void ChannelWorker::applyResults(const std::vector<Candidate>& batch, const PushResult& res, int64_t now) {
  int64_t pushed = 0, retried = 0, stale = 0;
  for (size_t i = 0; i < batch.size() && i < res.items.size(); ++i) {
    const Candidate& c = batch[i];
    const ItemResult& r = res.items[i];
    switch (r.outcome) {
      case ItemOutcome::kApplied:
        remember(c.r.sku, c.value, "applied");
        accepted_.erase(c.r.sku);
        keys_.erase(c.r.sku);
        recordAccepted(c.r, now);
        finish(c.r.sku, c.r.gen);
        pushed++;
        break;
      case ItemOutcome::kAccepted:
        remember(c.r.sku, c.value, "accepted");
        accepted_[c.r.sku] = {c.value, now, now + options_.accepted_readback_ms, options_.accepted_readback_ms};
        keys_.erase(c.r.sku);
        recordAccepted(c.r, now);
        finish(c.r.sku, c.r.gen);
        pushed++;
        break;
      case ItemOutcome::kStale: {
        stale++;
        if (r.channel_quantity) {
          remember(c.r.sku, *r.channel_quantity, "read");
        } else {
          known_.erase(c.r.sku);  // read again before the next compare-and-set
        }
        keys_.erase(c.r.sku);
        bool give_up = false;
        {
          std::lock_guard lock(mu_);
          auto it = pending_.find(c.r.sku);
          if (it != pending_.end()) give_up = ++it->second.stale > options_.max_stale;
        }
        if (give_up) {
          deadLetter(c.r.sku, c.value, "stale_loop",
                     "compare-and-set refused " + std::to_string(options_.max_stale) +
                         " times in a row; something else keeps changing this listing (" + r.code + ")",
                     c.r.attempts + 1);
          std::lock_guard lock(mu_);
          pending_.erase(c.r.sku);
        } else {
          mark(c.r.sku);
        }
        break;
      }
      case ItemOutcome::kNotListed:
        // The channel has no listing for it: not an error, and not sent again until a
        // reconciliation finds one.
        SW_INFO("push") << name_ << ": " << c.r.sku << " is not listed there (" << r.code
                        << "); not pushed until a reconcile finds it";
        markUnlisted(c.r.sku);
        finish(c.r.sku, c.r.gen);
        break;
      case ItemOutcome::kRejected:
        deadLetter(c.r.sku, c.value, r.code, r.message, c.r.attempts + 1);
        keys_.erase(c.r.sku);
        finish(c.r.sku, c.r.gen);
        break;
      case ItemOutcome::kRetry:
        retried++;
        retryLater(c.r.sku, now + (r.retry_after_ms > 0 ? r.retry_after_ms : backoffMs(c.r.attempts + 1)), true);
        break;
    }
  }
  // A connector that answered fewer items than sent: the rest go round again.
  for (size_t i = res.items.size(); i < batch.size(); ++i) retryLater(batch[i].r.sku, now, false);
  std::lock_guard lock(mu_);
  stats_.pushed += pushed;
  stats_.retried += retried;
  stats_.stale += stale;
  stats_.not_listed = unlisted_.size();
  stats_.awaiting_accept = accepted_.size();
}

// ---- accepted items and reconciliation -----------------------------------------------------------

bool ChannelWorker::checkAccepted() {
  int64_t now = clock_.monoMs();
  if (accepted_.empty() || now < next_collect_ms_) return false;
  next_collect_ms_ = now + 250;
  auto fin = conn_->collectAccepted();
  if (!fin) {
    setError("collectAccepted: " + fin.error().toString());
  } else {
    for (const ItemResult& r : *fin) {
      auto a = accepted_.find(r.sku);
      int64_t value = a != accepted_.end() ? a->second.value : r.channel_quantity.value_or(0);
      if (a != accepted_.end()) accepted_.erase(a);
      if (r.outcome == ItemOutcome::kApplied) continue;
      known_.erase(r.sku);
      if (r.outcome == ItemOutcome::kNotListed) {
        markUnlisted(r.sku);
      } else if (r.outcome == ItemOutcome::kRejected) {
        deadLetter(r.sku, value, r.code, r.message, 1);
      } else {
        mark(r.sku);
      }
    }
  }
  std::vector<std::string> due;
  for (const auto& [sku, a] : accepted_) {
    if (a.check_at_ms <= now) due.push_back(sku);
    if (due.size() >= 20) break;
  }
  if (due.empty() || conn_->msUntilReady(Operation::kRead, due.size()) > 0) return true;
  auto levels = conn_->readQuantities(due);
  if (!levels) {
    setError("read back: " + levels.error().toString());
    return true;
  }
  for (const ChannelLevel& l : *levels) {
    auto a = accepted_.find(l.sku);
    if (a == accepted_.end()) continue;
    if (l.found && l.quantity && *l.quantity == a->second.value) {
      accepted_.erase(a);
      continue;
    }
    if (now - a->second.sent_at_ms >= options_.accepted_timeout_ms) {
      // Accepted but never applied: what the channel shows is what it holds; send again.
      if (l.quantity) {
        remember(l.sku, *l.quantity, "read");
      } else {
        known_.erase(l.sku);
      }
      accepted_.erase(a);
      mark(l.sku);
      continue;
    }
    a->second.delay_ms = std::min<int64_t>(a->second.delay_ms * 2, 30'000);
    a->second.check_at_ms = now + a->second.delay_ms;
  }
  return true;
}

int64_t ChannelWorker::reconcileStep(ReconcileJob& job) {
  if (!job.loaded) {
    std::set<std::string> all;
    auto skus = skus_();
    if (skus) {
      all.insert(skus->begin(), skus->end());
    } else {
      std::lock_guard lock(mu_);
      job.report.last_error = skus.error().toString();
    }
    for (const auto& [sku, q] : known_) all.insert(sku);
    job.skus.assign(all.begin(), all.end());
    job.loaded = true;
    std::lock_guard lock(mu_);
    job.report.skus = static_cast<int64_t>(job.skus.size());
  }
  if (job.pos >= job.skus.size()) {
    std::lock_guard lock(mu_);
    job.report.done = true;
    job.report.finished_at_ms = clock_.nowMs();
    next_reconcile_ms_ = clock_.monoMs() + options_.reconcile_interval_s * 1000;
    done_cv_.notify_all();
    return 0;
  }
  size_t n = std::min(options_.reconcile_chunk, job.skus.size() - job.pos);
  std::vector<std::string> chunk(job.skus.begin() + static_cast<std::ptrdiff_t>(job.pos),
                                 job.skus.begin() + static_cast<std::ptrdiff_t>(job.pos + n));
  int64_t wait = conn_->msUntilReady(Operation::kRead, chunk.size());
  if (wait > 0) return wait;
  auto levels = conn_->readQuantities(chunk);
  if (!levels || levels->empty()) {
    std::string err = levels ? "read returned nothing" : levels.error().toString();
    job.errors_in_row++;
    std::lock_guard lock(mu_);
    job.report.last_error = err;
    if (job.errors_in_row < 3 && (!levels ? levels.error().kind == common::ErrorKind::kRetry : true)) {
      return backoffMs(job.errors_in_row);
    }
    // Give up on this chunk; the next reconciliation tries again.
    job.report.read_errors += static_cast<int64_t>(chunk.size());
    job.pos += chunk.size();
    job.errors_in_row = 0;
    return 0;
  }
  job.errors_in_row = 0;
  std::set<std::string> seen;
  for (const ChannelLevel& l : *levels) {
    seen.insert(l.sku);
    ReconcileReport delta;
    delta.checked = 1;
    if (!l.found) {
      delta.not_listed = 1;
      markUnlisted(l.sku);
    } else {
      markListed(l);
      auto ats = ats_(name_, l.sku);
      if (!ats) {
        delta.read_errors = 1;
      } else if (l.quantity && *l.quantity == std::max<int64_t>(0, *ats)) {
        delta.in_step = 1;
      } else {
        delta.drifted = 1;
        if (!l.quantity) known_.erase(l.sku);
        mark(l.sku);
      }
    }
    std::lock_guard lock(mu_);
    job.report.checked += delta.checked;
    job.report.not_listed += delta.not_listed;
    job.report.in_step += delta.in_step;
    job.report.drifted += delta.drifted;
    job.report.read_errors += delta.read_errors;
  }
  // A connector may stop part way (rate limit): move on by what it read, in order.
  size_t advanced = 0;
  while (advanced < chunk.size() && seen.count(chunk[advanced])) advanced++;
  job.pos += std::max<size_t>(advanced, 1);
  return 0;
}

}  // namespace sw::coordinator::channels
