// The KPI history end to end (issue 18): a real coordinator sampling every 100 ms, a real
// Mosquitto, a till (agent) and the Shopify simulator. Sales, a return and a count go through;
// GET /v1/kpis/history gains points whose latest values agree with GET /v1/kpis and add up to
// what was sold, and /metrics shows the new histograms. Every wait is on a condition.

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fstream>

#include "sim_fixture.h"
#include "sw/common/http_socket.h"

namespace sw {
namespace {

using nlohmann::json;
using test::ChannelSim;
using namespace std::chrono_literals;

class KpiHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<ChannelSim>("shopify", std::vector<std::string>{});
    json seeded = sim_->seed(json::array({{{"sku", "P-1"}, {"quantity", 0}}}));
    json cfg = {{"channels", {{"shopify", {{"connector", sim_->connectorConfig(seeded, "whsec-" + common::newUuid())}}}}},
                {"push", {{"backoff_initial_ms", 50}, {"accepted_readback_ms", 100}}}};
    {
      std::ofstream out(dir_.file("channels.json"));
      out << cfg.dump(2);
    }
    coord_ = std::make_unique<test::CoordinatorProc>(
        dir_, broker_.url(), std::map<std::string, std::string>{},
        std::vector<std::string>{"--channels-config", dir_.file("channels.json"), "--kpi-sample-ms", "100"});
    coord_->start();
    till_ = std::make_unique<test::AgentProc>(dir_, "till-1", "store-1", broker_.url());
    till_->start();
  }

  std::optional<int64_t> shows(const std::string& sku) {
    json l = sim_->listing(sku);
    if (!l.contains("quantity") || !l["quantity"].is_number_integer()) return std::nullopt;
    return l["quantity"].get<int64_t>();
  }
  json history(const std::string& query) {
    auto r = test::httpGet(coord_->port(), "/v1/kpis/history?" + query);
    EXPECT_EQ(r.status, 200) << query << " " << r.body.dump();
    return r.body;
  }
  // The series of that name and labels, or null.
  json series(const json& h, const std::string& name, const json& labels = json::object()) {
    for (const json& s : h["series"]) {
      if (s["name"] == name && s["labels"] == labels) return s;
    }
    return json();
  }
  // Every point of a series added up (a "since the last sample" series sums to the total).
  double total(const std::string& name, const json& labels) {
    json s = series(history("series=" + name + "&since_ms=0"), name, labels);
    double sum = 0;
    if (s.is_null()) return -1;
    for (const json& p : s["points"]) sum += p[1].get<double>();
    return sum;
  }
  std::optional<double> latest(const std::string& name, const json& labels = json::object()) {
    json s = series(history("series=" + name), name, labels);
    if (s.is_null() || s["points"].empty()) return std::nullopt;
    return s["points"].back()[1].get<double>();
  }
  std::string logs() { return coord_->logs(); }

  test::TempDir dir_;
  test::Broker broker_;
  std::unique_ptr<ChannelSim> sim_;
  std::unique_ptr<test::CoordinatorProc> coord_;
  std::unique_ptr<test::AgentProc> till_;
};

