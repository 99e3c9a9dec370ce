// Settlement reconciliation end to end (issue 20): the Shopify simulator as a child process, a
// real coordinator on SQLite taking its orders in (webhooks and polling), a handheld holding the
// stock, over a real Mosquitto. Orders are placed and refunded at the simulator, the simulator
// pays out (its fees computed its way), the coordinator fetches the payouts through the Shopify
// connector (REST payouts and balance transactions, paged) and matches them to its order book.
// Every wait is on a condition; nothing is timed.

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "sim_fixture.h"
#include "sw/common/clock.h"
#include "sw/coordinator/channels/connector_factory.h"

namespace sw {
namespace {

using nlohmann::json;
using test::ChannelSim;
using namespace std::chrono_literals;

class SettlementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string secret = "whsec-" + common::newUuid();
    receiver_ = std::make_unique<test::WebhookReceiver>();
    sim_ = std::make_unique<ChannelSim>("shopify", std::vector<std::string>{"--webhook-url", receiver_->url(), "--webhook-secret", secret});
    json seeded = sim_->seed(json::array({{{"sku", "S-1"}, {"quantity", 1000}, {"price", "4.00"}},
                                          {{"sku", "S-2"}, {"quantity", 1000}, {"price", "12.50"}}}));
    json conn = sim_->connectorConfig(seeded, secret);
    conn["payout_page_size"] = 1;  // one payout a page: the Link header paging is used
    {
      std::ofstream out(dir_.file("channels.json"));
      out << json{{"channels", {{"shopify", {{"connector", conn}}}}}}.dump(2);
    }
    coord_ = std::make_unique<test::CoordinatorProc>(
        dir_, broker_.url(), std::map<std::string, std::string>{},
        std::vector<std::string>{"--channels-config", dir_.file("channels.json"), "--order-poll-ms", "100"});
    coord_->start();
    hh_ = std::make_unique<test::AgentProc>(dir_, "hh-wh", "wh-1", broker_.url(), "handheld");
    hh_->start();
    for (const char* sku : {"S-1", "S-2"}) {
      ASSERT_EQ(hh_->movement({{"type", "receive"}, {"lines", {{{"sku", sku}, {"qty", 20}}}}}).status, 201);
    }
    ASSERT_TRUE(test::waitFor([&] { return coord_->onHand("S-1", "wh-1") == 20 && coord_->onHand("S-2", "wh-1") == 20; }, 30s));
  }

  json order(const std::string& id) {
    auto r = test::httpGet(coord_->port(), "/v1/orders/shopify/" + id);
    return r.status == 200 && r.body.is_object() ? r.body : json::object();
  }
  // An order placed at the simulator, once the coordinator has accepted it.
  std::string placed(const std::string& sku, int qty) {
    json created = sim_->order({{"lines", {{{"sku", sku}, {"quantity", qty}}}}});
    std::string id = created["order_id"].get<std::string>();
    EXPECT_TRUE(test::waitFor([&] { return order(id).value("status", "") == "accepted"; }, 60s)) << coord_->logs();
    return id;
  }
  void refundOne(const std::string& id) {
    std::string line_id = order(id)["lines"][0]["line_id"];
    auto r = test::httpPost(sim_->port(), "/_sim/orders/" + id + "/refund",
                            json{{"lines", {{{"line_id", line_id}, {"quantity", 1}, {"restock_type", "no_restock"}}}}}.dump());
    ASSERT_EQ(r.status, 201) << r.body.dump();
    ASSERT_TRUE(test::waitFor([&] { return order(id).value("refunds", json::array()).size() == 1; }, 60s)) << coord_->logs();
  }
  std::string payout(const json& discrepancies = json::object()) {
    auto r = test::httpPost(sim_->port(), "/_sim/payouts", discrepancies.dump());
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return std::to_string(r.body["payout"]["id"].get<uint64_t>());
  }
  test::HttpReply fetch() { return test::httpPost(coord_->port(), "/v1/settlements/shopify/fetch", ""); }
  json settlement(const std::string& payout_id) {
    auto r = test::httpGet(coord_->port(), "/v1/settlements/shopify/" + payout_id);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body;
  }
  static std::multiset<std::string> codesOf(const json& s) {
    std::multiset<std::string> out;
    for (const json& f : s["findings"]) out.insert(f["code"].get<std::string>());
    return out;
  }

