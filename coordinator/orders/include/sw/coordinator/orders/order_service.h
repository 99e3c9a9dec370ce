#pragma once
// Order intake, routing and fulfilment: online orders come in (webhooks and polling), stock is
// reserved under the strict policy, each line is routed to a store or warehouse, a pick task
// goes down to that location's handhelds (downlink kind "tasks", see pick_tasks.h), the
// handheld's pick comes back as ledger events that name the task, and the fulfilment with a
// tracking number is reported to the channel.
//
// Strict policy: an order is accepted only if, for each of its SKUs, available-to-sell on its
// channel (Availability::availableToSell, which already subtracts every open reservation)
// covers the units it asks for at that moment. Check and reserve happen under one mutex, so
// two orders can never both take the last unit. Otherwise nothing is reserved and the order
// is kept as rejected_no_stock. Lines without a SKU (gift cards, custom items) hold no stock
// and are listed with a warning.
//
// A pick confirmed on a handheld is recorded by the agent as a `sale` event (the picked units)
// with ref = task id, and a `count` of 0 for each SKU it was short of (the picker took all
// there was), same ref. When the ledger has applied the first event naming an open task, the
// task is done: picked units become shipped, short units go back to unrouted and are routed
// again (never to a location that was already short for that line).
//
// A location whose every device has been offline longer than reroute_offline_after_ms has its open
// tasks withdrawn and their orders re-routed by the same router elsewhere (whole tasks only; a task
// nobody else can take stays, explained in the order's routing). A pick of a withdrawn (or
// cancelled) task that reaches the ledger later is put back on that location's shelf as a restock,
// once, with a late_pick anomaly: the order ships only from where it went (coordinator/README.md
// "A location goes offline").
//
// Refunds issued by Stockwire (refund()) go through the channel's connector (refundOrder; Walmart).
// Rejected orders are cancelled at the channel (ChannelConnector::cancelOrder) where its API can;
// where it cannot (Amazon, eBay) they are marked "manual" for a person (GET /v1/orders/attention).
// A refund line that names its refund is applied once per (refund id, line): held units are
// released, and shipped units the channel says were restocked go back into the ledger as a
// `return` event at the receiving location (virtual device "coordinator-orders", see order_book.h).
//
// Threads: webhook() and intake() are called from HTTP threads; one worker thread owned here
// polls channels, scans the ledger for confirmations, routes what waits and reports fulfilments.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
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
#include "sw/coordinator/channels/availability.h"
#include "sw/coordinator/channels/channel_registry.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/channels/webhook.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/coordinator/orders/order_book.h"
#include "sw/coordinator/orders/revenue.h"
#include "sw/coordinator/orders/routing.h"

namespace sw::coordinator {

struct OrdersConfig {
  int64_t poll_interval_ms = 60'000;  // per channel; the connector's rate limit may make it longer
  int64_t tick_ms = 500;              // how often the worker looks at the ledger and the queue anyway
  int64_t fulfilment_retry_max_ms = 60'000;
  // Customer-data retention: orders that are over and unchanged for this long lose their buyer's
  // personal data (name, contact, address in the customer book; the shipping place and routing
  // point in the order book: OrderBook::eraseShipTo), and customers left with none are
  // tombstoned. The shorter of the two applies (ship_to_retention_ms is the older option, which
  // named only the shipping place); 0 for both: kept as long as the order.
  int64_t customer_retention_ms = 730LL * 86'400'000;
  int64_t ship_to_retention_ms = 0;
  int64_t personalDataRetentionMs() const;
  // A location goes offline for routing when every device there (each agent at a location gets its
  // pick tasks) has been offline this long (its presence, as the fleet view shows it: not online,
  // last seen this long ago). Then its open pick tasks are withdrawn and their orders re-routed
  // (rerouteOffline), and nothing new is routed there until a device is back. 0: never.
  int64_t reroute_offline_after_ms = 30 * 60'000;
};

// The locations whose every device has been offline at least after_ms at now_ms: devices with a
// location, not the coordinator's own (internal), that have sent a state message (presence known);
// a location with any device online, seen more recently, or whose presence is unknown is not
// offline. after_ms <= 0: none.
std::set<std::string> offlineLocations(const std::vector<DeviceRow>& devices, int64_t now_ms, int64_t after_ms);

struct IntakeResult {
  std::string status;  // the order's state after this delivery (see order_book.h)
  bool is_new = false;
  std::string reason;
};

struct OrdersStats {
  std::atomic<uint64_t> webhooks{0};
  std::atomic<uint64_t> webhook_duplicates{0};
  std::atomic<uint64_t> webhook_bad_signatures{0};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected_no_stock{0};
  std::atomic<uint64_t> cancelled{0};
  std::atomic<uint64_t> polls{0};
  std::atomic<uint64_t> poll_errors{0};
  std::atomic<uint64_t> tasks_completed{0};
  std::atomic<uint64_t> fulfilments_reported{0};
  std::atomic<uint64_t> fulfilment_errors{0};
  std::atomic<uint64_t> fulfilments_failed{0};  // refused for good (shown by GET /v1/orders/attention)
  std::atomic<uint64_t> channel_cancels{0};     // rejected orders the channel cancelled
  std::atomic<uint64_t> manual_cancels{0};      // rejected orders a person must cancel (no API)
  std::atomic<uint64_t> refunds_applied{0};
  std::atomic<uint64_t> refunds_duplicate{0};
  std::atomic<uint64_t> units_restocked{0};
  std::atomic<uint64_t> tasks_withdrawn{0};     // from offline locations, their orders re-routed
  std::atomic<uint64_t> late_pick_units{0};     // picked for a task no longer open: put back on the shelf
};

class OrderService {
 public:
  // availability may be null: then available-to-sell is on-hand over every location minus every
  // reservation (no safety stock, no exposure buffer).
  OrderService(OrderBook& book, Ledger& ledger, Availability* availability, RoutingConfig routing,
               const common::Clock& clock, OrdersConfig config = {});
  ~OrderService();
  OrderService(const OrderService&) = delete;
  OrderService& operator=(const OrderService&) = delete;

