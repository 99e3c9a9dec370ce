#include <gtest/gtest.h>

#include <functional>

#include "sw/agent/catalog.h"
#include "sw/agent/devices.h"
#include "sw/agent/tasks.h"
#include "sw/common/http_errors.h"
#include "sw/common/uuid.h"
#include "schema_upgrade.h"
#include "test_support.h"

using namespace sw;
using nlohmann::json;

namespace {

class PickTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = agent::Store::open({.path = dir_.file("agent.db"), .device_id = "hh-1", .location = "store-1",
                                 .kind = "handheld", .min_free_bytes = 0},
                                clock_);
    ASSERT_TRUE(s.ok()) << s.error().toString();
    store_ = std::move(*s);
    ASSERT_TRUE(agent::ensurePickTaskTable(*store_).ok());  // as the agent does at start
  }
  // One downlink page of tasks, as the coordinator sends it.
  void page(json items) {
    common::DownPage p;
    p.location = "store-1";
    p.items = std::move(items);
    auto s = store_->transaction([&](common::SqliteDb& db) { return handler_.apply(db, p, 1); });
    ASSERT_TRUE(s.ok()) << s.error().toString();
  }
  json task(const std::string& id, const std::string& status) {
    return {{"task_id", id}, {"status", status}, {"ver", ++ver_}, {"order_id", "1001"}, {"channel", "amazon"},
            {"lines", json::array({{{"sku", "A"}, {"qty", 1}}})}};
  }
  const std::string kPick = R"({"lines":[{"sku":"A","picked":1}]})";
  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<agent::Store> store_;
  agent::PickTaskHandler handler_;
  int64_t ver_ = 0;
};

}  // namespace

// Issue 15 item 1: the same task confirmed on two devices was recorded on both.
TEST_F(PickTaskTest, ATaskDoneElsewhereIsRefusedAndRecordsNothing) {
  const std::string id = common::newUuid();
  page(json::array({task(id, "open")}));
  page(json::array({task(id, "done")}));  // another device confirmed it
  auto r = agent::confirmPickTask(*store_, id, kPick);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "task_already_done");
  EXPECT_EQ(common::httpStatusFor(r.error()), 409);
  EXPECT_EQ(store_->stats()->last_seq, 0u);
}

TEST_F(PickTaskTest, ARetryOfThisDevicesOwnConfirmStaysADuplicateAfterTheTaskCloses) {
  const std::string id = common::newUuid();
  page(json::array({task(id, "open")}));
  auto first = agent::confirmPickTask(*store_, id, kPick);
  ASSERT_TRUE(first.ok()) << first.error().toString();
  page(json::array({task(id, "done")}));
  auto again = agent::confirmPickTask(*store_, id, kPick);
  ASSERT_TRUE(again.ok()) << again.error().toString();
  EXPECT_EQ((*again)["duplicate"], true);
  EXPECT_EQ(store_->stats()->last_seq, 1u);
}

// The agent's pick-task, catalog and receipt tables have schema versions of their own; a file from
// before that (tables made with CREATE IF NOT EXISTS, no version recorded) keeps its rows.
TEST_F(PickTaskTest, TablesFromBeforeSchemaVersionsKeepTheirRowsAndGetVersionOne) {
  const std::string id = common::newUuid();
  page(json::array({task(id, "open")}));
  ASSERT_TRUE(store_->transaction([](common::SqliteDb& db) {
                return db.exec("DELETE FROM schema_versions WHERE component = 'agent_tasks'");
              }).ok());
  ASSERT_TRUE(agent::ensurePickTaskTable(*store_).ok());
  ASSERT_TRUE(agent::createCatalogTables(*store_).ok());
  std::map<std::string, int64_t> versions;
  int64_t tasks = -1;
  ASSERT_TRUE(store_->read([&](common::SqliteDb& db) -> common::Status {
                auto st = db.prepare("SELECT component, version FROM schema_versions");
                if (!st) return st.error();
                if (auto s = st->eachRow([&](const common::SqliteStmt& r) { versions[r.columnText(0)] = r.columnInt(1); });
                    !s) {
                  return s;
                }
                auto n = db.prepare("SELECT COUNT(*) FROM pick_tasks");
                if (!n) return n.error();
                if (auto r = n->step(); !r) return r.error();
                tasks = n->columnInt(0);
                return {};
              }).ok());
  EXPECT_EQ(versions["agent_tasks"], 1);
  EXPECT_EQ(versions["agent_catalog"], 1);
  EXPECT_EQ(tasks, 1);
}

