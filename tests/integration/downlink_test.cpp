// Stock views down to the stores: versioned snapshots and changes over MQTT, local estimates.

#include <gtest/gtest.h>

#include "sw/harness/proxy.h"
#include "stack.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The agent's estimate for (sku, location), or nullopt.
std::optional<int64_t> estimate(test::AgentProc& a, const std::string& sku, const std::string& loc) {
  auto r = test::httpGet(a.port(), "/v1/stock/" + sku);
  if (r.status != 200) return std::nullopt;
  for (const auto& l : r.body["locations"]) {
    if (l["location"] == loc) return l["estimate"].get<int64_t>();
  }
  return std::nullopt;
}

}  // namespace

TEST(StockViews, ANewDeviceGetsASnapshotInPagesThenFollowsChanges) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();
  // 1,200 SKUs on hand at store-1: more than two pages of 500.
  for (int part = 0; part < 3; ++part) {  // 400 lines per event (the limit is 500)
    json lines = json::array();
    for (int i = part * 400; i < (part + 1) * 400; ++i) {
      lines.push_back({{"sku", "SKU-" + std::to_string(1000 + i)}, {"qty", 10 + i % 7}});
    }
    ASSERT_EQ(till.movement({{"type", "receive"}, {"lines", lines}}).status, 201);
  }
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-2199", "store-1").has_value(); }, 20s));

  test::AgentProc hh(dir, "hh-1", "store-1", broker.url(), "handheld", {}, {"--nearby", "store-2"});
  hh.start();
  ASSERT_TRUE(test::waitFor([&] { return estimate(hh, "SKU-2199", "store-1") == 10 + 1199 % 7; }, 20s))
      << hh.status().dump();
  EXPECT_EQ(estimate(hh, "SKU-1000", "store-1"), 10);
  EXPECT_EQ(estimate(hh, "SKU-1600", "store-1"), 10 + 600 % 7);
  // 1,200 rows at 500 a page: the snapshot came in three pages (and the till's own view in more).
  std::string metrics = test::httpGetText(coord.port(), "/metrics");
  auto at = metrics.find("\nstockwire_downlink_pages_total ");
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_GE(std::stoll(metrics.substr(at + 32)), 3);

  // A sale on the till reaches the handheld's view as a change.
  ASSERT_EQ(till.sell("SKU-1000", 3).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return estimate(hh, "SKU-1000", "store-1") == 7; }, 20s)) << hh.status().dump();

  // Nearby store-2 appears once it has stock.
  test::AgentProc till2(dir, "till-2", "store-2", broker.url());
  till2.start();
  ASSERT_EQ(till2.movement({{"type", "receive"}, {"sku", "SKU-1000"}, {"qty", 4}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return estimate(hh, "SKU-1000", "store-2") == 4; }, 20s)) << hh.status().dump();

  json st = hh.status();
  bool seen = false;
  for (const auto& d : st["downlink"]) {
    if (d["kind"] == "stock" && d["location"] == "store-1") {
      seen = true;
      EXPECT_EQ(d["catching_up"], false);
    }
  }
  EXPECT_TRUE(seen) << st.dump();
}

TEST(StockViews, OfflineTheEstimateIsTheLastViewPlusOwnMovesAndItCatchesUpAfter) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-A"}, {"qty", 20}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return estimate(till, "SKU-A", "store-1") == 20; }, 20s));
  test::AgentProc till2(dir, "till-2", "store-1", broker.url());
  till2.start();
  ASSERT_TRUE(test::waitFor([&] { return estimate(till2, "SKU-A", "store-1") == 20; }, 20s));

  broker.kill9();  // both tills offline
  ASSERT_EQ(till.sell("SKU-A", 2).status, 201);
  ASSERT_EQ(till2.sell("SKU-A", 5).status, 201);
  // Each knows its own sales, not the other's.
  EXPECT_EQ(estimate(till, "SKU-A", "store-1"), 18);
  EXPECT_EQ(estimate(till2, "SKU-A", "store-1"), 15);
  ASSERT_EQ(till.movement({{"type", "count"}, {"sku", "SKU-A"}, {"counted", 12}}).status, 201);
  EXPECT_EQ(estimate(till, "SKU-A", "store-1"), 12);  // a local count resets the estimate
  ASSERT_EQ(till.sell("SKU-A", 1).status, 201);
  EXPECT_EQ(estimate(till, "SKU-A", "store-1"), 11);

  broker.start();
  // Back online, both converge on the ledger's figure (count 12 absorbs what came before it, then
  // the later sale of 1; till-2's sale of 5 happened before the count, so it is absorbed too).
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-A", "store-1") == 11; }, 30s))
      << coord.onHand("SKU-A", "store-1").value_or(-999);
  ASSERT_TRUE(test::waitFor([&] { return estimate(till, "SKU-A", "store-1") == 11; }, 30s));
  ASSERT_TRUE(test::waitFor([&] { return estimate(till2, "SKU-A", "store-1") == 11; }, 30s))
      << test::httpGet(till2.port(), "/v1/stock/SKU-A").body.dump();
}

// The race behind the test above: till-2's offline sale reaches the ledger only after till-1's later
// count, which absorbs it, so no figure changes and no new stock version is announced. till-2 must
// still learn that its view now includes the sale, or its estimate takes the sale off twice.
TEST(StockViews, AnOwnSaleThatALaterCountAbsorbedLeavesTheEstimateAtTheLedgersFigure) {
  test::TempDir dir;
  test::Broker broker;
  test::TcpProxy till2_net(broker.port());
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  test::AgentProc till2(dir, "till-2", "store-1", till2_net.url());
  till.start();
  till2.start();
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-A"}, {"qty", 20}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return estimate(till2, "SKU-A", "store-1") == 20; }, 20s));

  till2_net.cut();
  ASSERT_TRUE(test::waitFor([&] { return !till2.status().value("broker_connected", true); }, 60s));
  ASSERT_EQ(till2.sell("SKU-A", 5).status, 201);
  EXPECT_EQ(estimate(till2, "SKU-A", "store-1"), 15);
  ASSERT_EQ(till.movement({{"type", "count"}, {"sku", "SKU-A"}, {"counted", 12}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord.onHand("SKU-A", "store-1") == 12; }, 20s));

  till2_net.heal();
  // Acknowledged means applied: the ledger has the sale now.
  ASSERT_TRUE(test::waitFor([&] { return till2.status().value("queue_depth", -1) == 0; }, 30s)) << till2.status().dump();
  EXPECT_EQ(coord.onHand("SKU-A", "store-1"), 12);  // the count saw the shelf after the sale
  ASSERT_TRUE(test::waitFor([&] { return estimate(till2, "SKU-A", "store-1") == 12; }, 30s))
      << test::httpGet(till2.port(), "/v1/stock/SKU-A").body.dump() << till2.status().dump();
}
