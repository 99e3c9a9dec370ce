// Issue 18, "alerts leave the console": the real coordinator posts a critical device alert to a
// webhook, signed, and retries it until the receiver takes it.

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "sim_fixture.h"
#include "sw/common/crypto.h"
#include "sw/harness/stack.h"
#include "test_support.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

TEST(AlertWebhook, TheCoordinatorPostsACriticalAlertSignedAndRetriesUntilTaken) {
  test::TempDir dir;
  test::WebhookReceiver hook;
  hook.answerWith(503);  // the receiver is down at first
  const std::string secret = "hook-" + common::newUuid();
  std::ofstream(dir.file("hook.secret")) << secret << "\n";
  test::Broker broker;
  // Any real disk is far below a quarter of a 1 PiB minimum: every device's disk_low is critical.
  test::CoordinatorProc coord(dir, broker.url(), {},
                              {"--alert-webhook", hook.url(), "--alert-webhook-secret-file", dir.file("hook.secret"),
                               "--alert-webhook-interval-ms", "100", "--alert-disk-mb", "1073741824"});
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();

  ASSERT_TRUE(test::waitFor([&] { return hook.deliveries().size() >= 2; }, 30s))
      << test::httpGet(coord.port(), "/v1/alerts").body.dump() << coord.logs();
  hook.answerWith(200);
  const size_t before = hook.deliveries().size();
  ASSERT_TRUE(test::waitFor([&] { return hook.deliveries().size() > before; }, 30s)) << coord.logs();
  auto got = hook.deliveries();
  const std::string id = coordinator::channels::headerValue(got[0].headers, "X-Stockwire-Delivery");
  ASSERT_FALSE(id.empty());
  for (const auto& d : got) {
    EXPECT_EQ(coordinator::channels::headerValue(d.headers, "X-Stockwire-Delivery"), id) << "retries of one alert";
    EXPECT_EQ(coordinator::channels::headerValue(d.headers, "X-Stockwire-Event"), "alert.raised");
    EXPECT_EQ(coordinator::channels::headerValue(d.headers, "X-Stockwire-Signature"),
              "sha256=" + common::crypto::hex(common::crypto::hmacSha256(secret, d.body)));
  }
  json body = json::parse(got[0].body);
  EXPECT_EQ(body["alert"]["device_id"], "till-1");
  EXPECT_EQ(body["alert"]["code"], "disk_low");
  EXPECT_EQ(body["alert"]["level"], "critical");
  // The console's alert list says the same.
  auto alerts = test::httpGet(coord.port(), "/v1/alerts");
  ASSERT_EQ(alerts.status, 200);
  EXPECT_NE(alerts.body.dump().find("disk_low"), std::string::npos) << alerts.body.dump();
}
