// The wholesale channel end to end: a real coordinator (`serve --wholesale`), a real handheld agent
// over a real Mosquitto, and the partner's folder pair. A real sample 850 (tests/data/x12, from
// node-x12) is dropped into the inbound folder as the partner's gateway would; what appears in the
// outbound folder is read back with sw_edi as the partner would. Every wait is on a condition.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "sw/common/files.h"
#include "sw/coordinator/edi/documents.h"
#include "sw/coordinator/edi/x12.h"
#include "sw/harness/stack.h"
#include "test_support.h"

namespace sw {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace edi = coordinator::edi;

// The sample's six PO1 lines by vendor item number (VN), as our SKUs.
const std::vector<std::pair<std::string, std::string>> kItems = {
    {"AB3542", "WIDGET-S"}, {"RD5322", "WIDGET-M"}, {"XY5266", "WIDGET-L"},
    {"VX2332", "WIDGET-N"}, {"RV0524", "WIDGET-B"}, {"DX1875", "WIDGET-O"}};

class WholesaleE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* d : {"in", "out", "archive"}) fs::create_directories(dir_.file(d));
    json items = json::array();
    for (const auto& [vn, sku] : kItems) items.push_back({{"sku", sku}, {"ids", {{"VN", vn}}}});
    // The sample is sent by 12/4405197800 to 01/999999999: that is us.
    json partner = {{"id", "xyz"},
                    {"us", {{"qualifier", "01"}, {"id", "999999999"}}},
                    {"them", {{"qualifier", "12"}, {"id", "4405197800"}}},
                    {"line_breaks", true},
                    {"folders", {{"inbound", dir_.file("in")}, {"outbound", dir_.file("out")}, {"archive", dir_.file("archive")}}},
                    {"inventory", {{"interval_s", 3600}}},
                    {"items", items},
                    {"ship_from", "Stockwire DC"},
                    {"carrier_scac", "UPSN"}};
    std::ofstream(dir_.file("partners.json")) << json{{"partners", json::array({partner})}}.dump(2);
    coord_ = std::make_unique<test::CoordinatorProc>(
        dir_, broker_.url(), std::map<std::string, std::string>{},
        std::vector<std::string>{"--wholesale", dir_.file("partners.json"), "--wholesale-tick-ms", "50",
                                 "--order-poll-ms", "100"});
    coord_->start();
    hh_ = std::make_unique<test::AgentProc>(dir_, "hh-wh", "wh-1", broker_.url(), "handheld");
    hh_->start();
  }
  // Outbound files of a kind, parsed; empty until there is one.
  std::vector<edi::ParsedFile> sent(const std::string& kind) {
    std::vector<edi::ParsedFile> out;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_.file("out"))) {
      std::string n = e.path().filename().string();
      if (n.rfind(kind + "-", 0) == 0) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      auto text = common::readFile(dir_.file("out/" + n));
      if (text) out.push_back(edi::parseX12(*text));
    }
    return out;
  }
  const edi::Segment* seg(const edi::ParsedFile& f, const std::string& id, size_t nth = 0) {
    for (const edi::Segment& s : f.interchanges.at(0).groups.at(0).sets.at(0).segments) {
      if (s.id == id && nth-- == 0) return &s;
    }
    return nullptr;
  }

  test::TempDir dir_;
  test::Broker broker_;
  std::unique_ptr<test::CoordinatorProc> coord_;
  std::unique_ptr<test::AgentProc> hh_;
};

}  // namespace

