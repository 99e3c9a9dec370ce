// Online orders end to end: the four channel simulators, a real coordinator (order intake,
// reservations, routing, pick tasks down), real agents (tills selling, handhelds picking) over a
// real Mosquitto. Every wait is on a condition; nothing is timed.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "sim_fixture.h"

namespace sw {
namespace {

using nlohmann::json;
using test::ChannelSim;
using namespace std::chrono_literals;

const std::vector<std::string> kAll = {"shopify", "amazon", "ebay", "woocommerce"};

class OrdersTest : public ::testing::Test {
 protected:
  // Starts the simulators, writes the channels config (rules per channel) and the locations
  // config, and starts the coordinator polling every 100 ms.
  void start(const std::vector<std::string>& channels, const std::vector<std::string>& skus, json rules = json::object(),
             json locations = json::object()) {
    json cfg_channels = json::object();
    for (const auto& ch : channels) {
      std::vector<std::string> flags;
      if (ch == "amazon") flags = {"--apply-delay-ms", "20", "--rate-scale", "50"};
      std::string secret = "whsec-" + common::newUuid();
      if (ch == "shopify" || ch == "woocommerce") {
        receivers_[ch] = std::make_unique<test::WebhookReceiver>();
        flags.insert(flags.end(), {"--webhook-url", receivers_[ch]->url(), "--webhook-secret", secret});
      }
      auto sim = std::make_unique<ChannelSim>(ch, flags);
      json listings = json::array();
      // The channels think they have plenty: only the coordinator can stop an oversell.
      for (const auto& sku : skus) listings.push_back({{"sku", sku}, {"quantity", 1000}});
      json seeded = sim->seed(listings);
      json conn = {{"channel", ch}, {"base_url", sim->url()}};
      if (ch == "shopify" || ch == "woocommerce") conn["webhook_secret"] = secret;
      if (ch == "shopify") conn.update({{"access_token", sim->token()}, {"location_id", seeded["location_id"]}});
      if (ch == "amazon") conn.update({{"access_token", sim->token()}, {"seller_id", seeded["seller_id"]}});
      if (ch == "ebay") conn["access_token"] = sim->token();
      if (ch == "woocommerce") {
        conn.update({{"consumer_key", sim->consumerKey()}, {"consumer_secret", sim->consumerSecret()}});
      }
      json c = rules.value(ch, json::object());
      c["connector"] = conn;
      cfg_channels[ch] = c;
      secrets_[ch] = secret;
      sims_[ch] = std::move(sim);
    }
    {
      std::ofstream out(dir_.file("channels.json"));
      out << json{{"channels", cfg_channels}, {"push", {{"backoff_initial_ms", 50}}}}.dump(2);
      std::ofstream loc(dir_.file("locations.json"));
      loc << locations.dump(2);
    }
    coord_ = std::make_unique<test::CoordinatorProc>(
        dir_, broker_.url(), std::map<std::string, std::string>{},
        std::vector<std::string>{"--channels-config", dir_.file("channels.json"), "--locations-config",
                                 dir_.file("locations.json"), "--order-poll-ms", "100"});
    coord_->start();
  }

  test::AgentProc& agent(const std::string& id, const std::string& loc, const std::string& kind = "till") {
    auto a = std::make_unique<test::AgentProc>(dir_, id, loc, broker_.url(), kind);
    a->start();
    agents_.push_back(std::move(a));
    return *agents_.back();
  }
  void receive(test::AgentProc& a, const std::string& sku, int64_t qty) {
    ASSERT_EQ(a.movement({{"type", "receive"}, {"lines", {{{"sku", sku}, {"qty", qty}}}}}).status, 201);
  }
  json order(const std::string& ch, const std::string& id) {
    auto r = test::httpGet(coord_->port(), "/v1/orders/" + ch + "/" + id);
    return r.status == 200 ? r.body : json();
  }
  std::string orderStatus(const std::string& ch, const std::string& id) {
    json o = order(ch, id);
    return o.is_object() ? o.value("status", "") : "";
  }
  json tasksOn(test::AgentProc& a) { return test::httpGet(a.port(), "/v1/tasks").body.value("tasks", json::array()); }
  // Sends a delivery the simulator made to the coordinator's webhook endpoint, as the channel would.
  test::HttpReply forward(const std::string& ch, const test::WebhookReceiver::Delivery& d, const std::string& body) {
    std::map<std::string, std::string> headers;
    for (const auto& [k, v] : d.headers) {
      if (k.rfind("X-", 0) == 0 || k.rfind("x-", 0) == 0) headers[k] = v;
    }
    return test::httpPost(coord_->port(), "/v1/channels/" + ch + "/webhooks", body, headers);
  }
  std::string logs() { return coord_->logs(); }

