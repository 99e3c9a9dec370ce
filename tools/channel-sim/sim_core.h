#pragma once
// What the channel simulators share: options, fault injection, a timer for work the
// channel does later (Amazon's asynchronous apply, feed processing), webhook delivery, the
// listing view and the control API (/_sim/...).

#include <httplib.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace sw::channelsim {

using nlohmann::json;

struct Faults {
  double error_rate = 0;       // share of API requests answered with a 5xx
  double hang_rate = 0;        // share of API requests that hang for hang_ms, then 504
  int64_t hang_ms = 30'000;
  int64_t slow_ms = 0;         // added to every API request
  int64_t throttle_until_ms = 0;  // a throttling storm until this monotonic time
  int64_t fail_next = 0;       // the next N API requests get a 5xx (deterministic, for tests)
  int64_t hang_next = 0;
  int64_t throttle_next = 0;
  bool webhooks = true;        // false: webhooks are not delivered (recorded as dropped)
};

struct SimOptions {
  std::string channel;
  std::string host = "127.0.0.1";
  int port = 0;
  uint64_t seed = 1;
  // Credentials the simulated channel accepts (from flags or the environment).
  std::string access_token;     // Shopify, Amazon, eBay
  std::string consumer_key;     // WooCommerce
  std::string consumer_secret;  // WooCommerce
  std::string webhook_secret;   // Shopify app secret / WooCommerce webhook secret
  std::string webhook_url;      // where orders are delivered (Shopify, WooCommerce)
  int webhook_retries = 8;      // Shopify retries failed deliveries; WooCommerce does not
  int64_t webhook_retry_ms = 1'000;
  // Shopify
  double bucket_size = 2'000;
  double restore_rate = 100;
  std::string shop_domain = "stockwire-sim.myshopify.com";
  // Amazon
  double rate_scale = 1.0;      // multiplies every published usage plan rate (and burst, at least 1)
  int64_t apply_delay_ms = 100; // ACCEPTED listings changes become visible after this
  int64_t feed_delay_ms = 500;  // feeds go IN_QUEUE -> IN_PROGRESS -> DONE over this
  bool gzip_reports = false;
  std::string seller_id = "A2SIMSELLER01";
  // eBay
  int64_t inventory_calls_per_day = 2'000'000;
  int64_t fulfillment_calls_per_day = 100'000;
  int revisions_per_day = 250;
  // Walmart
  std::string client_id;      // client credentials POST /v3/token accepts
  std::string client_secret;
  int64_t walmart_token_life_s = 900;
  int64_t walmart_api_calls = 1'000;       // each API's allotment per window, refilled gradually
  int64_t walmart_api_window_ms = 60'000;
  int64_t walmart_feed_max_bytes = 5 * 1024 * 1024;
  // WooCommerce
  int batch_limit = 100;
  int webhook_disable_after = 5;
  Faults faults;
};

// One listing as GET /_sim/listings shows it.
struct ListingView {
  std::string sku;
  int64_t quantity = 0;          // what a buyer on the channel sees
  std::string channel_id;        // the channel's id for it
  int64_t updated_at_ms = 0;     // wall clock of the last change by the API (0 = seeded only)
  int64_t update_count = 0;      // changes made through the API
  json extra = json::object();   // channel-specific detail
};

json listingJson(const ListingView& v);

struct WebhookDelivery {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  std::string topic;
  int max_attempts = 1;
  // Called after every attempt with the HTTP status (0 = no answer).
  std::function<void(int status)> on_attempt;
};

// Runs functions at a time, one after another, on one owned thread.
class TimerQueue {
 public:
  TimerQueue();
  ~TimerQueue();
  void schedule(int64_t delay_ms, std::function<void()> fn);
  void stop();

 private:
  struct Timed {
    int64_t due;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Timed& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t seq_ = 0;
  std::priority_queue<Timed, std::vector<Timed>, std::greater<Timed>> queue_;
  std::thread thread_;
};

class SimContext {
 public:
  explicit SimContext(SimOptions options);
  ~SimContext();
  SimContext(const SimContext&) = delete;
  SimContext& operator=(const SimContext&) = delete;

