// The agent's local HTTP API against the real binary.

#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "sw/harness/proxy.h"
#include "stack.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

TEST(AgentApi, BadRequestsGetAJsonErrorAndRecordNothing) {
  test::TempDir dir;
  // No broker is listening here: the agent must still take sales.
  test::AgentProc till(dir, "till-1", "store-1", "tcp://127.0.0.1:" + std::to_string(test::freePort()));
  till.start();
  const char* bad[] = {"", "{", "[]", R"({"lines":[]})", R"({"lines":[{"sku":"A","qty":0}]})",
                       R"({"lines":[{"sku":"A","qty":1,"unit_price":1.5}]})"};
  for (const char* body : bad) {
    auto r = test::httpPost(till.port(), "/v1/sales", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_TRUE(r.body["error"]["code"].is_string()) << body;
  }
  auto m = test::httpPost(till.port(), "/v1/movements", R"({"type":"adjust","sku":"A","qty":-1})");
  EXPECT_EQ(m.status, 400);
  EXPECT_EQ(m.body["error"]["code"], "missing_reason");
  EXPECT_EQ(test::httpGet(till.port(), "/v1/nope").status, 404);
  EXPECT_EQ(till.status()["last_seq"], 0);

  auto ok = till.sell("A", 2, "9.99");
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(ok.body["seq"], 1);
  EXPECT_EQ(till.status()["queue_depth"], 1);
  EXPECT_EQ(till.status()["online"], false);
}

TEST(AgentApi, IdempotencyKeyMakesARetrySafe) {
  test::TempDir dir;
  test::AgentProc till(dir, "till-1", "store-1", "tcp://127.0.0.1:" + std::to_string(test::freePort()));
  till.start();
  std::string body = R"({"lines":[{"sku":"A","qty":1}]})";
  auto a = test::httpPost(till.port(), "/v1/sales", body, {{"Idempotency-Key", "pos-7-receipt-19"}});
  auto b = test::httpPost(till.port(), "/v1/sales", body, {{"Idempotency-Key", "pos-7-receipt-19"}});
  EXPECT_EQ(a.status, 201);
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body["duplicate"], true);
  EXPECT_EQ(a.body["event_id"], b.body["event_id"]);
  EXPECT_EQ(till.status()["last_seq"], 1);
}

TEST(AgentApi, RefusesToStartOnADamagedStore) {
  test::TempDir dir;
  std::string db = dir.file("till-1.db");
  {
    std::ofstream out(db);
    out << std::string(4096, 'x');
  }
  auto c = test::Child::spawn({test::agentBinary(), "run", "--device-id", "till-1", "--location", "store-1",
                               "--broker", "tcp://127.0.0.1:1", "--db", db, "--http", "127.0.0.1:0"},
                              dir.file("agent"));
  auto st = c.wait(20s);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(WEXITSTATUS(*st), 3);
  EXPECT_NE(c.stderrText().find("corrupt_database"), std::string::npos) << c.stderrText();
  std::ifstream in(db);
  std::string head(4, '\0');
  in.read(head.data(), 4);
  EXPECT_EQ(head, "xxxx");
}

// /v1/status tells a store manager whether the till is offline. A cut link (connections reset) is
// seen at once; a silent one (a partition: nothing closes) only through the MQTT keepalive, within
// about 2.5 keepalives (5 s by default). Either way the status comes back once the link does.
TEST(AgentApi, StatusShowsTheBrokerLinkCutOrSilentAndBackAgain) {
  test::TempDir dir;
  test::Broker broker;
  test::TcpProxy net(broker.port());
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", net.url());
  till.start();
  auto connected = [&] { return till.status().value("broker_connected", false); };
  auto online = [&] {
    json s = till.status();
    return s.value("broker_connected", false) && s.value("online", false);
  };
  ASSERT_TRUE(test::waitFor(online, 30s)) << till.status().dump();

  // The same for both faults; only how long the till may take to notice differs.
  auto loseSellAndRegain = [&](const std::function<void()>& lose, std::chrono::seconds notice) {
    lose();
    ASSERT_TRUE(test::waitFor([&] { return !connected(); }, notice)) << till.status().dump();
    EXPECT_FALSE(till.status().value("online", true));
    ASSERT_EQ(till.sell("SKU-1", 1).status, 201);
    net.heal();
    ASSERT_TRUE(test::waitFor(online, 60s)) << till.status().dump();
    ASSERT_TRUE(test::waitFor([&] { return till.status().value("queue_depth", -1) == 0; }, 60s)) << till.status().dump();
  };
  loseSellAndRegain([&] { net.cut(); }, 60s);
  loseSellAndRegain([&] { net.blackhole(); }, 90s);
  EXPECT_EQ(coord.onHand("SKU-1", "store-1"), -2);
}

// Issue 18: each agent serves its own /metrics on its loopback API, with the same figures as
// /v1/status and a histogram of how long recording an event durably took.
TEST(AgentApi, MetricsShowTheStoreTheSyncAndTheRecordTimes) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();
  ASSERT_EQ(till.sell("M-1", 2).status, 201);
  ASSERT_EQ(till.sell("M-1", 1).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return till.status().value("queue_depth", int64_t{-1}) == 0; }, 30s));
  std::string m = test::httpGetText(till.port(), "/metrics");
  auto has = [&](const std::string& line) { return m.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has("# TYPE stockwire_agent_last_seq gauge")) << m;
  EXPECT_TRUE(has("stockwire_agent_last_seq 2")) << m;
  EXPECT_TRUE(has("stockwire_agent_last_acked_seq 2")) << m;
  EXPECT_TRUE(has("stockwire_agent_queue_depth 0")) << m;
  EXPECT_TRUE(has("stockwire_agent_broker_connected 1")) << m;
  EXPECT_TRUE(has("# TYPE stockwire_agent_record_seconds histogram")) << m;
  EXPECT_TRUE(has("stockwire_agent_record_seconds_count 2")) << m;
  EXPECT_TRUE(has("stockwire_agent_record_seconds_bucket{le=\"+Inf\"} 2")) << m;
  EXPECT_NE(m.find("stockwire_agent_http_requests_total "), std::string::npos) << m;
}
