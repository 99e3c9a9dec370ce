// The price part of a channel's push worker (channel_worker.h): same thread, same connector,
// same pacing and dead letters as quantities; what differs is the figure (a ChannelPrice from
// the PriceFunction) and that promotions add timers (a price changes with time alone).

#include <algorithm>

#include "channel_worker.h"
#include "sw/common/log.h"

namespace sw::coordinator::channels {

using common::Error;

namespace {

int64_t cents(const ChannelPrice& p) { return p.current().scaled() / (common::Decimal::kScale / 100); }

}  // namespace

void ChannelWorker::markPriceLocked(const std::string& sku, int64_t not_before_ms) {
  PricePending& p = price_pending_[sku];
  p.gen = next_gen_++;
  p.not_before_ms = std::max(p.not_before_ms, not_before_ms);
  poked_ = true;
}

void ChannelWorker::pricesChanged() {
  if (!prices_) return;
  {
    // The SKU list is read on the worker thread (it may be long); a flag is enough here.
    std::lock_guard lock(mu_);
    reprice_all_ = true;
    poked_ = true;
  }
  cv_.notify_one();
}

void ChannelWorker::priceTimersDue(int64_t wall) {
  std::vector<std::string> due;
  for (auto it = price_timers_.begin(); it != price_timers_.end();) {
    if (it->second <= wall) {
      due.push_back(it->first);
      it = price_timers_.erase(it);
    } else {
      ++it;
    }
  }
  if (due.empty()) return;
  std::lock_guard lock(mu_);
  for (const std::string& sku : due) markPriceLocked(sku, 0);
}

int64_t ChannelWorker::priceRound(int64_t now) {
  bool resend_all = false;
  bool reprice_all = false;
  {
    std::lock_guard lock(mu_);
    if (prices_unsupported_) {
      price_pending_.clear();
      return 0;
    }
    std::swap(resend_all, price_resend_all_);
    std::swap(reprice_all, reprice_all_);
    stats_.prices = "on";
  }
  if (resend_all || reprice_all) {
    if (resend_all) price_known_.clear();
    auto all = skus_();
    if (!all) {
      setError("prices: cannot list SKUs: " + all.error().toString());
      std::lock_guard lock(mu_);
      price_resend_all_ = resend_all;
      reprice_all_ = reprice_all;
      return options_.backoff_max_ms;
    }
    std::lock_guard lock(mu_);
    for (const std::string& sku : *all) markPriceLocked(sku, 0);
    for (const auto& [sku, known] : price_known_) markPriceLocked(sku, 0);
  }
  int64_t wall = clock_.nowMs();
  priceTimersDue(wall);

  std::vector<std::pair<std::string, PricePending>> due;
  const size_t max_batch = std::max<size_t>(1, conn_->maxBatch());
  {
    std::lock_guard lock(mu_);
    for (const auto& [sku, p] : price_pending_) {
      if (p.not_before_ms <= now && due.size() < max_batch) due.emplace_back(sku, p);
    }
    stats_.price_timers = price_timers_.size();
  }
  std::vector<PriceUpdate> batch;
  std::vector<PricePending> taken;
  auto done = [&](const std::string& sku, uint64_t gen) {
    std::lock_guard lock(mu_);
    auto it = price_pending_.find(sku);
    if (it != price_pending_.end() && it->second.gen == gen) price_pending_.erase(it);
  };
  for (const auto& [sku, p] : due) {
    if (unlisted_.count(sku)) {  // the channel has no listing for it: nothing to price
      done(sku, p.gen);
      continue;
    }
    auto quote = prices_(name_, sku, wall);
    if (!quote) {
      setError("prices: " + sku + ": " + quote.error().toString());
      std::lock_guard lock(mu_);
      PricePending& pp = price_pending_[sku];
      pp.attempts++;
      pp.not_before_ms = now + backoffMs(pp.attempts);
      continue;
    }
    if (quote->next_change_ms) {
      price_timers_[sku] = *quote->next_change_ms;
    } else {
      price_timers_.erase(sku);
    }
    auto known = price_known_.find(sku);
    if (!quote->price || (known != price_known_.end() && known->second == *quote->price)) {
      if (quote->price) {
        std::lock_guard lock(mu_);
        stats_.skipped_unchanged++;
      }
      done(sku, p.gen);
      continue;
    }
    batch.push_back({*quote->price});
    taken.push_back(p);
  }
  {
    std::lock_guard lock(mu_);
    stats_.price_timers = price_timers_.size();
  }
  if (batch.empty()) return 0;
  if (int64_t wait = conn_->msUntilReady(Operation::kPush, batch.size()); wait > 0) return wait;
  auto res = conn_->pushPrices(batch);
  {
    std::lock_guard lock(mu_);
    stats_.price_calls++;
  }
  if (!res) {
    const Error& e = res.error();
    if (e.code == "not_supported") {
      SW_INFO("push") << name_ << ": " << e.message << "; prices are not pushed to this channel";
      std::lock_guard lock(mu_);
      prices_unsupported_ = true;
      stats_.prices = "not_supported";
      price_pending_.clear();
      return 0;
    }
    setError("prices: " + e.toString());
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::string& sku = batch[i].price.sku;
      if (e.kind == common::ErrorKind::kReject) {
        deadLetter(sku, cents(batch[i].price), "price:" + e.code, e.message, taken[i].attempts + 1);
        done(sku, taken[i].gen);
        continue;
      }
      std::lock_guard lock(mu_);
      PricePending& pp = price_pending_[sku];
      pp.attempts = taken[i].attempts + 1;
      pp.not_before_ms = now + backoffMs(pp.attempts);
      stats_.retried++;
    }
    return 0;
  }
  applyPriceResults(batch, taken, *res, now);
  return 0;
}

