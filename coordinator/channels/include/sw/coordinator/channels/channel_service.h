#pragma once
// What `serve --channels-config PATH` starts: available-to-sell rules and the push scheduler that
// keeps each enabled channel's listings at the computed figure, through the channel's one
// connector in the ChannelRegistry (channel_registry.h).
//
// The config file (kept outside the repository; secrets in it or in the environment):
//   {"defaults": {...}, "exposure": {...},                 rules: see availability.h
//    "push": {"reconcile_interval_s": 86400, "reconcile_at_start": true, "backoff_initial_ms": 250,
//             "backoff_max_ms": 30000, "accepted_readback_ms": 1000, "refresh_interval_s": 30},
//    "channels": {"shopify": {"enabled": true, "connector": {...connector_factory.h...}, rules...},
//                 "amazon": {...}, "ebay": {...}, "woocommerce": {...}}}
// A channel's "prices" object (price_rules.h) gives its price rules; its prices are pushed once
// setPriceSource() says where catalog prices come from.
// A channel is pushed to when it has a "connector" and "enabled" is not false. Rules apply to
// every channel named in the file. Without a file, /v1/available covers all five channels with
// the default rules (every location, nothing held back) and nothing is pushed.
// Dead letters go to "<ledger path>.channels" (its own SQLite file).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sw/common/pricing.h"
#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/channels/availability.h"
#include "sw/coordinator/channels/channel_registry.h"
#include "sw/coordinator/channels/price_rules.h"
#include "sw/coordinator/channels/push_scheduler.h"
#include "sw/coordinator/ledger/ledger.h"

namespace sw::coordinator {

class ChannelService {
 public:
  // The registry holds the file and the connectors (one per channel, shared with order intake).
  // Errors are fatal config errors, with the reason.
  static common::Result<std::unique_ptr<ChannelService>> open(const channels::ChannelRegistry& registry,
                                                              const std::string& ledger_path, Ledger& ledger,
                                                              ReservationView& reservations,
                                                              const common::Clock& clock);
  ~ChannelService();

  Availability& availability() { return *availability_; }
  channels::PushScheduler* push() { return push_.get(); }  // null when no channel is enabled

  // Where catalog prices come from: the entries a location sees for a SKU (SqliteCatalog::priceEntries).
  // Before start(). Without it, no prices are pushed.
  using PriceSource =
      std::function<common::Result<std::vector<common::PriceEntry>>(const std::string& sku, const std::string& location)>;
  void setPriceSource(PriceSource source);
  // Catalog prices or price-list mappings changed. Non-blocking.
  void pricesChanged();

  void start();
  void stop();
  // The ledger committed: these (location, SKU) figures changed. Non-blocking.
  void stockChanged(const CommitInfo& info);
  // Reservations of a SKU changed (orders). Non-blocking.
  void skuChanged(const std::string& sku);

 private:
  ChannelService() = default;
  std::unique_ptr<SalesHistory> sales_;
  std::unique_ptr<Availability> availability_;
  std::unique_ptr<channels::DeadLetterStore> dead_;
  std::unique_ptr<channels::PushScheduler> push_;
  std::map<std::string, channels::PriceRules> price_rules_;  // per channel, from its "prices"
};

}  // namespace sw::coordinator
