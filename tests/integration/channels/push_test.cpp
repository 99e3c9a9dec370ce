// Stock out to the channels, end to end: a till (agent) sells, the coordinator's ledger changes,
// the push scheduler sends available-to-sell to the four channel simulators. Real Mosquitto,
// real processes, real simulators; every wait is on a condition.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "sim_fixture.h"
#include "sw/common/http_socket.h"
#include "sw/common/pricing.h"

namespace sw {
namespace {

using nlohmann::json;
using test::ChannelSim;
using namespace std::chrono_literals;

const std::vector<std::string> kAll = {"shopify", "amazon", "ebay", "woocommerce"};

class PushTest : public ::testing::Test {
 protected:
  // Starts the simulators named in `channels`, seeds `skus` at quantity 0 on each, writes the
  // channels config (rules: channel -> its rules; `top`: merged at the top level) and starts
  // the coordinator and a till.
  void start(const std::vector<std::string>& channels, const std::vector<std::string>& skus, json rules = json::object(),
             json top = json::object(), std::map<std::string, std::vector<std::string>> sim_flags = {}) {
    json cfg_channels = json::object();
    for (const auto& ch : channels) {
      std::vector<std::string> flags = sim_flags[ch];
      if (ch == "amazon" && std::find(flags.begin(), flags.end(), "--apply-delay-ms") == flags.end()) {
        flags.insert(flags.end(), {"--apply-delay-ms", "20"});
      }
      auto sim = std::make_unique<ChannelSim>(ch, flags);
      json listings = json::array();
      for (const auto& sku : skus) listings.push_back({{"sku", sku}, {"quantity", 0}});
      json seeded = sim->seed(listings);
      json c = rules.value(ch, json::object());
      // Order intake (the same file) wants webhook secrets for Shopify and WooCommerce. A "connector"
      // in the rules adds options to the simulator's connector block.
      json extra = c.value("connector", json::object());
      c["connector"] = sim->connectorConfig(seeded, "whsec-" + common::newUuid());
      c["connector"].update(extra);
      cfg_channels[ch] = c;
      sims_[ch] = std::move(sim);
    }
    json cfg = top;
    cfg["channels"] = cfg_channels;
    cfg["push"].emplace("backoff_initial_ms", 50);
    cfg["push"].emplace("accepted_readback_ms", 100);
    {
      std::ofstream out(dir_.file("channels.json"));
      out << cfg.dump(2);
    }
    coord_ = std::make_unique<test::CoordinatorProc>(dir_, broker_.url(), std::map<std::string, std::string>{},
                                                     std::vector<std::string>{"--channels-config", dir_.file("channels.json")});
    coord_->start();
    till_ = std::make_unique<test::AgentProc>(dir_, "till-1", "store-1", broker_.url());
    till_->start();
  }

  std::optional<int64_t> shows(const std::string& ch, const std::string& sku) {
    json l = sims_.at(ch)->listing(sku);
    if (!l.contains("quantity") || !l["quantity"].is_number_integer()) return std::nullopt;
    return l["quantity"].get<int64_t>();
  }
  int64_t updates(const std::string& ch, const std::string& sku) {
    return sims_.at(ch)->listing(sku).value("update_count", int64_t{-1});
  }
  bool allShow(const std::vector<std::string>& channels, const std::string& sku, int64_t q) {
    for (const auto& ch : channels) {
      if (shows(ch, sku) != q) return false;
    }
    return true;
  }
  json channelStatus(const std::string& ch) {
    auto r = test::httpGet(coord_->port(), "/v1/channels");
    for (const auto& c : r.body["channels"]) {
      if (c["channel"] == ch) return c;
    }
    return json();
  }
  json available(const std::string& sku, const std::string& ch) {
    auto r = test::httpGet(coord_->port(), "/v1/available?sku=" + sku);
    for (const auto& c : r.body["channels"]) {
      if (c["channel"] == ch) return c;
    }
    return json();
  }
  void receive(const std::string& sku, int64_t qty) {
    ASSERT_EQ(till_->movement({{"type", "receive"}, {"lines", {{{"sku", sku}, {"qty", qty}}}}}).status, 201);
  }
  std::string logs() { return coord_->logs(); }
  test::HttpReply csv(const std::string& path, const std::string& body) {
    httplib::Client c = common::makeHttpClient("127.0.0.1", coord_->port());
    c.set_connection_timeout(2);
    c.set_read_timeout(20);
    httplib::Headers auth = {{"Authorization", "Bearer " + coord_->adminToken()}};
    auto r = c.Post(path.c_str(), auth, body, "text/csv");
    test::HttpReply out;
    if (!r) return out;
    out.status = r->status;
    out.body = json::parse(r->body, nullptr, false);
    return out;
  }
  // What the till charges now for sku (its own copy of the catalog and prices), "" when unknown.
  std::string tillPrice(const std::string& sku) {
    auto r = test::httpGet(till_->port(), "/v1/items/" + sku);
    if (r.status != 200 || !r.body["price"].is_object()) return "";
    return r.body["price"]["price"].get<std::string>();
  }

