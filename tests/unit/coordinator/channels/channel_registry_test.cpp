// The channels file read once and one connector per channel shared by pushes and order intake.
#include "sw/coordinator/channels/channel_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sw/common/clock.h"
#include "sw/common/http_server.h"
#include "test_support.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;

const EnvLookup kNoEnv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };

json wooConnector(const std::string& base_url) {
  return {{"channel", "woocommerce"}, {"base_url", base_url}, {"consumer_key", "ck"}, {"consumer_secret", "cs"},
          {"webhook_secret", "wh-secret"}};
}

std::string writeFile(const test::TempDir& dir, const std::string& text) {
  std::string path = dir.file("channels.json");
  std::ofstream(path) << text;
  return path;
}

common::Error openError(const std::string& text) {
  test::TempDir dir;
  common::ManualClock clock;
  auto r = ChannelRegistry::open(writeFile(dir, text), clock, kNoEnv);
  EXPECT_FALSE(r) << text;
  return r ? common::Error::reject("none", "opened") : r.error();
}

TEST(ChannelRegistry, WithoutAFileThereIsNoConnector) {
  common::ManualClock clock;
  auto r = ChannelRegistry::open("", clock, kNoEnv);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_FALSE((*r)->fromFile());
  EXPECT_TRUE((*r)->enabled().empty());
  EXPECT_EQ((*r)->connector("shopify"), nullptr);
  EXPECT_TRUE((*r)->config().is_object());
}

TEST(ChannelRegistry, BadFilesAreRefusedWithTheReason) {
  common::ManualClock clock;
  auto missing = ChannelRegistry::open("/nonexistent/channels.json", clock, kNoEnv);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "bad_config");
  EXPECT_NE(missing.error().message.find("cannot read /nonexistent/channels.json"), std::string::npos);

  EXPECT_NE(openError("{not json").message.find("is not valid JSON"), std::string::npos);
  EXPECT_NE(openError("[1,2]").message.find("must be a JSON object"), std::string::npos);
  EXPECT_NE(openError(R"({"channels": []})").message.find("channels must be an object"), std::string::npos);
  json c = {{"channels", {{"woocommerce", {{"enabled", "yes"}, {"connector", wooConnector("http://127.0.0.1:1")}}}}}};
  EXPECT_NE(openError(c.dump()).message.find("channels.woocommerce.enabled must be true or false"), std::string::npos);
  c = {{"channels", {{"shopify", {{"connector", wooConnector("http://127.0.0.1:1")}}}}}};
  EXPECT_NE(openError(c.dump()).message.find("channels.shopify.connector.channel says"), std::string::npos);
  c = {{"channels", {{"walmart", {{"connector", json::object()}}}}}};
  EXPECT_NE(openError(c.dump()).message.find("channels.walmart"), std::string::npos);
  c = {{"channels", {{"woocommerce", {{"channel_locations", json::array()}}}}}};
  EXPECT_NE(openError(c.dump()).message.find("channel_locations must be an object"), std::string::npos);
  auto no_key = wooConnector("http://127.0.0.1:1");
  no_key.erase("consumer_key");
  c = {{"channels", {{"woocommerce", {{"connector", no_key}}}}}};
  EXPECT_NE(openError(c.dump()).message.find("channels.woocommerce: "), std::string::npos);
}

TEST(ChannelRegistry, DisabledChannelsHaveNoConnectorButKeepTheirLocations) {
  common::ManualClock clock;
  json c = {{"channels",
             {{"woocommerce", {{"enabled", false}, {"connector", wooConnector("http://127.0.0.1:1")},
                               {"channel_locations", {{"Main Street", "store-2"}}}}},
              {"ebay", {{"channel_locations", {{"key-1", "store-1"}}}}}}}};
  auto r = ChannelRegistry::fromConfig(c, true, clock, kNoEnv);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_TRUE((*r)->enabled().empty());
  EXPECT_EQ((*r)->connector("woocommerce"), nullptr);
  EXPECT_EQ((*r)->webhookSecret("woocommerce"), "");
  const auto& locs = (*r)->channelLocations();
  EXPECT_EQ(locs.at(ChannelKind::kWooCommerce).at("Main Street"), "store-2");
  EXPECT_EQ(locs.at(ChannelKind::kEbay).at("key-1"), "store-1");
}

// Every handle of a channel is the same connector: a 429 one of them receives (an order poll)
// holds back the other (the pushes), and both count it once.
TEST(ChannelRegistry, HandlesShareOneConnectorAndItsLearnedLimit) {
  httplib::Server server;
  std::atomic<int> requests{0};
  server.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.status = 429;
    res.set_header("Retry-After", "30");
    res.set_content("{}", "application/json");
  });
  common::HttpServerRunner runner(server);
  ASSERT_TRUE(runner.start("127.0.0.1", 0));
  common::ManualClock clock;
  json c = {{"channels", {{"woocommerce", {{"connector", wooConnector("http://127.0.0.1:" + std::to_string(runner.port()))}}}}}};
  auto r = ChannelRegistry::fromConfig(c, true, clock, kNoEnv);
  ASSERT_TRUE(r) << r.error().toString();
  ASSERT_EQ((*r)->enabled(), std::vector<std::string>{"woocommerce"});
  EXPECT_EQ((*r)->webhookSecret("woocommerce"), "wh-secret");
  auto orders = (*r)->connector("woocommerce");
  auto pushes = (*r)->connector("woocommerce");
  ASSERT_NE(orders, nullptr);
  ASSERT_NE(pushes, nullptr);
  EXPECT_EQ(pushes->kind(), ChannelKind::kWooCommerce);
  EXPECT_EQ(pushes->msUntilReady(Operation::kPush), 0);

  auto polled = orders->pollOrders({});
  ASSERT_FALSE(polled);
  EXPECT_EQ(polled.error().code, "http_429");
  EXPECT_EQ(requests.load(), 1);
  EXPECT_EQ(pushes->rateState().throttled_count, 1);
  EXPECT_GT(pushes->msUntilReady(Operation::kPush), 0);
  // The push side waits out what the order poll learned without asking the channel again.
  auto pushed = pushes->pushQuantities({{"SKU-1", 3, std::nullopt, ""}});
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().code, "backoff");
  EXPECT_EQ(requests.load(), 1);
}

}  // namespace
}  // namespace sw::coordinator::channels
