#pragma once
// The stores the contract tests of the ledger and the order book run against: SQLite in a temp
// dir, and PostgreSQL, a private server started once per test process (sw::test::Postgres) with
// a new database per ledger. The same tests, the same expectations: whatever one store does, the
// other must. Tests linking this need sw_harness and sw_common_pg.

#include <map>
#include <memory>
#include <string>

#include "sw/harness/postgres.h"
#include "sw/harness/process.h"

namespace sw::test {


// Where a ledger called `name` lives in `store`: a file in dir, or a fresh database's URL.
// The same (dir, name) gives the same target, so a test can reopen what it made.
inline std::string ledgerTarget(const std::string& store, const TempDir& dir, const std::string& name = "ledger") {
  if (store == "sqlite") return dir.file(name + ".db");
  static std::unique_ptr<Postgres> server = [] {
    auto pg = std::make_unique<Postgres>();
    pg->start();
    return pg;
  }();
  static std::map<std::string, std::string> made;
  std::string key = dir.path() + "/" + name;
  if (auto it = made.find(key); it != made.end()) return it->second;
  std::string db = "ledger_" + std::to_string(made.size() + 1);
  return made[key] = server->createDatabase(db);
}

// Where the order book of the ledger `name` lives, as `serve` puts it: the file beside a SQLite
// ledger, the same database as a PostgreSQL one.
inline std::string orderBookTarget(const std::string& store, const TempDir& dir, const std::string& name = "ledger") {
  if (store == "sqlite") return dir.file(name + ".db.orders");
  return ledgerTarget(store, dir, name);
}

}  // namespace sw::test
