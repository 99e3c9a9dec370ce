// The access tables' file across releases (issue 21): tokens and the audit log as the release
// before schema_versions left them (no version recorded: step 1 creates only what is missing) or
// at each earlier version in schema_versions are kept, the tokens still authenticate; a newer
// schema is refused and left as it was.

#include <gtest/gtest.h>

#include "sw/common/clock.h"
#include "sw/coordinator/api/access.h"
#include "schema_upgrade.h"
#include "test_support.h"

using namespace sw;
using coordinator::Role;
using coordinator::SqliteAccess;

namespace {

coordinator::AuditEntry audited(const std::string& method, const std::string& path, int status) {
  coordinator::AuditEntry e;
  e.who = "ops";
  e.role = "admin";
  e.remote = "127.0.0.1";
  e.method = method;
  e.path = path;
  e.target = path;
  e.status = status;
  e.outcome = "ok";
  return e;
}

TEST(AccessSchema, AccessTablesOfEachEarlierSchemaKeepTheirTokensAndAudit) {
  test::TempDir dir;
  common::ManualClock clock;
  const std::string scratch = dir.file("ledger.db");
  std::string admin, manager, gone;
  {
    auto a = SqliteAccess::open(scratch, clock);
    ASSERT_TRUE(a.ok()) << a.error().toString();
    admin = *(*a)->createToken("ops", Role::kAdmin, "");
    manager = *(*a)->createToken("store-1-manager", Role::kStoreManager, "store-1");
    gone = *(*a)->createToken("old", Role::kViewer, "");
    ASSERT_TRUE(*(*a)->revokeToken("old"));
    ASSERT_TRUE((*a)->recordAudit(audited("POST", "/v1/tokens", 201)).ok());
  }
  const auto& steps = SqliteAccess::schemaSteps();
  const common::SqliteSchema schema{"access", steps, ""};
  const auto earlier = test::earlierSchemas(steps.size(), 1);  // version 1, recorded nowhere
  ASSERT_FALSE(earlier.empty());
  for (const test::EarlierSchema& e : earlier) {
    SCOPED_TRACE(e.describe());
    const std::string path = dir.file("v" + std::to_string(e.version) + "-" + std::to_string(int(e.record)) + ".db");
    test::EarlierFile built;
    ASSERT_NO_FATAL_FAILURE(test::buildEarlierSchema(path, schema, e, scratch, &built));
    ASSERT_TRUE(built.tables.count("api_tokens") && built.tables.count("audit_log"));

    auto opened = SqliteAccess::open(path, clock);
    ASSERT_TRUE(opened.ok()) << opened.error().toString();
    auto& a = **opened;
    test::expectRowsKept(built, path);
    EXPECT_EQ(test::versionsOf(path, "access").first, static_cast<int64_t>(steps.size()));
    auto ops = a.authenticate(admin);
    ASSERT_TRUE(ops.ok() && *ops);
    EXPECT_EQ((*ops)->name, "ops");
    EXPECT_EQ((*ops)->role, Role::kAdmin);
    auto m = a.authenticate(manager);
    ASSERT_TRUE(m.ok() && *m);
    EXPECT_EQ((*m)->location, "store-1");
    EXPECT_FALSE(a.authenticate(gone)->has_value()) << "a revoked token stays revoked";
    auto log = a.audit(coordinator::AuditQuery());
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(log->size(), 1u);
    EXPECT_EQ((*log)[0].path, "/v1/tokens");

    // Further writes: a new token works, a name in use (revoked ones included) is refused.
    auto viewer = a.createToken("viewer", Role::kViewer, "");
    ASSERT_TRUE(viewer.ok()) << viewer.error().toString();
    EXPECT_TRUE(a.authenticate(*viewer)->has_value());
    EXPECT_FALSE(a.createToken("old", Role::kViewer, "").ok());
    ASSERT_TRUE(a.recordAudit(audited("GET", "/v1/audit", 200)).ok());
    EXPECT_EQ(a.audit(coordinator::AuditQuery())->size(), 2u);
  }
}

TEST(AccessSchema, AccessTablesOfANewerSchemaAreRefusedAndLeftAsTheyWere) {
  test::TempDir dir;
  common::ManualClock clock;
  const std::string path = dir.file("ledger.db");
  {
    auto a = SqliteAccess::open(path, clock);
    ASSERT_TRUE(a.ok()) << a.error().toString();
    ASSERT_TRUE((*a)->createToken("ops", Role::kAdmin, "").ok());
  }
  const auto known = static_cast<int64_t>(SqliteAccess::schemaSteps().size());
  ASSERT_NO_FATAL_FAILURE(test::setSchemaVersion(path, "access", known + 1));
  const std::string before = test::contentsOf(path);
  ASSERT_NE(before.find("api_tokens 'ops'"), std::string::npos) << before;
  auto refused = SqliteAccess::open(path, clock);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refused.error(), "access", known + 1, known));
  EXPECT_EQ(test::contentsOf(path), before);
}

}  // namespace
