#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "sw/common/files.h"
#include "sw/common/sqlite.h"
#include "test_support.h"

using namespace sw::common;

TEST(Sqlite, OpensWithWalAndFullSync) {
  sw::test::TempDir dir;
  auto db = SqliteDb::open({.path = dir.file("a.db")});
  ASSERT_TRUE(db.ok()) << db.error().toString();
  EXPECT_EQ(*db->queryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*db->queryInt("PRAGMA synchronous"), 2);
}

TEST(Sqlite, APageSizeTakesOnlyOnANewFile) {
  sw::test::TempDir dir;
  {
    auto db = SqliteDb::open({.path = dir.file("big.db"), .page_size = 16384});
    ASSERT_TRUE(db.ok()) << db.error().toString();
    ASSERT_TRUE(db->exec("CREATE TABLE t(x)").ok());
    EXPECT_EQ(*db->queryInt("PRAGMA page_size"), 16384);
  }
  {
    auto db = SqliteDb::open({.path = dir.file("default.db")});
    ASSERT_TRUE(db->exec("CREATE TABLE t(x)").ok());
    EXPECT_EQ(*db->queryInt("PRAGMA page_size"), 4096);
  }
  // Reopened with another size, each file keeps its own and stays writable.
  for (const char* name : {"big.db", "default.db"}) {
    auto db = SqliteDb::open({.path = dir.file(name), .page_size = 8192});
    ASSERT_TRUE(db.ok()) << db.error().toString();
    EXPECT_TRUE(db->exec("INSERT INTO t VALUES (1)").ok());
    EXPECT_EQ(*db->queryInt("PRAGMA page_size"), std::string(name) == "big.db" ? 16384 : 4096) << name;
  }
}

