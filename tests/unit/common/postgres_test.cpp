// PgDb (common/postgres.h) on a real PostgreSQL: SQL written for SQLite, types, errors, a broken
// connection, schema versions.
#include <gtest/gtest.h>

#include "sw/common/postgres.h"
#include "sw/harness/postgres.h"

using namespace sw;
using common::PgDb;

namespace {

class PgDbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new test::Postgres();
    server_->start();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    static int n = 0;
    url_ = server_->createDatabase("pgdb_" + std::to_string(++n));
    auto db = PgDb::open({.url = url_});
    ASSERT_TRUE(db.ok()) << db.error().toString();
    db_ = std::move(*db);
  }
  static test::Postgres* server_;
  std::string url_;
  std::unique_ptr<PgDb> db_;
};

test::Postgres* PgDbTest::server_ = nullptr;

}  // namespace

TEST(PgTranslate, PlaceholdersAndInsertOrIgnore) {
  int n = 0;
  EXPECT_EQ(PgDb::translate("SELECT a FROM t WHERE b = ? AND c = ?", &n), "SELECT a FROM t WHERE b = $1 AND c = $2");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(PgDb::translate("UPDATE t SET a = ?3 WHERE b = ?1 OR b = ?12", &n), "UPDATE t SET a = $3 WHERE b = $1 OR b = $12");
  EXPECT_EQ(n, 12);
  // Not inside quoted strings or identifiers.
  EXPECT_EQ(PgDb::translate("SELECT '?', \"a?\" FROM t WHERE x = ?", &n), "SELECT '?', \"a?\" FROM t WHERE x = $1");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(PgDb::translate("INSERT OR IGNORE INTO t (a) VALUES (?)", &n), "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING");
  EXPECT_EQ(PgDb::translate("SELECT 1", &n), "SELECT 1");
  EXPECT_EQ(n, 0);
}

TEST(PgTranslate, PasswordsAreRedacted) {
  EXPECT_EQ(PgDb::redactUrl("postgresql://sw:secret@db.example:5432/ledger"), "postgresql://sw:***@db.example:5432/ledger");
  EXPECT_EQ(PgDb::redactUrl("postgresql://sw@db/ledger"), "postgresql://sw@db/ledger");
  EXPECT_EQ(PgDb::redactUrl("postgresql://db/ledger?user=sw&password=secret&sslmode=require"),
            "postgresql://db/ledger?user=sw&password=***&sslmode=require");
}

