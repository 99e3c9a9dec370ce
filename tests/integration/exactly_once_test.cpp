// The walking skeleton's promises with real processes: a real Mosquitto, the real
// stockwire-coordinator and stockwire-agent binaries, real SQLite files.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "stack.h"
#include "sw/common/codec.h"
#include "sw/common/paho_transport.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class ExactlyOnce : public ::testing::Test {
 protected:
  test::TempDir dir_;
  test::Broker broker_;
  test::CoordinatorProc coord_{dir_, broker_.url()};

  // Waits until the agent has nothing unacknowledged and the coordinator has applied up to its last seq.
  void waitForSync(test::AgentProc& agent, std::chrono::seconds timeout = 30s) {
    ASSERT_TRUE(test::waitForSync(coord_, agent, timeout))
        << "agent never drained: " << agent.status().dump() << "\nagent log:\n" << agent.logs()
        << "\ncoordinator log:\n" << coord_.logs();
  }

  // Every event the coordinator holds for a device, by seq.
  std::map<uint64_t, json> ledgerEvents(const std::string& device) {
    std::map<uint64_t, json> out;
    uint64_t from = 1;
    while (true) {
      auto r = test::httpGet(coord_.port(), "/v1/events?device=" + device + "&from_seq=" + std::to_string(from) +
                                                "&limit=1000");
      EXPECT_EQ(r.status, 200);
      for (const auto& e : r.body["events"]) out[e["seq"].get<uint64_t>()] = e;
      if (!r.body.contains("next_from_seq")) break;
      from = r.body["next_from_seq"];
    }
    return out;
  }

  void expectVerified() {
    coord_.stop();
    auto c = test::Child::spawn({test::coordinatorBinary(), "verify", "--db", coord_.db()}, dir_.file("verify"));
    auto st = c.wait(30s);
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << c.stdoutText();
  }
};

}  // namespace

TEST_F(ExactlyOnce, SalesWhileTheBrokerIsDownReachTheLedgerOnceWhenItReturns) {
  coord_.start();
  test::AgentProc till(dir_, "till-1", "store-1", broker_.url());
  till.start();
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 100}}).status, 201);
  waitForSync(till);

  broker_.kill9();
  ASSERT_TRUE(test::waitFor([&] { return till.status()["broker_connected"] == false; }, 10s));
  for (int i = 0; i < 25; ++i) {
    auto r = till.sell("SKU-1", 2);
    ASSERT_EQ(r.status, 201) << r.body.dump();  // selling never waits for the network
  }
  EXPECT_EQ(till.status()["queue_depth"], 25);
  EXPECT_GE(till.status()["oldest_unsynced_age_s"].get<int64_t>(), 0);

  broker_.start();
  waitForSync(till);
  EXPECT_EQ(coord_.onHand("SKU-1", "store-1"), 50);
  EXPECT_EQ(coord_.device("till-1")["last_applied_seq"], 26);
  auto events = ledgerEvents("till-1");
  EXPECT_EQ(events.size(), 26u);
  expectVerified();
}

