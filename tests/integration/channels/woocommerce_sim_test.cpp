// The WooCommerce connector against the real simulator process.

#include <gtest/gtest.h>

#include "sim_fixture.h"
#include "sw/common/clock.h"
#include "sw/common/http_socket.h"
#include "sw/common/pricing.h"
#include "sw/coordinator/channels/woocommerce_connector.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;
using test::ChannelSim;
using namespace std::chrono_literals;

class WooSimTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}, WooCommerceConfig c = {}) {
    sim_ = std::make_unique<ChannelSim>("woocommerce", extra);
    json listings = json::array();
    for (int i = 0; i < 6; ++i) listings.push_back({{"sku", "W" + std::to_string(i)}, {"quantity", 10}});
    listings.push_back({{"sku", "LOOSE"}, {"quantity", 1}, {"manage_stock", false}});
    sim_->seed(listings);
    conn_ = make(c);
  }
  std::unique_ptr<WooCommerceConnector> make(WooCommerceConfig c) {
    c.consumer_key = sim_->consumerKey();
    c.consumer_secret = sim_->consumerSecret();
    auto conn = WooCommerceConnector::create(c, sim_->client(read_timeout_ms_), common::SystemClock::instance());
    EXPECT_TRUE(conn.ok());
    return conn.ok() ? std::move(*conn) : nullptr;
  }
  static std::vector<QuantityUpdate> updates(int n, int64_t qty) {
    std::vector<QuantityUpdate> out;
    for (int i = 0; i < n; ++i) out.push_back({"W" + std::to_string(i), qty, std::nullopt, ""});
    return out;
  }
  int64_t read_timeout_ms_ = 5'000;
  std::unique_ptr<ChannelSim> sim_;
  std::unique_ptr<WooCommerceConnector> conn_;
};

TEST_F(WooSimTest, The413TeachesTheBatchLimit) {
  start({"--batch-limit", "3"});
  auto big = conn_->pushQuantities(updates(5, 4));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "batch_too_large");
  EXPECT_EQ(conn_->maxBatch(), 3u);
  EXPECT_EQ(sim_->listing("W0")["quantity"], 10);  // nothing changed
  auto ok = conn_->pushQuantities(updates(3, 4));
  ASSERT_TRUE(ok.ok()) << ok.error().toString();
  for (const ItemResult& i : ok->items) EXPECT_EQ(i.outcome, ItemOutcome::kApplied) << i.sku << " " << i.message;
  EXPECT_EQ(sim_->listing("W2")["quantity"], 4);
}