  const SimOptions& options() const { return options_; }
  void stop();

  int64_t nowMs() const;   // wall clock
  int64_t monoMs() const;  // monotonic
  // Sleeps, but returns early when the simulator stops.
  void sleepMs(int64_t ms);

  enum class FaultAction { kNone, kError, kHang, kThrottle };
  // Decides the fault for one API request (consumes the fail/hang/throttle_next counters).
  FaultAction nextFault();
  int64_t slowMs();
  int64_t hangMs();
  Faults faults();
  // Applies a JSON patch ({"error_rate":0.2,"throttle_for_ms":5000,...}); false + message if bad.
  bool setFaults(const json& patch, std::string* error);
  json faultsJson();

  double random01();
  std::string uuid();

  // Runs fn on the timer thread after delay_ms.
  void schedule(int64_t delay_ms, std::function<void()> fn);
  void deliver(WebhookDelivery delivery);
  json webhookLog();

  void count(const std::string& operation, int status);
  json stats();

 private:
  void attempt(std::shared_ptr<WebhookDelivery> d, int n);

  SimOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  Faults faults_;
  std::mt19937_64 rng_;
  TimerQueue work_;      // channel work done later
  TimerQueue webhooks_;  // deliveries (slow receivers must not hold up the work)
  json webhook_log_ = json::array();
  std::map<std::string, std::map<int, int64_t>> stats_;
};

// What the control API asks of every simulator, read one way (sim_core.cpp).
//
// Money in the simulators is whole cents in an int64_t: parseCents reads "12", "12.5" and
// "12.34" (no sign, at most 9 digits before the point), centsText writes "-12.50".
std::optional<int64_t> parseCents(const std::string& text);
std::string centsText(int64_t cents);

// A string field, or fallback when it is absent or not a string.
std::string textField(const json& body, const char* name, const std::string& fallback);

// One listing of POST /_sim/listings {"listings":[{"sku","quantity","title","price",...}]}.
struct SeedListing {
  std::string sku;
  int64_t quantity = 0;       // 0 when absent
  std::string title;          // "Product <sku>" when absent
  std::string price;          // "10.00" when absent; parseCents reads it
  const json* raw = nullptr;  // the listing as sent, for the channel's own fields
};
struct SeedRules {
  bool sku_may_be_empty = false;   // WooCommerce: a product without a SKU
  bool negative_quantity = false;  // Shopify, WooCommerce: stock may go below zero
};
bool readSeedListings(const json& body, SeedRules rules, std::vector<SeedListing>* out, std::string* error);

// POST /_sim/orders {"lines":[{"sku","quantity","price"}],"currency","country","ship_to",...}: every line an
// object with a whole quantity >= 1; the sku and price as given (the simulator checks them
// against its listings).
struct OrderLineRequest {
  std::string sku;                   // "" when absent
  int64_t quantity = 0;
  std::optional<std::string> price;  // nullopt: the listing's price
  const json* raw = nullptr;
};
// "ship_to": {"postal_code","city","region"} (each optional): where the order is shipped; each
// simulator fills what is not given from its own sample address.
struct ShipToRequest {
  std::string postal_code, city, region;
};
struct OrderRequest {
  std::string currency;  // "USD" when absent
  std::string country;   // "US" when absent
  ShipToRequest ship_to;
  std::vector<OrderLineRequest> lines;
};
bool readOrderRequest(const json& body, OrderRequest* out, std::string* error);

// A simulated channel: its API routes plus what the control API needs.
class ChannelSim {
 public:
  virtual ~ChannelSim() = default;
  virtual void install(httplib::Server& server) = 0;
  // Injected faults, answered the way this channel answers them.
  virtual void sendServerError(const httplib::Request& req, httplib::Response& res) = 0;
  virtual void sendThrottled(const httplib::Request& req, httplib::Response& res) = 0;
  // POST /_sim/listings {"listings":[{"sku":"A-1","quantity":5,...}]}, read by readSeedListings
  // with this channel's rules: returns what was created.
  virtual SeedRules seedRules() const = 0;
  virtual bool seed(const std::vector<SeedListing>& listings, json* out, std::string* error) = 0;
  virtual std::vector<ListingView> listings() = 0;
  // POST /_sim/orders, read by readOrderRequest; body for the channel's own fields.
  virtual bool createOrder(const OrderRequest& request, const json& body, json* out, std::string* error) = 0;
  virtual bool cancelOrder(const std::string& id, json* out, std::string* error) = 0;
  // POST /_sim/orders/<id>/refund: a refund made at the channel (where the simulator has one).
  virtual bool refundOrder(const std::string& id, const json& body, json* out, std::string* error) {
    (void)id, (void)body, (void)out;
    *error = "this simulator does not make refunds";
    return false;
  }
  // POST /_sim/payouts (payouts.h): a payout of what was charged and refunded since the last one,
  // answered with the payout and its lines as the channel's API shows them.
  virtual bool createPayout(const json& body, json* out, std::string* error) {
    (void)body, (void)out;
    *error = "this simulator does not make payouts";
    return false;
  }
  // GET /_sim/orders[/<id>]: each order's state as the channel holds it, with its fulfilments
  // (tracking number, lines) and whether it was cancelled. null: no such order.
  virtual json orderView(const std::string& id) = 0;
  virtual json ordersView() = 0;
};

// A simulator whose orders are found by `findOrder(id)` and listed from `orders_`, all under `mu_`,
// each shown by `viewOf(order)` (Sim declares this class a friend): GET /_sim/orders[/<id>] for it.
template <typename Sim>
class SimWithOrderViews : public ChannelSim {
 public:
  json orderView(const std::string& id) override {
    Sim& sim = static_cast<Sim&>(*this);
    std::lock_guard lock(sim.mu_);
    const auto* o = sim.findOrder(id);
    return o ? sim.viewOf(*o) : json(nullptr);
  }
  json ordersView() override {
    Sim& sim = static_cast<Sim&>(*this);
    std::lock_guard lock(sim.mu_);
    json list = json::array();
    for (const auto& o : sim.orders_) list.push_back(sim.viewOf(o));
    return list;
  }
};

std::unique_ptr<ChannelSim> makeShopifySim(SimContext& ctx);
std::unique_ptr<ChannelSim> makeAmazonSim(SimContext& ctx);
std::unique_ptr<ChannelSim> makeEbaySim(SimContext& ctx);
std::unique_ptr<ChannelSim> makeWooCommerceSim(SimContext& ctx);
std::unique_ptr<ChannelSim> makeWalmartSim(SimContext& ctx);

// The /_sim control API on a server.
void installControl(httplib::Server& server, SimContext& ctx, ChannelSim& sim);
// Slowness and injected faults for one channel API request: true when it has been answered.
bool injectFault(SimContext& ctx, ChannelSim& sim, const httplib::Request& req, httplib::Response& res);

// Helpers.
std::string hmacSha256Base64(const std::string& key, const std::string& message);  // OpenSSL adapter
std::string base64Encode(const std::string& in);
std::string base64Decode(const std::string& in);
std::string isoUtc(int64_t ms, bool millis = true);      // 2024-05-15T08:25:43.511Z
std::string isoOffset(int64_t ms, int offset_minutes);   // 2021-12-31T19:00:00-05:00
std::string isoNoZone(int64_t ms);                       // 2017-03-22T19:28:08 (WooCommerce *_gmt)
std::optional<int64_t> parseIso(const std::string& text);  // any of the above; no zone = UTC
void sendJson(httplib::Response& res, int status, const json& body);
// A whole non-negative number from JSON (integer, or string of digits when allow_string).
std::optional<int64_t> jsonInt(const json& v, bool allow_string = false);

}  // namespace sw::channelsim