TEST_F(ExactlyOnce, ABatchDeliveredTwiceIsAppliedOnce) {
  coord_.start();
  // A hand-made device publishing the same batch twice, as a broker redelivery would.
  common::MqttConfig mc;
  mc.broker_url = broker_.url();
  mc.client_id = "till-dup";
  auto t = common::makePahoTransport(mc);
  std::atomic<int> acks{0};
  std::atomic<uint64_t> applied{0};
  std::atomic<bool> coordinator_online{false};
  t->addMessageHandler("#", [&](std::string_view topic, std::string_view payload) {
    if (topic == common::topics::kCoordinatorState) {
      auto cs = common::decodeCoordinatorState(payload);
      coordinator_online = cs && cs->online;
      return;
    }
    auto a = common::decodeAck(payload);
    if (a) {
      applied = a->applied_seq;
      ++acks;
    }
  });
  ASSERT_TRUE(t->subscribe(common::topics::ack("till-dup"), 1).ok());
  ASSERT_TRUE(t->subscribe(common::topics::kCoordinatorState, 1).ok());
  t->start();
  // Like a real agent, wait until the coordinator is there to hear us.
  ASSERT_TRUE(test::waitFor([&] { return t->isConnected() && coordinator_online; }, 10s));

  test::registerDevice(coord_.db(), "till-dup", "store-1");
  common::EventBatch b;
  b.device_id = "till-dup";
  b.epoch = common::newUuid();
  b.sent_at_ms = 1;
  for (uint64_t s = 1; s <= 3; ++s) {
    common::Event e;
    e.device_id = b.device_id;
    e.seq = s;
    e.event_id = common::newUuid();
    e.type = s == 1 ? common::EventType::kReceive : common::EventType::kSale;
    e.occurred_at_ms = 1'700'000'000'000 + static_cast<int64_t>(s);
    e.location = "store-1";
    e.lines = {{"SKU-D", s == 1 ? 10 : 1, std::nullopt}};
    b.events.push_back(e);
  }
  std::string payload = common::encodeBatch(b);
  // The same batch twice, as a broker redelivery would (each answered: both may also land in one
  // ledger transaction, which must apply it once just the same).
  ASSERT_TRUE(t->publish(common::topics::events("till-dup"), payload, 1, false).ok());
  ASSERT_TRUE(t->publish(common::topics::events("till-dup"), payload, 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return acks >= 1 && applied == 3; }, 10s));
  EXPECT_EQ(coord_.onHand("SKU-D", "store-1"), 8);
  int before = acks;
  ASSERT_TRUE(t->publish(common::topics::events("till-dup"), payload, 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return acks > before; }, 10s));
  EXPECT_EQ(applied, 3u);
  EXPECT_EQ(coord_.onHand("SKU-D", "store-1"), 8);

  // A reordered resend of the middle event and a stale overlap change nothing either.
  common::EventBatch tail = b;
  tail.events.erase(tail.events.begin());
  before = acks;
  ASSERT_TRUE(t->publish(common::topics::events("till-dup"), common::encodeBatch(tail), 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return acks > before; }, 10s));
  EXPECT_EQ(coord_.onHand("SKU-D", "store-1"), 8);
  json m = test::httpGet(coord_.port(), "/metrics").body;  // not JSON: just make sure it answers
  t->stop();
  expectVerified();
}

TEST_F(ExactlyOnce, MalformedMessagesAreQuarantinedAndChangeNothing) {
  coord_.start();
  common::MqttConfig mc;
  mc.broker_url = broker_.url();
  mc.client_id = "prankster";
  auto t = common::makePahoTransport(mc);
  t->start();
  ASSERT_TRUE(test::waitFor([&] { return t->isConnected(); }, 10s));
  // Registered devices, so what is refused is the message itself (unknown devices: identity_test).
  test::registerDevice(coord_.db(), "till-x", "store-1");
  test::registerDevice(coord_.db(), "till-y", "store-1");
  ASSERT_TRUE(t->publish(common::topics::events("till-x"), "\xc1 not msgpack", 1, false).ok());
  common::EventBatch b;
  b.device_id = "till-y";  // published on till-x's topic
  b.epoch = common::newUuid();
  common::Event e;
  e.device_id = "till-y";
  e.seq = 1;
  e.event_id = common::newUuid();
  e.occurred_at_ms = 5;
  e.location = "store-1";
  e.lines = {{"SKU-Q", 1, std::nullopt}};
  b.events = {e};
  ASSERT_TRUE(t->publish(common::topics::events("till-x"), common::encodeBatch(b), 1, false).ok());
  ASSERT_TRUE(test::waitFor(
      [&] {
        auto r = test::httpGet(coord_.port(), "/v1/quarantine");
        return r.status == 200 && r.body["quarantined"].size() == 2;
      },
      10s));
  auto q = test::httpGet(coord_.port(), "/v1/quarantine").body["quarantined"];
  std::set<std::string> codes;
  for (const auto& row : q) codes.insert(row["code"].get<std::string>());
  EXPECT_EQ(codes, (std::set<std::string>{"malformed", "topic_mismatch"}));
  EXPECT_FALSE(coord_.onHand("SKU-Q", "store-1").has_value());
  EXPECT_TRUE(coord_.device("till-y").is_null());
  t->stop();
}