TEST_F(PgDbTest, BlobsBooleansNullsAndIntegersRoundTrip) {
  ASSERT_TRUE(db_->exec("CREATE TABLE t (id BIGINT PRIMARY KEY, b BYTEA, s TEXT, n BIGINT)").ok());
  auto ins = db_->prepare("INSERT INTO t (id, b, s, n) VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(ins.ok()) << ins.error().toString();
  const std::string bytes("\x00\x01\xff\x7f\\x", 6);
  ins->bind(1, int64_t{1}).bindBlob(2, bytes).bind(3, "o'brien ? $1").bind(4, INT64_MIN);
  ASSERT_TRUE(ins->run().ok());
  ins->bind(1, int64_t{2}).bindNull(2).bindNull(3).bind(4, std::optional<int64_t>());
  ASSERT_TRUE(ins->run().ok());
  EXPECT_EQ(db_->changes(), 1);
  auto sel = db_->prepare("SELECT b, s, n, b IS NULL FROM t WHERE id = ?");
  ASSERT_TRUE(sel.ok());
  sel->bind(1, int64_t{1});
  ASSERT_TRUE(*sel->step());
  EXPECT_EQ(sel->columnText(0), bytes);
  EXPECT_EQ(sel->columnText(1), "o'brien ? $1");
  EXPECT_EQ(sel->columnInt(2), INT64_MIN);
  EXPECT_EQ(sel->columnInt(3), 0);
  EXPECT_FALSE(*sel->step());
  sel->reset();
  sel->bind(1, int64_t{2});
  ASSERT_TRUE(*sel->step());
  EXPECT_TRUE(sel->columnIsNull(0));
  EXPECT_TRUE(sel->columnIsNull(1));
  EXPECT_TRUE(sel->columnIsNull(2));
  EXPECT_EQ(sel->columnInt(3), 1);
  sel->reset();
  // Blobs compare as blobs in a WHERE.
  auto by_blob = db_->prepare("SELECT id FROM t WHERE b = ?");
  by_blob->bindBlob(1, bytes);
  ASSERT_TRUE(*by_blob->step());
  EXPECT_EQ(by_blob->columnInt(0), 1);
}

TEST_F(PgDbTest, ErrorsAreClassifiedAndABadBindIsReported) {
  ASSERT_TRUE(db_->exec("CREATE TABLE t (id BIGINT PRIMARY KEY)").ok());
  auto ins = db_->prepare("INSERT INTO t (id) VALUES (?)");
  ASSERT_TRUE(ins->bind(1, int64_t{1}).run().ok());
  auto dup = ins->bind(1, int64_t{1}).run();
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "constraint");
  EXPECT_EQ(dup.error().kind, common::ErrorKind::kReject);
  auto ignore = db_->prepare("INSERT OR IGNORE INTO t (id) VALUES (?)");
  ASSERT_TRUE(ignore->bind(1, int64_t{1}).run().ok());
  EXPECT_EQ(db_->changes(), 0);
  auto bad = ins->bind(2, int64_t{5}).run();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bind");
  auto syntax = db_->prepare("SELEC 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().kind, common::ErrorKind::kFatal);
  // An error inside a transaction ends it: the rollback leaves nothing.
  {
    auto txn = common::SqlTxn::begin(*db_);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(ins->bind(1, int64_t{7}).run().ok());
    EXPECT_FALSE(ins->bind(1, int64_t{1}).run().ok());
    EXPECT_FALSE(txn->commit().ok());
  }
  EXPECT_FALSE(db_->inTransaction());
  EXPECT_EQ(*db_->queryInt("SELECT count(*) FROM t"), 1);
}

TEST_F(PgDbTest, ALostConnectionIsARetryAndTheNextCallWorks) {
  ASSERT_TRUE(db_->exec("CREATE TABLE t (id BIGINT PRIMARY KEY)").ok());
  auto ins = db_->prepare("INSERT INTO t (id) VALUES (?)");
  ASSERT_TRUE(ins->bind(1, int64_t{1}).run().ok());
  // The server ends this connection (as a restart or a failover would).
  auto other = PgDb::open({.url = url_});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                             " WHERE application_name = 'stockwire' AND pid <> pg_backend_pid()").ok());
  auto lost = ins->bind(1, int64_t{2}).run();
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().kind, common::ErrorKind::kRetry) << lost.error().toString();
  // Reconnected, with its prepared statements prepared again.
  auto again = ins->bind(1, int64_t{2}).run();
  EXPECT_TRUE(again.ok()) << again.error().toString();
  EXPECT_EQ(*db_->queryInt("SELECT count(*) FROM t"), 2);
}

TEST_F(PgDbTest, SchemaStepsApplyOnceAndANewerSchemaIsRefused) {
  common::SqliteSchema v2{"thing", {"CREATE TABLE a (x BIGINT)", "CREATE TABLE b (y BIGINT)"}, ""};
  ASSERT_TRUE(db_->migrate(v2).ok());
  ASSERT_TRUE(db_->migrate(v2).ok());  // again: nothing to do
  EXPECT_EQ(*db_->schemaVersion("thing"), 2);
  common::SqliteSchema v1{"thing", {"CREATE TABLE a (x BIGINT)"}, ""};
  auto down = db_->migrate(v1);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, "schema_too_new");
  // A failing step leaves the previous version.
  common::SqliteSchema broken{"thing", {v2.steps[0], v2.steps[1], "CREATE TABLE a (x BIGINT)"}, ""};
  ASSERT_FALSE(db_->migrate(broken).ok());
  EXPECT_EQ(*db_->schemaVersion("thing"), 2);
}

// The harness's kill9() and start() (tools/chaos --ledger postgresql relies on them), and a
// connection living through it: the first call after is a retry, the next one works.
TEST(PgServer, KilledAndStartedAgainAConnectionCarriesOn) {
  test::Postgres server;
  server.start();
  std::string url = server.createDatabase("restart");
  auto db = PgDb::open({.url = url});
  ASSERT_TRUE(db.ok()) << db.error().toString();
  ASSERT_TRUE((*db)->exec("CREATE TABLE t (id BIGINT PRIMARY KEY)").ok());
  ASSERT_TRUE((*db)->exec("INSERT INTO t VALUES (1)").ok());
  for (int i = 0; i < 3; ++i) {
    server.kill9();
    EXPECT_FALSE(server.running());
    server.start();
    auto lost = (*db)->exec("INSERT INTO t VALUES (" + std::to_string(i + 2) + ")");
    if (!lost.ok()) {
      EXPECT_EQ(lost.error().kind, common::ErrorKind::kRetry) << lost.error().toString();
      auto again = (*db)->exec("INSERT INTO t VALUES (" + std::to_string(i + 2) + ")");
      ASSERT_TRUE(again.ok()) << again.error().toString() << "\n" << server.log();
    }
  }
  EXPECT_EQ(*(*db)->queryInt("SELECT count(*) FROM t"), 4);
}
