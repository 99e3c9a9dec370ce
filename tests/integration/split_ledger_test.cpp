// Issue 19: two coordinators split one fleet on one PostgreSQL ledger (serve --partitions), with
// real processes: Mosquitto, two stockwire-coordinators, stockwire-agents and a private
// PostgreSQL. Each applies the tills of its share of the locations; one is killed with SIGKILL
// while the tills sell, and the other takes its partitions (and its place as the primary) over.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>

#include <sstream>

#include "stack.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/harness/postgres.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr int kParts = 8;

class SplitLedger : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_.start();
    url_ = pg_.createDatabase("ledger");
  }

  std::unique_ptr<test::CoordinatorProc> coordinator(const test::TempDir& dir, const std::string& id,
                                                     const std::string& partitions = std::to_string(kParts)) {
    auto c = std::make_unique<test::CoordinatorProc>(
        dir, broker_.url(), std::map<std::string, std::string>{},
        std::vector<std::string>{"--client-id", id, "--partitions", partitions, "--ledger-lease-ms", "1000"});
    c->setLedgerUrl(url_);
    return c;
  }

  // A sample of the coordinator's /metrics (-1: not there).
  static int64_t metric(int port, const std::string& name) {
    std::istringstream in(test::httpGetText(port, "/metrics"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(name + " ", 0) == 0) return std::stoll(line.substr(name.size() + 1));
    }
    return -1;
  }

  // A location name whose partition is `partition`.
  static std::string locationIn(int partition, int nth = 0) {
    for (int i = 0;; ++i) {
      std::string loc = "store-" + std::to_string(i);
      if (coordinator::locationPartition(loc, kParts) == partition && nth-- == 0) return loc;
    }
  }

  void waitForSync(test::CoordinatorProc& coord, test::AgentProc& agent) {
    ASSERT_TRUE(test::waitForSync(coord, agent, 90s))
        << "agent never drained: " << agent.status().dump() << "\ncoordinator log:\n" << coord.logs();
  }

  test::TempDir dir_a_, dir_b_, dir_tills_;
  test::Postgres pg_;
  std::string url_;
  test::Broker broker_;
};

}  // namespace

TEST_F(SplitLedger, TwoCoordinatorsApplyTheirShareAndTheOneKilledMidSaleIsTakenOverWithNothingLost) {
  auto a = coordinator(dir_a_, "coord-a");
  auto b = coordinator(dir_b_, "coord-b");
  a->start();
  ASSERT_TRUE(test::waitFor([&] { return metric(a->port(), "stockwire_partitions_held") == kParts; }, 30s, 50ms))
      << a->logs();
  // Tills at four locations: two in partitions 0-3, two in 4-7 (a gives up the highest half).
  const std::vector<std::string> locs = {locationIn(0), locationIn(2), locationIn(5), locationIn(7)};
  std::vector<std::unique_ptr<test::AgentProc>> tills;
  for (size_t i = 0; i < locs.size(); ++i) {
    const std::string id = "till-" + std::to_string(i);
    // Each coordinator keeps its own device registry (--local-db): the fleet is in both.
    test::registerDevice(b->db(), id, locs[i], "till");
    tills.push_back(std::make_unique<test::AgentProc>(dir_tills_, id, locs[i], broker_.url()));
    tills.back()->setRegistryDb(a->db());
  }
  b->start();
  ASSERT_TRUE(test::waitFor(
      [&] {
        return metric(a->port(), "stockwire_partitions_held") == kParts / 2 &&
               metric(b->port(), "stockwire_partitions_held") == kParts / 2;
      },
      30s, 50ms))
      << a->logs() << b->logs();
  for (auto& t : tills) {
    t->start();
    ASSERT_EQ(t->movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 100}}).status, 201);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(t->sell("SKU-1", 1).status, 201);
  }
  for (auto& t : tills) waitForSync(*a, *t);
  // Both applied: each its own share of the tills.
  EXPECT_EQ(metric(a->port(), "stockwire_ingest_events_applied_total"), 22);
  EXPECT_EQ(metric(b->port(), "stockwire_ingest_events_applied_total"), 22);
  EXPECT_GT(metric(a->port(), "stockwire_ingest_not_ours_total"), 0);

  // The primary is killed while every till sells; the tills go on selling.
  for (int round = 0; round < 12; ++round) {
    if (round == 4) a->kill9();
    for (auto& t : tills) ASSERT_EQ(t->sell("SKU-1", 2).status, 201);
  }
  ASSERT_TRUE(test::waitFor([&] { return metric(b->port(), "stockwire_partitions_held") == kParts; }, 30s, 50ms))
      << b->logs();
  for (auto& t : tills) waitForSync(*b, *t);
  for (size_t i = 0; i < locs.size(); ++i) {
    EXPECT_EQ(b->onHand("SKU-1", locs[i]), 100 - 10 - 24) << locs[i];
    EXPECT_EQ(b->device("till-" + std::to_string(i))["last_applied_seq"], 23);
  }
  EXPECT_EQ(pg_.psql("ledger", "SELECT count(*) FROM events"), "92");
  EXPECT_EQ(pg_.psql("ledger", "SELECT count(*) FROM movements"), "92");
  // b took the writer lease over and runs the primary's services now.
  EXPECT_TRUE(test::waitFor([&] { return b->logs().find("took the writer lease over") != std::string::npos; }, 30s,
                            50ms))
      << b->logs();
  b->stop();
  auto verify = test::Child::spawn({test::coordinatorBinary(), "verify", "--db", url_, "--chain"}, dir_b_.file("verify"));
  auto st = verify.wait(60s);
  ASSERT_TRUE(st && WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 0) << verify.stderrText();
}