  test::TempDir dir_;
  test::Broker broker_;
  std::map<std::string, std::unique_ptr<ChannelSim>> sims_;
  std::unique_ptr<test::CoordinatorProc> coord_;
  std::unique_ptr<test::AgentProc> till_;
};

TEST_F(PushTest, ASaleOnATillReachesEveryChannelsListing) {
  start(kAll, {"P-1"});
  receive("P-1", 10);
  ASSERT_TRUE(test::waitFor([&] { return allShow(kAll, "P-1", 10); }, 30s)) << logs();
  ASSERT_EQ(till_->sell("P-1", 3).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return allShow(kAll, "P-1", 7); }, 30s)) << logs();
  for (const auto& ch : kAll) {
    // The listing can show the figure a moment before the scheduler has counted the answer.
    json s;
    EXPECT_TRUE(test::waitFor([&] { return (s = channelStatus(ch))["queue"] == 0 && s["pushed"] >= 2; }, 10s))
        << ch << " " << s.dump();
    EXPECT_EQ(s["failed"], 0) << ch;
    EXPECT_GT(s["last_push_at_ms"].get<int64_t>(), 0) << ch;
    EXPECT_TRUE(s.contains("rate")) << ch;
  }
  // Shopify got compare-and-set: it shows the update applied, not refused as stale.
  EXPECT_EQ(channelStatus("shopify")["stale"], 0);
  // /metrics says the same, per channel, with how long each call took (issue 18).
  std::string m = test::httpGetText(coord_->port(), "/metrics");
  EXPECT_NE(m.find("# TYPE stockwire_channel_push_seconds histogram\n"), std::string::npos) << m;
  for (const auto& ch : kAll) {
    const std::string label = "{channel=\"" + ch + "\"}";
    EXPECT_NE(m.find("stockwire_channel_items_dead_lettered_total" + label + " 0\n"), std::string::npos) << ch << m;
    EXPECT_NE(m.find("stockwire_channel_push_seconds_bucket{channel=\"" + ch + "\",le=\"+Inf\"} "), std::string::npos)
        << ch << m;
    size_t at = m.find("stockwire_channel_items_pushed_total" + label + " ");
    ASSERT_NE(at, std::string::npos) << ch << m;
    EXPECT_GE(std::stoll(m.substr(at + std::string("stockwire_channel_items_pushed_total").size() + label.size() + 1)), 2)
        << ch;
  }
  // Every metric the shipped Grafana dashboard queries is served, by this coordinator or the agent.
  const std::string agent_metrics = test::httpGetText(till_->port(), "/metrics");
  std::ifstream file(std::string(SW_SOURCE_DIR) + "/tools/grafana/stockwire-dashboard.json");
  json dashboard = json::parse(file, nullptr, false);
  ASSERT_TRUE(dashboard.is_object() && dashboard.contains("panels"));
  const std::regex metric_name(R"(stockwire_[a-z_]+)");
  size_t names = 0;
  for (const json& panel : dashboard["panels"]) {
    for (const json& target : panel["targets"]) {
      const std::string expr = target["expr"];
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), metric_name); it != std::sregex_iterator(); ++it) {
        std::string name = it->str();
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          const std::string sfx = suffix;
          if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
            name.resize(name.size() - sfx.size());
          }
        }
        const std::string type_line = "# TYPE " + name + " ";
        EXPECT_TRUE(m.find(type_line) != std::string::npos || agent_metrics.find(type_line) != std::string::npos)
            << panel["title"] << ": " << name << " is not served";
        ++names;
      }
    }
  }
  EXPECT_GE(names, 20u);
}