TEST_F(WooSimTest, StockQuantityNeedsManageStock) {
  start();
  WooCommerceConfig hands_off;
  hands_off.enable_manage_stock = false;
  auto cautious = make(hands_off);
  auto refused = cautious->pushQuantities({{"LOOSE", 5, std::nullopt, ""}, {"NOPE", 1, std::nullopt, ""}});
  ASSERT_TRUE(refused.ok()) << refused.error().toString();
  EXPECT_EQ(refused->items[0].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(refused->items[0].code, "stock_not_managed");
  EXPECT_EQ(refused->items[1].outcome, ItemOutcome::kNotListed);
  EXPECT_EQ(refused->items[1].code, "unknown_sku");
  auto r = conn_->pushQuantities({{"LOOSE", 5, std::nullopt, ""}});  // default: turns manage_stock on
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(sim_->listing("LOOSE")["manage_stock"], true);
  EXPECT_EQ(sim_->listing("LOOSE")["quantity"], 5);
  auto levels = conn_->readQuantities({"LOOSE", "W1"});
  ASSERT_TRUE(levels.ok());
  EXPECT_EQ((*levels)[0].quantity, 5);
  EXPECT_EQ((*levels)[1].quantity, 10);
}

ChannelPrice wooPrice(const std::string& sku, const char* regular, const char* sale = nullptr, int64_t from = 0, int64_t to = 0) {
  ChannelPrice p;
  p.sku = sku;
  p.currency = "USD";
  p.regular = *common::Decimal::parse(regular);
  if (sale) {
    p.sale = *common::Decimal::parse(sale);
    p.promotion = "P1";
    p.sale_starts_ms = from;
    p.sale_ends_ms = to;
  }
  return p;
}

TEST_F(WooSimTest, PricesAndScheduledSalesAreSetAndEnded) {
  start();
  int64_t now = common::SystemClock::instance().nowMs();
  int64_t hour = 3'600'000;
  auto r = conn_->pushPrices({{wooPrice("W0", "19.99", "14.99", now - hour, now + hour)},
                              {wooPrice("W1", "9.99", "7.99", now + hour, now + 2 * hour)},
                              {wooPrice("NOPE", "1.00")}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied) << r->items[0].message;
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kApplied) << r->items[1].message;
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kNotListed);
  json w0 = sim_->listing("W0")["prices"];
  EXPECT_EQ(w0["regular_price"], "19.99");
  EXPECT_EQ(w0["sale_price"], "14.99");
  EXPECT_EQ(w0["on_sale"], true);
  EXPECT_EQ(w0["price"], "14.99");
  json w1 = sim_->listing("W1")["prices"];
  EXPECT_EQ(w1["sale_price"], "7.99");
  EXPECT_EQ(w1["on_sale"], false);  // its window has not started
  EXPECT_EQ(w1["price"], "9.99");
  EXPECT_EQ(w1["date_on_sale_from_gmt"], common::formatIsoUtcMs(now + hour).substr(0, 19));
  EXPECT_EQ(sim_->listing("W0")["quantity"], 10);  // prices leave stock alone

  auto end = conn_->pushPrices({{wooPrice("W0", "19.99")}});  // the promotion is over
  ASSERT_TRUE(end.ok()) << end.error().toString();
  EXPECT_EQ(end->items[0].outcome, ItemOutcome::kApplied) << end->items[0].message;
  w0 = sim_->listing("W0")["prices"];
  EXPECT_EQ(w0["sale_price"], nullptr);
  EXPECT_EQ(w0["on_sale"], false);
  EXPECT_EQ(w0["price"], "19.99");
  EXPECT_EQ(w0["date_on_sale_to_gmt"], nullptr);
}