  test::TempDir dir_;
  test::Broker broker_;
  std::unique_ptr<test::WebhookReceiver> receiver_;
  std::unique_ptr<ChannelSim> sim_;
  std::unique_ptr<test::CoordinatorProc> coord_;
  std::unique_ptr<test::AgentProc> hh_;
};

}  // namespace

// Two orders, one of them partly refunded, one payout: every line matches the order book.
TEST_F(SettlementTest, APayoutOfOrdersAndARefundMatchesTheOrderBookFully) {
  const std::string a = placed("S-1", 2);  // 8.00
  const std::string b = placed("S-2", 1);  // 12.50
  refundOne(a);                            // 4.00 back
  const std::string id = payout();

  auto f = fetch();
  ASSERT_EQ(f.status, 200) << f.body.dump() << coord_->logs();
  EXPECT_EQ(f.body["matched"], json::array({id})) << f.body.dump();
  EXPECT_EQ(f.body["findings"], 0);

  json list = test::httpGet(coord_->port(), "/v1/settlements?channel=shopify").body;
  ASSERT_EQ(list["payouts"].size(), 1u) << list.dump();
  EXPECT_EQ(list["payouts"][0]["payout_id"], id);
  EXPECT_EQ(list["payouts"][0]["match_status"], "matched");

  json s = settlement(id);
  // 8.00 - 0.53 + 12.50 - 0.66 - 4.00 (the fees: 2.9% + 0.30, in cents, half up)
  EXPECT_EQ(s["amount"], "15.31") << s.dump();
  EXPECT_EQ(s["findings"], json::array());
  EXPECT_EQ(s["unmatched_lines"], json::array());
  ASSERT_EQ(s["lines"].size(), 4u) << s.dump();
  std::map<std::string, json> by_kind;
  for (const json& l : s["lines"]) {
    EXPECT_TRUE(l["matched"].get<bool>()) << l.dump();
    by_kind[l["kind"].get<std::string>() + ":" + l["order_id"].get<std::string>()] = l;
  }
  EXPECT_EQ(by_kind["order:" + a]["amount"], "8.00");
  EXPECT_EQ(by_kind["order:" + a]["fee"], "0.53");
  EXPECT_EQ(by_kind["order:" + a]["expected"], "8.00");
  EXPECT_EQ(by_kind["order:" + b]["amount"], "12.50");
  EXPECT_EQ(by_kind["refund:" + a]["amount"], "-4.00");
  EXPECT_EQ(by_kind["refund:" + a]["refund_id"], order(a)["refunds"][0]["refund_id"]);
  EXPECT_TRUE(by_kind.count("payout:"));

  // The payout and the fees it took reach the revenue book once, so the day's journal has them;
  // fetching again adds nothing.
  ASSERT_EQ(fetch().status, 200);
  const std::string day = s["date"];
  const std::string csv = test::httpGetText(coord_->port(), "/v1/exports/journal?day=" + day + "&format=quickbooks");
  EXPECT_NE(csv.find("Merchant Fees"), std::string::npos) << csv;
  EXPECT_NE(csv.find("1.19"), std::string::npos) << "0.53 + 0.66\n" << csv;
  EXPECT_NE(csv.find("15.31"), std::string::npos) << "the payout, once\n" << csv;
  EXPECT_EQ(csv.find("30.62"), std::string::npos) << "not twice\n" << csv;

  // Payouts are money: a viewer may not read them.
  const std::string viewer = coord_->createToken("looker", "viewer");
  auto refused = test::httpGet(coord_->port(), "/v1/settlements", {{"Authorization", "Bearer " + viewer}});
  EXPECT_EQ(refused.status, 403) << refused.body.dump();
}