TEST_F(PushTest, ManyChangesDuringAThrottlingStormArriveAsFewPushesWithTheFinalValue) {
  start(kAll, {"P-1"});
  receive("P-1", 100);
  ASSERT_TRUE(test::waitFor([&] { return allShow(kAll, "P-1", 100); }, 30s)) << logs();
  std::map<std::string, int64_t> before;
  for (const auto& ch : kAll) {
    before[ch] = updates(ch, "P-1");
    ASSERT_EQ(sims_[ch]->faults({{"throttle_for_ms", 3000}}).status, 200);
  }
  constexpr int kSales = 40;
  for (int i = 0; i < kSales; ++i) ASSERT_EQ(till_->sell("P-1", 1).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return allShow(kAll, "P-1", 100 - kSales); }, 60s)) << logs();
  for (const auto& ch : kAll) {
    int64_t pushes = updates(ch, "P-1") - before[ch];
    // Coalesced: far fewer listing changes than sales, and none lost (the final value is there).
    EXPECT_LT(pushes, kSales / 2) << ch;
    EXPECT_GE(pushes, 1) << ch;
  }
  // The storm was felt and waited out, not ignored.
  int64_t throttled = 0;
  for (const auto& ch : kAll) {
    json s = channelStatus(ch);
    throttled += s["retried"].get<int64_t>() + s["rate"]["throttled_count"].get<int64_t>();
  }
  EXPECT_GT(throttled, 0);
}

// Issue 15 item 4: a till sale of a SKU that no channel lists made dead letters at Amazon, eBay and
// WooCommerce. Each channel's own answer (its read) now says "not listed", nothing is pushed, and
// only a reconciliation that finds a listing sends the figure.
TEST_F(PushTest, AStoreOnlySkuIsNotListedOnEveryChannelAndMakesNoDeadLetter) {
  start(kAll, {"P-1"});
  receive("STORE-ONLY", 5);
  receive("P-1", 3);
  ASSERT_TRUE(test::waitFor([&] { return allShow(kAll, "P-1", 3); }, 30s)) << logs();
  ASSERT_EQ(till_->sell("STORE-ONLY", 1).status, 201);
  for (const auto& ch : kAll) {
    json s;
    EXPECT_TRUE(test::waitFor([&] { return (s = channelStatus(ch))["not_listed"] == 1 && s["queue"] == 0; }, 30s))
        << ch << " " << s.dump() << logs();
    EXPECT_EQ(s["failed"], 0) << ch;
    // Nothing was sent for it: no channel made a listing out of a push.
    EXPECT_FALSE(sims_[ch]->listing("STORE-ONLY").contains("quantity")) << ch << sims_[ch]->listing("STORE-ONLY").dump();
  }
  auto dl = test::httpGet(coord_->port(), "/v1/channels/dead-letters");
  ASSERT_EQ(dl.status, 200);
  EXPECT_TRUE(dl.body["dead_letters"].empty()) << dl.body.dump();

  // A person lists it on eBay; the next reconciliation finds the listing and sends the figure.
  sims_["ebay"]->seed(json::array({{{"sku", "STORE-ONLY"}, {"quantity", 0}}}));
  auto r = test::httpPost(coord_->port(), "/v1/channels/ebay/reconcile?wait_ms=30000", "");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["reconcile"]["drifted"], 1) << r.body.dump();
  ASSERT_TRUE(test::waitFor([&] { return shows("ebay", "STORE-ONLY") == 4; }, 30s)) << logs();
  EXPECT_EQ(channelStatus("ebay")["not_listed"], 0);
}