TEST_F(WholesaleE2ETest, ASamplePurchaseOrderIsTakenInAcknowledgedPickedShippedAndInvoiced) {
  json lines = json::array();
  for (const auto& [vn, sku] : kItems) lines.push_back({{"sku", sku}, {"qty", 1000}});
  ASSERT_EQ(hh_->movement({{"type", "receive"}, {"lines", lines}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord_->onHand("WIDGET-O", "wh-1") == 1000; }, 30s)) << coord_->logs();

  // The gateway drops the partner's file: written under a dot name, then renamed, as gateways do.
  auto sample = common::readFile(std::string(SW_X12_TEST_DATA) + "/850.node-x12.edi");
  ASSERT_TRUE(sample.ok());
  {
    std::ofstream(dir_.file("in/.incoming")) << *sample;
  }
  fs::rename(dir_.file("in/.incoming"), dir_.file("in/850.node-x12.edi"));

  ASSERT_TRUE(test::waitFor([&] { return !sent("855").empty(); }, 30s)) << coord_->logs();
  auto acks = sent("997");
  ASSERT_EQ(acks.size(), 1u);
  ASSERT_TRUE(acks[0].clean()) << acks[0].firstProblem();
  auto fa = edi::readFunctionalAck(acks[0].interchanges[0].groups[0].sets[0]);
  ASSERT_TRUE(fa.ok());
  EXPECT_EQ(fa->functional_id, "PO");
  EXPECT_EQ(fa->control, "1421");
  EXPECT_EQ(fa->status, edi::AckStatus::kAccepted);
  auto pr = sent("855");
  ASSERT_TRUE(pr[0].clean()) << pr[0].firstProblem();
  EXPECT_EQ(pr[0].interchanges[0].receiver_qualifier, "12");
  EXPECT_EQ(pr[0].interchanges[0].receiver_id, "4405197800");
  EXPECT_EQ(seg(pr[0], "BAK")->element(2), "AD");
  EXPECT_EQ(seg(pr[0], "BAK")->element(3), "08292233294");
  for (size_t i = 0; i < kItems.size(); ++i) EXPECT_EQ(seg(pr[0], "ACK", i)->element(1), "IA") << i;

  // The order is an order like the online ones: reserved, routed, a task on the handheld.
  auto order = test::httpGet(coord_->port(), "/v1/orders/wholesale/xyz:08292233294");
  ASSERT_EQ(order.status, 200) << order.body.dump();
  EXPECT_EQ(order.body["status"], "accepted");
  json tasks;
  ASSERT_TRUE(test::waitFor([&] {
    tasks = test::httpGet(hh_->port(), "/v1/tasks").body.value("tasks", json::array());
    return tasks.size() == 1;
  }, 30s));
  json picked = json::array();
  for (const json& l : tasks[0]["lines"]) picked.push_back({{"sku", l["sku"]}, {"picked", l["qty"]}});
  ASSERT_EQ(test::httpPost(hh_->port(), "/v1/tasks/" + tasks[0]["task_id"].get<std::string>() + "/confirm",
                           json{{"lines", picked}}.dump())
                .status,
            201);

  ASSERT_TRUE(test::waitFor([&] { return !sent("810").empty(); }, 30s)) << coord_->logs();
  auto asn = sent("856");
  ASSERT_EQ(asn.size(), 1u);
  ASSERT_TRUE(asn[0].clean()) << asn[0].firstProblem();
  EXPECT_EQ(seg(asn[0], "PRF")->element(1), "08292233294");
  EXPECT_EQ(seg(asn[0], "SN1", 0)->element(2), "120");
  EXPECT_EQ(seg(asn[0], "SN1", 5)->element(2), "696");
  auto inv = sent("810");
  ASSERT_TRUE(inv[0].clean()) << inv[0].firstProblem();
  // The sample's own total: AMT*1*13045.94.
  EXPECT_EQ(seg(inv[0], "TDS")->element(1), "1304594");

  // The received-file log and what waits for the partner's 997s.
  auto files = test::httpGet(coord_->port(), "/v1/wholesale/files");
  ASSERT_EQ(files.status, 200);
  ASSERT_EQ(files.body["files"].size(), 1u);
  EXPECT_EQ(files.body["files"][0]["outcome"], "accepted");
  EXPECT_EQ(files.body["files"][0]["name"], "850.node-x12.edi");
  auto unacked = test::httpGet(coord_->port(), "/v1/wholesale/partners/xyz/unacknowledged");
  ASSERT_EQ(unacked.status, 200);
  std::set<std::string> kinds;
  for (const json& f : unacked.body["unacknowledged"]) kinds.insert(f["kind"].get<std::string>());
  EXPECT_EQ(kinds, (std::set<std::string>{"846", "855", "856", "810"}));
  EXPECT_EQ(test::httpGet(coord_->port(), "/v1/wholesale/partners/nobody/unacknowledged").status, 404);
  EXPECT_TRUE(fs::is_empty(dir_.file("in")));
}

}  // namespace sw

