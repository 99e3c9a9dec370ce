// The downlink client's decisions against a fake transport, a manual clock and a real store.

#include <gtest/gtest.h>

#include "fake_transport.h"
#include "sw/agent/downlink.h"
#include "sw/common/topics.h"
#include "test_support.h"

using namespace sw;
using namespace std::chrono_literals;
namespace topics = common::topics;

namespace {

class DownlinkClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = agent::Store::open({.path = dir_.file("a.db"), .device_id = "till-2", .location = "store-1",
                                 .kind = "till", .min_free_bytes = 0},
                                clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    client_ = std::make_unique<agent::DownlinkClient>(*store_, transport_, clock_, std::vector<std::string>{"store-1"});
    client_->addHandler(stock_);
    client_->start();
    transport_.setConnected(true);
  }
  void TearDown() override { client_->stop(); }

  // Stock requests published since the last call.
  std::vector<common::DownRequest> takeRequests() {
    std::vector<common::DownRequest> out;
    for (const auto& p : transport_.take()) {
      if (p.topic != topics::request("till-2")) continue;
      auto r = common::decodeDownRequest(p.payload);
      EXPECT_TRUE(r.ok());
      if (r) out.push_back(*r);
    }
    return out;
  }
  std::vector<common::DownRequest> waitForRequests() {
    std::vector<common::DownRequest> got;
    EXPECT_TRUE(test::waitFor([&] {
      auto more = takeRequests();
      got.insert(got.end(), more.begin(), more.end());
      return !got.empty();
    }, 10s));
    return got;
  }
  void notice(int64_t version) {
    common::DownNotice n;
    n.location = "store-1";
    n.versions["stock"] = version;
    transport_.deliver(topics::notice("store-1"), common::encodeDownNotice(n));
  }
  void page(bool snapshot, int64_t version, nlohmann::json items, uint64_t device_applied_seq) {
    common::DownPage p;
    p.kind = "stock";
    p.location = "store-1";
    p.snapshot = snapshot;
    p.version = version;
    p.items = std::move(items);
    p.meta = {{"device_applied_seq", device_applied_seq}};
    transport_.deliver(topics::down("till-2", "stock"), common::encodeDownPage(p));
  }
  std::optional<int64_t> estimate() {
    auto e = store_->estimateStock("SKU-A");
    if (!e) return std::nullopt;
    for (const auto& x : *e) {
      if (x.location == "store-1") return x.estimate;
    }
    return std::nullopt;
  }
  uint64_t sell(int64_t qty) {
    agent::EventDraft d;
    d.lines = {{"SKU-A", qty, std::nullopt}};
    auto r = store_->record(d);
    EXPECT_TRUE(r.ok());
    return r ? r->seq : 0;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  test::FakeTransport transport_;
  std::unique_ptr<agent::Store> store_;
  agent::StockViewHandler stock_;
  std::unique_ptr<agent::DownlinkClient> client_;
};

}  // namespace

// A sale the coordinator applied without changing any figure (a later count absorbed it) brings no
// new version, so no notice: the client asks for the changes after its version anyway, and the
// answer's device_applied_seq stops the estimate from taking the sale off a second time.
TEST_F(DownlinkClientTest, AsksAgainWhenOwnAppliedEventsAreNotInTheViewThoughTheVersionStayed) {
  notice(3);
  auto first = waitForRequests();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].have, 0);  // a snapshot
  page(true, 3, {{{"sku", "SKU-A"}, {"on_hand", 12}, {"ver", 3}}}, 0);
  ASSERT_TRUE(test::waitFor([&] { return estimate() == 12; }, 10s));

  uint64_t seq = sell(5);
  EXPECT_EQ(estimate(), 7);  // not applied by the coordinator yet: taken off the view
  ASSERT_TRUE(store_->markAcked(seq).ok());

  auto refresh = waitForRequests();
  ASSERT_EQ(refresh.size(), 1u);
  EXPECT_EQ(refresh[0].kind, "stock");
  EXPECT_EQ(refresh[0].location, "store-1");
  EXPECT_EQ(refresh[0].have, 3);
  EXPECT_TRUE(refresh[0].cursor.empty());

  // An answer that still does not include the sale (it should not happen): asked again only
  // after the request timeout, not in a loop.
  page(false, 3, nlohmann::json::array(), 0);
  clock_.advanceMs(5000);
  auto again = waitForRequests();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].have, 3);

  page(false, 3, nlohmann::json::array(), seq);
  ASSERT_TRUE(test::waitFor([&] { return estimate() == 12; }, 10s));

  // Later notices are followed as before.
  notice(4);
  auto next = waitForRequests();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].have, 3);
}