// Issue 22, Walmart: with a feed threshold of 1 every push is an inventory feed. The feed ends PROCESSED
// with one item failed (a listing Walmart refuses): that item is a dead letter with Walmart's code and
// the quantity sent, nothing changes on its listing, and the other SKU's figure is applied.
TEST_F(PushTest, AWalmartFeedItemThatFailsIsADeadLetterNotASuccess) {
  start({"walmart"}, {"W-1"}, json{{"walmart", {{"connector", {{"feed_threshold", 1}}}}}}, json::object(),
        {{"walmart", {"--feed-delay-ms", "100"}}});
  sims_["walmart"]->seed(json::array({{{"sku", "BAD-1"}, {"quantity", 0}, {"ingestion_error", "the item is blocked"}}}));
  receive("W-1", 4);
  receive("BAD-1", 5);
  ASSERT_TRUE(test::waitFor([&] { return shows("walmart", "W-1") == 4; }, 30s)) << logs() << channelStatus("walmart").dump();
  ASSERT_TRUE(test::waitFor([&] { return channelStatus("walmart")["failed"] == 1; }, 30s)) << logs() << channelStatus("walmart").dump();
  auto dl = test::httpGet(coord_->port(), "/v1/channels/dead-letters");
  ASSERT_EQ(dl.status, 200);
  ASSERT_EQ(dl.body["dead_letters"].size(), 1u) << dl.body.dump();
  json letter = dl.body["dead_letters"][0];
  EXPECT_EQ(letter["channel"], "walmart");
  EXPECT_EQ(letter["sku"], "BAD-1");
  EXPECT_EQ(letter["quantity"], 5);
  EXPECT_EQ(letter["code"], "SIM_INGESTION_ERROR");
  EXPECT_EQ(shows("walmart", "BAD-1"), 0) << "a failed feed item changes nothing";
  EXPECT_GE(sims_["walmart"]->listing("W-1")["feed_updates"].get<int64_t>(), 1) << "it went by feed";
}

// Issue 22, Walmart prices: with a feed threshold of 2 a catalog price import of two SKUs goes as one
// price feed. It ends PROCESSED with one item failed: that price is a dead letter (code price:<Walmart's
// code>, the refused price in cents), its listing keeps its price, and the other SKU's price is applied.
TEST_F(PushTest, AWalmartPriceFeedItemThatFailsIsADeadLetterNotASuccess) {
  start({"walmart"}, {"W-1"}, json{{"walmart", {{"connector", {{"feed_threshold", 2}}}}}}, json::object(),
        {{"walmart", {"--feed-delay-ms", "100"}}});
  sims_["walmart"]->seed(json::array({{{"sku", "BAD-1"}, {"quantity", 0}, {"ingestion_error", "the item is blocked"}}}));
  receive("W-1", 4);
  receive("BAD-1", 5);
  ASSERT_TRUE(test::waitFor([&] { return shows("walmart", "W-1") == 4; }, 30s)) << logs() << channelStatus("walmart").dump();
  ASSERT_EQ(csv("/v1/catalog", "sku,gtins,name,unit,weight_priced,tax_class\nW-1,,Mug,each,false,std\nBAD-1,,Cup,each,false,std\n").status,
            200);
  auto r = csv("/v1/prices", "sku,price,currency,price_list,location,promotion,starts_at,ends_at\n"
                             "W-1,12.34,USD,default,,,,\n"
                             "BAD-1,23.45,USD,default,,,,\n");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  auto price = [&](const std::string& sku) { return sims_["walmart"]->listing(sku)["price"]; };
  ASSERT_TRUE(test::waitFor([&] { return price("W-1")["currentPrice"] == "12.34"; }, 30s))
      << logs() << channelStatus("walmart").dump() << price("W-1").dump();
  EXPECT_GE(sims_["walmart"]->listing("W-1")["feed_updates"].get<int64_t>(), 1) << "it went by feed";
  json letter;
  ASSERT_TRUE(test::waitFor(
      [&] {
        auto dl = test::httpGet(coord_->port(), "/v1/channels/dead-letters");
        for (const json& l : dl.body["dead_letters"]) {
          if (l["code"].get<std::string>().rfind("price:", 0) == 0) letter = l;
        }
        return !letter.is_null();
      },
      30s))
      << logs() << channelStatus("walmart").dump();
  EXPECT_EQ(letter["channel"], "walmart");
  EXPECT_EQ(letter["sku"], "BAD-1");
  EXPECT_EQ(letter["code"], "price:SIM_INGESTION_ERROR");
  EXPECT_EQ(letter["quantity"], 2345) << "the refused price in cents";
  EXPECT_EQ(price("BAD-1")["currentPrice"], "10.00") << "a failed feed item changes nothing";
  json s = channelStatus("walmart");
  EXPECT_EQ(s["prices"]["failed"], 1) << s.dump();
  EXPECT_EQ(s["prices"]["awaiting"], 0) << s.dump();
}

