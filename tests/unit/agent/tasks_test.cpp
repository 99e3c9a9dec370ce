#include <gtest/gtest.h>

#include "sw/agent/catalog.h"
#include "sw/agent/tasks.h"
#include "sw/common/http_errors.h"
#include "sw/common/uuid.h"
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