TEST_F(ExactlyOnce, CoordinatorKilledMidStreamLosesNothing) {
  coord_.start();
  test::AgentProc till(dir_, "till-1", "store-1", broker_.url());
  till.start();
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 10000}}).status, 201);
  std::atomic<bool> stop{false};
  std::atomic<int> sold{0};
  std::thread seller([&] {
    while (!stop) {
      if (till.sell("SKU-1", 1).status == 201) ++sold;
    }
  });
  ASSERT_TRUE(test::waitFor([&] { return sold > 100; }, 20s));
  coord_.kill9();
  int at_kill = sold;
  ASSERT_TRUE(test::waitFor([&] { return sold > at_kill + 100; }, 20s));
  coord_.start();
  ASSERT_TRUE(test::waitFor([&] { return sold > at_kill + 300; }, 20s));
  coord_.kill9();
  coord_.start();
  stop = true;
  seller.join();
  waitForSync(till);
  EXPECT_EQ(coord_.onHand("SKU-1", "store-1"), 10000 - sold);
  EXPECT_EQ(coord_.device("till-1")["last_applied_seq"].get<int>(), sold + 1);
  expectVerified();
}

TEST_F(ExactlyOnce, AgentKilledWithUnsentEventsSendsThemOnceAfterRestart) {
  coord_.start();
  test::AgentProc till(dir_, "till-1", "store-1", broker_.url());
  till.start();
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 500}}).status, 201);
  waitForSync(till);
  coord_.stop();  // clean stop: its presence goes offline, so the agent holds everything
  ASSERT_TRUE(test::waitFor([&] { return till.status()["coordinator_online"] == false; }, 10s));

  // Burst 1 while the coordinator is down, then SIGKILL the agent in the middle of burst 2.
  std::set<std::string> acknowledged;
  for (int i = 0; i < 30; ++i) {
    auto r = till.sell("SKU-1", 1);
    ASSERT_EQ(r.status, 201);
    acknowledged.insert(r.body["event_id"].get<std::string>());
  }
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::thread seller([&] {
    while (!stop) {
      auto r = till.sell("SKU-1", 1);
      if (r.status == 201) {
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.insert(r.body["event_id"].get<std::string>());
      }
    }
  });
  coord_.start();
  ASSERT_TRUE(test::waitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return acknowledged.size() > 80;
      },
      20s));
  till.kill9();
  stop = true;
  seller.join();
  till.start();
  waitForSync(till);

  auto events = ledgerEvents("till-1");
  std::set<std::string> in_ledger;
  for (const auto& [seq, e] : events) in_ledger.insert(e["event_id"].get<std::string>());
  EXPECT_EQ(in_ledger.size(), events.size()) << "an event id appears twice";
  for (const auto& id : acknowledged) EXPECT_TRUE(in_ledger.count(id)) << "acknowledged sale lost: " << id;
  // Nothing beyond what the agent itself committed: seqs 1..last_seq, each once.
  uint64_t last_seq = till.status()["last_seq"];
  EXPECT_EQ(events.size(), last_seq);
  EXPECT_EQ(events.rbegin()->first, last_seq);
  int64_t sold_in_ledger = static_cast<int64_t>(events.size()) - 1;
  EXPECT_EQ(coord_.onHand("SKU-1", "store-1"), 500 - sold_in_ledger);
  expectVerified();
}