TEST_F(PushTest, RefusedItemsAreDeadLetteredAndReplayable) {
  start({"amazon"}, {"P-1"});
  // A listing of another product type than the connector sends: Amazon refuses every PATCH (INVALID).
  sims_["amazon"]->seed(json::array({{{"sku", "ODD-1"}, {"quantity", 0}, {"product_type", "LUGGAGE"}}}));
  receive("ODD-1", 5);
  ASSERT_TRUE(test::waitFor([&] { return channelStatus("amazon")["failed"] == 1; }, 30s)) << logs();
  auto dl = test::httpGet(coord_->port(), "/v1/channels/dead-letters");
  ASSERT_EQ(dl.status, 200);
  ASSERT_EQ(dl.body["dead_letters"].size(), 1u) << dl.body.dump();
  json letter = dl.body["dead_letters"][0];
  EXPECT_EQ(letter["channel"], "amazon");
  EXPECT_EQ(letter["sku"], "ODD-1");
  EXPECT_EQ(letter["quantity"], 5);
  EXPECT_EQ(letter["code"], "4000002");
  EXPECT_EQ(channelStatus("amazon")["failed"], 1);

  // A person fixes the listing's product type.
  sims_["amazon"]->seed(json::array({{{"sku", "ODD-1"}, {"quantity", 0}, {"product_type", "PRODUCT"}}}));
  ASSERT_EQ(till_->sell("ODD-1", 1).status, 201);  // the figure moves on meanwhile
  std::string path = "/v1/channels/dead-letters/" + std::to_string(letter["id"].get<int64_t>()) + "/replay";
  auto r = test::httpPost(coord_->port(), path, "");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_TRUE(test::waitFor([&] { return shows("amazon", "ODD-1") == 4; }, 30s))
      << logs() << channelStatus("amazon").dump() << sims_["amazon"]->listing("ODD-1").dump();
  EXPECT_TRUE(test::httpGet(coord_->port(), "/v1/channels/dead-letters").body["dead_letters"].empty());
  auto again = test::httpPost(coord_->port(), path, "");
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.body["error"]["code"], "already_replayed");
  EXPECT_EQ(test::httpPost(coord_->port(), "/v1/channels/dead-letters/999/replay", "").status, 404);
}

TEST_F(PushTest, ReconciliationReadsBackAndCorrectsDrift) {
  start({"woocommerce", "shopify"}, {"P-1", "P-2"});
  receive("P-1", 8);
  ASSERT_TRUE(test::waitFor([&] { return allShow({"woocommerce", "shopify"}, "P-1", 8); }, 30s)) << logs();
  // Someone edits the listings by hand in the channels' admin.
  sims_["woocommerce"]->seed(json::array({{{"sku", "P-1"}, {"quantity", 99}}}));
  sims_["shopify"]->seed(json::array({{{"sku", "P-1"}, {"quantity", 42}}}));
  ASSERT_EQ(shows("woocommerce", "P-1"), 99);
  for (const std::string ch : {"woocommerce", "shopify"}) {
    auto r = test::httpPost(coord_->port(), "/v1/channels/" + ch + "/reconcile?wait_ms=30000", "");
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_TRUE(r.body["reconcile"]["done"].get<bool>());
    EXPECT_EQ(r.body["reconcile"]["drifted"], 1) << ch << r.body.dump();
  }
  ASSERT_TRUE(test::waitFor([&] { return allShow({"woocommerce", "shopify"}, "P-1", 8); }, 30s)) << logs();
  EXPECT_EQ(test::httpPost(coord_->port(), "/v1/channels/etsy/reconcile", "").status, 400);
}

