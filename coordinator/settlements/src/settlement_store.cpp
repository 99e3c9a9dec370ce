#include "sw/coordinator/settlements/settlement_store.h"

namespace sw::coordinator::settlements {

using channels::Payout;
using channels::PayoutLine;
using common::Decimal;
using common::Error;
using common::Result;

namespace {

const std::vector<std::string> kSettlementSchema = {
    // v1
    "CREATE TABLE settlement_payouts ("
    "  channel TEXT NOT NULL, payout_id TEXT NOT NULL, status TEXT NOT NULL, payout_date TEXT NOT NULL,"
    "  currency TEXT NOT NULL, amount TEXT NOT NULL, fetched_at_ms INTEGER NOT NULL, matched INTEGER NOT NULL,"
    "  mismatches INTEGER NOT NULL, PRIMARY KEY (channel, payout_id));"
    "CREATE TABLE settlement_lines ("
    "  channel TEXT NOT NULL, payout_id TEXT NOT NULL, seq INTEGER NOT NULL, line_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL, type TEXT NOT NULL, order_id TEXT NOT NULL, refund_id TEXT NOT NULL,"
    "  amount TEXT NOT NULL, fee TEXT NOT NULL, net TEXT NOT NULL, currency TEXT NOT NULL,"
    "  processed_at TEXT NOT NULL, description TEXT NOT NULL, matched INTEGER NOT NULL, code TEXT NOT NULL,"
    "  expected TEXT, PRIMARY KEY (channel, payout_id, seq));"
    "CREATE INDEX settlement_lines_refund ON settlement_lines(channel, order_id, refund_id);"
    "CREATE TABLE settlement_findings ("
    "  channel TEXT NOT NULL, payout_id TEXT NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL,"
    "  line_id TEXT NOT NULL, order_id TEXT NOT NULL, refund_id TEXT NOT NULL, expected TEXT, actual TEXT,"
    "  message TEXT NOT NULL, PRIMARY KEY (channel, payout_id, seq));",
};

constexpr const char* kPayoutColumns =
    "SELECT channel, payout_id, status, payout_date, currency, amount, fetched_at_ms, matched, mismatches"
    " FROM settlement_payouts";

// A decimal column this store wrote (Decimal::toString); anything else, which only a hand edit
// could put there, reads as 0.
Decimal decimalOf(const std::string& text) {
  auto d = Decimal::parse(text);
  return d ? *d : Decimal();
}
channels::PayoutLineKind kindOf(const std::string& text) {
  auto k = channels::parsePayoutLineKind(text);
  return k ? *k : channels::PayoutLineKind::kAdjustment;
}
std::optional<Decimal> optionalDecimal(const common::SqliteStmt& st, int col) {
  if (st.columnIsNull(col)) return std::nullopt;
  return decimalOf(st.columnText(col));
}

Result<StoredPayout> readPayout(const common::SqliteStmt& st) {
  StoredPayout s;
  auto kind = channels::parseChannel(st.columnText(0));
  if (!kind) return kind.error();
  s.payout.channel = *kind;
  s.payout.payout_id = st.columnText(1);
  s.payout.status = st.columnText(2);
  s.payout.date = st.columnText(3);
  s.payout.currency = st.columnText(4);
  s.payout.amount = decimalOf(st.columnText(5));
  s.fetched_at_ms = st.columnInt(6);
  s.matched = st.columnInt(7) != 0;
  s.mismatches = st.columnInt(8);
  return s;
}

void bindOptional(common::SqliteStmt& st, int i, const std::optional<Decimal>& d) {
  if (d) {
    st.bind(i, d->toString());
  } else {
    st.bindNull(i);
  }
}

}  // namespace

common::SchemaVersion SettlementStore::schemaVersion() {
  return {"settlements", static_cast<int64_t>(kSettlementSchema.size())};
}

const std::vector<std::string>& SettlementStore::schemaSteps() { return kSettlementSchema; }

Result<std::unique_ptr<SettlementStore>> SettlementStore::open(const std::string& path) {
  std::unique_ptr<SettlementStore> s(new SettlementStore());
  auto db = common::SqliteDb::open({.path = path});
  if (!db) return db.error();
  s->db_ = std::move(*db);
  // New with issue 20: recorded only in schema_versions (the file's user_version is the dead letters').
  if (auto m = s->db_.migrate({"settlements", kSettlementSchema, ""}); !m) return m.error();
  return s;
}

common::Status SettlementStore::save(const Payout& p, const PayoutMatch& m, int64_t now_ms) {
  if (m.lines.size() != p.lines.size()) return Error::reject("bad_match", "the match does not cover every line");
  const std::string channel = channels::channelName(p.channel);
  std::lock_guard lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  for (const char* table : {"settlement_lines", "settlement_findings", "settlement_payouts"}) {
    auto del = db_.prepare(std::string("DELETE FROM ") + table + " WHERE channel = ? AND payout_id = ?");
    if (!del) return del.error();
    del->bind(1, channel).bind(2, p.payout_id);
    if (auto r = del->run(); !r) return r.error();
  }
  auto po = db_.prepare(
      "INSERT INTO settlement_payouts (channel, payout_id, status, payout_date, currency, amount, fetched_at_ms,"
      " matched, mismatches) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!po) return po.error();
  po->bind(1, channel).bind(2, p.payout_id).bind(3, p.status).bind(4, p.date).bind(5, p.currency)
      .bind(6, p.amount.toString()).bind(7, now_ms).bind(8, int64_t{m.matched() ? 1 : 0})
      .bind(9, static_cast<int64_t>(m.findings.size()));
  if (auto r = po->run(); !r) return r.error();
  auto li = db_.prepare(
      "INSERT INTO settlement_lines (channel, payout_id, seq, line_id, kind, type, order_id, refund_id, amount, fee,"
      " net, currency, processed_at, description, matched, code, expected)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!li) return li.error();
  for (size_t i = 0; i < p.lines.size(); ++i) {
    const PayoutLine& l = p.lines[i];
    const LineMatch& lm = m.lines[i];
    li->bind(1, channel).bind(2, p.payout_id).bind(3, static_cast<int64_t>(i)).bind(4, l.line_id)
        .bind(5, std::string_view(channels::payoutLineKindName(l.kind))).bind(6, l.type).bind(7, l.order_id)
        .bind(8, l.refund_id).bind(9, l.amount.toString()).bind(10, l.fee.toString()).bind(11, l.net.toString())
        .bind(12, l.currency).bind(13, l.processed_at).bind(14, l.description).bind(15, int64_t{lm.matched ? 1 : 0})
        .bind(16, lm.code);
    bindOptional(*li, 17, lm.expected);
    if (auto r = li->run(); !r) return r.error();
  }
  auto fi = db_.prepare(
      "INSERT INTO settlement_findings (channel, payout_id, seq, code, line_id, order_id, refund_id, expected, actual,"
      " message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!fi) return fi.error();
  for (size_t i = 0; i < m.findings.size(); ++i) {
    const Finding& f = m.findings[i];
    fi->bind(1, channel).bind(2, p.payout_id).bind(3, static_cast<int64_t>(i)).bind(4, f.code).bind(5, f.line_id)
        .bind(6, f.order_id).bind(7, f.refund_id);
    bindOptional(*fi, 8, f.expected);
    bindOptional(*fi, 9, f.actual);
    fi->bind(10, f.message);
    if (auto r = fi->run(); !r) return r.error();
  }
  return txn->commit();
}

Result<std::vector<StoredPayout>> SettlementStore::list(const std::string& channel, int64_t limit) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kPayoutColumns) + (channel.empty() ? " WHERE ?1 = ''" : " WHERE channel = ?1") +
                        " ORDER BY payout_date DESC, fetched_at_ms DESC, payout_id DESC LIMIT ?2");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, limit);
  std::vector<StoredPayout> out;
  common::Status bad;
  if (auto s = st->eachRow([&](const common::SqliteStmt& row) {
        auto p = readPayout(row);
        if (p) {
          out.push_back(std::move(*p));
        } else if (bad) {
          bad = p.error();
        }
      });
      !s) {
    return s.error();
  }
  if (!bad) return bad.error();
  return out;
}