  // Before start(). Where the worker records revenue (revenue.h, revenue_sources.h): till sales,
  // returns and voids from the applied events, order picks as they complete, channel refunds of
  // shipped units as they are applied. Null (the default): none is recorded.
  void setRevenue(RevenueBook* revenue) { revenue_ = revenue; }
  // Before start(). The connector is used only by this service's worker (polling, fulfilments).
  void addConnector(std::unique_ptr<channels::ChannelConnector> connector);
  void setWebhookSecret(channels::ChannelKind channel, std::string secret);
  // The channel's own ids of stores/locations -> Stockwire locations (pickup stores, where refunded
  // units were restocked): channels.<name>.channel_locations of the channels config.
  void setChannelLocations(channels::ChannelKind channel, std::map<std::string, std::string> locations);
  // Available-to-sell for one channel's orders in place of Availability (before start()): the
  // wholesale channel's is per trading partner, which the order names. Asked under the same lock
  // as the reservation, so the strict policy holds as for the other channels.
  using AvailabilitySource =
      std::function<common::Result<int64_t>(const channels::NormalizedOrder& order, const std::string& sku)>;
  void setAvailabilitySource(channels::ChannelKind channel, AvailabilitySource source);
  // The ledger took restocked units from this service (not from ingest): stock views and channel
  // pushes follow from here, as for ingest's commits.
  void setLedgerCommitHook(std::function<void(const CommitInfo&)> hook) { ledger_hook_ = std::move(hook); }
  // Held units of a SKU changed (the push scheduler re-sends its available-to-sell).
  void setSkuChangedHook(std::function<void(const std::string& sku)> hook) { sku_changed_ = std::move(hook); }
  // The shipping weight of one unit of a SKU in kg (the catalog's weight_kg), which routing prices
  // parcels by; nullopt: the locations config's weights_kg, else its default_weight_kg.
  void setWeightSource(std::function<std::optional<double>(const std::string& sku)> source) {
    weight_of_ = std::move(source);
  }
  // Pick tasks changed at these locations (the downlink republishes their notices).
  void setTasksChangedHook(std::function<void(const std::vector<std::string>&)> hook) { tasks_changed_ = std::move(hook); }

  void start();
  void stop();

  // The ledger committed something: look for task confirmations soon (cheap; any thread).
  void ledgerChanged();
  // Runs one round of the worker's work now (tests; also used by the worker).
  void workOnce();

  struct WebhookAnswer {
    int http_status = 200;
    nlohmann::json body;
  };
  WebhookAnswer webhook(const std::string& channel, const channels::HeaderList& headers, const std::string& body);

  common::Result<IntakeResult> intake(const channels::NormalizedOrder& order);

  // A refund Stockwire issues at the channel (POST /v1/orders/{channel}/{id}/refund): checked
  // against the book (a known order and lines, no more units than each line has left unrefunded),
  // sent with the channel's refund call (ChannelConnector::refundOrder), and the order as the channel
  // answers it taken in like any delivery, so the refund is in the book at once, once, under the
  // channel's own refund id (the next poll brings it again and changes nothing). Runs between the
  // worker's rounds (work_mu_): the connector is used by one thread at a time, and two refunds of
  // one order are checked one after the other. A refusal (the book's, or the channel's kReject) has
  // changed nothing; a retry error means the channel was not asked or did not answer.
  struct RefundOutcome {
    std::vector<AppliedRefund> refunds;  // the book's refund lines this refund added
    IntakeResult intake;                 // what taking the channel's answer in did
    std::string book_error;              // the refund was made, but the book could not take it in now
  };
  common::Result<RefundOutcome> refund(const std::string& channel, const channels::RefundRequest& request);