TEST_F(PushTest, AvailableToSellShowsEveryTermAndTheChannelsGetIt) {
  // Safety stock for everyone; eBay gets half of what is left, capped at 30. Sales rates over a
  // one-minute window so the exposure buffer grows fast enough to watch.
  json rules = {{"shopify", {{"safety_stock", 2}}}, {"ebay", {{"safety_stock", 2}, {"percent", 50}, {"cap", 30}}}};
  start({"shopify", "ebay"}, {"P-1"}, rules,
        {{"exposure", {{"sales_window_s", 60}}}, {"push", {{"refresh_interval_s", 1}}}});
  receive("P-1", 100);
  ASSERT_TRUE(test::waitFor([&] { return shows("shopify", "P-1") == 98 && shows("ebay", "P-1") == 30; }, 30s))
      << logs();
  json s = available("P-1", "shopify");
  // What each channel last took from us, as the channel itself holds it.
  ASSERT_TRUE(test::waitFor([&] { return available("P-1", "shopify").contains("channel_shows"); }, 30s)) << s.dump();
  s = available("P-1", "shopify");
  EXPECT_EQ(s["channel_shows"]["quantity"], shows("shopify", "P-1")) << s.dump();
  EXPECT_TRUE(s["channel_shows"]["how"] == "applied" || s["channel_shows"]["how"] == "accepted") << s.dump();
  EXPECT_GT(s["channel_shows"]["at_ms"].get<int64_t>(), 0);
  EXPECT_EQ(available("P-1", "ebay")["channel_shows"]["quantity"], shows("ebay", "P-1"));
  EXPECT_EQ(s["on_hand"], 100);
  EXPECT_EQ(s["safety_stock"], 2);
  EXPECT_EQ(s["reserved"], 0);
  EXPECT_EQ(s["exposure_buffer"], 0);
  EXPECT_EQ(s["available"], 98);
  json e = available("P-1", "ebay");
  EXPECT_EQ(e["percent"], 50.0);
  EXPECT_EQ(e["cap"], 30);
  EXPECT_EQ(e["available"], 30);

  // The till sells 60 in the minute before it goes offline: each second offline holds back
  // about one more unit, and the channels are told without any further sale.
  ASSERT_EQ(till_->sell("P-1", 60).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord_->onHand("P-1", "store-1") == 40; }, 30s));
  till_->kill9();
  ASSERT_TRUE(test::waitFor([&] { return available("P-1", "shopify")["exposure_buffer"].get<int64_t>() >= 2; }, 60s))
      << available("P-1", "shopify").dump();
  json x = available("P-1", "shopify");
  ASSERT_EQ(x["exposure_terms"].size(), 1u) << x.dump();
  EXPECT_EQ(x["exposure_terms"][0]["device_id"], "till-1");
  EXPECT_EQ(x["exposure_terms"][0]["units_sold_in_window"], 60);
  EXPECT_LT(x["available"].get<int64_t>(), 38);
  // Pushed by the periodic refresh, not by a stock change.
  ASSERT_TRUE(test::waitFor([&] { return shows("shopify", "P-1") < 38; }, 30s)) << logs();

  EXPECT_EQ(test::httpGet(coord_->port(), "/v1/available").status, 400);
  EXPECT_EQ(test::httpGet(coord_->port(), "/v1/available?sku=P-1").body["channels"].size(), 2u);
}

}  // namespace
}  // namespace sw

