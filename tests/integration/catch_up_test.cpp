// A device back after a week offline with 100,000 events drains without starving live sales
// from another device and without breaking the broker's limits.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "stack.h"
#include "sw/agent/store.h"
#include "sw/agent/sync.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

TEST(CatchUp, AWeekOfflineDeviceDrainsFairlyWithinBrokerLimits) {
  test::TempDir dir;
  // The broker announces a 64 KiB packet limit and drops what exceeds its queues, as in production.
  test::Broker broker(test::Broker::Options{.max_packet_size = 64 * 1024, .max_queued_messages = 1000});
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();

  // till-A sold 100,000 items a week ago, offline: its store is full of unsynced events.
  constexpr uint64_t kBacklog = 100'000;
  {
    common::ManualClock week_ago(common::SystemClock::instance().nowMs() - 7LL * 24 * 3600 * 1000);
    auto store = agent::Store::open(
        {.path = dir.file("till-A.db"), .device_id = "till-A", .location = "store-1", .kind = "till"}, week_ago);
    ASSERT_TRUE(store.ok()) << store.error().toString();
    std::vector<agent::EventDraft> chunk(5000);
    for (auto& d : chunk) d.lines = {{"SKU-OLD", 1, common::Decimal::parse("1.00").value()}};
    for (uint64_t i = 0; i < kBacklog / chunk.size(); ++i) {
      ASSERT_TRUE((*store)->recordMany(chunk).ok());
      week_ago.advanceMs(60'000);
    }
  }
  test::AgentProc a(dir, "till-A", "store-1", broker.url());
  test::AgentProc b(dir, "till-B", "store-2", broker.url());
  b.start();
  ASSERT_TRUE(test::waitFor([&] { return b.status()["online"] == true; }, 20s));

  // till-B sells steadily the whole time.
  struct Sale {
    std::string id;
    uint64_t a_applied_when_acked;
  };
  std::mutex mu;
  std::vector<Sale> b_sales;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> a_applied{0};
  struct Joiner {
    std::thread& t;
    std::atomic<bool>& stop;
    ~Joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  };
  std::thread seller;
  Joiner joiner{seller, stop};
  seller = std::thread([&] {
    while (!stop) {
      auto r = b.sell("SKU-LIVE", 1);
      if (r.status == 201) {
        std::lock_guard<std::mutex> lock(mu);
        b_sales.push_back({r.body["event_id"], a_applied.load()});
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  a.start();
  ASSERT_TRUE(test::waitFor(
      [&] {
        json d = coord.device("till-A");
        if (d.is_object()) a_applied = d["last_applied_seq"].get<uint64_t>();
        return a_applied == kBacklog;
      },
      120s, 20ms))
      << "till-A stopped at " << a_applied << "\n" << a.logs();
  stop = true;
  seller.join();
  ASSERT_TRUE(test::waitFor([&] { return b.status()["queue_depth"] == 0 && a.status()["queue_depth"] == 0; }, 30s));

  json sa = a.status();
  // Nothing was dropped by the broker: no resend was ever needed, nothing was quarantined.
  EXPECT_EQ(sa["resends"], 0) << sa.dump();
  EXPECT_TRUE(test::httpGet(coord.port(), "/v1/quarantine").body["quarantined"].empty());
  // Batches grew from their small start while acks flowed.
  EXPECT_GT(sa["batch_events"].get<size_t>(), agent::SyncConfig{}.initial_batch_events) << sa.dump();

  // Exactly once: 100,000 events for till-A, seqs 1..N, each event id once.
  std::set<std::string> ids;
  uint64_t from = 1, count = 0, expect = 1;
  int64_t a_last_order = 0;
  while (true) {
    auto r = test::httpGet(coord.port(), "/v1/events?device=till-A&from_seq=" + std::to_string(from) + "&limit=10000");
    ASSERT_EQ(r.status, 200);
    for (const auto& e : r.body["events"]) {
      ASSERT_EQ(e["seq"], expect++);
      ids.insert(e["event_id"].get<std::string>());
      a_last_order = e["apply_order"];
      ++count;
    }
    if (!r.body.contains("next_from_seq")) break;
    from = r.body["next_from_seq"];
  }
  EXPECT_EQ(count, kBacklog);
  EXPECT_EQ(ids.size(), kBacklog);
  EXPECT_EQ(coord.onHand("SKU-OLD", "store-1"), -static_cast<int64_t>(kBacklog));

  // Fairness: till-B's sales made while till-A was still less than half drained were applied
  // before till-A's backlog finished, not queued behind it.
  std::map<std::string, int64_t> b_order;
  auto b_events = test::httpGet(coord.port(), "/v1/events?device=till-B&limit=10000");
  ASSERT_EQ(b_events.status, 200) << b_events.body.dump();
  for (const auto& e : b_events.body["events"]) {
    b_order[e["event_id"]] = e["apply_order"];
  }
  size_t early = 0;
  for (const Sale& s : b_sales) {
    ASSERT_TRUE(b_order.count(s.id)) << "till-B sale lost: " << s.id << " of " << b_sales.size() << ", ledger has " << b_order.size();
    if (s.a_applied_when_acked < kBacklog / 2) {
      ++early;
      EXPECT_LT(b_order[s.id], a_last_order) << "a live sale waited for the whole backlog";
    }
  }
  EXPECT_GT(early, 0u) << "till-A drained before till-B could sell anything; nothing was shown";
}