namespace sw {

// A restore while the coordinator runs loses no purchase order and never numbers an interchange
// again (the partner refuses a repeated ISA13). The backup is taken before any file came in; the
// partner's 850 is answered (997, 855); the backup is restored. The restored file log and order
// book have not seen that file, but it is in the archive: it is read again, so the PO is an order
// again, answered with interchange numbers after those sent before the restore. The partner
// sending the same interchange again is then a duplicate (TA1 025), not a second order.
TEST_F(WholesaleE2ETest, APoIsNotLostAndAControlNumberIsNeverGivenAgainAfterARestore) {
  json lines = json::array();
  for (const auto& [vn, sku] : kItems) lines.push_back({{"sku", sku}, {"qty", 1000}});
  ASSERT_EQ(hh_->movement({{"type", "receive"}, {"lines", lines}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord_->onHand("WIDGET-O", "wh-1") == 1000; }, 30s)) << coord_->logs();
  auto tool = [&](const std::vector<std::string>& args, const std::string& log) {
    std::vector<std::string> argv = {test::coordinatorBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto c = test::Child::spawn(argv, dir_.file(log));
    auto st = c.wait(120s);
    EXPECT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << args[0] << ": " << c.stdoutText() << c.stderrText();
  };
  tool({"backup", "--db", coord_->db(), "--to", dir_.file("backup.db")}, "backup");
  auto sample = common::readFile(std::string(SW_X12_TEST_DATA) + "/850.node-x12.edi");
  ASSERT_TRUE(sample.ok());
  auto drop = [&](const std::string& name) {
    std::ofstream(dir_.file("in/.incoming")) << *sample;
    fs::rename(dir_.file("in/.incoming"), dir_.file("in/" + name));
  };
  auto controls = [&] {
    std::vector<std::string> out;
    for (const char* kind : {"997", "855"}) {
      for (const edi::ParsedFile& f : sent(kind)) out.push_back(f.interchanges.at(0).control);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::string order_path = "/v1/orders/wholesale/xyz:08292233294";
  drop("first.edi");
  ASSERT_TRUE(test::waitFor([&] { return controls().size() == 2; }, 30s)) << coord_->logs();
  const std::vector<std::string> before = controls();
  ASSERT_EQ(test::httpGet(coord_->port(), order_path).status, 200);

  std::ofstream(dir_.file("admin-token")) << coord_->adminToken() << "\n";
  tool({"restore", "--db", coord_->db(), "--from", dir_.file("backup.db"), "--token-file", dir_.file("admin-token")},
       "restore");
  // The PO read again from the archive: an order again, its 997 and 855 sent again.
  ASSERT_TRUE(test::waitFor([&] { return controls().size() == 4; }, 60s)) << coord_->logs();
  auto order = test::httpGet(coord_->port(), order_path);
  ASSERT_EQ(order.status, 200) << order.body.dump();
  EXPECT_EQ(order.body["status"], "accepted");
  auto files = test::httpGet(coord_->port(), "/v1/wholesale/files");
  ASSERT_EQ(files.body["files"].size(), 1u) << files.body.dump();
  EXPECT_EQ(files.body["files"][0]["name"], "first.edi");
  EXPECT_NE(files.body["files"][0]["detail"].get<std::string>().find("read again from the archive"), std::string::npos);
  drop("again.edi");
  ASSERT_TRUE(test::waitFor([&] { return !sent("TA1").empty(); }, 30s)) << coord_->logs();
  EXPECT_EQ(sent("TA1")[0].interchanges.at(0).ta1s.size(), 1u);
  EXPECT_EQ(test::httpGet(coord_->port(), "/v1/orders?limit=10").body["orders"].size(), 1u);
  std::vector<std::string> after = controls();
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(std::set<std::string>(after.begin(), after.end()).size(), 4u) << "an ISA13 was given twice";
  for (const std::string& c : after) {
    if (std::find(before.begin(), before.end(), c) == before.end()) {
      EXPECT_GT(c, before.back());
    }
  }
}

}  // namespace sw

namespace sw {

// The coordinator killed (SIGKILL, as a power cut) at each point between taking a partner's 850 in
// and recording the file done: after the order was taken and before any answer, after the 997 and
// before the 855, and after both before the file is recorded done. Started again without the crash
// point, it finishes the file from the archive: the PO is one order, the 997 and the 855 are each
// sent once, the file is in the log once, and nothing is left half written in the outbound folder.
TEST_F(WholesaleE2ETest, AKillBetweenTakingAnOrderAndAnsweringItTakesItOnceAndAnswersOnce) {
  json lines = json::array();
  for (const auto& [vn, sku] : kItems) lines.push_back({{"sku", sku}, {"qty", 3000}});
  ASSERT_EQ(hh_->movement({{"type", "receive"}, {"lines", lines}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return coord_->onHand("WIDGET-O", "wh-1") == 3000; }, 30s)) << coord_->logs();
  auto sample = common::readFile(std::string(SW_X12_TEST_DATA) + "/850.node-x12.edi");
  ASSERT_TRUE(sample.ok());
  int round = 0;
  for (const char* point : {"wholesale.after_intake", "wholesale.after_997", "wholesale.before_file_done"}) {
    SCOPED_TRACE(point);
    ++round;
    coord_->stop();
    for (const char* d : {"out"}) {
      for (const auto& e : fs::directory_iterator(dir_.file(d))) fs::remove(e.path());
    }
    coord_->start({{"SW_CRASH_POINT", point}});
    // The same PO under a new PO number and ISA13 each round (BEG03 and ISA13/IEA02 changed).
    std::string text = *sample;
    const std::string po = "0829223329" + std::to_string(round);
    const std::string isa13 = "00000100" + std::to_string(round);  // ISA13 and IEA02 of the sample: 000003438
    text.replace(text.find("08292233294"), 11, po);
    for (size_t at = text.find("000003438"); at != std::string::npos; at = text.find("000003438", at)) text.replace(at, 9, isa13);
    std::ofstream(dir_.file("in/.incoming")) << text;
    fs::rename(dir_.file("in/.incoming"), dir_.file("in/po-" + std::to_string(round) + ".edi"));
    ASSERT_TRUE(test::waitFor([&] { return !coord_->running(); }, 60s)) << "the crash point was not reached: " << coord_->logs();
    // What went out before the kill: nothing after the intake, the 997 alone after the 997.
    if (std::string(point) == "wholesale.after_intake") {
      EXPECT_EQ(sent("997").size() + sent("855").size(), 0u);
    } else if (std::string(point) == "wholesale.after_997") {
      EXPECT_EQ(sent("997").size(), 1u);
      EXPECT_EQ(sent("855").size(), 0u);
    }

    coord_->start();
    ASSERT_TRUE(test::waitFor([&] {
      auto f = test::httpGet(coord_->port(), "/v1/wholesale/files?limit=10");
      return f.status == 200 && f.body["files"].size() == static_cast<size_t>(round) &&
             f.body["files"][0]["state"] == "done";
    }, 60s)) << coord_->logs();
    auto files = test::httpGet(coord_->port(), "/v1/wholesale/files?limit=10");
    EXPECT_EQ(files.body["files"][0]["outcome"], "accepted") << files.body.dump();
    EXPECT_EQ(files.body["files"][0]["name"], "po-" + std::to_string(round) + ".edi");
    auto acks = sent("997");
    auto pr = sent("855");
    ASSERT_EQ(acks.size(), 1u) << "the 997 is sent once";
    ASSERT_EQ(pr.size(), 1u) << "the 855 is sent once";
    EXPECT_EQ(seg(pr[0], "BAK")->element(3), po);
    EXPECT_EQ(seg(pr[0], "BAK")->element(2), "AD");
    auto order = test::httpGet(coord_->port(), "/v1/orders/wholesale/xyz:" + po);
    ASSERT_EQ(order.status, 200) << order.body.dump();
    EXPECT_EQ(order.body["status"], "accepted");
    EXPECT_EQ(test::httpGet(coord_->port(), "/v1/orders?limit=100").body["orders"].size(), static_cast<size_t>(round))
        << "one order per PO";
    for (const auto& e : fs::directory_iterator(dir_.file("out"))) {
      EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
    }
    EXPECT_TRUE(fs::is_empty(dir_.file("in")));
  }
}

}  // namespace sw
