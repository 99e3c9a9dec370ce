#include "sw/coordinator/channels/channel_service.h"

#include <set>

#include <nlohmann/json.hpp>

#include "sw/common/log.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using nlohmann::json;

namespace {

Error bad(const std::string& what) { return Error::fatal("bad_config", "channels config: " + what); }

Result<channels::PushOptions> pushOptions(const json& config) {
  channels::PushOptions o;
  auto it = config.find("push");
  if (it == config.end()) return o;
  if (!it->is_object()) return bad("push must be an object");
  for (const auto& [k, v] : it->items()) {
    if (k == "reconcile_at_start") {
      if (!v.is_boolean()) return bad("push.reconcile_at_start must be true or false");
      o.reconcile_at_start = v.get<bool>();
      continue;
    }
    int64_t* target = k == "reconcile_interval_s"   ? &o.reconcile_interval_s
                      : k == "backoff_initial_ms"   ? &o.backoff_initial_ms
                      : k == "backoff_max_ms"       ? &o.backoff_max_ms
                      : k == "accepted_readback_ms" ? &o.accepted_readback_ms
                      : k == "accepted_timeout_ms"  ? &o.accepted_timeout_ms
                      : k == "max_stale"            ? &o.max_stale
                      : k == "refresh_interval_s"   ? &o.refresh_interval_s
                                                    : nullptr;
    if (!target) return bad("unknown key '" + k + "' in push");
    if (!v.is_number_integer() || v.get<int64_t>() < 0) return bad("push." + k + " must be a whole number >= 0");
    *target = v.get<int64_t>();
  }
  if (o.backoff_initial_ms <= 0 || o.backoff_max_ms < o.backoff_initial_ms) {
    return bad("push.backoff_initial_ms must be > 0 and <= backoff_max_ms");
  }
  return o;
}

}  // namespace

Result<std::unique_ptr<ChannelService>> ChannelService::open(const channels::ChannelRegistry& registry,
                                                            const std::string& ledger_path, Ledger& ledger,
                                                            ReservationView& reservations,
                                                            const common::Clock& clock) {
  const json& config = registry.config();
  auto rules = parseAvailabilityConfig(config);
  if (!rules) return rules.error();
  if (!registry.fromFile()) {
    for (const char* ch : {"shopify", "amazon", "ebay", "woocommerce", "walmart"}) rules->channels[ch].channel = ch;
  }
  auto push_options = pushOptions(config);
  if (!push_options) return push_options.error();

  std::unique_ptr<ChannelService> s(new ChannelService());
  if (auto chans = config.find("channels"); chans != config.end() && chans->is_object()) {
    for (const auto& [name, c] : chans->items()) {
      channels::PriceRules r;
      if (auto pr = c.is_object() ? c.find("prices") : c.end(); c.is_object() && pr != c.end()) {
        auto parsed = channels::parsePriceRules(*pr);
        if (!parsed) return bad(name + "." + parsed.error().message);
        r = *parsed;
      }
      if (r.price_location.empty()) r.price_location = name;
      s->price_rules_[name] = r;
    }
  }
  auto sales = ledger.openSalesHistory();
  if (!sales) return sales.error();
  s->sales_ = std::move(*sales);
  s->availability_ = std::make_unique<Availability>(ledger, *s->sales_, reservations, *rules, clock);

  std::vector<std::string> names = registry.enabled();
  if (names.empty()) return s;

  auto dead = channels::DeadLetterStore::open(ledger_path + ".channels");
  if (!dead) return dead.error();
  s->dead_ = std::move(*dead);
  Availability* a = s->availability_.get();
  SalesHistory* h = s->sales_.get();
  s->push_ = std::make_unique<channels::PushScheduler>(
      [a](const std::string& ch, const std::string& sku) { return a->availableToSell(ch, sku); },
      [h] { return h->skus(); }, *s->dead_, clock, *push_options);
  for (const auto& name : names) {
    SW_INFO("channels") << "pushing available-to-sell to " << name;
    s->push_->addChannel(name, registry.connector(name));
  }
  return s;
}

ChannelService::~ChannelService() { stop(); }

void ChannelService::setPriceSource(PriceSource source) {
  if (!push_) return;
  std::map<std::string, channels::PriceRules> rules = price_rules_;
  push_->setPrices([rules, source = std::move(source)](const std::string& ch, const std::string& sku,
                                                       int64_t now_ms) -> Result<channels::PriceQuote> {
    auto it = rules.find(ch);
    channels::PriceRules r;
    if (it != rules.end()) {
      r = it->second;
    } else {
      r.price_location = ch;
    }
    channels::PriceQuote q;
    if (!r.enabled) return q;
    auto entries = source(sku, r.price_location);
    if (!entries) return entries.error();
    q.price = channels::channelPrice(sku, *entries, now_ms, r);
    q.next_change_ms = channels::nextPriceChangeMs(*entries, now_ms);
    return q;
  });
}

void ChannelService::pricesChanged() {
  if (push_) push_->pricesChanged();
}

void ChannelService::start() {
  if (push_) push_->start();
}

void ChannelService::stop() {
  if (push_) push_->stop();
}

void ChannelService::stockChanged(const CommitInfo& info) {
  if (!push_) return;
  std::set<std::string> skus;
  for (const auto& [loc, sku] : info.changed) skus.insert(sku);
  push_->stockChanged({skus.begin(), skus.end()});
}

void ChannelService::skuChanged(const std::string& sku) {
  if (push_) push_->skuChanged(sku);
}

}  // namespace sw::coordinator
