#pragma once
// Upgrade tests of a store's SQLite file (issue 21): a file as an earlier release left it, built
// from the store's own schema steps (its static schemaSteps()) with the one migration mechanism
// there is (common::SqliteDb::migrate), and filled with rows the current code wrote; then what a
// refused downgrade must say and leave.
//
// A store's test: write representative data with the current code into a scratch file; for each
// earlier file (earlierSchemas), buildEarlierSchema with the scratch file's rows, open it with the
// current store, check with the store's own API that everything is there and a further write
// works, that every row of the earlier file is still as it was (expectRowsKept), and that the
// version is now the current one.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sw/common/result.h"
#include "sw/common/sqlite.h"

namespace sw::test {

// Where an earlier release recorded the component's version: the table schema_versions, or the
// record of releases before it (SqliteSchema::legacy: PRAGMA user_version, or a ('schema', n) row
// in a table of its own; "" = none at all).
enum class VersionRecord { kSchemaVersions, kLegacy };

struct EarlierSchema {
  int64_t version = 0;
  VersionRecord record = VersionRecord::kSchemaVersions;
  std::string describe() const {
    return "schema version " + std::to_string(version) +
           (record == VersionRecord::kLegacy ? " recorded as before schema_versions" : " in schema_versions");
  }
};

// Every earlier file a store of `steps` steps must open: each version 1..steps-1 in schema_versions,
// and each version 1..legacy_up_to as releases before schema_versions recorded it.
inline std::vector<EarlierSchema> earlierSchemas(size_t steps, int64_t legacy_up_to) {
  std::vector<EarlierSchema> out;
  for (int64_t v = 1; v <= legacy_up_to; ++v) out.push_back({v, VersionRecord::kLegacy});
  for (int64_t v = 1; v < static_cast<int64_t>(steps); ++v) out.push_back({v, VersionRecord::kSchemaVersions});
  return out;
}

// The tables of a file (not SQLite's own, not schema_versions) and each one's columns.
inline std::map<std::string, std::vector<std::string>> tablesOf(common::SqliteDb& db,
                                                                const std::string& schema = "main") {
  std::map<std::string, std::vector<std::string>> out;
  auto t = db.prepare("SELECT name FROM \"" + schema +
                      "\".sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                      " AND name <> 'schema_versions' ORDER BY name");
  EXPECT_TRUE(t.ok());
  if (!t.ok()) return out;
  std::vector<std::string> names;
  (void)t->eachRow([&](const common::SqliteStmt& r) { names.push_back(r.columnText(0)); });
  for (const std::string& name : names) {
    auto c = db.prepare("SELECT name FROM pragma_table_info(?, ?)");
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return out;
    c->bind(1, name).bind(2, schema);
    (void)c->eachRow([&](const common::SqliteStmt& r) { out[name].push_back(r.columnText(0)); });
  }
  return out;
}

inline std::string columnList(const std::vector<std::string>& columns) {
  std::string out;
  for (const std::string& c : columns) out += (out.empty() ? "\"" : ", \"") + c + "\"";
  return out;
}

// Every row of `table` in the given columns, as text, in a fixed order.
inline std::vector<std::string> rowsOf(common::SqliteDb& db, const std::string& table,
                                       const std::vector<std::string>& columns) {
  std::vector<std::string> out;
  std::string row = "quote(\"" + columns.at(0) + "\")";
  for (size_t i = 1; i < columns.size(); ++i) row += " || '|' || quote(\"" + columns[i] + "\")";
  auto st = db.prepare("SELECT " + row + " FROM \"" + table + "\" ORDER BY 1");
  EXPECT_TRUE(st.ok()) << table;
  if (!st.ok()) return out;
  (void)st->eachRow([&](const common::SqliteStmt& r) { out.push_back(r.columnText(0)); });
  return out;
}

inline common::Result<common::SqliteDb> openExisting(const std::string& path) {
  return common::SqliteDb::open({.path = path, .create = false});
}

// Replaces the rows of every table of `db` with the rows the same table has in the database
// attached as "scratch" (the current schema), in the columns `db` has: what an earlier release
// wrote there; columns added since get what the later steps give them. *copied: those tables and
// their columns.
inline void copyRows(common::SqliteDb& db, std::map<std::string, std::vector<std::string>>* copied) {
  *copied = tablesOf(db);
  const auto current = tablesOf(db, "scratch");
  for (const auto& [table, columns] : *copied) {
    ASSERT_TRUE(current.count(table)) << table << " is gone from the current schema";
    const std::string cols = columnList(columns);
    auto s = db.exec("DELETE FROM main.\"" + table + "\"; INSERT INTO main.\"" + table + "\" (" + cols +
                     ") SELECT " + cols + " FROM scratch.\"" + table + "\"");
    ASSERT_TRUE(s.ok()) << table << ": " << s.error().toString();
  }
}

// An earlier file as it was built: its tables and their columns, and every row of each.
struct EarlierFile {
  std::map<std::string, std::vector<std::string>> tables;
  std::map<std::string, std::vector<std::string>> rows;
};

// Makes `path` a file of `schema` at `earlier` holding the rows of `scratch` (a file the current
// code wrote, see copyRows): its first earlier.version steps, then in one transaction the rows and
// the version recorded as that release did. *built: what the earlier file then holds.
inline void buildEarlierSchema(const std::string& path, const common::SqliteSchema& schema, EarlierSchema earlier,
                               const std::string& scratch, EarlierFile* built) {
  std::map<std::string, std::vector<std::string>>* copied = &built->tables;
  ASSERT_LE(earlier.version, static_cast<int64_t>(schema.steps.size()));
  auto db = common::SqliteDb::open({.path = path});
  ASSERT_TRUE(db.ok()) << db.error().toString();
  // This connection only sets the file up, as an earlier release would have left it on disk; what
  // is under test opens it afterwards with its own connection and the production pragmas. Not
  // syncing here keeps the test fast on a busy disk without changing what the store sees.
  ASSERT_TRUE(db->exec("PRAGMA synchronous=OFF").ok());
  common::SqliteSchema prefix{schema.component,
                              {schema.steps.begin(), schema.steps.begin() + earlier.version},
                              schema.legacy};
  auto migrated = db->migrate(prefix);
  ASSERT_TRUE(migrated.ok()) << migrated.error().toString();
  auto attach = db->prepare("ATTACH DATABASE ? AS scratch");  // not inside a transaction
  ASSERT_TRUE(attach.ok());
  attach->bind(1, scratch);
  ASSERT_TRUE(attach->run().ok());
  {
    auto txn = common::SqliteTxn::begin(*db);
    ASSERT_TRUE(txn.ok());
    ASSERT_NO_FATAL_FAILURE(copyRows(*db, copied));
    if (earlier.record == VersionRecord::kLegacy) {
      auto del = db->prepare("DELETE FROM schema_versions WHERE component = ?");
      ASSERT_TRUE(del.ok());
      del->bind(1, schema.component);
      ASSERT_TRUE(del->run().ok());
      if (*db->queryInt("SELECT count(*) FROM schema_versions") == 0) {
        ASSERT_TRUE(db->exec("DROP TABLE schema_versions").ok());
      }
      if (!schema.legacy.empty() && schema.legacy != "user_version") {  // user_version: migrate kept it
        ASSERT_TRUE(db->exec("CREATE TABLE IF NOT EXISTS \"" + schema.legacy +
                             "\" (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                             "INSERT OR REPLACE INTO \"" + schema.legacy + "\" (key, value) VALUES ('schema', '" +
                             std::to_string(earlier.version) + "')")
                        .ok());
      }
    }
    ASSERT_TRUE(txn->commit().ok());
  }
  ASSERT_TRUE(db->exec("DETACH DATABASE scratch").ok());
  built->tables = tablesOf(*db);  // with a legacy version table, if that release had one
  for (const auto& [table, columns] : built->tables) built->rows[table] = rowsOf(*db, table, columns);
}

// Expects every row the earlier file held when it was built to be in the upgraded file `path`,
// unchanged, in the columns it had.
inline void expectRowsKept(const EarlierFile& earlier, const std::string& path) {
  auto upgraded = openExisting(path);
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().toString();
  for (const auto& [table, columns] : earlier.tables) {
    EXPECT_EQ(rowsOf(*upgraded, table, columns), earlier.rows.at(table)) << "table " << table;
  }
}

// The version schema_versions now holds for the component, and PRAGMA user_version.
inline std::pair<int64_t, int64_t> versionsOf(const std::string& path, const std::string& component) {
  auto db = openExisting(path);
  EXPECT_TRUE(db.ok()) << db.error().toString();
  if (!db.ok()) return {-1, -1};
  return {*db->schemaVersion(component), *db->queryInt("PRAGMA user_version")};
}

// Everything a file holds (every table's rows, schema_versions and user_version included), to
// check that a refused open changed nothing.
inline std::string contentsOf(const std::string& path) {
  std::string out;
  auto db = openExisting(path);
  EXPECT_TRUE(db.ok()) << db.error().toString();
  if (!db.ok()) return out;
  out += "user_version " + std::to_string(*db->queryInt("PRAGMA user_version")) + "\n";
  auto sql = db->prepare("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY 1");
  EXPECT_TRUE(sql.ok());
  if (sql.ok()) (void)sql->eachRow([&](const common::SqliteStmt& r) { out += r.columnText(0) + "\n"; });
  auto tables = tablesOf(*db);
  tables["schema_versions"] = {"component", "version"};
  for (const auto& [table, columns] : tables) {
    for (const std::string& row : rowsOf(*db, table, columns)) out += table + " " + row + "\n";
  }
  return out;
}

// Sets the component's version in schema_versions to `version` (a file a newer release migrated).
inline void setSchemaVersion(const std::string& path, const std::string& component, int64_t version) {
  auto db = openExisting(path);
  ASSERT_TRUE(db.ok()) << db.error().toString();
  auto st = db->prepare("UPDATE schema_versions SET version = ? WHERE component = ?");
  ASSERT_TRUE(st.ok());
  st->bind(1, version).bind(2, component);
  ASSERT_TRUE(st->run().ok());
  ASSERT_EQ(db->changes(), 1) << "no schema_versions row for " << component;
}

// A refused downgrade: schema_too_new, naming the component, the version found and the version
// this build supports, and saying what to do.
inline ::testing::AssertionResult refusedAsTooNew(const common::Error& e, const std::string& component,
                                                  int64_t found, int64_t known) {
  const std::string& m = e.message;
  for (const std::string& part :
       {"the " + component + " tables have schema version " + std::to_string(found) + ",",
        "newer than this program knows (" + std::to_string(known) + ")", std::string("run the newer version"),
        std::string("restore a backup")}) {
    if (m.find(part) == std::string::npos) {
      return ::testing::AssertionFailure() << "the refusal does not say \"" << part << "\": " << e.toString();
    }
  }
  if (e.code != "schema_too_new" || e.kind != common::ErrorKind::kFatal) {
    return ::testing::AssertionFailure() << "not a fatal schema_too_new: " << e.toString();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace sw::test
