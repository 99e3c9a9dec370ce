// The device registry's file across releases (issue 21): a registry as the release before
// schema_versions left it (version '1' under 'schema' in registry_meta), or of each earlier
// version in schema_versions, keeps its devices, revocations and used enrollment tokens; a newer
// one is refused and left as it was.

#include <gtest/gtest.h>

#include "sw/common/clock.h"
#include "sw/coordinator/fleet/registry.h"
#include "schema_upgrade.h"
#include "test_support.h"

using namespace sw;
using coordinator::DeviceRegistry;
using coordinator::DeviceRole;

namespace {

TEST(RegistrySchema, ARegistryOfEachEarlierSchemaKeepsItsDevicesRevocationsAndTokens) {
  test::TempDir dir;
  common::ManualClock clock;
  const std::string scratch = dir.file("ledger.db");
  {
    auto r = DeviceRegistry::open(scratch, clock);
    ASSERT_TRUE(r.ok()) << r.error().toString();
    ASSERT_TRUE((*r)->upsert("till-1", "store-1", DeviceRole::kPos).ok());
    ASSERT_TRUE((*r)->upsert("hh-1", "wh-1", DeviceRole::kHandheld).ok());
    ASSERT_TRUE((*r)->recordCertificate("till-1", "0a1b2c", 2'000'000).ok());
    ASSERT_TRUE((*r)->useToken("token-1", "till-1").ok());
    ASSERT_TRUE((*r)->revoke("hh-1", "lost").ok());
  }
  const auto& steps = DeviceRegistry::schemaSteps();
  const common::SqliteSchema schema{"registry", steps, "registry_meta"};
  const auto earlier = test::earlierSchemas(steps.size(), 1);  // registry_meta only ever said '1'
  ASSERT_FALSE(earlier.empty());
  for (const test::EarlierSchema& e : earlier) {
    SCOPED_TRACE(e.describe());
    const std::string path = dir.file("v" + std::to_string(e.version) + "-" + std::to_string(int(e.record)) + ".db");
    test::EarlierFile built;
    ASSERT_NO_FATAL_FAILURE(test::buildEarlierSchema(path, schema, e, scratch, &built));
    ASSERT_TRUE(built.tables.count("device_registry") && built.tables.count("enroll_tokens_used"));

    auto opened = DeviceRegistry::open(path, clock);
    ASSERT_TRUE(opened.ok()) << opened.error().toString();
    auto& r = **opened;
    test::expectRowsKept(built, path);
    EXPECT_EQ(test::versionsOf(path, "registry").first, static_cast<int64_t>(steps.size()));
    auto till = r.find("till-1");
    ASSERT_TRUE(till);
    EXPECT_EQ(till->location, "store-1");
    EXPECT_EQ(till->role, DeviceRole::kPos);
    EXPECT_FALSE(till->revoked);
    EXPECT_EQ(till->cert_serial, "0a1b2c");
    auto hh = r.find("hh-1");
    ASSERT_TRUE(hh);
    EXPECT_TRUE(hh->revoked);
    EXPECT_EQ(hh->revoked_reason, "lost");
    EXPECT_EQ(*r.useToken("token-1", "till-2"), false) << "a used token stays used";
    auto back = r.upsert("hh-1", "wh-1", DeviceRole::kHandheld);
    ASSERT_FALSE(back.ok()) << "a revoked device stays revoked";
    EXPECT_EQ(back.error().code, "device_revoked");

    // Further writes: a new device, a new token.
    ASSERT_TRUE(r.upsert("till-2", "store-2", DeviceRole::kPos).ok());
    EXPECT_EQ(*r.useToken("token-2", "till-2"), true);
    EXPECT_EQ(r.list().size(), 3u);
  }
}

TEST(RegistrySchema, ARegistryOfANewerSchemaIsRefusedAndLeftAsItWas) {
  test::TempDir dir;
  common::ManualClock clock;
  const std::string path = dir.file("ledger.db");
  {
    auto r = DeviceRegistry::open(path, clock);
    ASSERT_TRUE(r.ok()) << r.error().toString();
    ASSERT_TRUE((*r)->upsert("till-1", "store-1", DeviceRole::kPos).ok());
  }
  const auto known = static_cast<int64_t>(DeviceRegistry::schemaSteps().size());
  ASSERT_NO_FATAL_FAILURE(test::setSchemaVersion(path, "registry", known + 1));
  const std::string before = test::contentsOf(path);
  ASSERT_NE(before.find("device_registry 'till-1'|'store-1'"), std::string::npos) << before;
  auto refused = DeviceRegistry::open(path, clock);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refused.error(), "registry", known + 1, known));
  EXPECT_EQ(test::contentsOf(path), before);
}

}  // namespace