// A primary stalled past its lease (SIGSTOP: every thread of it, the lease keeper's too) is taken
// over. Resumed, it finds its writer lease gone, stops and exits 75, so that its service manager
// starts it again (Restart=on-failure); started again it serves as a secondary.
TEST_F(SplitLedger, APrimaryStalledPastItsLeaseIsTakenOverAndExits75WhenResumed) {
  auto a = coordinator(dir_a_, "coord-a");
  auto b = coordinator(dir_b_, "coord-b");
  a->start();
  ASSERT_TRUE(test::waitFor([&] { return metric(a->port(), "stockwire_partitions_held") == kParts; }, 30s, 50ms))
      << a->logs();
  b->start();
  auto shared = [&] {
    return metric(a->port(), "stockwire_partitions_held") == kParts / 2 &&
           metric(b->port(), "stockwire_partitions_held") == kParts / 2;
  };
  ASSERT_TRUE(test::waitFor(shared, 30s, 50ms)) << a->logs() << b->logs();
  ASSERT_EQ(::kill(a->pid(), SIGSTOP), 0);
  ASSERT_TRUE(test::waitFor(
      [&] {
        return metric(b->port(), "stockwire_partitions_held") == kParts &&
               b->logs().find("took the writer lease over") != std::string::npos;
      },
      30s, 50ms))
      << b->logs();
  ASSERT_EQ(::kill(a->pid(), SIGCONT), 0);
  auto st = a->wait(30s);
  ASSERT_TRUE(st) << "the stalled primary did not stop once resumed:\n" << a->logs();
  ASSERT_TRUE(WIFEXITED(*st)) << *st;
  EXPECT_EQ(WEXITSTATUS(*st), 75) << a->logs();
  EXPECT_NE(a->logs().find("no longer holds the ledger's writer lease"), std::string::npos) << a->logs();
  a->start();
  ASSERT_TRUE(test::waitFor(shared, 30s, 50ms)) << a->logs() << b->logs();
  EXPECT_NE(a->logs().find("secondary: applying this coordinator's partitions"), std::string::npos) << a->logs();
}

// Once split, a coordinator without --partitions (or with another count) is refused at start.
TEST_F(SplitLedger, ACoordinatorWithoutTheSameSplitIsRefused) {
  auto a = coordinator(dir_a_, "coord-a");
  a->start();
  for (const std::string& parts : {std::string("0"), std::string("4")}) {
    auto c = coordinator(dir_b_, "coord-c", parts);
    std::string refused;
    try {
      c->start();
    } catch (const std::runtime_error& e) {
      refused = e.what();
    }
    EXPECT_NE(refused.find("--partitions"), std::string::npos) << parts << ": " << refused;
  }
  a->stop();
}