TEST_F(WooSimTest, BadPriceFieldsAreRefusedPerItemAndChangeNothing) {
  start();
  std::string path = "/wp-json/wc/v3/products/batch?consumer_key=" + sim_->consumerKey() +
                     "&consumer_secret=" + sim_->consumerSecret();
  int64_t id = std::stoll(sim_->listing("W0")["channel_id"].get<std::string>());
  for (const json& bad : {json{{"id", id}, {"sale_price", 4.5}}, json{{"id", id}, {"regular_price", "ten"}},
                          json{{"id", id}, {"sale_price", "5.00"}, {"date_on_sale_from_gmt", "next tuesday"}},
                          json{{"id", id}, {"date_on_sale_from_gmt", "2026-12-02T00:00:00"}, {"date_on_sale_to_gmt", "2026-12-01T00:00:00"}}}) {
    auto r = test::httpPost(sim_->port(), path, json{{"update", json::array({bad})}}.dump(), {{"Authorization", ""}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const json& item = r.body["update"][0];
    ASSERT_TRUE(item.contains("error")) << bad.dump() << " -> " << item.dump();
    EXPECT_EQ(item["error"]["code"], "rest_invalid_param") << bad.dump();
    EXPECT_EQ(item["error"]["data"]["status"], 400);
  }
  json w0 = sim_->listing("W0")["prices"];
  EXPECT_EQ(w0["regular_price"], "10.00");
  EXPECT_EQ(w0["sale_price"], nullptr);
  EXPECT_EQ(w0["updates"], 0);
}

TEST_F(WooSimTest, WebhooksPingSignAndGetDisabledAfterFailures) {
  test::WebhookReceiver hook;
  std::string secret = common::newUuid();
  start({"--webhook-url", hook.url(), "--webhook-secret", secret});
  // Two webhooks (order.created, order.updated) were created at start: two pings.
  ASSERT_TRUE(test::waitFor([&] { return hook.count() >= 2; }, 10s));
  auto ping = parseWebhook(ChannelKind::kWooCommerce, hook.deliveries()[0].headers, hook.deliveries()[0].body, secret);
  ASSERT_TRUE(ping.ok()) << ping.error().toString();
  EXPECT_EQ(ping->kind, WebhookKind::kPing);

  json created = sim_->order({{"lines", json::array({{{"sku", "W1"}, {"quantity", 3}, {"price", "2.99"}}})}});
  ASSERT_TRUE(test::waitFor([&] { return hook.count() >= 3; }, 10s));
  auto d = hook.deliveries()[2];
  auto parsed = parseWebhook(ChannelKind::kWooCommerce, d.headers, d.body, secret);
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  EXPECT_EQ(parsed->topic, "order.created");
  EXPECT_EQ(parsed->orders[0].order_id, created["order_id"]);
  EXPECT_EQ(parsed->orders[0].lines[0].unit_price->amount.toString(), "2.99");
  EXPECT_EQ(sim_->listing("W1")["quantity"], 7);

  hook.answerWith(500);
  for (int i = 0; i < 5; ++i) sim_->order({{"lines", json::array({{{"sku", "W2"}, {"quantity", 1}}})}});
  ASSERT_TRUE(test::waitFor([&] { return hook.count() >= 8; }, 10s));
  httplib::Client cli = common::makeHttpClient("127.0.0.1", sim_->port());
  cli.set_basic_auth(sim_->consumerKey().c_str(), sim_->consumerSecret().c_str());
  ASSERT_TRUE(test::waitFor(
      [&] {
        auto r = cli.Get("/wp-json/wc/v3/webhooks");
        if (!r || r->status != 200) return false;
        json hooks = json::parse(r->body);
        for (const json& h : hooks) {
          if (h["topic"] == "order.created") return h["status"] == "disabled";
        }
        return false;
      },
      10s));
  size_t before = hook.count();
  hook.answerWith(200);
  json last = sim_->order({{"lines", json::array({{{"sku", "W3"}, {"quantity", 1}}})}});
  // Deliveries go out in order: once the cancellation (order.updated, still active) has
  // arrived, an order.created delivery would have arrived before it.
  ASSERT_EQ(test::httpPost(sim_->port(), "/_sim/orders/" + last["order_id"].get<std::string>() + "/cancel", "{}").status, 200);
  ASSERT_TRUE(test::waitFor([&] { return hook.count() > before; }, 10s));
  ASSERT_EQ(hook.count(), before + 1);
  auto update = parseWebhook(ChannelKind::kWooCommerce, hook.deliveries().back().headers, hook.deliveries().back().body, secret);
  ASSERT_TRUE(update.ok()) << update.error().toString();
  EXPECT_EQ(update->topic, "order.updated");
  EXPECT_EQ(update->orders[0].status, OrderStatus::kCancelled);
  EXPECT_EQ(update->orders[0].releases.size(), 1u);
}

TEST_F(WooSimTest, OrdersArePolledPageByPage) {
  WooCommerceConfig c;
  c.order_page_size = 2;
  start({}, c);
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.insert(sim_->order({{"lines", json::array({{{"sku", "W4"}, {"quantity", 1}}})}})["order_id"].get<std::string>());
  }
  OrderCursor cursor;
  std::set<std::string> seen;
  int pages = 0;
  std::string next_since;
  while (pages++ < 10) {
    auto page = conn_->pollOrders(cursor);
    ASSERT_TRUE(page.ok()) << page.error().toString();
    for (const auto& o : page->orders) seen.insert(o.order_id);
    if (page->next_page_token.empty()) {
      next_since = page->next_updated_since;
      break;
    }
    cursor.page_token = page->next_page_token;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, ids);
  EXPECT_FALSE(next_since.empty());
}

TEST_F(WooSimTest, HangsAndHostThrottlingAreRetryErrors) {
  read_timeout_ms_ = 500;
  start();
  ASSERT_EQ(sim_->faults({{"hang_next", 1}, {"hang_ms", 3000}}).status, 200);
  auto hung = conn_->pushQuantities(updates(1, 1));
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.error().kind, common::ErrorKind::kRetry);
  ASSERT_EQ(sim_->faults({{"throttle_next", 1}}).status, 200);
  auto throttled = conn_->pushQuantities(updates(1, 1));
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.error().code, "http_429");
  EXPECT_GT(conn_->msUntilReady(Operation::kPush), 0);  // Retry-After: 1
  ASSERT_TRUE(test::waitFor([&] { return conn_->msUntilReady(Operation::kPush) == 0; }, 5s));
  auto ok = conn_->pushQuantities(updates(1, 1));
  ASSERT_TRUE(ok.ok()) << ok.error().toString();
  EXPECT_EQ(ok->items[0].outcome, ItemOutcome::kApplied);
}

}  // namespace
}  // namespace sw::coordinator::channels
