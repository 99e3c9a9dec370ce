// The dead letters' file across releases (issue 21): a file as the release before schema_versions
// left it (user_version only) or at each earlier version in schema_versions keeps the items a
// channel refused and still replays them; a newer schema is refused and left as it was.

#include <gtest/gtest.h>

#include "sw/coordinator/channels/dead_letters.h"
#include "schema_upgrade.h"
#include "test_support.h"

using namespace sw;
using coordinator::channels::DeadLetter;
using coordinator::channels::DeadLetterStore;

namespace {

DeadLetter refused(const std::string& sku) {
  DeadLetter d;
  d.channel = "amazon";
  d.sku = sku;
  d.quantity = 4;
  d.code = "invalid_sku";
  d.message = "not in the catalog";
  d.attempts = 3;
  d.created_at_ms = 1'000;
  return d;
}

TEST(DeadLetterSchema, DeadLettersOfEachEarlierSchemaAreKeptAndStillReplay) {
  test::TempDir dir;
  const std::string scratch = dir.file("ledger.db.channels");
  int64_t open_id = 0;
  {
    auto s = DeadLetterStore::open(scratch);
    ASSERT_TRUE(s.ok()) << s.error().toString();
    open_id = *(*s)->add(refused("A"));
    auto replayed = (*s)->add(refused("B"));
    ASSERT_TRUE(replayed.ok());
    ASSERT_TRUE((*s)->markReplayed(*replayed, 2'000).ok());
  }
  const auto& steps = DeadLetterStore::schemaSteps();
  const common::SqliteSchema schema{"dead_letters", steps, "user_version"};
  const auto earlier = test::earlierSchemas(steps.size(), static_cast<int64_t>(steps.size()));
  ASSERT_FALSE(earlier.empty());
  for (const test::EarlierSchema& e : earlier) {
    SCOPED_TRACE(e.describe());
    const std::string path =
        dir.file("v" + std::to_string(e.version) + "-" + std::to_string(int(e.record)) + ".channels");
    test::EarlierFile built;
    ASSERT_NO_FATAL_FAILURE(test::buildEarlierSchema(path, schema, e, scratch, &built));
    ASSERT_TRUE(built.tables.count("dead_letters"));

    auto opened = DeadLetterStore::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().toString();
    auto& s = **opened;
    test::expectRowsKept(built, path);
    EXPECT_EQ(test::versionsOf(path, "dead_letters"),
              std::make_pair(static_cast<int64_t>(steps.size()), static_cast<int64_t>(steps.size())));
    EXPECT_EQ(*s.openCount(), 1);
    auto all = s.list(true, 10);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    auto open_ones = s.list(false, 10);
    ASSERT_TRUE(open_ones.ok());
    ASSERT_EQ(open_ones->size(), 1u);
    EXPECT_EQ((*open_ones)[0].sku, "A");
    EXPECT_EQ((*open_ones)[0].code, "invalid_sku");

    // Further writes: the open one replays, a new one is added.
    ASSERT_TRUE(s.markReplayed(open_id, 3'000).ok());
    ASSERT_TRUE(s.add(refused("C")).ok());
    EXPECT_EQ(*s.openCount(), 1);
  }
}

TEST(DeadLetterSchema, DeadLettersOfANewerSchemaAreRefusedAndLeftAsTheyWere) {
  test::TempDir dir;
  const std::string path = dir.file("ledger.db.channels");
  {
    auto s = DeadLetterStore::open(path);
    ASSERT_TRUE(s.ok()) << s.error().toString();
    ASSERT_TRUE((*s)->add(refused("A")).ok());
  }
  const auto known = static_cast<int64_t>(DeadLetterStore::schemaSteps().size());
  ASSERT_NO_FATAL_FAILURE(test::setSchemaVersion(path, "dead_letters", known + 1));
  const std::string before = test::contentsOf(path);
  ASSERT_NE(before.find("dead_letters 1|'amazon'|'A'"), std::string::npos) << before;
  auto refusal = DeadLetterStore::open(path);
  ASSERT_FALSE(refusal.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refusal.error(), "dead_letters", known + 1, known));
  EXPECT_EQ(test::contentsOf(path), before);
}

}  // namespace