// Issue 15 item 2: a till whose store is put back to an older copy reuses seqs the ledger
// already has under other events. Every sale still reaches the ledger once, the till never
// refuses one, and IT sees the conflict.
TEST_F(ExactlyOnce, ATillRestoredFromAnOlderCopyLosesNoSale) {
  coord_.start();
  test::AgentProc till(dir_, "till-1", "store-1", broker_.url());
  till.start();
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 100}}).status, 201);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(till.sell("SKU-1", 1).status, 201);
  waitForSync(till);
  till.stop();
  auto copyDb = [](const std::string& from, const std::string& to) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(to + suffix);
      if (std::filesystem::exists(from + suffix)) std::filesystem::copy_file(from + suffix, to + suffix);
    }
  };
  copyDb(till.db(), till.db() + ".backup");  // seqs 1..4
  till.start();
  std::set<std::string> sold;
  for (int i = 0; i < 4; ++i) {
    auto r = till.sell("SKU-1", 2);
    ASSERT_EQ(r.status, 201);
    sold.insert(r.body["event_id"].get<std::string>());
  }
  waitForSync(till);  // seqs 5..8 in the ledger
  till.stop();
  copyDb(till.db() + ".backup", till.db());
  till.start();
  for (int i = 0; i < 6; ++i) {
    auto r = till.sell("SKU-1", 3);
    ASSERT_EQ(r.status, 201) << r.body.dump();  // selling never waits for the conflict
    sold.insert(r.body["event_id"].get<std::string>());
  }
  waitForSync(till);

  auto events = ledgerEvents("till-1");
  EXPECT_EQ(events.size(), 4u + 4u + 6u);
  std::set<std::string> in_ledger;
  uint64_t expect = 1;
  for (const auto& [seq, e] : events) {
    EXPECT_EQ(seq, expect++) << "the device's seqs in the ledger stay gapless";
    in_ledger.insert(e["event_id"].get<std::string>());
  }
  for (const std::string& id : sold) EXPECT_TRUE(in_ledger.count(id)) << id << " was sold and is not in the ledger";
  auto stock = test::httpGet(coord_.port(), "/v1/stock?sku=SKU-1");
  ASSERT_EQ(stock.status, 200);
  EXPECT_EQ(stock.body["locations"][0]["on_hand"], 100 - 3 - 8 - 18);

  // What IT sees: the conflict at /v1/devices, the conflicting batch at /v1/quarantine, and
  // the till's own account of what it renumbered.
  json d = coord_.device("till-1");
  EXPECT_GE(d["seq_conflicts"].get<int64_t>(), 1) << d.dump();
  bool alert = false;
  for (const auto& a : d["alerts"]) alert = alert || a["code"] == "seq_conflict";
  EXPECT_TRUE(alert) << d.dump();
  auto q = test::httpGet(coord_.port(), "/v1/quarantine");
  bool quarantined = false;
  for (const auto& row : q.body["quarantined"]) quarantined = quarantined || row["code"] == "seq_conflict";
  EXPECT_TRUE(quarantined) << q.body.dump();
  json st = till.status();
  ASSERT_TRUE(st.contains("resequenced")) << st.dump();
  EXPECT_EQ(st["resequenced"]["from_seq"], 5);
  EXPECT_EQ(st["resequenced"]["shift"], 4);
  expectVerified();
}

// Issue 21, backups: a backup taken while the coordinator runs and tills sell, restored (with the
// coordinator stopped) after more sales were acknowledged. The restored ledger knows less than the till was told; the till is asked
// for the rest, resends it from what it retains, and the ledger ends exact.
TEST_F(ExactlyOnce, ACoordinatorRestoredFromABackupTakenWhileItRanEndsExact) {
  coord_.start();
  test::AgentProc till(dir_, "till-1", "store-1", broker_.url());
  till.start();
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 100}}).status, 201);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(till.sell("SKU-1", 1).status, 201);
  waitForSync(till);  // seqs 1..6

  auto run = [&](const std::vector<std::string>& args, const std::string& name) {
    std::vector<std::string> argv = {test::coordinatorBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto c = test::Child::spawn(argv, dir_.file(name));
    auto st = c.wait(60s);
    EXPECT_TRUE(st.has_value());
    return std::make_pair(st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1, c.stdoutText() + c.stderrText());
  };
  const std::string backup = dir_.file("backup.db");
  auto [rc, out] = run({"backup", "--db", coord_.db(), "--to", backup}, "backup");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_TRUE(std::filesystem::exists(backup + ".orders")) << out;

  std::set<std::string> sold_after;
  for (int i = 0; i < 7; ++i) {
    auto r = till.sell("SKU-1", 2);
    ASSERT_EQ(r.status, 201);
    sold_after.insert(r.body["event_id"].get<std::string>());
  }
  waitForSync(till);  // seqs 7..13 acknowledged, not in the backup
  EXPECT_EQ(coord_.onHand("SKU-1", "store-1"), 100 - 5 - 14);

  // While the coordinator runs on those files, restore needs an admin token to ask it (that case:
  // restore_live_test.cpp); without one nothing is touched.
  auto [busy_rc, busy_out] = run({"restore", "--db", coord_.db(), "--from", backup}, "restore-busy");
  EXPECT_EQ(busy_rc, 2) << busy_out;
  EXPECT_NE(busy_out.find("--token-file"), std::string::npos) << busy_out;
  // So is a second coordinator on the same files.
  test::CoordinatorProc second(dir_, broker_.url(), {}, {"--client-id", "coordinator-b"});
  std::string refused;
  try {
    second.start();
  } catch (const std::runtime_error& e) {
    refused = e.what();
  }
  EXPECT_NE(refused.find("another coordinator is running"), std::string::npos) << refused;
  // A file that is no ledger is refused before anything is replaced.
  const std::string junk = dir_.file("junk.db");
  { std::ofstream(junk) << "not a database"; }

  coord_.stop();
  auto [junk_rc, junk_out] = run({"restore", "--db", coord_.db(), "--from", junk}, "restore-junk");
  EXPECT_EQ(junk_rc, 1) << junk_out;
  auto [back_rc, back_out] = run({"restore", "--db", coord_.db(), "--from", backup}, "restore");
  ASSERT_EQ(back_rc, 0) << back_out;

  coord_.start();
  EXPECT_EQ(coord_.device("till-1")["last_applied_seq"], 6) << "the backup's moment";
  for (int i = 0; i < 3; ++i) ASSERT_EQ(till.sell("SKU-1", 3).status, 201);
  waitForSync(till);

  auto events = ledgerEvents("till-1");
  EXPECT_EQ(events.size(), 1u + 5u + 7u + 3u);
  uint64_t expect = 1;
  std::set<std::string> in_ledger;
  for (const auto& [seq, e] : events) {
    EXPECT_EQ(seq, expect++) << "gapless, each seq once";
    in_ledger.insert(e["event_id"].get<std::string>());
  }
  for (const auto& id : sold_after) EXPECT_TRUE(in_ledger.count(id)) << id << " was acknowledged, then lost";
  EXPECT_EQ(coord_.onHand("SKU-1", "store-1"), 100 - 5 - 14 - 9);
  expectVerified();
}