  OrderBook& book() { return book_; }
  const OrdersStats& stats() const { return stats_; }
  // The counters above and the orders in each state, for /metrics.
  void writeMetrics(common::PrometheusText& out);

 private:
  common::Result<IntakeResult> intakeLocked(const channels::NormalizedOrder& order);  // intake_mu_ held
  common::Result<IntakeResult> intakeNew(const channels::NormalizedOrder& order);
  common::Result<IntakeResult> intakeUpdate(const channels::NormalizedOrder& order, const BookOrder& existing);
  common::Result<int64_t> availableToSell(const std::string& channel, const std::string& sku);
  common::Result<FreeStock> freeStock(const std::vector<std::string>& skus);
  // Where the order goes (its postal code, region or country: postal_points.h) and each location's
  // parcels today, for planRoute; the lines are the caller's.
  RouteRequest routeRequest(const std::string& country, const nlohmann::json& normalized,
                            const std::string& pickup_location);
  // A route line with the catalog's weight of the SKU when there is one.
  RouteLine routeLine(const std::string& line_id, const std::string& sku, int64_t quantity) const;
  void notify(const BookChange& change);
  void run();
  void pollChannels();
  void scanConfirmations();
  // Till sales, returns and voids applied since each device's revenue cursor into revenue_.
  void recordTillRevenue();
  // The order's applied refund lines, the units that had shipped, at the lines' prices: once each.
  common::Status recordRefundRevenue(const channels::NormalizedOrder& delivery, const std::string& channel,
                                     const std::string& order_id);
  // A pick event naming a task that is no longer open (withdrawn or cancelled): its units back.
  common::Status latePick(const LedgerEvent& e, const std::string& device);
  // Refreshes offline_, then withdraws the open tasks at offline locations and re-routes their
  // orders (see OrdersConfig): a task moves whole when other locations can take all of it, else
  // it stays and its order's routing says why.
  void rerouteOffline();
  // The routing config and free stock without these locations (nothing is routed there).
  void exclude(const std::set<std::string>& locations, RoutingConfig& config, FreeStock& free) const;
  void routeWaiting();
  void reportFulfilments();
  void cancelRejected();
  void applyRestocks();
  void eraseOldShipTo();
  std::string mapLocation(const std::string& channel, const std::string& channel_ref) const;

  OrderBook& book_;
  Ledger& ledger_;
  RevenueBook* revenue_ = nullptr;
  Availability* availability_;
  RoutingConfig routing_;
  const common::Clock& clock_;
  OrdersConfig config_;
  std::map<std::string, std::unique_ptr<channels::ChannelConnector>> connectors_;  // by channel name
  std::map<std::string, std::string> secrets_;
  std::map<std::string, std::map<std::string, std::string>> channel_locations_;  // by channel name
  std::map<std::string, AvailabilitySource> availability_sources_;               // by channel name
  std::function<void(const CommitInfo&)> ledger_hook_;
  std::function<void(const std::string&)> sku_changed_;
  std::function<void(const std::vector<std::string>&)> tasks_changed_;
  std::function<std::optional<double>(const std::string&)> weight_of_;
  OrdersStats stats_;
  int64_t next_erase_mono_ms_ = 0;

  std::mutex intake_mu_;  // check-and-reserve, and every other change to an order, one at a time
  std::set<std::string> offline_;  // offline locations as the worker last saw them (intake_mu_)
  std::mutex work_mu_;    // one workOnce() at a time
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = true;
  bool kicked_ = false;
  std::thread thread_;
  std::map<std::string, int64_t> next_poll_ms_;          // worker only
  std::map<int64_t, int64_t> next_fulfilment_try_ms_;   // worker only
  std::map<std::string, int64_t> next_cancel_try_ms_;   // worker only, by channel/order id
  std::map<std::string, int64_t> next_withdraw_try_ms_;  // worker only, by task id: no other place could fill it
};

}  // namespace sw::coordinator

namespace sw::coordinator {

// What `serve` builds: routing from the locations config (routing.h; "" = none: every location
// ships at cost 0), and for each enabled channel of the registry (channel_registry.h) a handle on
// its one connector, the same the push scheduler uses (one rate limit per channel), its webhook
// secret and its channel_locations map.
common::Result<std::unique_ptr<OrderService>> makeOrderService(OrderBook& book, Ledger& ledger,
                                                               Availability* availability,
                                                               const channels::ChannelRegistry& registry,
                                                               const std::string& locations_config_path,
                                                               const common::Clock& clock, OrdersConfig config);

}  // namespace sw::coordinator