void ChannelWorker::applyPriceResults(const std::vector<PriceUpdate>& batch, const std::vector<PricePending>& taken,
                                      const PushResult& res, int64_t now) {
  for (size_t i = 0; i < batch.size(); ++i) {
    const ChannelPrice& price = batch[i].price;
    ItemResult r;
    r.sku = price.sku;
    r.outcome = ItemOutcome::kRetry;
    r.code = "no_result";
    if (i < res.items.size()) r = res.items[i];
    auto finishPrice = [&] {
      std::lock_guard lock(mu_);
      auto it = price_pending_.find(price.sku);
      if (it != price_pending_.end() && it->second.gen == taken[i].gen) price_pending_.erase(it);
    };
    // A newer price for the SKU was sent: what an older feed says of it no longer matters.
    price_accepted_.erase(price.sku);
    switch (r.outcome) {
      case ItemOutcome::kApplied:
      case ItemOutcome::kAccepted: {
        price_known_[price.sku] = price;
        if (r.outcome == ItemOutcome::kAccepted && r.reported_later) {
          price_accepted_[price.sku] = {price, r.submission_id, taken[i].attempts + 1};
        }
        finishPrice();
        std::lock_guard lock(mu_);
        stats_.prices_pushed++;
        stats_.last_push_at_ms = clock_.nowMs();
        stats_.prices_awaiting = price_accepted_.size();
        break;
      }
      case ItemOutcome::kNotListed:
        markUnlisted(price.sku);
        finishPrice();
        break;
      case ItemOutcome::kRejected:
        deadLetter(price.sku, cents(price), "price:" + r.code, r.message, taken[i].attempts + 1);
        finishPrice();
        break;
      case ItemOutcome::kStale:
      case ItemOutcome::kRetry: {
        std::lock_guard lock(mu_);
        PricePending& pp = price_pending_[price.sku];
        pp.attempts = taken[i].attempts + 1;
        int64_t wait = r.retry_after_ms > 0 ? r.retry_after_ms : backoffMs(pp.attempts);
        pp.not_before_ms = std::max(pp.not_before_ms, now + wait);
        stats_.retried++;
        break;
      }
    }
  }
}

bool ChannelWorker::checkAcceptedPrices(int64_t now) {
  if (price_accepted_.empty() || now < next_price_collect_ms_) return false;
  next_price_collect_ms_ = now + 250;
  auto fin = conn_->collectAcceptedPrices();
  if (!fin) {
    setError("prices: collectAcceptedPrices: " + fin.error().toString());
    return true;
  }
  for (const ItemResult& r : *fin) {
    auto a = price_accepted_.find(r.sku);
    if (a == price_accepted_.end() || a->second.feed_id != r.submission_id) continue;  // superseded
    const PriceAccepted sent = a->second;
    price_accepted_.erase(a);
    if (r.outcome == ItemOutcome::kApplied) continue;
    // Not applied: the channel does not hold this price, so it is not what it was last told.
    auto known = price_known_.find(r.sku);
    if (known != price_known_.end() && known->second == sent.price) price_known_.erase(known);
    {
      std::lock_guard lock(mu_);
      stats_.prices_failed++;
    }
    if (r.outcome == ItemOutcome::kNotListed) {
      markUnlisted(r.sku);
    } else if (r.outcome == ItemOutcome::kRejected) {
      deadLetter(r.sku, cents(sent.price), "price:" + r.code, r.message, sent.attempts);
    } else {
      std::lock_guard lock(mu_);
      PricePending& pp = price_pending_[r.sku];
      pp.gen = next_gen_++;
      pp.attempts = sent.attempts;
      int64_t wait = r.retry_after_ms > 0 ? r.retry_after_ms : backoffMs(sent.attempts);
      pp.not_before_ms = std::max(pp.not_before_ms, now + wait);
      stats_.retried++;
      poked_ = true;
    }
  }
  return true;
}

}  // namespace sw::coordinator::channels
