#include "sw/coordinator/channels/dead_letters.h"

#include <nlohmann/json.hpp>

namespace sw::coordinator::channels {

using common::Error;
using common::Result;
using nlohmann::json;

namespace {

const std::vector<std::string> kDeadLetterSchema = {
    // v1
    "CREATE TABLE dead_letters ("
    "  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,"
    "  code TEXT NOT NULL, message TEXT NOT NULL, attempts INTEGER NOT NULL, created_at_ms INTEGER NOT NULL,"
    "  replayed_at_ms INTEGER);"
    "CREATE INDEX dead_letters_open ON dead_letters(replayed_at_ms, id);",
};

DeadLetter readDeadLetter(const common::SqliteStmt& st) {
  DeadLetter d;
  d.id = st.columnInt(0);
  d.channel = st.columnText(1);
  d.sku = st.columnText(2);
  d.quantity = st.columnInt(3);
  d.code = st.columnText(4);
  d.message = st.columnText(5);
  d.attempts = st.columnInt(6);
  d.created_at_ms = st.columnInt(7);
  if (!st.columnIsNull(8)) d.replayed_at_ms = st.columnInt(8);
  return d;
}

constexpr const char* kDeadLetterColumns =
    "SELECT id, channel, sku, quantity, code, message, attempts, created_at_ms, replayed_at_ms FROM dead_letters";

}  // namespace

json toJson(const DeadLetter& d) {
  return {{"id", d.id},
          {"channel", d.channel},
          {"sku", d.sku},
          {"quantity", d.quantity},
          {"code", d.code},
          {"message", d.message},
          {"attempts", d.attempts},
          {"created_at_ms", d.created_at_ms},
          {"replayed_at_ms", d.replayed_at_ms ? json(*d.replayed_at_ms) : json(nullptr)}};
}

common::SchemaVersion DeadLetterStore::schemaVersion() {
  // The same component name as its migrate() call.
  return {"dead_letters", static_cast<int64_t>(kDeadLetterSchema.size())};
}

const std::vector<std::string>& DeadLetterStore::schemaSteps() { return kDeadLetterSchema; }

Result<std::unique_ptr<DeadLetterStore>> DeadLetterStore::open(const std::string& path) {
  std::unique_ptr<DeadLetterStore> s(new DeadLetterStore());
  auto db = common::SqliteDb::open({.path = path});
  if (!db) return db.error();
  s->db_ = std::move(*db);
  if (auto m = s->db_.migrate({"dead_letters", kDeadLetterSchema, "user_version"}); !m) return m.error();
  return s;
}

Result<int64_t> DeadLetterStore::add(const DeadLetter& d) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(
      "INSERT INTO dead_letters (channel, sku, quantity, code, message, attempts, created_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, d.channel).bind(2, d.sku).bind(3, d.quantity).bind(4, d.code).bind(5, d.message).bind(6, d.attempts)
      .bind(7, d.created_at_ms);
  if (auto r = st->run(); !r) return r.error();
  return db_.lastInsertRowid();
}

Result<std::vector<DeadLetter>> DeadLetterStore::list(bool include_replayed, int64_t limit) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kDeadLetterColumns) +
                        (include_replayed ? "" : " WHERE replayed_at_ms IS NULL") + " ORDER BY id DESC LIMIT ?");
  if (!st) return st.error();
  st->bind(1, limit);
  std::vector<DeadLetter> out;
  if (auto s = st->eachRow([&](const common::SqliteStmt& row) { out.push_back(readDeadLetter(row)); }); !s) {
    return s.error();
  }
  return out;
}

Result<DeadLetter> DeadLetterStore::markReplayed(int64_t id, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kDeadLetterColumns) + " WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, id);
  DeadLetter d;
  auto found = st->firstRow([&](const common::SqliteStmt& row) { d = readDeadLetter(row); });
  if (!found) return found.error();
  if (!*found) return Error::reject("not_found", "no dead letter " + std::to_string(id));
  if (d.replayed_at_ms) {
    return Error::reject("already_replayed", "dead letter " + std::to_string(id) + " was replayed at " +
                                                 std::to_string(*d.replayed_at_ms));
  }
  auto up = db_.prepare("UPDATE dead_letters SET replayed_at_ms = ? WHERE id = ? AND replayed_at_ms IS NULL");
  if (!up) return up.error();
  up->bind(1, now_ms).bind(2, id);
  if (auto r = up->run(); !r) return r.error();
  d.replayed_at_ms = now_ms;
  return d;
}

Result<int64_t> DeadLetterStore::openCount() {
  std::lock_guard lock(mu_);
  return db_.queryInt("SELECT COUNT(*) FROM dead_letters WHERE replayed_at_ms IS NULL");
}

}  // namespace sw::coordinator::channels
