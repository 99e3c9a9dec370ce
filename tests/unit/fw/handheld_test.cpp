// Handheld workflows against a fake agent API, scan-decode JSON, and card data refusal in
// the agent's request parsing.

#include <gtest/gtest.h>

#include <fstream>

#include "sw/agent/handheld.h"
#include "sw/agent/requests.h"
#include "sw/agent/scan_decode.h"
#include "test_support.h"

namespace sw::agent {
namespace {

using nlohmann::json;

class FakeAgent final : public AgentClient {
 public:
  struct Post {
    std::string path;
    json body;
    std::string key;
  };
  common::Result<json> get(const std::string& path) override {
    gets.push_back(path);
    if (path == "/v1/tasks") return tasks;
    if (path.rfind("/v1/items/", 0) == 0) {
      auto it = catalog.find(path.substr(10));
      if (it == catalog.end()) return common::Error::reject("not_found", "no such item");
      return json{{"sku", it->second}};
    }
    return common::Error::reject("not_found", "no route");
  }
  common::Result<json> post(const std::string& path, const json& body, const std::string& key) override {
    if (fail_next) {
      fail_next = false;
      return common::Error::retry("agent_unreachable", "down");
    }
    posts.push_back({path, body, key});
    return json{{"seq", posts.size()}};
  }
  json tasks = json::array();
  std::map<std::string, std::string> catalog;
  std::vector<std::string> gets;
  std::vector<Post> posts;
  bool fail_next = false;
};

struct Rig {
  FakeAgent agent;
  AgentItemLookup lookup{agent};
  std::vector<std::string> out;
  HandheldSession session{agent, lookup, [this](const std::string& s) { out.push_back(s); }, HandheldOptions{}};
  std::string all() const {
    std::string s;
    for (auto& l : out) s += l + "\n";
    return s;
  }
};

TEST(Handheld, CycleCountIsOneEventWithLines) {
  Rig r;
  r.agent.catalog["09501101530003"] = "SKU-APPLE";
  r.session.handleLine("count");
  r.session.handleScan("]E09501101530003");  // not a real GTIN-13 check digit? 9501101530003 is valid
  r.session.handleScan("]C1010950110153000317250101");
  r.session.handleScan("]A0SKU-BREAD");
  r.session.handleLine("qty 5");
  r.session.handleLine("review");
  r.session.handleLine("done");
  ASSERT_EQ(r.agent.posts.size(), 1u) << r.all();
  const json& b = r.agent.posts[0].body;
  EXPECT_EQ(r.agent.posts[0].path, "/v1/movements");
  EXPECT_EQ(b["type"], "count");
  json want = json::array({{{"sku", "SKU-APPLE"}, {"counted", 2}}, {{"sku", "SKU-BREAD"}, {"counted", 5}}});
  EXPECT_EQ(b["lines"], want);
  EXPECT_EQ(b["idempotency_key"], r.agent.posts[0].key);
  EXPECT_EQ(r.session.mode(), HandheldSession::Mode::kIdle);
}

TEST(Handheld, ReceiveAgainstExpectedDeliveryShowsDiscrepanciesAndRetriesWithSameKey) {
  test::TempDir dir;
  std::ofstream(dir.file("d.json")) << R"({"id":"DEL-7","lines":[{"sku":"09501101530003","qty":2},{"sku":"SKU-X","qty":1}]})";
  Rig r;
  r.session.handleLine("receive " + dir.file("d.json"));
  r.session.handleScan("]E09501101530003");
  r.session.handleScan("]E09501101530003");
  r.session.handleScan("]E09501101530003");
  r.session.handleLine("review");
  EXPECT_NE(r.all().find("09501101530003 3 / 2 OVER 1"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("SKU-X 0 / 1 SHORT 1"), std::string::npos) << r.all();
  r.agent.fail_next = true;
  r.session.handleLine("done");
  EXPECT_TRUE(r.agent.posts.empty());
  EXPECT_EQ(r.session.mode(), HandheldSession::Mode::kReceive);  // kept for a retry
  r.session.handleLine("done");
  ASSERT_EQ(r.agent.posts.size(), 1u);
  EXPECT_EQ(r.agent.posts[0].body["type"], "receive");
  EXPECT_EQ(r.agent.posts[0].body["reason"], "against DEL-7");
  EXPECT_EQ(r.agent.posts[0].body["lines"][0]["qty"], 3);
}

TEST(Handheld, TransfersNeedALocation) {
  Rig r;
  r.session.handleLine("transfer-out");
  EXPECT_EQ(r.session.mode(), HandheldSession::Mode::kIdle);
  r.session.handleLine("transfer-out WH-2");
  r.session.handleLine("SKU-9");  // typed by hand
  r.session.handleLine("done");
  ASSERT_EQ(r.agent.posts.size(), 1u);
  EXPECT_EQ(r.agent.posts[0].body["type"], "transfer_out");
  EXPECT_EQ(r.agent.posts[0].body["other_location"], "WH-2");
  r.session.handleLine("transfer-in WH-2");
  r.session.handleLine("4006381333931");  // a GTIN-13 typed by hand becomes a GTIN-14
  r.session.handleLine("done");
  ASSERT_EQ(r.agent.posts.size(), 2u);
  EXPECT_EQ(r.agent.posts[1].body["type"], "transfer_in");
  EXPECT_EQ(r.agent.posts[1].body["lines"][0]["sku"], "04006381333931");
}

TEST(Handheld, PickConfirmsShortPicks) {
  Rig r;
  r.agent.tasks = json::array({{{"task_id", "T1"}, {"order_id", "O-9"},
                                {"lines", {{{"sku", "SKU-A"}, {"qty", 2}}, {{"sku", "SKU-B"}, {"qty", 1}}}}}});
  r.session.handleLine("pick");
  EXPECT_NE(r.all().find("TASK T1 order O-9 2 lines"), std::string::npos);
  r.session.handleLine("pick T1");
  r.session.handleScan("]A0SKU-A");
  r.session.handleScan("]A0SKU-Z");  // not on the list
  EXPECT_NE(r.all().find("not_on_pick_list"), std::string::npos);
  r.session.handleLine("done");
  ASSERT_EQ(r.agent.posts.size(), 1u);
  EXPECT_EQ(r.agent.posts[0].path, "/v1/tasks/T1/confirm");
  json want = json::array({{{"sku", "SKU-A"}, {"picked", 1}}, {{"sku", "SKU-B"}, {"picked", 0}}});
  EXPECT_EQ(r.agent.posts[0].body["lines"], want);
  EXPECT_NE(r.all().find("with 2 short"), std::string::npos);
}

TEST(Handheld, CardDataIsRefusedAndNeverEchoedOrPosted) {
  Rig r;
  r.session.handleLine("count");
  r.session.handleScan("]C04111111111111111");
  r.session.handleLine("4111 1111 1111 1111");
  r.session.handleLine("%B4111111111111111^DOE/JOHN^2512101?");
  r.session.handleLine("done");
  EXPECT_TRUE(r.agent.posts.empty());
  EXPECT_EQ(r.all().find("4111111111111111"), std::string::npos);
  EXPECT_EQ(r.all().find("1111 1111"), std::string::npos);
  EXPECT_NE(r.all().find("card_data_refused"), std::string::npos);
  for (const auto& g : r.agent.gets) EXPECT_EQ(g.find("4111"), std::string::npos);
}

TEST(Requests, CardDataInAnyFieldIsRefusedWithoutEcho) {
  for (const std::string body :
       {R"({"type":"receive","sku":"4111111111111111","qty":1})",
        R"({"type":"adjust","sku":"S1","qty":-1,"reason":"card 4111 1111 1111 1111"})",
        R"({"type":"receive","sku":"S1","qty":1,"idempotency_key":";4111111111111111=2512101?"})",
        R"({"type":"count","lines":[{"sku":"S1","counted":1},{"sku":"5500000000000004","counted":2}]})"}) {
    auto r = parseMovementRequest(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, "card_data_refused");
    EXPECT_EQ(r.error().message.find("4111"), std::string::npos);
    EXPECT_EQ(r.error().message.find("5500"), std::string::npos);
  }
  auto sale = parseSaleRequest(R"({"lines":[{"sku":"4111111111111111","qty":1}]})", common::EventType::kSale);
  ASSERT_FALSE(sale.ok());
  EXPECT_EQ(sale.error().code, "card_data_refused");
  // GTIN-14 SKUs are fine, even when the GTIN-13 inside passes Luhn.
  EXPECT_TRUE(parseMovementRequest(R"({"type":"receive","sku":"04006380000094","qty":1})").ok());
}

TEST(ScanDecodeJson, ShapeAndMasking) {
  fw::ScanDecodeOptions o;
  o.gs1.current_year = 2025;
  EXPECT_EQ(scanDecodeJson("]C1010950110153000317250101", o),
            R"({"input":"]C1010950110153000317250101","symbology":"]C1","valid":true,"gtin":"09501101530003","ais":[{"ai":"01","value":"09501101530003"},{"ai":"17","value":"250101"}]})");
  json bad = json::parse(scanDecodeJson("]C1010950110153000417250101", o));
  EXPECT_EQ(bad["valid"], false);
  EXPECT_EQ(bad["error"]["code"], "bad_check_digit");
  EXPECT_FALSE(bad.contains("ais"));
  json gs = json::parse(scanDecodeJson("]C10109501101530003\x1d" "10AB", o));
  EXPECT_EQ(gs["input"], "]C10109501101530003\x1d" "10AB");
  EXPECT_EQ(gs["ais"][1]["value"], "AB");
  std::string card = scanDecodeJson("]A04111111111111111", o);
  EXPECT_EQ(card.find("4111111111111111"), std::string::npos);
  EXPECT_NE(card.find("card_data_refused"), std::string::npos);
  json junk = json::parse(scanDecodeJson("]A0\xff\xfe", o));  // not UTF-8: still valid JSON
  EXPECT_EQ(junk["valid"], true);
}

}  // namespace
}  // namespace sw::agent