TEST(Sqlite, MigratesStepByStepAndRefusesNewerSchema) {
  sw::test::TempDir dir;
  std::string path = dir.file("m.db");
  {
    auto db = SqliteDb::open({.path = path});
    ASSERT_TRUE(db->migrate({"own", {"CREATE TABLE a(x)"}, "user_version"}).ok());
    EXPECT_EQ(*db->schemaVersion("own"), 1);
    EXPECT_EQ(*db->queryInt("PRAGMA user_version"), 1);  // kept for releases that read it
    ASSERT_TRUE(db->migrate({"own", {"CREATE TABLE a(x)", "CREATE TABLE b(y)"}, "user_version"}).ok());
    EXPECT_EQ(*db->schemaVersion("own"), 2);
    EXPECT_EQ(*db->queryInt("PRAGMA user_version"), 2);
  }
  auto db = SqliteDb::open({.path = path});
  auto s = db->migrate({"own", {"CREATE TABLE a(x)"}, "user_version"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "schema_too_new");
  EXPECT_NE(s.error().message.find("the own tables have schema version 2, newer than this program knows (1)"),
            std::string::npos)
      << s.error().message;
  EXPECT_EQ(*db->schemaVersion("own"), 2);  // a refused downgrade changes nothing
}

// Several components in one file, each with its own version; neither touches user_version
// unless it owns it.
TEST(Sqlite, ComponentsInOneFileKeepTheirOwnVersions) {
  sw::test::TempDir dir;
  auto db = SqliteDb::open({.path = dir.file("m.db")});
  ASSERT_TRUE(db->migrate({"first", {"CREATE TABLE a(x)", "CREATE TABLE b(x)", "CREATE TABLE c(x)"}, "user_version"}).ok());
  ASSERT_TRUE(db->migrate({"second", {"CREATE TABLE d(x)"}, ""}).ok());
  EXPECT_EQ(*db->schemaVersion("first"), 3);
  EXPECT_EQ(*db->schemaVersion("second"), 1);
  EXPECT_EQ(*db->schemaVersion("third"), 0);
  EXPECT_EQ(*db->queryInt("PRAGMA user_version"), 3);
  ASSERT_TRUE(db->migrate({"second", {"CREATE TABLE d(x)", "ALTER TABLE d ADD COLUMN y"}, ""}).ok());
  EXPECT_EQ(*db->schemaVersion("second"), 2);
  EXPECT_EQ(*db->queryInt("PRAGMA user_version"), 3);
}

// Files written before schema_versions: the version is taken once from where it was kept, and
// only the steps after it run.
TEST(Sqlite, AnEarlierReleasesVersionIsAdoptedOnce) {
  sw::test::TempDir dir;
  auto db = SqliteDb::open({.path = dir.file("m.db")});
  ASSERT_TRUE(db->exec("CREATE TABLE a(x); PRAGMA user_version=1;"
                       "CREATE TABLE old_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                       "INSERT INTO old_meta VALUES ('schema', '1'); CREATE TABLE t(x);").ok());
  // Step 1 would fail if it ran again (the tables exist): it must not.
  ASSERT_TRUE(db->migrate({"own", {"CREATE TABLE a(x)", "CREATE TABLE b(y)"}, "user_version"}).ok());
  EXPECT_EQ(*db->schemaVersion("own"), 2);
  ASSERT_TRUE(db->migrate({"meta", {"CREATE TABLE t(x)", "CREATE TABLE u(x)"}, "old_meta"}).ok());
  EXPECT_EQ(*db->schemaVersion("meta"), 2);
  EXPECT_EQ(*db->queryInt("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('b', 'u')"), 2);
  // A legacy table that is not there means a component never created: every step runs.
  ASSERT_TRUE(db->migrate({"fresh", {"CREATE TABLE v(x)"}, "missing_meta"}).ok());
  EXPECT_EQ(*db->schemaVersion("fresh"), 1);
  // A legacy version newer than this code is refused like any other.
  ASSERT_TRUE(db->exec("CREATE TABLE new_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                       "INSERT INTO new_meta VALUES ('schema', '5');").ok());
  auto s = db->migrate({"newer", {"CREATE TABLE w(x)"}, "new_meta"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "schema_too_new");
  EXPECT_EQ(*db->schemaVersion("newer"), 0);
}

// A step that fails leaves the component at the version before it, with nothing of the step kept.
TEST(Sqlite, AFailedStepLeavesThePreviousVersion) {
  sw::test::TempDir dir;
  auto db = SqliteDb::open({.path = dir.file("m.db")});
  ASSERT_TRUE(db->migrate({"own", {"CREATE TABLE a(x)"}, ""}).ok());
  auto s = db->migrate({"own", {"CREATE TABLE a(x)", "CREATE TABLE b(y); INSERT INTO nowhere VALUES (1)"}, ""});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("own schema step 2 failed"), std::string::npos) << s.error().message;
  EXPECT_EQ(*db->schemaVersion("own"), 1);
  EXPECT_EQ(*db->queryInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'"), 0);
}

TEST(Sqlite, AFileThatIsNotADatabaseIsReportedAndLeftAlone) {
  sw::test::TempDir dir;
  std::string path = dir.file("junk.db");
  {
    std::ofstream out(path);
    out << "this is not a database, it is a text file that is long enough to look like a header........";
  }
  auto db = SqliteDb::open({.path = path});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, "corrupt_database");
  EXPECT_EQ(db.error().kind, ErrorKind::kFatal);
  std::ifstream in(path);
  std::string first;
  in >> first;
  EXPECT_EQ(first, "this");  // untouched
}

TEST(Sqlite, TransactionRollsBackUnlessCommitted) {
  sw::test::TempDir dir;
  auto db = SqliteDb::open({.path = dir.file("t.db")});
  ASSERT_TRUE(db->exec("CREATE TABLE t(x)").ok());
  {
    auto txn = SqliteTxn::begin(*db);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_EQ(*db->queryInt("SELECT count(*) FROM t"), 0);
  {
    auto txn = SqliteTxn::begin(*db);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)").ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  EXPECT_EQ(*db->queryInt("SELECT count(*) FROM t"), 1);
}

TEST(Sqlite, ConstraintViolationIsAReject) {
  sw::test::TempDir dir;
  auto db = SqliteDb::open({.path = dir.file("c.db")});
  ASSERT_TRUE(db->exec("CREATE TABLE t(x PRIMARY KEY)").ok());
  ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)").ok());
  auto s = db->exec("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "constraint");
  EXPECT_EQ(s.error().kind, ErrorKind::kReject);
}

TEST(Sqlite, RowsOneRowAndAFailedBindIsAnErrorNotAMissingParameter) {
  sw::test::TempDir dir;
  auto db = SqliteDb::open({.path = dir.file("rows.db")});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c')").ok());
  auto st = db->prepare("SELECT k, v FROM t WHERE k >= ? ORDER BY k");
  ASSERT_TRUE(st.ok());
  std::string seen;
  st->bind(1, int64_t{2});
  ASSERT_TRUE(st->eachRow([&](sw::common::SqliteStmt& r) { seen += r.columnText(1); }).ok());
  EXPECT_EQ(seen, "bc");
  // eachRow reset the statement: it runs again with new bindings.
  st->bind(1, int64_t{3});
  std::string first;
  auto one = st->firstRow([&](sw::common::SqliteStmt& r) { first = r.columnText(1); });
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(*one);
  EXPECT_EQ(first, "c");
  st->bind(1, int64_t{9});
  EXPECT_FALSE(*st->firstRow([](sw::common::SqliteStmt&) {}));
  // A parameter index past the statement's: refused at step, not run with the parameter NULL.
  st->bind(2, int64_t{1});
  auto bad = st->step();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("bind"), std::string::npos) << bad.error().toString();
  // The failed bind is forgotten with the reset that followed.
  st->bind(1, int64_t{1});
  EXPECT_TRUE(*st->step());
}

TEST(Sqlite, ReadTransactionsSeeOneSnapshotAndSavepointsUndoAlone) {
  sw::test::TempDir dir;
  auto writer = SqliteDb::open({.path = dir.file("snap.db")});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)").ok());
  auto reader = SqliteDb::open({.path = dir.file("snap.db")});
  ASSERT_TRUE(reader.ok());
  {
    auto txn = sw::common::SqliteReadTxn::begin(*reader);
    ASSERT_TRUE(txn.ok());
    EXPECT_EQ(*reader->queryInt("SELECT COUNT(*) FROM t"), 1);
    ASSERT_TRUE(writer->exec("INSERT INTO t VALUES (2)").ok());
    EXPECT_EQ(*reader->queryInt("SELECT COUNT(*) FROM t"), 1);  // the snapshot holds
  }
  EXPECT_EQ(*reader->queryInt("SELECT COUNT(*) FROM t"), 2);  // ended: the new row is seen
  auto txn = sw::common::SqliteTxn::begin(*writer);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(writer->exec("INSERT INTO t VALUES (3)").ok());
  {
    auto sp = sw::common::SqliteSavepoint::begin(*writer, "row");
    ASSERT_TRUE(sp.ok());
    ASSERT_TRUE(writer->exec("INSERT INTO t VALUES (4)").ok());
  }  // not released: rolled back to the savepoint
  {
    auto sp = sw::common::SqliteSavepoint::begin(*writer, "row");
    ASSERT_TRUE(sp.ok());
    ASSERT_TRUE(writer->exec("INSERT INTO t VALUES (5)").ok());
    ASSERT_TRUE(sp->release().ok());
  }
  ASSERT_TRUE(txn->commit().ok());
  EXPECT_EQ(*reader->queryText("SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)"), "1,2,3,5");
}

// The statement cache lends one compiled statement per SQL text: given back reset (bindings
// cleared) when the borrower is done, and never shared by two borrowers at once.
TEST(Sqlite, TheStatementCacheLendsOneStatementAtATimeAndTakesItBackReset) {
  sw::test::TempDir dir;
  auto db = SqliteDb::open({.path = dir.file("c.db")});
  ASSERT_TRUE(db.ok()) << db.error().toString();
  ASSERT_TRUE(db->exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3);").ok());
  const char* sql = "SELECT v FROM t WHERE v >= ? ORDER BY v";
  sqlite3_stmt* first = nullptr;
  {
    auto st = db->cached(sql);
    ASSERT_TRUE(st.ok()) << st.error().toString();
    first = st->raw();
    st->bind(1, int64_t{2});
    auto r = st->step();  // left mid-iteration on purpose
    ASSERT_TRUE(r.ok() && *r);
    EXPECT_EQ(st->columnInt(0), 2);
    // A nested use of the same SQL gets a statement of its own, from the start.
    auto nested = db->cached(sql);
    ASSERT_TRUE(nested.ok());
    EXPECT_NE(nested->raw(), first);
    nested->bind(1, int64_t{3});
    ASSERT_TRUE(nested->step().ok());
    EXPECT_EQ(nested->columnInt(0), 3);
  }
  {
    auto again = db->cached(sql);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->raw(), first);  // the same compiled statement, back from the start
    int64_t rows = 0;
    again->bind(1, int64_t{1});
    ASSERT_TRUE(again->eachRow([&](const SqliteStmt&) { ++rows; }).ok());
    EXPECT_EQ(rows, 3);
  }
  // Moving the connection keeps its cache.
  SqliteDb moved = std::move(*db);
  auto kept = moved.cached(sql);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->raw(), first);
  EXPECT_FALSE(moved.cached("SELECT nope FROM t").ok());  // a bad statement is an error, not cached
}

// The online backup: a copy of one moment while the source stays open with uncheckpointed WAL
// frames, written over a target whose stale -wal must not be replayed into it.
TEST(SqliteCopy, CopiesAnOpenDatabaseWithItsWalAndReplacesTheTarget) {
  sw::test::TempDir dir;
  auto src = SqliteDb::open({.path = dir.file("src.db")});
  ASSERT_TRUE(src.ok()) << src.error().toString();
  ASSERT_TRUE(src->exec("PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)").ok());
  // An old target with its own WAL frames, left as a crashed process would leave them.
  auto old = SqliteDb::open({.path = dir.file("dst.db")});
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE(old->exec("PRAGMA wal_autocheckpoint=0; CREATE TABLE other(y); INSERT INTO other VALUES (9)").ok());
  ASSERT_TRUE(sqliteCopy(dir.file("src.db"), dir.file("dst.db")).ok());
  old = SqliteDb{};

  ASSERT_TRUE(src->exec("INSERT INTO t VALUES (4)").ok());  // after the copy's moment
  auto dst = SqliteDb::open({.path = dir.file("dst.db"), .quick_check = true});
  ASSERT_TRUE(dst.ok()) << dst.error().toString();
  EXPECT_EQ(*dst->queryInt("SELECT count(*) FROM t"), 3);
  EXPECT_EQ(*dst->queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'other'"), 0);
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("dst.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SqliteCopy, RefusesAMissingOrBrokenSourceAndLeavesTheTarget) {
  sw::test::TempDir dir;
  { std::ofstream(dir.file("dst.db")) << "keep me"; }
  auto missing = sqliteCopy(dir.file("none.db"), dir.file("dst.db"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "not_found");
  { std::ofstream(dir.file("junk.db")) << std::string(8192, 'x'); }
  auto junk = sqliteCopy(dir.file("junk.db"), dir.file("dst.db"));
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().code, "corrupt_database") << junk.error().toString();
  std::ifstream in(dir.file("dst.db"));
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, "keep me");
  EXPECT_FALSE(std::filesystem::exists(dir.file("dst.db.tmp")));
}

TEST(FileLock, OneHolderAtATime) {
  sw::test::TempDir dir;
  auto a = FileLock::tryLock(dir.file("x.lock"));
  ASSERT_TRUE(a.ok()) << a.error().toString();
  auto b = FileLock::tryLock(dir.file("x.lock"));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "in_use");
  *a = FileLock{};  // released
  EXPECT_TRUE(FileLock::tryLock(dir.file("x.lock")).ok());
}