namespace sw {
namespace {

std::string isoIn(std::chrono::milliseconds offset) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return common::formatIsoUtcMs((now + offset).count());
}

// Issue 20: a scheduled promotion from the catalog appears and ends on the channel and on the till,
// at its start and end, with each channel's rules from the channels config. WooCommerce (regular
// and sale price), eBay (the offer price is the price now), Shopify (price and compareAtPrice, no
// rules) and Amazon (purchasable_offer our_price and discounted_price, no rules); the promotion's window is in real time (the coordinator runs on the
// system clock), long enough to be seen under load, and every check waits on a condition.
TEST_F(PushTest, APromotionAppearsAndEndsOnTheChannelAndTheTill) {
  start(kAll, {"P-1"},
        {{"woocommerce", {{"prices", {{"markup_pct", 10}}}}}, {"ebay", {{"prices", {{"markup_pct", "10"}, {"round_to_99", true}}}}}});
  receive("P-1", 5);
  ASSERT_EQ(csv("/v1/catalog", "sku,gtins,name,unit,weight_priced,tax_class\nP-1,,Scarf,each,false,std\n").status, 200);
  auto r = csv("/v1/prices", "sku,price,currency,price_list,location,promotion,starts_at,ends_at\n"
                             "P-1,10.00,USD,default,,,,\n"
                             "P-1,7.00,USD,default,,WINTER," + isoIn(3s) + "," + isoIn(30s) + "\n");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body["applied"], 2) << r.body.dump();
  auto prices = [&] { return sims_.at("woocommerce")->listing("P-1")["prices"]; };
  auto ebayPrice = [&] { return sims_.at("ebay")->listing("P-1")["offers"][0]["price"]["value"]; };
  auto shopify = [&] { return sims_.at("shopify")->listing("P-1")["variant"]; };
  auto amazon = [&] { return sims_.at("amazon")->listing("P-1")["purchasable_offer"]; };

  json p;
  ASSERT_TRUE(test::waitFor([&] { return (p = prices())["regular_price"] == "11.00"; }, 30s)) << p.dump() << logs();
  ASSERT_TRUE(test::waitFor([&] { return ebayPrice() == "10.99" || ebayPrice() == "7.99"; }, 30s))  // 11.00 -> .99
      << sims_.at("ebay")->listing("P-1").dump() << logs();
  // The promotion starts: the coordinator pushes the sale price (it sends none before the start).
  ASSERT_TRUE(test::waitFor([&] { return (p = prices())["sale_price"] == "7.70"; }, 30s)) << p.dump() << logs();
  EXPECT_EQ(p["regular_price"], "11.00");
  ASSERT_TRUE(test::waitFor([&] { return tillPrice("P-1") == "7.00"; }, 30s)) << till_->status().dump();
  ASSERT_TRUE(test::waitFor([&] { return ebayPrice() == "7.99"; }, 30s)) << sims_.at("ebay")->listing("P-1").dump();  // 7.70 -> .99
  ASSERT_TRUE(test::waitFor([&] { return (p = shopify())["price"] == "7.00" && p["compare_at_price"] == "10.00"; }, 30s)) << p.dump();
  ASSERT_TRUE(test::waitFor([&] { return (p = amazon())["discounted_price"] == "7.00" && p["our_price"] == "10.00"; }, 30s)) << p.dump();
  EXPECT_TRUE(test::waitFor([&] { return (p = prices())["on_sale"] == true; }, 10s)) << p.dump();
  // And ends: the sale price is taken off again, and the till is back at the base price.
  ASSERT_TRUE(test::waitFor([&] { return (p = prices())["sale_price"].is_null(); }, 60s)) << p.dump() << logs();
  EXPECT_EQ(p["regular_price"], "11.00");
  EXPECT_EQ(p["price"], "11.00");
  EXPECT_EQ(p["on_sale"], false);
  ASSERT_TRUE(test::waitFor([&] { return tillPrice("P-1") == "10.00"; }, 30s)) << till_->status().dump();
  ASSERT_TRUE(test::waitFor([&] { return ebayPrice() == "10.99"; }, 30s)) << sims_.at("ebay")->listing("P-1").dump();
  ASSERT_TRUE(test::waitFor([&] { return (p = shopify())["price"] == "10.00" && p["compare_at_price"].is_null(); }, 30s)) << p.dump();
  ASSERT_TRUE(test::waitFor([&] { return (p = amazon())["discounted_price"].is_null() && p["price"] == "10.00"; }, 30s)) << p.dump();
  for (const std::string& ch : kAll) {
    EXPECT_TRUE(test::waitFor([&] { return shows(ch, "P-1") == 5; }, 30s)) << ch;  // prices left the stock figure alone
    json s = channelStatus(ch);
    EXPECT_EQ(s["prices"]["state"], "on") << s.dump();
    EXPECT_GE(s["prices"]["pushed"], 3) << s.dump();
    EXPECT_EQ(s["failed"], 0) << s.dump();
  }
}

}  // namespace
}  // namespace sw