// A payout with a charge for an order Stockwire never took in, an order paid at another amount
// and a fee nobody explained, after a clean one: the fetch reads both (one a page) and the second
// has exactly those three findings.
TEST_F(SettlementTest, AMissingOrderAnAmountDifferenceAndAnUnexplainedFeeAreExactlyTheThreeMismatches) {
  const std::string a = placed("S-1", 1);
  const std::string clean = payout();
  const std::string b = placed("S-2", 2);  // 25.00
  const std::string c = placed("S-1", 3);  // 12.00
  const std::string bad = payout({{"unknown_orders", {{{"order_id", "7001234567890999999"}, {"amount", "15.00"}}}},
                                  {"amount_changes", {{{"order_id", b}, {"amount", "24.00"}}}},
                                  {"fees", {{{"amount", "2.50"}, {"description", "chargeback_fee"}}}}});

  auto f = fetch();
  ASSERT_EQ(f.body["pages"], 2) << f.body.dump();
  EXPECT_EQ(f.body["matched"], json::array({clean})) << f.body.dump();
  EXPECT_EQ(f.body["mismatched"], json::array({bad}));
  EXPECT_EQ(f.body["findings"], 3);

  json s = settlement(bad);
  EXPECT_EQ(s["match_status"], "mismatched");
  EXPECT_EQ(s["mismatches"], 3);
  EXPECT_EQ(codesOf(s), (std::multiset<std::string>{"unknown_order", "amount_difference", "unexplained_fee"})) << s.dump();
  for (const json& fd : s["findings"]) {
    if (fd["code"] == "unknown_order") {
      EXPECT_EQ(fd["order_id"], "7001234567890999999");
    } else if (fd["code"] == "amount_difference") {
      EXPECT_EQ(fd["order_id"], b);
      EXPECT_EQ(fd["expected"], "25.00");
      EXPECT_EQ(fd["actual"], "24.00");
    } else {
      EXPECT_EQ(fd["actual"], "-2.50");
    }
  }
  EXPECT_EQ(s["unmatched_lines"].size(), 3u);
  EXPECT_EQ(s["matched_lines"].size(), 2u) << "order " << c << " and the payout line";
  EXPECT_EQ(settlement(clean)["match_status"], "matched");

  // Fetching again reads the same payouts and keeps one of each.
  ASSERT_EQ(fetch().status, 200);
  EXPECT_EQ(test::httpGet(coord_->port(), "/v1/settlements").body["payouts"].size(), 2u);
  EXPECT_EQ(test::httpGet(coord_->port(), "/v1/settlements/shopify/1").status, 404);
  EXPECT_EQ(test::httpGet(coord_->port(), "/v1/settlements?channel=nowhere").status, 400);
  EXPECT_EQ(test::httpPost(coord_->port(), "/v1/settlements/ebay/fetch", "").status, 400) << "not configured";
}

// The connector alone against the simulator: Shopify's REST limit answered with 429 is a retry
// error, REST calls are held for Retry-After (msUntilReady(kPayouts)), and the next call reads the
// payout with its lines.
TEST(ShopifyPayoutsAtTheSimulator, A429IsARetryThatHoldsRestCallsForRetryAfter) {
  ChannelSim sim("shopify");
  json seeded = sim.seed(json::array({{{"sku", "S-1"}, {"quantity", 5}, {"price", "4.00"}}}));
  auto conn = coordinator::channels::makeConnector(sim.connectorConfig(seeded), common::SystemClock::instance());
  ASSERT_TRUE(conn.ok()) << conn.error().toString();
  std::string order_id = sim.order({{"lines", {{{"sku", "S-1"}, {"quantity", 1}}}}})["order_id"];
  ASSERT_EQ(test::httpPost(sim.port(), "/_sim/payouts", "{}").status, 201);
  ASSERT_EQ(sim.faults({{"throttle_next", 1}}).status, 200);

  auto refused = (*conn)->fetchPayouts({});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, common::ErrorKind::kRetry) << refused.error().toString();
  EXPECT_GT((*conn)->msUntilReady(coordinator::channels::Operation::kPayouts), 0);
  auto held = (*conn)->fetchPayouts({});
  ASSERT_FALSE(held.ok()) << "held without a call";
  EXPECT_NE(held.error().message.find("held"), std::string::npos) << held.error().message;

  ASSERT_TRUE(test::waitFor([&] { return (*conn)->msUntilReady(coordinator::channels::Operation::kPayouts) == 0; }, 30s));
  auto page = (*conn)->fetchPayouts({});
  ASSERT_TRUE(page.ok()) << page.error().toString();
  ASSERT_EQ(page->payouts.size(), 1u);
  const auto& p = page->payouts[0];
  EXPECT_EQ(p.amount.toString(), "3.58") << "4.00 less 0.42";
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0].order_id, order_id);
  EXPECT_EQ(p.lines[0].fee.toString(), "0.42");
  EXPECT_EQ(p.lines[1].kind, coordinator::channels::PayoutLineKind::kPayout);
  EXPECT_TRUE(page->next_page_token.empty());
}

}  // namespace sw
