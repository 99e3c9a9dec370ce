// The coordinator with its ledger on PostgreSQL (serve --db postgresql://... --local-db PATH), with
// real processes: Mosquitto, stockwire-coordinator, stockwire-agent and a private PostgreSQL; and
// an earlier release's order book file moved into it.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "stack.h"
#include "sw/common/clock.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/coordinator/orders/order_service.h"
#include "sw/harness/postgres.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class PostgresLedger : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_.start();
    url_ = pg_.createDatabase("ledger");
  }
  void waitForSync(test::CoordinatorProc& coord, test::AgentProc& agent) {
    ASSERT_TRUE(test::waitForSync(coord, agent, 60s))
        << "agent never drained: " << agent.status().dump() << "\ncoordinator log:\n" << coord.logs();
  }
  int verify(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {test::coordinatorBinary(), "verify", "--db", url_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto c = test::Child::spawn(argv, dir_.file("verify"));
    auto st = c.wait(60s);
    return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  }
  test::TempDir dir_;
  test::Postgres pg_;
  std::string url_;
  test::Broker broker_;
};

}  // namespace

// A coordinator killed with SIGKILL while tills sell; a second one (another client id) is refused
// while the first one's lease runs, then takes the ledger over; nothing is lost or applied twice.
TEST_F(PostgresLedger, ASecondCoordinatorTakesOverOnceTheKilledOnesLeaseRunsOut) {
  test::CoordinatorProc a(dir_, broker_.url(), {}, {"--ledger-lease-ms", "2000"});
  a.setLedgerUrl(url_);
  a.start();
  test::AgentProc till(dir_, "till-1", "store-1", broker_.url());
  till.start();
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 100}}).status, 201);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(till.sell("SKU-1", 1).status, 201);
  waitForSync(a, till);
  EXPECT_EQ(a.onHand("SKU-1", "store-1"), 90);

  // While A holds the lease, B cannot write the ledger: it stops at start with ledger_taken.
  test::CoordinatorProc b(dir_, broker_.url(), {}, {"--client-id", "coordinator-b", "--ledger-lease-ms", "2000"});
  b.setLedgerUrl(url_);
  std::string refused;
  try {
    b.start();
  } catch (const std::runtime_error& e) {
    refused = e.what();
  }
  EXPECT_NE(refused.find("ledger_taken"), std::string::npos) << refused;

  a.kill9();
  // The tills go on selling while no coordinator runs.
  for (int i = 0; i < 15; ++i) ASSERT_EQ(till.sell("SKU-1", 2).status, 201);
  // B starts as soon as A's lease has run out (a service manager's restarts would do the same).
  bool started = test::waitFor(
      [&] {
        try {
          b.start();
          return true;
        } catch (const std::runtime_error&) {
          return false;
        }
      },
      30s, 200ms);
  ASSERT_TRUE(started) << b.logs();
  waitForSync(b, till);
  EXPECT_EQ(b.onHand("SKU-1", "store-1"), 60);
  EXPECT_EQ(b.device("till-1")["last_applied_seq"], 26);
  auto pg_events = pg_.psql("ledger", "SELECT count(*) FROM events");
  EXPECT_EQ(pg_events, "26");
  b.stop();
  EXPECT_EQ(verify(), 0);
  EXPECT_EQ(verify({"--chain"}), 0);
}

// serve refuses a PostgreSQL ledger without --local-db, and --local-db without one.
TEST_F(PostgresLedger, LocalDbGoesWithAPostgresLedgerOnly) {
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {test::coordinatorBinary(), "serve", "--broker", broker_.url()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto c = test::Child::spawn(argv, dir_.file("serve"));
    auto st = c.wait(30s);
    return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  };
  EXPECT_EQ(run({"--db", url_}), 2);
  EXPECT_EQ(run({"--db", dir_.file("x.db"), "--local-db", dir_.file("y.db")}), 2);
}