TEST_F(KpiHistoryTest, SalesShowInTheHistoryAndTheLatestPointsAgreeWithTheKpis) {
  ASSERT_EQ(till_->movement({{"type", "receive"}, {"lines", {{{"sku", "P-1"}, {"qty", 10}}}}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return shows("P-1") == 10; }, 30s)) << logs();
  ASSERT_EQ(till_->sell("P-1", 2, "2.50").status, 201);
  ASSERT_EQ(till_->sell("P-1", 1, "2.50").status, 201);
  json ret = {{"lines", {{{"sku", "P-1"}, {"qty", 1}, {"unit_price", "2.50"}}}}};
  ASSERT_EQ(test::httpPost(till_->port(), "/v1/returns", ret.dump()).status, 201);
  ASSERT_EQ(till_->movement({{"type", "count"}, {"sku", "P-1"}, {"counted", 8}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return shows("P-1") == 8; }, 30s)) << logs();

  // What was sold, sample by sample, adds up to what the till sold: 3 units, 7.50.
  EXPECT_TRUE(test::waitFor([&] { return total("sales_units", {{"location", "store-1"}}) == 3; }, 30s))
      << history("since_ms=0").dump() << logs();
  EXPECT_DOUBLE_EQ(total("sales_amount", {{"location", "store-1"}}), 7.5);
  // The history keeps gaining points; later samples sold nothing, so the total stays 3.
  json h, units;
  EXPECT_TRUE(test::waitFor([&] {
    h = history("series=sales_units,sync_latency_p50_ms,sync_latency_p99_ms,channel_latency_p99_ms&since_ms=0");
    units = series(h, "sales_units", {{"location", "store-1"}});
    return !units.is_null() && units["points"].size() >= 3;
  }, 30s)) << h.dump();
  EXPECT_DOUBLE_EQ(total("sales_units", {{"location", "store-1"}}), 3);
  EXPECT_EQ(h["interval_ms"], 100);
  EXPECT_EQ(h["retention_h"], 744);
  EXPECT_EQ(units["unit"], "units");
  // Only the series asked for.
  for (const json& s : h["series"]) {
    EXPECT_TRUE(s["name"] == "sales_units" || s["name"] == "sync_latency_p50_ms" || s["name"] == "sync_latency_p99_ms" ||
                s["name"] == "channel_latency_p99_ms")
        << s["name"];
  }
  json p99 = series(h, "sync_latency_p99_ms");
  ASSERT_FALSE(p99.is_null()) << h.dump();
  EXPECT_EQ(p99["unit"], "ms");
  EXPECT_GE(p99["points"].size(), 1u);
  for (const json& p : p99["points"]) EXPECT_GE(p[1].get<double>(), 0);
  // Applied to accepted at Shopify: the pushes of 10 and 8 at least.
  json ch = series(h, "channel_latency_p99_ms", {{"channel", "shopify"}});
  ASSERT_FALSE(ch.is_null()) << h.dump();
  EXPECT_GE(ch["points"].size(), 1u);

  // The latest points and GET /v1/kpis give the same figures (same code, same data).
  json kpis;
  auto agree = [&](const std::string& name, const json& now) {
    auto v = latest(name);
    return v && now.is_number() && std::abs(*v - now.get<double>()) < 1e-9;
  };
  // (The return rate comes from the revenue lines, which the orders worker writes a moment after
  // the events are applied: wait for all of them.)
  EXPECT_TRUE(test::waitFor([&] {
    kpis = test::httpGet(coord_->port(), "/v1/kpis").body;
    return kpis["return_rate"]["units_sold"] == 3 && kpis["return_rate"]["units_returned"] == 1 &&
           agree("inventory_accuracy_pct", kpis["inventory_accuracy"]["accuracy_pct"]) &&
           agree("return_rate_pct", kpis["return_rate"]["return_rate_pct"]);
  }, 30s)) << kpis.dump() << history("since_ms=0").dump();
  EXPECT_EQ(kpis["inventory_accuracy"]["accuracy_pct"], 100.0);
  // Returned against sold: 1 of 3 units; no channel refunds.
  EXPECT_EQ(kpis["return_rate"]["units_sold"], 3);
  EXPECT_EQ(kpis["return_rate"]["units_returned"], 1);
  EXPECT_EQ(kpis["return_rate"]["units_refunded"], 0);
  EXPECT_NEAR(kpis["return_rate"]["return_rate_pct"].get<double>(), 100.0 / 3, 1e-9);
  json inv = series(history("series=inventory_accuracy_pct"), "inventory_accuracy_pct");
  EXPECT_EQ(inv["target"], 98.0);
  // No order has shipped: no fulfilment accuracy yet, in either.
  EXPECT_TRUE(kpis["fulfilment_accuracy"]["accuracy_pct"].is_null()) << kpis.dump();
  EXPECT_EQ(kpis["fulfilment_accuracy"]["target_pct"], 99.5);
  EXPECT_FALSE(latest("fulfilment_accuracy_pct"));
  // The till is online and has sent everything.
  EXPECT_TRUE(test::waitFor([&] { return latest("devices_offline") == 0.0 && latest("unsynced_events") == 0.0; }, 30s))
      << history("series=devices_offline,unsynced_events").dump();

  // A refused request shows in the 4xx rate of a later sample.
  auto bad = test::httpGet(coord_->port(), "/v1/kpis/history?since_ms=soon");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["code"], "bad_param") << bad.body.dump();
  EXPECT_TRUE(test::waitFor([&] {
    json s = series(history("series=http_4xx_rate_pct&since_ms=0"), "http_4xx_rate_pct");
    if (s.is_null()) return false;
    for (const json& p : s["points"]) {
      if (p[1].get<double>() > 0) return true;
    }
    return false;
  }, 30s)) << history("series=http_4xx_rate_pct&since_ms=0").dump();

  // /metrics: the new histograms and the requests by route pattern, never by raw path.
  EXPECT_EQ(test::httpGet(coord_->port(), "/v1/orders/shopify/no-such-order").status, 404);
  // The server counts a request once its answer is written: the next scrape may come first.
  const std::string by_pattern =
      "stockwire_http_requests_total{method=\"GET\",route=\"/v1/orders/{channel}/{id}\",code=\"404\"} 1\n";
  std::string m;
  EXPECT_TRUE(test::waitFor([&] { return (m = test::httpGetText(coord_->port(), "/metrics")).find(by_pattern) !=
                                         std::string::npos; }, 30s)) << m;
  EXPECT_NE(m.find("# TYPE stockwire_sync_latency_seconds histogram\n"), std::string::npos) << m;
  size_t at = m.find("\nstockwire_sync_latency_seconds_count ");
  ASSERT_NE(at, std::string::npos) << m;
  EXPECT_GE(std::stoll(m.substr(at + std::string("\nstockwire_sync_latency_seconds_count ").size())), 5) << m;
  EXPECT_NE(m.find("# TYPE stockwire_channel_latency_seconds histogram\n"), std::string::npos) << m;
  at = m.find("stockwire_channel_latency_seconds_count{channel=\"shopify\"} ");
  ASSERT_NE(at, std::string::npos) << m;
  EXPECT_GE(std::stoll(m.substr(at + std::string("stockwire_channel_latency_seconds_count{channel=\"shopify\"} ").size())),
            2);
  EXPECT_NE(m.find("stockwire_http_requests_total{method=\"GET\",route=\"/v1/kpis/history\",code=\"400\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("no-such-order"), std::string::npos);
  EXPECT_EQ(m.find("since_ms"), std::string::npos);
}

// Issue 20, "Reporting": GET /v1/reports/sales and GET /v1/kpis count the same sales, from the
// revenue lines (kpi_figures.h), and a store manager's report is its own store's only. Two tills
// at two stores sell at their prices; one takes a unit back.
TEST_F(KpiHistoryTest, TheReportAndTheKpisCountTheSameSalesAndAStoreManagerSeesItsOwnStoreOnly) {
  test::AgentProc till2(dir_, "till-2", "store-2", broker_.url());
  till2.start();
  for (test::AgentProc* t : {till_.get(), &till2}) {
    ASSERT_EQ(t->movement({{"type", "receive"}, {"lines", {{{"sku", "P-1"}, {"qty", 10}}}}}).status, 201);
  }
  ASSERT_EQ(till_->sell("P-1", 2, "2.50").status, 201);
  json ret = {{"lines", {{{"sku", "P-1"}, {"qty", 1}, {"unit_price", "2.50"}}}}};
  ASSERT_EQ(test::httpPost(till_->port(), "/v1/returns", ret.dump()).status, 201);
  ASSERT_EQ(till2.sell("P-1", 4, "1.00").status, 201);

  // Yesterday to tomorrow (UTC), so a run across midnight still finds the sales.
  const int64_t today = std::chrono::duration_cast<std::chrono::hours>(
                            std::chrono::system_clock::now().time_since_epoch()).count() / 24;
  auto day = [](int64_t days) {
    const std::time_t t = static_cast<std::time_t>(days * 86'400);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return std::string(buf);
  };
  const std::string report = "/v1/reports/sales?by=location&from=" + day(today - 1) + "&to=" + day(today + 1);
  json all;
  ASSERT_TRUE(test::waitFor([&] {
    all = test::httpGet(coord_->port(), report).body;
    return all["totals"].is_array() && all["totals"].size() == 1 && all["totals"][0]["units_sold"] == 6 &&
           all["totals"][0]["units_returned"] == 1;
  }, 30s)) << all.dump() << logs();
  ASSERT_EQ(all["rows"].size(), 2u) << all.dump();
  EXPECT_EQ(all["rows"][0]["location"], "store-1");
  EXPECT_EQ(all["rows"][0]["gross"], "5.00");
  EXPECT_EQ(all["rows"][0]["refunds"], "2.50");
  EXPECT_EQ(all["rows"][0]["net"], "2.50");
  EXPECT_EQ(all["rows"][0]["return_rate_pct"], "50.00");
  EXPECT_EQ(all["rows"][1]["location"], "store-2");
  EXPECT_EQ(all["rows"][1]["gross"], "4.00");
  EXPECT_EQ(all["totals"][0]["net"], "6.50");
  // The report's return rate and /v1/kpis' are the same units.
  EXPECT_EQ(all["return_rate"]["units_sold"], 6) << all.dump();
  EXPECT_EQ(all["return_rate"]["units_returned"], 1) << all.dump();
  json kpis = test::httpGet(coord_->port(), "/v1/kpis").body;
  EXPECT_EQ(kpis["return_rate"]["units_sold"], 6) << kpis.dump();
  EXPECT_EQ(kpis["return_rate"]["units_returned"], 1) << kpis.dump();
  EXPECT_EQ(kpis["return_rate"]["units_refunded"], 0) << kpis.dump();
  EXPECT_NEAR(kpis["return_rate"]["return_rate_pct"].get<double>(), 100.0 / 6, 1e-9);

  // A store manager of store-1: its store's rows, totals and return rate, asked or not.
  const std::string manager = "Bearer " + coord_->createToken("report-manager", "store_manager", "store-1");
  for (const std::string& q : {report, report + "&location=store-1"}) {
    auto mine = test::httpGet(coord_->port(), q, {{"Authorization", manager}});
    ASSERT_EQ(mine.status, 200) << q << " " << mine.body.dump();
    ASSERT_EQ(mine.body["rows"].size(), 1u) << mine.body.dump();
    EXPECT_EQ(mine.body["rows"][0]["location"], "store-1");
    EXPECT_EQ(mine.body["totals"][0]["units_sold"], 2) << mine.body.dump();
    EXPECT_EQ(mine.body["totals"][0]["net"], "2.50") << mine.body.dump();
    EXPECT_EQ(mine.body["return_rate"]["units_sold"], 2) << mine.body.dump();
    EXPECT_EQ(mine.body["return_rate"]["units_returned"], 1) << mine.body.dump();
  }
  auto other = test::httpGet(coord_->port(), report + "&location=store-2", {{"Authorization", manager}});
  EXPECT_EQ(other.status, 403) << other.body.dump();
  EXPECT_EQ(other.body["error"]["code"], "forbidden") << other.body.dump();
  EXPECT_EQ(other.body.dump().find("4.00"), std::string::npos) << other.body.dump();
  // The CSV too.
  httplib::Client c = common::makeHttpClient("127.0.0.1", coord_->port());
  auto csv = c.Get(report + "&format=csv", httplib::Headers{{"Authorization", manager}});
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200);
  EXPECT_NE(csv->body.find(",store-1,"), std::string::npos) << csv->body;
  EXPECT_EQ(csv->body.find("store-2"), std::string::npos) << csv->body;
}

TEST_F(KpiHistoryTest, BadQueriesAreRefusedWith400AndTheRangeIsHonoured) {
  for (const char* q : {"series=Sales%20units", "series=a,,b", "since_ms=-1", "until_ms=1e3", "since_ms=20&until_ms=10"}) {
    auto r = test::httpGet(coord_->port(), std::string("/v1/kpis/history?") + q);
    EXPECT_EQ(r.status, 400) << q << " " << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "bad_param") << q << " " << r.body.dump();
  }
  // A sample or two, then a range that ends before the first: no points.
  ASSERT_TRUE(test::waitFor([&] { return latest("devices_offline").has_value(); }, 30s)) << logs();
  json h = history("since_ms=0&until_ms=1000");
  EXPECT_TRUE(h["series"].empty()) << h.dump();
  EXPECT_EQ(h["since_ms"], 0);
  EXPECT_EQ(h["until_ms"], 1000);
  // Every role reads it.
  const std::string viewer = coord_->createToken("kpi-viewer", "viewer");
  auto r = test::httpGet(coord_->port(), "/v1/kpis/history?series=devices_offline",
                         {{"Authorization", "Bearer " + viewer}});
  EXPECT_EQ(r.status, 200) << r.body.dump();
  EXPECT_FALSE(r.body["series"].empty()) << r.body.dump();
}

}  // namespace
}  // namespace sw