// Issue 21, rollout: the agent restarted under a till that keeps ringing sales up, twice, as a
// package upgrade does (SIGTERM, then the new binary on the same store and port). A sale that got
// no answer is sent again with the same Idempotency-Key, as a till client does: every sale is
// recorded once, none is lost, and all of them reach the ledger once.
TEST_F(ExactlyOnce, AnAgentRestartedWhileATillSellsRecordsEverySaleOnce) {
  coord_.start();
  test::AgentProc till(dir_, "till-1", "store-1", broker_.url());
  till.start();
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 1000}}).status, 201);
  constexpr int kSales = 150;
  std::atomic<int> sold{0}, unanswered{0};
  std::atomic<bool> refused{false};
  std::thread seller([&] {
    for (int i = 0; i < kSales && !refused; ++i) {
      json body = {{"lines", {{{"sku", "SKU-1"}, {"qty", 1}, {"unit_price", "2.50"}}}}};
      const std::string key = "till-1-sale-" + std::to_string(i);
      auto give_up = std::chrono::steady_clock::now() + 60s;
      while (true) {
        auto r = test::httpPost(till.port(), "/v1/sales", body.dump(), {{"Idempotency-Key", key}});
        if (r.status == 200 || r.status == 201) break;
        if (r.status != 0 && r.status < 500) refused = true;  // a refusal is a failure, not a retry
        if (refused || std::chrono::steady_clock::now() > give_up) return;
        ++unanswered;
        std::this_thread::sleep_for(20ms);  // the till's retry pace while the agent restarts
      }
      ++sold;
    }
  });
  for (int restart : {30, 90}) {
    ASSERT_TRUE(test::waitFor([&] { return sold >= restart || refused; }, 60s, 5ms));
    till.stop();
    till.start();
  }
  seller.join();
  ASSERT_FALSE(refused);
  ASSERT_EQ(sold, kSales) << "sales left unanswered for a minute";
  EXPECT_GT(unanswered, 0) << "the restarts came while the till was selling";
  waitForSync(till);

  auto events = ledgerEvents("till-1");
  EXPECT_EQ(events.size(), 1u + kSales) << "each sale once (" << unanswered << " retries)";
  uint64_t expect = 1;
  for (const auto& [seq, e] : events) EXPECT_EQ(seq, expect++);
  EXPECT_EQ(coord_.onHand("SKU-1", "store-1"), 1000 - kSales);
  EXPECT_EQ(till.status()["queue_depth"], 0);
}
