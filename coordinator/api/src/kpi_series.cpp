#include "sw/coordinator/api/kpi_series.h"

#include <nlohmann/json.hpp>

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::SqliteStmt;
using common::Status;

namespace {

const common::SqliteSchema kSchema = {"kpi_history", {
    "CREATE TABLE kpi_series (id INTEGER PRIMARY KEY, name TEXT NOT NULL, labels TEXT NOT NULL,"
    " unit TEXT NOT NULL, target REAL, UNIQUE (name, labels));"
    "CREATE TABLE kpi_points (series INTEGER NOT NULL, at_ms INTEGER NOT NULL, value REAL NOT NULL,"
    " PRIMARY KEY (series, at_ms)) WITHOUT ROWID;"
    "CREATE INDEX kpi_points_by_time ON kpi_points(at_ms);",
}, ""};

std::string labelsText(const KpiLabels& labels) { return nlohmann::json(labels).dump(); }

KpiLabels labelsFrom(const std::string& text) {
  KpiLabels out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace

common::SchemaVersion SqliteKpiSeries::schemaVersion() {
  return common::schemaVersionOf(kSchema);
}

const std::vector<std::string>& SqliteKpiSeries::schemaSteps() { return kSchema.steps; }

Result<std::unique_ptr<SqliteKpiSeries>> SqliteKpiSeries::open(const std::string& path) {
  // Shares the file with the ledger's writer: wait for it rather than lose a sample.
  auto db = common::SqliteDb::open({.path = path, .busy_timeout_ms = 30'000});
  if (!db) return db.error();
  if (auto s = db->migrate(kSchema); !s) return s.error();
  return std::unique_ptr<SqliteKpiSeries>(new SqliteKpiSeries(std::move(*db)));
}

Status SqliteKpiSeries::append(int64_t at_ms, const std::vector<KpiValue>& values, int64_t delete_before_ms) {
  std::lock_guard lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  for (const KpiValue& v : values) {
    auto series = db_.cached(
        "INSERT INTO kpi_series (name, labels, unit, target) VALUES (?, ?, ?, ?) ON CONFLICT (name, labels)"
        " DO UPDATE SET unit = excluded.unit, target = excluded.target RETURNING id");
    if (!series) return series.error();
    series->bind(1, v.name).bind(2, labelsText(v.labels)).bind(3, v.unit);
    if (v.target) {
      series->bindDouble(4, *v.target);
    } else {
      series->bindNull(4);
    }
    int64_t id = 0;
    auto got = series->firstRow([&](const SqliteStmt& row) { id = row.columnInt(0); });
    if (!got) return got.error();
    if (!*got) return Error::fatal("kpi_history", "no series id for " + v.name);
    auto point = db_.cached(
        "INSERT INTO kpi_points (series, at_ms, value) VALUES (?, ?, ?)"
        " ON CONFLICT (series, at_ms) DO UPDATE SET value = excluded.value");
    if (!point) return point.error();
    point->bind(1, id).bind(2, at_ms).bindDouble(3, v.value);
    if (auto s = point->run(); !s) return s;
  }
  auto old = db_.cached("DELETE FROM kpi_points WHERE at_ms < ?");
  if (!old) return old.error();
  old->bind(1, delete_before_ms);
  if (auto s = old->run(); !s) return s;
  auto empty = db_.cached(
      "DELETE FROM kpi_series WHERE NOT EXISTS (SELECT 1 FROM kpi_points p WHERE p.series = kpi_series.id)");
  if (!empty) return empty.error();
  if (auto s = empty->run(); !s) return s;
  return txn->commit();
}

Result<std::vector<KpiSeries>> SqliteKpiSeries::query(const std::vector<std::string>& names, int64_t since_ms,
                                                      int64_t until_ms) {
  std::lock_guard lock(mu_);
  auto rt = common::SqliteReadTxn::begin(db_);
  if (!rt) return rt.error();
  auto st = db_.cached(
      "SELECT s.id, s.name, s.labels, s.unit, s.target, p.at_ms, p.value FROM kpi_series s"
      " JOIN kpi_points p ON p.series = s.id"
      " WHERE (?1 = '' OR s.name IN (SELECT value FROM json_each(?1))) AND p.at_ms >= ?2 AND p.at_ms <= ?3"
      " ORDER BY s.name, s.labels, p.at_ms");
  if (!st) return st.error();
  st->bind(1, names.empty() ? std::string() : nlohmann::json(names).dump()).bind(2, since_ms).bind(3, until_ms);
  std::vector<KpiSeries> out;
  int64_t last_id = -1, points = 0;
  while (true) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) break;
    if (++points > kMaxPoints) {
      return Error::reject("too_many_points", "more than " + std::to_string(kMaxPoints) +
                                                  " points: ask for fewer series or a shorter range");
    }
    const int64_t id = st->columnInt(0);
    if (id != last_id) {
      KpiSeries s;
      s.name = st->columnText(1);
      s.labels = labelsFrom(st->columnText(2));
      s.unit = st->columnText(3);
      if (!st->columnIsNull(4)) s.target = st->columnDouble(4);
      out.push_back(std::move(s));
      last_id = id;
    }
    out.back().points.emplace_back(st->columnInt(5), st->columnDouble(6));
  }
  return out;
}

Result<std::optional<int64_t>> SqliteKpiSeries::lastSampleAt() {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT MAX(at_ms) FROM kpi_points");
  if (!st) return st.error();
  std::optional<int64_t> out;
  auto r = st->firstRow([&](const SqliteStmt& row) {
    if (!row.columnIsNull(0)) out = row.columnInt(0);
  });
  if (!r) return r.error();
  return out;
}

Result<int64_t> SqliteKpiSeries::pointCount() {
  std::lock_guard lock(mu_);
  return db_.queryInt("SELECT COUNT(*) FROM kpi_points");
}

}  // namespace sw::coordinator