Result<std::optional<StoredPayout>> SettlementStore::get(const std::string& channel, const std::string& payout_id) {
  std::lock_guard lock(mu_);
  auto txn = common::SqliteReadTxn::begin(db_);
  if (!txn) return txn.error();
  auto st = db_.prepare(std::string(kPayoutColumns) + " WHERE channel = ? AND payout_id = ?");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, payout_id);
  std::optional<Result<StoredPayout>> found;
  if (auto r = st->firstRow([&](const common::SqliteStmt& row) { found = readPayout(row); }); !r) return r.error();
  if (!found) return std::optional<StoredPayout>();
  if (!*found) return found->error();
  StoredPayout s = std::move(**found);
  auto li = db_.prepare(
      "SELECT line_id, kind, type, order_id, refund_id, amount, fee, net, currency, processed_at, description, matched,"
      " code, expected FROM settlement_lines WHERE channel = ? AND payout_id = ? ORDER BY seq");
  if (!li) return li.error();
  li->bind(1, channel).bind(2, payout_id);
  if (auto r = li->eachRow([&](const common::SqliteStmt& row) {
        PayoutLine l;
        l.line_id = row.columnText(0);
        l.kind = kindOf(row.columnText(1));
        l.type = row.columnText(2);
        l.order_id = row.columnText(3);
        l.refund_id = row.columnText(4);
        l.amount = decimalOf(row.columnText(5));
        l.fee = decimalOf(row.columnText(6));
        l.net = decimalOf(row.columnText(7));
        l.currency = row.columnText(8);
        l.processed_at = row.columnText(9);
        l.description = row.columnText(10);
        s.payout.lines.push_back(std::move(l));
        s.line_matches.push_back({row.columnInt(11) != 0, row.columnText(12), optionalDecimal(row, 13)});
      });
      !r) {
    return r.error();
  }
  auto fi = db_.prepare(
      "SELECT code, line_id, order_id, refund_id, expected, actual, message FROM settlement_findings"
      " WHERE channel = ? AND payout_id = ? ORDER BY seq");
  if (!fi) return fi.error();
  fi->bind(1, channel).bind(2, payout_id);
  if (auto r = fi->eachRow([&](const common::SqliteStmt& row) {
        s.findings.push_back({row.columnText(0), row.columnText(1), row.columnText(2), row.columnText(3),
                              optionalDecimal(row, 4), optionalDecimal(row, 5), row.columnText(6)});
      });
      !r) {
    return r.error();
  }
  return std::optional<StoredPayout>(std::move(s));
}

Result<bool> SettlementStore::refundPaid(const std::string& channel, const std::string& order_id,
                                         const std::string& refund_id, const std::string& except_payout_id) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(
      "SELECT 1 FROM settlement_lines WHERE channel = ? AND order_id = ? AND refund_id = ? AND kind = 'refund'"
      " AND payout_id <> ? LIMIT 1");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, order_id).bind(3, refund_id).bind(4, except_payout_id);
  bool any = false;
  if (auto r = st->firstRow([&](const common::SqliteStmt&) { any = true; }); !r) return r.error();
  return any;
}

}  // namespace sw::coordinator::settlements