  test::TempDir dir_;
  test::Broker broker_;
  std::map<std::string, std::unique_ptr<test::WebhookReceiver>> receivers_;
  std::map<std::string, std::unique_ptr<ChannelSim>> sims_;
  std::map<std::string, std::string> secrets_;
  std::unique_ptr<test::CoordinatorProc> coord_;
  std::vector<std::unique_ptr<test::AgentProc>> agents_;
};

}  // namespace

// Tills sell and online orders arrive on all four channels at once for the last 10 units.
// Strict policy: an order is accepted only if available-to-sell covers it at that moment, and
// the check and the reservation are one step. Till sales are not asked permission (selling
// never waits for the network), so a sale in flight is covered by the store's safety stock:
// store-1 keeps 4 units back from the channels and its tills sell 4. At the end, accepted
// order units + till sales must not exceed the 10 units that existed.
TEST_F(OrdersTest, NoOversellWhenTillsAndFourChannelsRaceForTheLastUnits) {
  json rules = json::object();
  for (const auto& ch : kAll) rules[ch] = {{"location_rules", {{"store-1", {{"safety_stock", 4}}}}}};
  start(kAll, {"LAST-1"}, rules);
  auto& till1 = agent("till-1", "store-1");
  auto& till2 = agent("till-2", "store-1");
  auto& hh = agent("hh-wh", "wh-1", "handheld");
  receive(till1, "LAST-1", 6);
  receive(hh, "LAST-1", 4);
  ASSERT_TRUE(test::waitFor([&] { return coord_->onHand("LAST-1", "store-1") == 6 && coord_->onHand("LAST-1", "wh-1") == 4; }, 30s));

  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> created;  // (channel, order id)
  std::atomic<int> till_sales{0};
  std::vector<std::thread> threads;
  for (auto* till : {&till1, &till2}) {
    threads.emplace_back([&, till] {
      for (int i = 0; i < 2; ++i) {
        if (till->sell("LAST-1", 1).status == 201) till_sales++;
      }
    });
  }
  for (const auto& ch : kAll) {
    threads.emplace_back([&, ch] {
      for (int i = 0; i < 4; ++i) {
        json o = sims_.at(ch)->order({{"lines", {{{"sku", "LAST-1"}, {"quantity", 1}, {"price", "10.00"}}}}, {"country", "US"}});
        std::lock_guard lock(mu);
        created.emplace_back(ch, o["order_id"].is_string() ? o["order_id"].get<std::string>() : o["order_id"].dump());
      }
    });
  }
  // Shopify and WooCommerce orders also come in by webhook, concurrently with polling.
  std::atomic<bool> done{false};
  std::thread webhooks([&] {
    std::map<std::string, size_t> sent;
    while (!done) {
      for (const std::string ch : {"shopify", "woocommerce"}) {
        auto all = receivers_.at(ch)->deliveries();
        for (size_t i = sent[ch]; i < all.size(); ++i) (void)forward(ch, all[i], all[i].body);
        sent[ch] = all.size();
      }
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();
  ASSERT_EQ(created.size(), 16u);
  ASSERT_EQ(till_sales.load(), 4);

  // Every order is decided (accepted or rejected), and the till sales are in the ledger.
  ASSERT_TRUE(test::waitFor([&] {
    for (const auto& [ch, id] : created) {
      std::string s = orderStatus(ch, id);
      if (s != "accepted" && s != "rejected_no_stock") return false;
    }
    return true;
  }, 60s)) << logs();
  done = true;
  webhooks.join();
  ASSERT_TRUE(test::waitFor([&] { return coord_->onHand("LAST-1", "store-1") == 2; }, 30s));

  int64_t accepted_units = 0;
  int accepted = 0, rejected = 0;
  std::set<std::string> channels_seen;
  for (const auto& [ch, id] : created) {
    json o = order(ch, id);
    channels_seen.insert(ch);
    if (o["status"] == "accepted") {
      accepted++;
      for (const auto& l : o["lines"]) accepted_units += l["reserved"].get<int64_t>();
    } else {
      rejected++;
    }
  }
  EXPECT_EQ(channels_seen.size(), 4u);
  EXPECT_GE(accepted, 1) << "the strict policy still sells what exists";
  EXPECT_GE(rejected, 1) << "16 units were ordered for 6 that could be offered";
  EXPECT_LE(accepted_units + till_sales.load(), 10) << "accepted " << accepted_units << " units online, tills sold "
                                                     << till_sales.load() << " of 10";
  // What is held is also exactly what the accepted orders hold.
  auto avail = test::httpGet(coord_->port(), "/v1/orders?status=accepted&limit=100");
  EXPECT_EQ(avail.body["orders"].size(), static_cast<size_t>(accepted));
}

TEST_F(OrdersTest, WebhooksAreSignedDedupedAndACancellationReleasesTheReservation) {
  start({"shopify", "woocommerce"}, {"W-1"});
  auto& hh = agent("hh-wh", "wh-1", "handheld");
  receive(hh, "W-1", 5);
  ASSERT_TRUE(test::waitFor([&] { return coord_->onHand("W-1", "wh-1") == 5; }, 30s));

  // WooCommerce pinged when its webhooks were created: the ping is answered 200.
  ASSERT_TRUE(test::waitFor([&] { return receivers_.at("woocommerce")->count() >= 1; }, 10s));
  auto ping = receivers_.at("woocommerce")->deliveries().front();
  auto pr = forward("woocommerce", ping, ping.body);
  EXPECT_EQ(pr.status, 200) << pr.body.dump();
  EXPECT_EQ(pr.body.value("ping", false), true) << ping.body;

  json created = sims_.at("shopify")->order({{"lines", {{{"sku", "W-1"}, {"quantity", 2}, {"price", "5.00"}}}}});
  std::string id = created["order_id"];
  test::WebhookReceiver::Delivery d;
  ASSERT_TRUE(test::waitFor([&] {
    for (const auto& x : receivers_.at("shopify")->deliveries()) {
      if (coordinator::channels::headerValue(x.headers, "X-Shopify-Topic") == "orders/create") {
        d = x;
        return true;
      }
    }
    return false;
  }, 10s));
  // A body changed in transit, or no signature at all: refused, nothing taken in.
  std::string tampered = d.body;
  tampered.replace(tampered.find("\"quantity\":2"), 12, "\"quantity\":1");
  EXPECT_EQ(forward("shopify", d, tampered).status, 401);
  auto unsigned_delivery = d;
  unsigned_delivery.headers.erase(std::remove_if(unsigned_delivery.headers.begin(), unsigned_delivery.headers.end(),
                                                 [](const auto& h) { return h.first == "X-Shopify-Hmac-Sha256"; }),
                                  unsigned_delivery.headers.end());
  EXPECT_EQ(forward("shopify", unsigned_delivery, d.body).status, 401);
  EXPECT_EQ(order("shopify", id), json()) << "refused deliveries change nothing";

  auto r1 = forward("shopify", d, d.body);
  ASSERT_EQ(r1.status, 200) << r1.body.dump() << logs();
  EXPECT_EQ(r1.body["orders"][0]["status"], "accepted");
  auto r2 = forward("shopify", d, d.body);  // Shopify delivers again (same X-Shopify-Webhook-Id)
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(r2.body.value("duplicate", false), true) << r2.body.dump();
  json o = order("shopify", id);
  ASSERT_EQ(o["lines"].size(), 1u);
  EXPECT_EQ(o["lines"][0]["reserved"], 2);
  EXPECT_EQ(o["tasks"].size(), 1u);

  // Cancelled at the channel: the cancellation webhook releases the units and the pick task.
  ASSERT_EQ(test::httpPost(sims_.at("shopify")->port(), "/_sim/orders/" + id + "/cancel", "{}").status / 100, 2);
  ASSERT_TRUE(test::waitFor([&] {
    for (const auto& x : receivers_.at("shopify")->deliveries()) {
      if (coordinator::channels::headerValue(x.headers, "X-Shopify-Topic") == "orders/cancelled") {
        EXPECT_EQ(forward("shopify", x, x.body).status, 200);
        return true;
      }
    }
    return false;
  }, 10s));
  o = order("shopify", id);
  EXPECT_EQ(o["status"], "cancelled") << o.dump();
  EXPECT_EQ(o["lines"][0]["reserved"], 0);
  EXPECT_EQ(o["lines"][0]["released"], 2);
  EXPECT_EQ(o["tasks"][0]["status"], "cancelled");
}

// Routing picks the cheaper warehouse; the handheld there picks 1 of 2 (short); the shipped
// unit is reported to WooCommerce with a tracking number, the short unit is re-routed to the
// store, whose handheld picks it; the order ends shipped with two fulfilments.
TEST_F(OrdersTest, PickGoesDownAndFulfilmentComesBackAndAShortPickIsRerouted) {
  json locations = {{"locations",
                     {{"wh-1", {{"lat", 52.52}, {"lon", 13.40}, {"cost", 1.0}, {"cost_per_km", 0.001}}},
                      {"store-1", {{"lat", 48.14}, {"lon", 11.58}, {"cost", 4.0}, {"cost_per_km", 0.001}}}}}};
  start({"woocommerce"}, {"P-1"}, json::object(), locations);
  auto& hh_wh = agent("hh-wh", "wh-1", "handheld");
  auto& hh_store = agent("hh-store", "store-1", "handheld");
  receive(hh_wh, "P-1", 2);
  receive(hh_store, "P-1", 3);
  ASSERT_TRUE(test::waitFor([&] { return coord_->onHand("P-1", "wh-1") == 2 && coord_->onHand("P-1", "store-1") == 3; }, 30s))
      << logs() << hh_wh.logs();

  json created = sims_.at("woocommerce")->order({{"lines", {{{"sku", "P-1"}, {"quantity", 2}, {"price", "9.50"}}}}, {"country", "DE"}});
  std::string id = created["order_id"].is_string() ? created["order_id"].get<std::string>() : created["order_id"].dump();
  ASSERT_TRUE(test::waitFor([&] { return orderStatus("woocommerce", id) == "accepted"; }, 30s)) << logs();
  json o = order("woocommerce", id);
  ASSERT_EQ(o["tasks"].size(), 1u) << o.dump();
  EXPECT_EQ(o["tasks"][0]["location"], "wh-1") << "one shipment from the cheaper location";

  // The task reaches the warehouse handheld over the downlink; it picks 1 of 2.
  json tasks;
  ASSERT_TRUE(test::waitFor([&] { return (tasks = tasksOn(hh_wh)).size() == 1; }, 30s)) << hh_wh.status().dump();
  std::string task_id = tasks[0]["task_id"];
  EXPECT_TRUE(tasksOn(hh_store).empty());
  auto conf = test::httpPost(hh_wh.port(), "/v1/tasks/" + task_id + "/confirm",
                             json{{"lines", {{{"sku", "P-1"}, {"picked", 1}}}}}.dump(), {{"Idempotency-Key", "k1"}});
  ASSERT_EQ(conf.status, 201) << conf.body.dump();
  EXPECT_EQ(conf.body["short"], 1);
  auto again = test::httpPost(hh_wh.port(), "/v1/tasks/" + task_id + "/confirm",
                              json{{"lines", {{{"sku", "P-1"}, {"picked", 1}}}}}.dump(), {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["duplicate"], true);
  EXPECT_TRUE(tasksOn(hh_wh).empty()) << "a confirmed task leaves the handheld's list";

  // The pick comes back through the ledger: 1 shipped and reported, 1 re-routed to the store.
  ASSERT_TRUE(test::waitFor([&] {
    json x = order("woocommerce", id);
    return x["status"] == "partially_shipped" && x["fulfilments"].size() == 1 && x["fulfilments"][0]["status"] == "reported";
  }, 30s)) << order("woocommerce", id).dump() << logs();
  o = order("woocommerce", id);
  EXPECT_FALSE(o["fulfilments"][0]["tracking_number"].get<std::string>().empty());
  EXPECT_EQ(o["fulfilments"][0]["location"], "wh-1");
  EXPECT_EQ(o["lines"][0]["short"], 1);
  EXPECT_EQ(coord_->onHand("P-1", "wh-1"), 0) << "the short pick counted the bin empty";

  ASSERT_TRUE(test::waitFor([&] { return (tasks = tasksOn(hh_store)).size() == 1; }, 30s)) << order("woocommerce", id).dump();
  EXPECT_EQ(tasks[0]["lines"][0]["qty"], 1);
  conf = test::httpPost(hh_store.port(), "/v1/tasks/" + tasks[0]["task_id"].get<std::string>() + "/confirm",
                        json{{"lines", {{{"sku", "P-1"}, {"picked", 1}}}}}.dump());
  ASSERT_EQ(conf.status, 201) << conf.body.dump();
  ASSERT_TRUE(test::waitFor([&] {
    json x = order("woocommerce", id);
    return x["status"] == "shipped" && x["fulfilments"].size() == 2 && x["fulfilments"][1]["status"] == "reported";
  }, 30s)) << order("woocommerce", id).dump() << logs();
  EXPECT_EQ(coord_->onHand("P-1", "store-1"), 2);
  // WooCommerce was told: a note per shipment, and the order completed after the last one.
  json stats = test::httpGet(sims_.at("woocommerce")->port(), "/_sim/stats").body;
  EXPECT_EQ(stats["order:notes"]["201"], 2) << stats.dump();
  EXPECT_EQ(stats["order:update"]["200"], 1) << stats.dump();
}

}  // namespace sw