// Issue 21: a coordinator whose ledger is in PostgreSQL refuses to restore while it runs (409
// postgresql_ledger, pointing at PostgreSQL's tools), through the API and through the CLI on its
// --local-db file, and goes on serving what it had.
TEST_F(PostgresLedger, ARestoreWhileItRunsIsRefusedWithPointersToPostgresTools) {
  test::CoordinatorProc coord(dir_, broker_.url());
  coord.setLedgerUrl(url_);
  coord.start();
  test::AgentProc till(dir_, "till-1", "store-1", broker_.url());
  till.start();
  ASSERT_EQ(till.sell("SKU-1", 1).status, 201);
  waitForSync(coord, till);
  const std::string backup = dir_.file("local-backup.db");
  auto b = test::Child::spawn({test::coordinatorBinary(), "backup", "--db", coord.db(), "--to", backup},
                              dir_.file("backup"));
  ASSERT_EQ(b.wait(60s).value_or(-1), 0) << b.stderrText();

  auto api = test::httpPost(coord.port(), "/v1/admin/restore", json{{"from", backup}}.dump());
  EXPECT_EQ(api.status, 409) << api.body.dump();
  EXPECT_EQ(api.body["error"]["code"], "postgresql_ledger");
  EXPECT_NE(api.body["error"]["message"].get<std::string>().find("pg_restore"), std::string::npos);

  const std::string token = dir_.file("admin-token");
  std::ofstream(token) << coord.adminToken() << "\n";
  auto cli = test::Child::spawn({test::coordinatorBinary(), "restore", "--db", coord.db(), "--from", backup,
                                 "--token-file", token},
                                dir_.file("restore"));
  auto st = cli.wait(60s);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(WIFEXITED(*st) ? WEXITSTATUS(*st) : -1, 1) << cli.stderrText();
  EXPECT_NE(cli.stderrText().find("postgresql_ledger"), std::string::npos) << cli.stderrText();

  ASSERT_EQ(till.sell("SKU-1", 1).status, 201);
  waitForSync(coord, till);
  EXPECT_EQ(coord.device("till-1")["last_applied_seq"], 2);
}

// The order book an earlier release kept in its own SQLite file beside --local-db is moved into
// PostgreSQL at the first start (and the file kept under another name); a second file beside a
// book that now holds orders stops serve rather than being merged or silently left unread.
TEST_F(PostgresLedger, AnEarlierReleasesOrderBookFileIsMovedIntoPostgresOnce) {
  test::CoordinatorProc coord(dir_, broker_.url());
  coord.setLedgerUrl(url_);
  const std::string old_book = coord.db() + ".orders";
  auto writeOldBook = [&](const std::string& order_id) {
    common::ManualClock clock;
    auto ledger = coordinator::SqlLedger::open({.path = url_, .writer_id = "earlier-release"});
    ASSERT_TRUE(ledger.ok()) << ledger.error().toString();
    auto book = coordinator::OrderBook::open(old_book, clock);
    ASSERT_TRUE(book.ok()) << book.error().toString();
    auto routing = coordinator::parseRoutingConfig(json::parse(R"({"locations": {"wh-1": {"lat": 1, "lon": 1}}})"));
    ASSERT_TRUE(routing.ok());
    coordinator::OrderService service(**book, **ledger, nullptr, *routing, clock);
    coordinator::channels::NormalizedOrder o;
    o.channel = coordinator::channels::ChannelKind::kShopify;
    o.order_id = order_id;
    o.lines.push_back({});
    o.lines[0].line_id = "L1";
    o.lines[0].sku = "SKU-9";
    o.lines[0].quantity = 2;
    ASSERT_TRUE(service.intake(o).ok());
  };
  writeOldBook("W-1");
  ASSERT_TRUE(std::filesystem::exists(old_book));

  coord.start();
  auto got = test::httpGet(coord.port(), "/v1/orders/shopify/W-1");
  ASSERT_EQ(got.status, 200) << got.body.dump() << "\n" << coord.logs();
  EXPECT_EQ(got.body["lines"][0]["sku"], "SKU-9") << got.body.dump();
  EXPECT_FALSE(std::filesystem::exists(old_book));
  bool kept = false;
  for (const auto& f : std::filesystem::directory_iterator(dir_.path())) {
    kept = kept || f.path().filename().string().rfind("coordinator.db.orders.imported-", 0) == 0 ||
           f.path().string().rfind(old_book + ".imported-", 0) == 0;
  }
  EXPECT_TRUE(kept) << "the file is kept under another name";
  EXPECT_NE(coord.logs().find("moved the order book"), std::string::npos) << coord.logs();
  coord.stop();
  EXPECT_EQ(pg_.psql("ledger", "SELECT count(*) FROM orders"), "1");

  // Another book beside it now: refused at start, nothing merged.
  writeOldBook("W-2");
  std::string refused;
  try {
    coord.start();
  } catch (const std::runtime_error& e) {
    refused = e.what();
  }
  EXPECT_NE(refused.find("already holds orders"), std::string::npos) << refused;
  EXPECT_TRUE(std::filesystem::exists(old_book));
  EXPECT_EQ(pg_.psql("ledger", "SELECT count(*) FROM orders"), "1");
}
