// The ledger's rules through the real binaries: a count on a handheld while a till is offline and
// selling, the till syncing later; a transfer received short; discrepancies, KPIs and the movement
// log as a store manager would read them over HTTP.
//
// The coordinator runs with --count-tie-ms 0: the agents share this machine's clock, so their
// events are ordered by time alone, and each step below waits for the previous one to be applied,
// which puts milliseconds between them.

#include <gtest/gtest.h>

#include "sw/common/cli.h"
#include "sw/harness/proxy.h"
#include "stack.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json get(int port, const std::string& path) {
  auto r = test::httpGet(port, path);
  EXPECT_EQ(r.status, 200) << path << ": " << r.body.dump();
  return r.body;
}

}  // namespace

TEST(LedgerScenarios, ACountWhileATillIsOfflineAbsorbsItsEarlierSalesAndTransfersReceivedShortShowBothSides) {
  test::TempDir dir;
  test::Broker broker;
  test::TcpProxy till_net(broker.port());
  test::CoordinatorProc coord(dir, broker.url(), {}, {"--count-tie-ms", "0"});
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", till_net.url());
  test::AgentProc hh(dir, "hh-1", "store-1", broker.url(), "handheld");
  test::AgentProc hh2(dir, "hh-2", "store-2", broker.url(), "handheld");
  till_net.cut();  // the till's link is down from the start: it sells offline
  till.start();
  hh.start();
  hh2.start();

  ASSERT_EQ(hh.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 20}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-1", "store-1") == 20; }, 20s));
  EXPECT_FALSE(till.status().value("online", true));
  EXPECT_EQ(till.movement({{"type", "recieve"}, {"sku", "SKU-1"}, {"qty", 1}}).status, 400);  // a typo, refused
  ASSERT_EQ(till.sell("SKU-1", 2).status, 201);  // before the count: the shelf no longer has them
  const auto sold_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(test::waitFor([&] { return till.status().value("queue_depth", 0) == 1; }, 10s));
  // The ledger orders the two by their occurred times, corrected by each device's clock offset,
  // which is known to within half an ack round trip (tens of ms on a loaded machine): the count
  // comes half a second after the sale, so that it is after it whatever that error.
  ASSERT_TRUE(test::waitFor([&] { return std::chrono::steady_clock::now() - sold_at >= 500ms; }, 10s));

  // The handheld counts 15 (3 went missing besides the 2 sold), then the till sells 1 more.
  ASSERT_EQ(hh.movement({{"type", "count"}, {"sku", "SKU-1"}, {"counted", 15}}).status, 201);
  const auto counted_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-1", "store-1") == 15; }, 20s));
  // Half a second again, for the same reason: the handheld's clock offset was once estimated 24 ms
  // off, more than the few ms between the count and a sale made the moment it applied.
  ASSERT_TRUE(test::waitFor([&] { return std::chrono::steady_clock::now() - counted_at >= 500ms; }, 10s));
  ASSERT_EQ(till.sell("SKU-1", 1).status, 201);

  till_net.heal();
  ASSERT_TRUE(test::waitFor([&] { return till.status().value("queue_depth", -1) == 0; }, 30s)) << till.status().dump();
  // The sale before the count is absorbed by it; the one after applies on top.
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-1", "store-1") == 14; }, 20s))
      << get(coord.port(), "/v1/events?sku=SKU-1&location=store-1").dump();

  json d = get(coord.port(), "/v1/discrepancies?location=store-1");
  ASSERT_EQ(d["counts"].size(), 1u) << d.dump();
  const json& c = d["counts"][0];
  EXPECT_EQ(c["counted"], 15);
  EXPECT_EQ(c["expected"], 18);  // 20 received - 2 sold before the count, including the late sale
  EXPECT_EQ(c["difference"], -3);
  ASSERT_EQ(c["explained_by"].size(), 2u) << c.dump();
  EXPECT_EQ(c["explained_by"][0]["type"], "receive");
  EXPECT_EQ(c["explained_by"][1]["type"], "sale");
  EXPECT_EQ(c["explained_by"][1]["device_id"], "till-1");
  EXPECT_TRUE(c["explained_by"][1]["late"].get<bool>());

  json log = get(coord.port(), "/v1/events?sku=SKU-1&location=store-1");
  ASSERT_EQ(log["movements"].size(), 4u) << log.dump();
  EXPECT_EQ(log["on_hand"], 14);
  int64_t in_on_hand = 0;
  for (const auto& m : log["movements"]) {
    if (m["in_on_hand"].get<bool>()) in_on_hand += m["delta"].get<int64_t>();
  }
  EXPECT_EQ(log["starts_from_count"]["counted"].get<int64_t>() + in_on_hand, 14);

  // 5 shipped to store-2, 4 arrive.
  auto out = hh.movement({{"type", "transfer_out"}, {"sku", "SKU-1"}, {"qty", 5}, {"other_location", "store-2"}});
  ASSERT_EQ(out.status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-1", "store-1") == 9; }, 20s));
  json stock = get(coord.port(), "/v1/stock?sku=SKU-1");
  ASSERT_EQ(stock["in_transit"].size(), 1u) << stock.dump();
  EXPECT_EQ(stock["in_transit"][0]["qty"], 5);
  EXPECT_EQ(stock["in_transit"][0]["to_location"], "store-2");
  ASSERT_EQ(hh2.movement({{"type", "transfer_in"}, {"sku", "SKU-1"}, {"qty", 4}, {"other_location", "store-1"},
                          {"ref", out.body["event_id"]}})
                .status,
            201);
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-1", "store-2") == 4; }, 20s));
  EXPECT_TRUE(get(coord.port(), "/v1/stock?sku=SKU-1")["in_transit"].empty());
  d = get(coord.port(), "/v1/discrepancies");
  ASSERT_EQ(d["transfers"].size(), 1u) << d.dump();
  EXPECT_EQ(d["transfers"][0]["status"], "short");
  EXPECT_EQ(d["transfers"][0]["sent"], 5);
  EXPECT_EQ(d["transfers"][0]["received"], 4);
  EXPECT_EQ(d["transfers"][0]["shipment"]["device_id"], "hh-1");
  EXPECT_EQ(d["transfers"][0]["receipt"]["device_id"], "hh-2");

  json k = get(coord.port(), "/v1/kpis?tolerance=3");
  EXPECT_EQ(k["inventory_accuracy"]["counted_sku_locations"], 1);
  EXPECT_EQ(k["inventory_accuracy"]["within_tolerance"], 1);
  EXPECT_EQ(get(coord.port(), "/v1/kpis")["inventory_accuracy"]["within_tolerance"], 0);
  EXPECT_EQ(k["sync_latency"]["events"].get<int64_t>(), 6);  // receive, count, 2 sales, 2 transfers
  // The offline sales waited for the link: the slowest event took longer than the fastest.
  EXPECT_GT(k["sync_latency"]["max_ms"].get<double>(), k["sync_latency"]["p50_ms"].get<double>());
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/discrepancies?tolerance=x").status, 400);
  // Counted once the 400 has been answered (the counter moves after the reply is written).
  EXPECT_TRUE(test::waitFor(
      [&] { return get(coord.port(), "/v1/kpis")["errors"].value("http_rejected", 0) >= 1; }, 10s));
  // The till's own refusal reaches the fleet's figures through its state message.
  EXPECT_TRUE(test::waitFor(
      [&] { return get(coord.port(), "/v1/kpis")["errors"].value("device_rejected_requests", 0) >= 1; }, 20s));

  // A whole-location count session: SKU-2 was received at store-2 but is not on the shelf list.
  ASSERT_EQ(hh2.movement({{"type", "receive"}, {"sku", "SKU-2"}, {"qty", 6}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-2", "store-2") == 6; }, 20s));
  ASSERT_EQ(hh2.movement({{"type", "count"}, {"scope", "location"}, {"lines", {{{"sku", "SKU-1"}, {"counted", 4}}}}})
                .status,
            201);
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-2", "store-2") == 0; }, 20s));
  EXPECT_EQ(coord.onHand("SKU-1", "store-2"), 4);
  EXPECT_EQ(hh2.movement({{"type", "receive"}, {"scope", "location"}, {"sku", "SKU-2"}, {"qty", 1}}).status, 400);
}

// Issue 15 items 5, 6, 9, 10 over HTTP, as a store manager or IT would read them: a count's
// correction, a second void refused at the till, a void of an unknown sale listed as an anomaly
// and counted in /metrics, the commit histogram, and /v1/devices' own and reported figures.
TEST(LedgerScenarios, CountsVoidsAnomaliesAndDeviceFiguresReadAsTheyHappened) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url(), {}, {"--count-tie-ms", "0"});
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  test::AgentProc hh(dir, "hh-1", "store-1", broker.url(), "handheld");
  till.start();
  hh.start();
  ASSERT_EQ(hh.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 10}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-1", "store-1") == 10; }, 20s));
  ASSERT_EQ(hh.movement({{"type", "count"}, {"sku", "SKU-1"}, {"counted", 7}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-1", "store-1") == 7; }, 20s));
  json events = get(coord.port(), "/v1/events?device=hh-1&from_seq=1");
  ASSERT_EQ(events["events"].size(), 2u) << events.dump();
  const json& count = events["events"][1]["movements"][0];
  EXPECT_EQ(count["counted"], 7) << count.dump();
  EXPECT_EQ(count["delta"], -3) << "the count's correction, not 0";

  auto sale = till.sell("SKU-1", 1);
  ASSERT_EQ(sale.status, 201);
  json v = {{"ref", sale.body["event_id"]}};
  EXPECT_EQ(test::httpPost(till.port(), "/v1/voids", v.dump()).status, 201);
  auto again = test::httpPost(till.port(), "/v1/voids", v.dump());
  EXPECT_EQ(again.status, 409) << again.body.dump();
  EXPECT_EQ(again.body["error"]["code"], "already_voided");
  // A void naming no sale the ledger has: applied as an event, changes nothing, an anomaly.
  json unknown = {{"ref", "01a23ab2-0000-7000-8000-000000000001"}};
  ASSERT_EQ(test::httpPost(till.port(), "/v1/voids", unknown.dump()).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return get(coord.port(), "/v1/anomalies")["anomalies"].size() == 1; }, 20s));
  json a = get(coord.port(), "/v1/anomalies?code=void_unknown_ref");
  ASSERT_EQ(a["anomalies"].size(), 1u) << a.dump();
  EXPECT_EQ(a["anomalies"][0]["device_id"], "till-1");
  EXPECT_EQ(a["by_code"]["void_unknown_ref"], 1);
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/anomalies?limit=0").status, 400);
  EXPECT_EQ(coord.onHand("SKU-1", "store-1"), 7);

  const std::string metrics = test::httpGetText(coord.port(), "/metrics");
  EXPECT_NE(metrics.find("stockwire_ledger_anomalies{code=\"void_unknown_ref\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("# TYPE stockwire_ledger_commit_seconds histogram"), std::string::npos);
  EXPECT_NE(metrics.find("stockwire_ledger_commit_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
  EXPECT_EQ(metrics.find("stockwire_ledger_commit_seconds_total"), std::string::npos);

  // The coordinator's own figures at the top, the device's report under `reported` with its age.
  ASSERT_TRUE(test::waitFor([&] { return till.status().value("queue_depth", -1) == 0; }, 20s));
  json d = coord.device("till-1");
  EXPECT_EQ(d["last_acked_seq"], d["last_applied_seq"]) << d.dump();
  EXPECT_EQ(d["last_applied_seq"], 3);  // the sale, its void, the void of no sale (the second void recorded nothing)
  ASSERT_TRUE(test::waitFor([&] { return coord.device("till-1").contains("reported"); }, 20s)) << d.dump();
  d = coord.device("till-1");
  EXPECT_TRUE(d["reported"].contains("at_ms")) << d.dump();
  EXPECT_TRUE(d["reported"].contains("age_s"));
  EXPECT_TRUE(d["reported"].contains("last_acked_seq"));
  EXPECT_EQ(d["reported"].value("version", ""), std::string(common::version())) << d.dump();
  // It has recorded events within the hour: the time its disk lasts at that rate is known.
  ASSERT_TRUE(test::waitFor([&] { return coord.device("till-1")["reported"].contains("disk_time_left_s"); }, 20s))
      << coord.device("till-1").dump();
  d = coord.device("till-1");
  EXPECT_GT(d["reported"]["disk_time_left_s"].get<int64_t>(), 0);
  EXPECT_EQ(d["disk_time_left_s"], d["reported"]["disk_time_left_s"]) << "online: not counted down";

  // The list filters and pages for a large fleet; the summary stays the whole fleet's.
  json page = get(coord.port(), "/v1/devices?limit=1&offset=1");
  EXPECT_EQ(page["total"], 2) << page.dump();
  EXPECT_EQ(page["matched"], 2);
  EXPECT_EQ(page["limit"], 1);
  ASSERT_EQ(page["devices"].size(), 1u);
  EXPECT_EQ(page["devices"][0]["device_id"], "till-1") << "by store, then id: hh-1, till-1";
  EXPECT_EQ(page["summary"]["devices"], 2);
  EXPECT_EQ(page["summary"]["online"], 2);
  EXPECT_EQ(page["summary"]["stores"], 1);
  json found = get(coord.port(), "/v1/devices?q=HH-");
  ASSERT_EQ(found["devices"].size(), 1u) << found.dump();
  EXPECT_EQ(found["devices"][0]["device_id"], "hh-1");
  EXPECT_EQ(found["matched"], 1);
  EXPECT_EQ(get(coord.port(), "/v1/devices?device=till-1")["devices"].size(), 1u);
  EXPECT_EQ(get(coord.port(), "/v1/devices?state=offline")["devices"].size(), 0u);
  EXPECT_EQ(get(coord.port(), "/v1/devices?location=store-9")["devices"].size(), 0u);
  EXPECT_EQ(get(coord.port(), "/v1/devices?offset=5")["devices"].size(), 0u);
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/devices?state=asleep").status, 400);
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/devices?limit=1001").status, 400);
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/devices?offset=-1").status, 400);
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/devices?q=" + std::string(65, 'x')).status, 400);
}