// Issue 21, downgrades: the pick-task, catalog and receipt tables each refuse a file whose version
// of them is newer than this build knows (schema_too_new, with the component and both versions),
// and leave the file as it was: the version, and the rows of every table.
TEST_F(PickTaskTest, TablesOfANewerSchemaAreRefusedAndLeftAsTheyWere) {
  page(json::array({task(common::newUuid(), "open")}));
  ASSERT_TRUE(agent::createCatalogTables(*store_).ok());
  ASSERT_TRUE(agent::ReceiptQueue::createTables(*store_).ok());
  struct Component {
    common::SchemaVersion known;
    std::function<common::Status()> open;
  };
  const std::vector<Component> components = {
      {agent::pickTaskSchemaVersion(), [&] { return agent::ensurePickTaskTable(*store_); }},
      {agent::catalogSchemaVersion(), [&] { return agent::createCatalogTables(*store_); }},
      {agent::ReceiptQueue::schemaVersion(), [&] { return agent::ReceiptQueue::createTables(*store_); }},
  };
  auto snapshot = [&] {
    std::string all;
    EXPECT_TRUE(store_->read([&](common::SqliteDb& db) -> common::Status {
                  for (const auto& [table, columns] : test::tablesOf(db)) {
                    all += table + ":";
                    for (const std::string& row : test::rowsOf(db, table, columns)) all += row + ";";
                  }
                  auto st = db.prepare("SELECT component || '=' || version FROM schema_versions ORDER BY component");
                  if (!st) return st.error();
                  return st->eachRow([&](const common::SqliteStmt& r) { all += r.columnText(0) + ","; });
                }).ok());
    return all;
  };
  for (const Component& c : components) {
    SCOPED_TRACE(c.known.component);
    const int64_t newer = c.known.version + 1;
    ASSERT_TRUE(store_->transaction([&](common::SqliteDb& db) {
                  return db.exec("UPDATE schema_versions SET version = " + std::to_string(newer) +
                                 " WHERE component = '" + c.known.component + "'");
                }).ok());
    const std::string before = snapshot();
    common::Status s = c.open();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, "schema_too_new");
    EXPECT_NE(s.error().message.find(c.known.component), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find(std::to_string(newer)), std::string::npos) << s.error().message;
    EXPECT_EQ(snapshot(), before);
    ASSERT_TRUE(store_->transaction([&](common::SqliteDb& db) {
                  return db.exec("UPDATE schema_versions SET version = " + std::to_string(c.known.version) +
                                 " WHERE component = '" + c.known.component + "'");
                }).ok());
    EXPECT_TRUE(c.open().ok()) << "the same file at the version this build knows opens again";
  }
}

// The receipt queue's tables from before schema versions (IF NOT EXISTS, nothing recorded) keep
// their rows and get version 1, as the pick-task and catalog tables do above.
TEST_F(PickTaskTest, ReceiptTablesFromBeforeSchemaVersionsKeepTheirRows) {
  ASSERT_TRUE(agent::ReceiptQueue::createTables(*store_).ok());
  ASSERT_TRUE(store_->transaction([](common::SqliteDb& db) -> common::Status {
                if (auto s = db.exec("INSERT INTO receipt (seq, event_id, type, created_at_ms, body, state)"
                                     " VALUES (7, 'e-7', 'sale', 1, '{}', 'pending')");
                    !s) {
                  return s;
                }
                return db.exec("DELETE FROM schema_versions WHERE component = 'agent_receipts'");
              }).ok());
  ASSERT_TRUE(agent::ReceiptQueue::createTables(*store_).ok());
  int64_t version = 0, rows = 0;
  ASSERT_TRUE(store_->read([&](common::SqliteDb& db) -> common::Status {
                auto v = db.schemaVersion("agent_receipts");
                if (!v) return v.error();
                version = *v;
                auto n = db.queryInt("SELECT COUNT(*) FROM receipt WHERE seq = 7 AND state = 'pending'");
                if (!n) return n.error();
                rows = *n;
                return {};
              }).ok());
  EXPECT_EQ(version, 1);
  EXPECT_EQ(rows, 1);
}
