#include "sw/agent/store.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "sw/common/chain.h"
#include "sw/common/codec.h"
#include "sw/common/crash_point.h"
#include "sw/common/uuid.h"

namespace sw::agent {

using common::Error;
using common::Result;
using common::Status;

namespace {

// The recording rate behind StoreStats::disk_time_left_s: the last hour (at least a minute).
constexpr int64_t kRateWindowMs = 3'600'000;
constexpr int64_t kMinRateWindowMs = 60'000;
constexpr size_t kMaxRecentWrites = 65'536;  // beyond this many commits an hour, the oldest are forgotten
constexpr int64_t kRowOverheadBytes = 48;    // a row's header and rowid/key in its b-tree page, per row

constexpr const char* kComponent = "agent_store";
const std::vector<std::string> kSchema = {
    // v1
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE counters (id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  last_seq INTEGER NOT NULL, last_acked_seq INTEGER NOT NULL);"
    "INSERT INTO counters VALUES (1, 0, 0);"
    "CREATE TABLE outbox (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, idem_key TEXT UNIQUE,"
    "  type TEXT NOT NULL, recorded_at_ms INTEGER NOT NULL, body BLOB NOT NULL, acked_at_ms INTEGER);",
    // v2: this device's own stock effects (for local estimates) and the downlink's copies
    "CREATE TABLE local_moves (seq INTEGER NOT NULL, line INTEGER NOT NULL, location TEXT NOT NULL,"
    "  sku TEXT NOT NULL, kind TEXT NOT NULL, qty INTEGER NOT NULL, PRIMARY KEY (seq, line)) WITHOUT ROWID;"
    "CREATE INDEX local_moves_by_sku ON local_moves(sku, location, seq);"
    "CREATE TABLE down_state (kind TEXT NOT NULL, location TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 0,"
    "  snapshot_version INTEGER NOT NULL DEFAULT 0, cursor TEXT NOT NULL DEFAULT '',"
    "  updated_at_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (kind, location));"
    "CREATE TABLE stock_view (location TEXT NOT NULL, sku TEXT NOT NULL, on_hand INTEGER NOT NULL,"
    "  ver INTEGER NOT NULL, gen INTEGER NOT NULL, PRIMARY KEY (location, sku)) WITHOUT ROWID;"
    "CREATE TABLE stock_view_meta (location TEXT PRIMARY KEY, device_applied_seq INTEGER NOT NULL);",
    // v3: when each acknowledgement came, one row per ack (events up to through_seq), instead of
    // an acked_at_ms written on every outbox row (a drain rewrote every event once more for it).
    // An event was acknowledged at the time of the first row whose through_seq covers it.
    "CREATE TABLE acks (through_seq INTEGER PRIMARY KEY, acked_at_ms INTEGER NOT NULL);"
    "INSERT INTO acks SELECT MAX(seq), acked_at_ms FROM outbox WHERE acked_at_ms IS NOT NULL GROUP BY acked_at_ms;"
    "ALTER TABLE outbox DROP COLUMN acked_at_ms;",
    // v4: which sales this device has voided, so a second void of the same sale is refused at
    // the till instead of reaching the coordinator as an anomaly.
    // Voids already in the outbox are added by Store::init() (the bodies are in the wire format).
    "CREATE TABLE voids (ref TEXT PRIMARY KEY, seq INTEGER NOT NULL, event_id TEXT NOT NULL) WITHOUT ROWID;",
    // v5: the hash chain (common/chain.h): the hash of the last event recorded here. Empty in a
    // store from before the chain: its next event links to the genesis hash.
    "ALTER TABLE counters ADD COLUMN chain_head TEXT NOT NULL DEFAULT '';",
};

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const StoreConfig& config, const common::Clock& clock) {
  if (!common::isValidId(config.device_id)) {
    return Error::reject("bad_device_id", "device id must be 1-64 of [A-Za-z0-9._:-]");
  }
  if (!common::isValidId(config.location)) {
    return Error::reject("bad_location", "location must be 1-64 of [A-Za-z0-9._:-]");
  }
  std::unique_ptr<Store> store(new Store(config, clock));
  store->opened_at_mono_ms_ = clock.monoMs();
  if (auto s = store->init(); !s) return s.error();
  return store;
}

Status Store::init() {
  bool existed = std::filesystem::exists(config_.path);
  auto db = common::SqliteDb::open({.path = config_.path, .quick_check = existed});
  if (!db) return db.error();
  db_ = std::move(*db);
  if (auto s = db_.migrate({kComponent, kSchema, "user_version"}); !s) return s;

  auto get = db_.prepare("SELECT value FROM meta WHERE key = ?");
  if (!get) return get.error();
  auto readMeta = [&](const char* key) -> std::optional<std::string> {
    get->bind(1, std::string_view(key));
    auto r = get->step();
    std::optional<std::string> out;
    if (r && *r) out = get->columnText(0);
    get->reset();
    return out;
  };
  auto put = db_.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
  if (!put) return put.error();
  auto writeMeta = [&](const char* key, const std::string& value) {
    put->bind(1, std::string_view(key)).bind(2, value);
    return put->run();
  };

  auto device = readMeta("device_id");
  if (device && *device != config_.device_id) {
    return Error::fatal("device_mismatch", config_.path + " belongs to device '" + *device +
                                               "', not '" + config_.device_id + "'");
  }
  auto epoch = readMeta("epoch");
  if (!device) {
    epoch_ = common::newUuid();
    auto txn = common::SqliteTxn::begin(db_);
    if (!txn) return txn.error();
    if (auto s = writeMeta("device_id", config_.device_id); !s) return s;
    if (auto s = writeMeta("epoch", epoch_); !s) return s;
    if (auto s = txn->commit(); !s) return s;
  } else if (!epoch) {
    return Error::fatal("corrupt_database", config_.path + " has a device id but no epoch");
  } else {
    epoch_ = *epoch;
  }
  prev_epoch_ = readMeta("prev_epoch").value_or("");
  if (!readMeta("voids_filled")) {
    // A store from before the voids table: the voids its outbox still holds, once.
    auto txn = common::SqliteTxn::begin(db_);
    if (!txn) return txn.error();
    auto sel = db_.prepare("SELECT seq, event_id, body FROM outbox WHERE type = 'void' ORDER BY seq");
    if (!sel) return sel.error();
    auto ins = db_.prepare("INSERT OR IGNORE INTO voids (ref, seq, event_id) VALUES (?, ?, ?)");
    if (!ins) return ins.error();
    while (true) {
      auto r = sel->step();
      if (!r) return r.error();
      if (!*r) break;
      auto e = common::decodeEvent(sel->columnView(2));
      if (!e || e->ref.empty()) continue;
      ins->bind(1, e->ref).bind(2, sel->columnInt(0)).bind(3, sel->columnText(1));
      if (auto s = ins->run(); !s) return s;
    }
    sel->reset();
    if (auto s = writeMeta("voids_filled", "1"); !s) return s;
    if (auto s = txn->commit(); !s) return s;
  }
  if (auto r = readMeta("resequenced"); r) {
    nlohmann::json j = nlohmann::json::parse(*r, nullptr, false);
    if (j.is_object()) {
      reseq_info_.count = j.value("count", int64_t{0});
      reseq_info_.last = {j.value("from_seq", uint64_t{0}), j.value("shift", uint64_t{0}), j.value("events", uint64_t{0}),
                          j.value("acked_through", uint64_t{0}), j.value("old_epoch", ""), j.value("new_epoch", ""),
                          j.value("at_ms", int64_t{0})};
    }
  }
  // Location and kind may change (a handheld moved to another store); they are not identity.
  if (auto s = writeMeta("location", config_.location); !s) return s;
  if (auto s = writeMeta("kind", config_.kind); !s) return s;

  auto p = db_.prepare("SELECT seq, event_id, recorded_at_ms FROM outbox WHERE idem_key = ?");
  if (!p) return p.error();
  find_idem_ = std::move(*p);
  p = db_.prepare(
      "INSERT INTO outbox (seq, event_id, idem_key, type, recorded_at_ms, body) VALUES (?, ?, ?, ?, ?, ?)");
  if (!p) return p.error();
  insert_ = std::move(*p);
  p = db_.prepare("INSERT INTO local_moves (seq, line, location, sku, kind, qty) VALUES (?, ?, ?, ?, ?, ?)");
  if (!p) return p.error();
  insert_move_ = std::move(*p);
  p = db_.prepare("SELECT m.location, m.sku, m.kind, m.qty FROM outbox o JOIN local_moves m ON m.seq = o.seq"
                  " WHERE o.event_id = ? ORDER BY m.line");
  if (!p) return p.error();
  select_moves_of_event_ = std::move(*p);
  p = db_.prepare("SELECT seq, event_id FROM voids WHERE ref = ?");
  if (!p) return p.error();
  find_void_ = std::move(*p);
  p = db_.prepare("INSERT INTO voids (ref, seq, event_id) VALUES (?, ?, ?)");
  if (!p) return p.error();
  insert_void_ = std::move(*p);
  p = db_.prepare("UPDATE counters SET last_seq = ?, chain_head = ? WHERE id = 1");
  if (!p) return p.error();
  bump_seq_ = std::move(*p);
  p = db_.prepare("SELECT last_seq, chain_head FROM counters WHERE id = 1");
  if (!p) return p.error();
  select_counters_ = std::move(*p);
  auto reader = common::SqliteDb::open({.path = config_.path, .create = false});
  if (!reader) return reader.error();
  reader_ = std::move(*reader);
  p = reader_.prepare("SELECT seq, body FROM outbox WHERE seq >= ? AND seq > (SELECT last_acked_seq FROM counters) "
                      "ORDER BY seq LIMIT ?");
  if (!p) return p.error();
  select_pending_ = std::move(*p);
  return {};
}

int64_t Store::freeBytes() const {
  std::filesystem::path dir = std::filesystem::path(config_.path).parent_path();
  if (dir.empty()) dir = ".";
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

Result<Recorded> Store::record(const EventDraft& draft) {
  auto r = recordMany({draft});
  if (!r) return r.error();
  return r->front();
}

Result<std::vector<Recorded>> Store::recordMany(const std::vector<EventDraft>& drafts) {
  if (drafts.empty()) return std::vector<Recorded>{};
  std::vector<common::Event> events;
  events.reserve(drafts.size());
  int64_t now = clock_.nowMs();
  for (const EventDraft& draft : drafts) {
    common::Event e;
    e.device_id = config_.device_id;
    e.type = draft.type;
    e.location = config_.location;
    e.lines = draft.lines;
    e.other_location = draft.other_location;
    e.reason = draft.reason;
    e.ref = draft.ref;
    e.scope = draft.scope;
    e.price_flags = draft.price_flags;
    e.event_id = common::newUuidV7(now);
    e.occurred_at_ms = now;
    e.seq = 1;  // placeholder for validation; the real seq is assigned inside the transaction
    if (auto s = common::validateEvent(e); !s) return s.error();
    events.push_back(std::move(e));
  }

  std::lock_guard<std::mutex> lock(mu_);
  // A repeated idempotency key answers with the first event and writes nothing (single-event calls).
  if (drafts.size() == 1 && !drafts[0].idempotency_key.empty()) {
    find_idem_.bind(1, drafts[0].idempotency_key);
    auto r = find_idem_.step();
    if (!r) {
      find_idem_.reset();
      return r.error();
    }
    if (*r) {
      Recorded rec{static_cast<uint64_t>(find_idem_.columnInt(0)), find_idem_.columnText(1), find_idem_.columnInt(2),
                   true};
      find_idem_.reset();
      return std::vector<Recorded>{rec};
    }
    find_idem_.reset();
  }
  auto failed = [&](const Error& e) -> Error {
    if (e.kind != common::ErrorKind::kReject) last_failure_ = {clock_.nowMs(), e.code, e.message};
    return e;
  };
  int64_t free_bytes = freeBytes();
  if (free_bytes >= 0 && free_bytes < config_.min_free_bytes) {
    return failed(Error::retry("disk_full", "only " + std::to_string(free_bytes / 1024) +
                                                " KiB free on the store's disk (reserve " +
                                                std::to_string(config_.min_free_bytes / 1024) +
                                                " KiB); free space to record more"));
  }

  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return failed(txn.error());
  auto cr = select_counters_.step();
  if (!cr || !*cr) {
    select_counters_.reset();
    return failed(cr ? Error::fatal("corrupt_database", "no counters row") : cr.error());
  }
  uint64_t seq = static_cast<uint64_t>(select_counters_.columnInt(0));
  std::string head = select_counters_.columnText(1);
  select_counters_.reset();
  if (head.empty()) head = std::string(common::kChainGenesis);
  std::vector<Recorded> out;
  out.reserve(events.size());
  int64_t written = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    common::Event& e = events[i];
    e.seq = ++seq;
    e.prev_hash = head;
    head = common::chainHash(e);
    std::string body = common::encodeEvent(e);
    // The outbox row and its two unique indexes (event id, idempotency key), and a local_moves
    // row per line; SQLite's page slack is not counted.
    written += static_cast<int64_t>(body.size() + 2 * (e.event_id.size() + drafts[i].idempotency_key.size())) +
               kRowOverheadBytes * static_cast<int64_t>(1 + e.lines.size());
    insert_.bind(1, static_cast<int64_t>(e.seq)).bind(2, e.event_id);
    if (drafts[i].idempotency_key.empty()) {
      insert_.bindNull(3);
    } else {
      insert_.bind(3, drafts[i].idempotency_key);
    }
    insert_.bind(4, common::eventTypeName(e.type)).bind(5, e.occurred_at_ms).bindBlob(6, body);
    if (auto s = insert_.run(); !s) return failed(s.error());
    if (e.type == common::EventType::kVoid) {
      if (auto s = recordVoid(e); !s) return failed(s.error());
    }
    if (auto s = recordLocalMoves(e); !s) return failed(s.error());
    out.push_back({e.seq, e.event_id, e.occurred_at_ms, false});
  }
  bump_seq_.bind(1, static_cast<int64_t>(seq)).bind(2, head);
  if (auto s = bump_seq_.run(); !s) return failed(s.error());
  if (auto s = txn->commit(); !s) return failed(s.error());
  last_failure_ = {};
  const int64_t mono = clock_.monoMs();
  pruneRecentWrites(mono);
  recent_writes_.emplace_back(mono, written);
  recent_bytes_ += written;
  common::crashPoint("agent.after_local_commit");
  return out;
}

// A sale is voided once: a second void of it is refused (the first one stands).
Status Store::recordVoid(const common::Event& e) {
  find_void_.bind(1, e.ref);
  auto r = find_void_.step();
  std::optional<std::pair<int64_t, std::string>> first;
  if (r && *r) first = std::make_pair(find_void_.columnInt(0), find_void_.columnText(1));
  find_void_.reset();
  if (!r) return r.error();
  if (first) {
    return Error::reject("already_voided", "sale " + e.ref + " was already voided by event " + first->second +
                                               " (seq " + std::to_string(first->first) + ")");
  }
  insert_void_.bind(1, e.ref).bind(2, static_cast<int64_t>(e.seq)).bind(3, e.event_id);
  return insert_void_.run();
}

// This device's own effect on stock, kept so it can estimate local stock before the
// coordinator's view includes it: deltas per line, or the counted quantity for counts.
Status Store::recordLocalMoves(const common::Event& e) {
  auto add = [&](int64_t line, const std::string& location, const std::string& sku, std::string_view kind,
                 int64_t qty) {
    insert_move_.bind(1, static_cast<int64_t>(e.seq)).bind(2, line).bind(3, location).bind(4, sku).bind(5, kind)
        .bind(6, qty);
    return insert_move_.run();
  };
  if (e.type == common::EventType::kVoid) {
    // A void restores what this device's sale took, if the sale is still in the store.
    struct Move {
      std::string location, sku, kind;
      int64_t qty;
    };
    std::vector<Move> moves;
    select_moves_of_event_.bind(1, e.ref);
    while (true) {
      auto r = select_moves_of_event_.step();
      if (!r) {
        select_moves_of_event_.reset();
        return r.error();
      }
      if (!*r) break;
      moves.push_back({select_moves_of_event_.columnText(0), select_moves_of_event_.columnText(1),
                       select_moves_of_event_.columnText(2), select_moves_of_event_.columnInt(3)});
    }
    select_moves_of_event_.reset();
    int64_t line = 0;
    for (const Move& m : moves) {
      if (m.kind == "delta" && m.qty != 0) {
        if (auto s = add(++line, m.location, m.sku, "delta", -m.qty); !s) return s;
      }
    }
    return {};
  }
  int64_t line = 0;
  for (const common::Line& l : e.lines) {
    ++line;
    int64_t delta = 0;
    switch (e.type) {
      case common::EventType::kCount:
        if (auto s = add(line, e.location, l.sku, "count", l.qty); !s) return s;
        continue;
      case common::EventType::kSale:
      case common::EventType::kTransferOut:
        delta = -l.qty;
        break;
      default:
        delta = l.qty;
        break;
    }
    if (auto s = add(line, e.location, l.sku, "delta", delta); !s) return s;
  }
  return {};
}

Status Store::transaction(const std::function<Status(common::SqliteDb&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  if (auto s = fn(db_); !s) return s;
  return txn->commit();
}

common::SchemaVersion Store::schemaVersion() { return {kComponent, static_cast<int64_t>(kSchema.size())}; }

const std::vector<std::string>& Store::schemaSteps() { return kSchema; }

Status Store::migrate(const common::SqliteSchema& schema) {
  std::lock_guard<std::mutex> lock(mu_);
  return db_.migrate(schema);
}

Status Store::read(const std::function<Status(common::SqliteDb&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  return fn(db_);
}

Result<std::vector<StockEstimate>> Store::estimateStock(const std::string& sku) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, StockEstimate> by_loc;
  auto view = db_.prepare(
      "SELECT v.location, v.on_hand, COALESCE(m.device_applied_seq, 0) FROM stock_view v"
      " LEFT JOIN stock_view_meta m ON m.location = v.location WHERE v.sku = ?");
  if (!view) return view.error();
  view->bind(1, sku);
  if (auto each_ok = view->eachRow([&](const common::SqliteStmt&) {
    StockEstimate& e = by_loc[view->columnText(0)];
    e.location = view->columnText(0);
    e.in_view = true;
    e.view_on_hand = view->columnInt(1);
    e.view_includes_seq = static_cast<uint64_t>(view->columnInt(2));
  }); !each_ok) {
    return each_ok.error();
  }
  // This device's locations without a view row yet still get an estimate from its own moves.
  auto own_locs = db_.prepare("SELECT DISTINCT location FROM local_moves WHERE sku = ?");
  if (!own_locs) return own_locs.error();
  own_locs->bind(1, sku);
  if (auto each_ok = own_locs->eachRow([&](const common::SqliteStmt&) {
    StockEstimate& e = by_loc[own_locs->columnText(0)];
    e.location = own_locs->columnText(0);
  }); !each_ok) {
    return each_ok.error();
  }
  auto meta = db_.prepare("SELECT device_applied_seq FROM stock_view_meta WHERE location = ?");
  if (!meta) return meta.error();
  auto moves = db_.prepare("SELECT kind, qty FROM local_moves WHERE sku = ? AND location = ? AND seq > ? ORDER BY seq, line");
  if (!moves) return moves.error();
  std::vector<StockEstimate> out;
  for (auto& [loc, e] : by_loc) {
    if (!e.in_view) {
      meta->bind(1, loc);
      auto r = meta->step();
      if (!r) return r.error();
      if (*r) e.view_includes_seq = static_cast<uint64_t>(meta->columnInt(0));
      meta->reset();
    }
    e.estimate = e.view_on_hand;
    moves->bind(1, sku).bind(2, loc).bind(3, static_cast<int64_t>(e.view_includes_seq));
    if (auto each_ok = moves->eachRow([&](const common::SqliteStmt&) {
      ++e.own_unsynced_moves;
      if (moves->columnText(0) == "count") {
        e.estimate = moves->columnInt(1);
      } else {
        e.estimate += moves->columnInt(1);
      }
    }); !each_ok) {
      return each_ok.error();
    }
    moves->reset();
    out.push_back(e);
  }
  return out;
}

Result<std::vector<PendingEvent>> Store::pending(uint64_t from_seq, size_t max_events, size_t max_bytes) {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<PendingEvent> out;
  select_pending_.bind(1, static_cast<int64_t>(from_seq)).bind(2, static_cast<int64_t>(max_events));
  size_t bytes = 0;
  while (true) {
    auto r = select_pending_.step();
    if (!r) {
      select_pending_.reset();
      return r.error();
    }
    if (!*r) break;
    uint64_t seq = static_cast<uint64_t>(select_pending_.columnInt(0));
    std::string_view body = select_pending_.columnView(1);
    // Stop before a gap (should never happen: seqs are gapless until pruned) or the byte budget.
    if (!out.empty() && seq != out.back().seq + 1) break;
    if (!out.empty() && bytes + body.size() > max_bytes) break;
    bytes += body.size();
    out.push_back({seq, std::string(body)});
  }
  select_pending_.reset();
  return out;
}

Result<std::optional<PendingEvent>> Store::retained(uint64_t seq) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_.prepare("SELECT seq, body FROM outbox WHERE seq = ?");
  if (!st) return st.error();
  st->bind(1, static_cast<int64_t>(seq));
  std::optional<PendingEvent> out;
  auto r = st->firstRow([&](const common::SqliteStmt& row) {
    out = PendingEvent{static_cast<uint64_t>(row.columnInt(0)), row.columnText(1)};
  });
  if (!r) return r.error();
  return out;
}

Status Store::markAcked(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto cur = db_.queryInt("SELECT last_acked_seq FROM counters WHERE id = 1");
  if (!cur) return cur.error();
  auto last = db_.queryInt("SELECT last_seq FROM counters WHERE id = 1");
  if (!last) return last.error();
  if (seq > static_cast<uint64_t>(*last)) {
    return Error::reject("ack_beyond_last", "acknowledged seq " + std::to_string(seq) +
                                                " was never recorded here (last " + std::to_string(*last) + ")");
  }
  if (seq <= static_cast<uint64_t>(*cur)) return {};
  if (auto s = writeAck(seq, clock_.nowMs()); !s) return s;
  return txn->commit();
}

// Inside the caller's transaction: everything up to seq acknowledged at at_ms.
Status Store::writeAck(uint64_t seq, int64_t at_ms) {
  auto st = db_.prepare("INSERT OR REPLACE INTO acks (through_seq, acked_at_ms) VALUES (?, ?)");
  if (!st) return st.error();
  st->bind(1, static_cast<int64_t>(seq)).bind(2, at_ms);
  if (auto s = st->run(); !s) return s;
  auto up = db_.prepare("UPDATE counters SET last_acked_seq = ? WHERE id = 1");
  if (!up) return up.error();
  up->bind(1, static_cast<int64_t>(seq));
  return up->run();
}

Result<std::optional<Store::Resequenced>> Store::resequence(uint64_t conflict_seq, uint64_t coordinator_applied,
                                                           const std::string& coordinator_chain_head) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto cur = db_.queryInt("SELECT last_acked_seq FROM counters WHERE id = 1");
  if (!cur) return cur.error();
  auto last = db_.queryInt("SELECT last_seq FROM counters WHERE id = 1");
  if (!last) return last.error();
  const uint64_t acked = static_cast<uint64_t>(*cur), last_seq = static_cast<uint64_t>(*last);
  if (conflict_seq <= acked || conflict_seq > last_seq) return std::optional<Resequenced>{};
  Resequenced r;
  r.from_seq = conflict_seq;
  r.shift = conflict_seq <= coordinator_applied ? coordinator_applied + 1 - conflict_seq : 0;
  r.events = last_seq - conflict_seq + 1;
  r.at_ms = clock_.nowMs();
  if (r.shift > 0) {
    const auto shift = static_cast<int64_t>(r.shift), from = static_cast<int64_t>(conflict_seq);
    // Each body carries its seq: re-encode it. Rows move through negative seqs so that no
    // renumbered row meets one not yet renumbered.
    auto events = outboxFrom(from);
    if (!events) return events.error();
    auto up = db_.prepare("UPDATE outbox SET seq = ?, body = ? WHERE seq = ?");
    if (!up) return up.error();
    for (auto& [seq, e] : *events) {
      e.seq = static_cast<uint64_t>(seq + shift);
      up->bind(1, -(seq + shift)).bindBlob(2, common::encodeEvent(e)).bind(3, seq);
      if (auto s = up->run(); !s) return s.error();
    }
    std::vector<std::string> sql = {
        "UPDATE outbox SET seq = -seq WHERE seq < 0",
        "UPDATE local_moves SET seq = -(seq + ?1) WHERE seq >= ?2",
        "UPDATE local_moves SET seq = -seq WHERE seq < 0",
        "UPDATE voids SET seq = seq + ?1 WHERE seq >= ?2",
        "UPDATE counters SET last_seq = last_seq + ?1 WHERE id = 1",
    };
    // Tables the pick-task handler creates when the device first gets tasks.
    for (const char* table : {"pick_tasks", "pick_tasks_closed"}) {
      auto exists = db_.queryInt(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '") +
                                 table + "'");
      if (!exists) return exists.error();
      if (*exists) sql.push_back(std::string("UPDATE ") + table + " SET confirmed_seq = confirmed_seq + ?1 WHERE confirmed_seq >= ?2");
    }
    for (const std::string& q : sql) {
      auto st = db_.prepare(q);
      if (!st) return st.error();
      if (q.find("?1") != std::string::npos) st->bind(1, shift);
      if (q.find("?2") != std::string::npos) st->bind(2, from);
      if (auto s = st->run(); !s) return s.error();
    }
  }
  // The chain: what follows the coordinator's events must link to the last of them (its head
  // from the conflict ack; none: it holds no chained event of ours, so the genesis hash).
  if (auto s = relink(coordinator_applied + 1, coordinator_chain_head); !s) return s.error();
  // What the coordinator has up to coordinator_applied is there, under its ids: acknowledged.
  r.acked_through = std::max(acked, std::min(coordinator_applied, conflict_seq - 1 + r.shift));
  if (r.acked_through > acked) {
    if (auto s = writeAck(r.acked_through, r.at_ms); !s) return s.error();
  }
  r.old_epoch = epoch();
  r.new_epoch = common::newUuid();
  ResequenceInfo info = resequenceInfo();
  ++info.count;
  info.last = r;
  nlohmann::json j = {{"count", info.count}, {"from_seq", r.from_seq}, {"shift", r.shift}, {"events", r.events},
                      {"acked_through", r.acked_through}, {"old_epoch", r.old_epoch}, {"new_epoch", r.new_epoch},
                      {"at_ms", r.at_ms}};
  auto put = db_.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
  if (!put) return put.error();
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"epoch", r.new_epoch}, {"prev_epoch", r.old_epoch}, {"resequenced", j.dump()}}) {
    put->bind(1, k).bind(2, v);
    if (auto s = put->run(); !s) return s.error();
    put->reset();
  }
  if (auto s = txn->commit(); !s) return s.error();
  std::lock_guard<std::mutex> el(epoch_mu_);
  epoch_ = r.new_epoch;
  prev_epoch_ = r.old_epoch;
  reseq_info_ = info;
  return std::optional<Resequenced>(r);
}

// Inside the caller's transaction: re-links every event from from_seq on to follow head.
Result<std::vector<std::pair<int64_t, common::Event>>> Store::outboxFrom(int64_t from_seq) {
  auto sel = db_.prepare("SELECT seq, body FROM outbox WHERE seq >= ? ORDER BY seq");
  if (!sel) return sel.error();
  sel->bind(1, from_seq);
  std::vector<std::pair<int64_t, std::string>> rows;
  if (auto s = sel->eachRow([&](common::SqliteStmt& r) { rows.emplace_back(r.columnInt(0), r.columnText(1)); }); !s) {
    return s.error();
  }
  std::vector<std::pair<int64_t, common::Event>> out;
  for (const auto& [seq, body] : rows) {
    auto e = common::decodeEvent(body);
    if (!e) return Error::fatal("corrupt_database", "outbox seq " + std::to_string(seq) + ": " + e.error().message);
    out.emplace_back(seq, std::move(*e));
  }
  return out;
}

Status Store::relink(uint64_t from_seq, const std::string& head_in) {
  std::string head = head_in.empty() ? std::string(common::kChainGenesis) : head_in;
  auto events = outboxFrom(static_cast<int64_t>(from_seq));
  if (!events) return events.error();
  auto up = db_.prepare("UPDATE outbox SET body = ? WHERE seq = ?");
  if (!up) return up.error();
  for (auto& [seq, e] : *events) {
    e.device_id = config_.device_id;
    e.prev_hash = head;
    head = common::chainHash(e);
    up->bindBlob(1, common::encodeEvent(e)).bind(2, seq);
    if (auto s = up->run(); !s) return s;
  }
  // No event after from_seq (all were the coordinator's): the next one links to its head.
  auto st = db_.prepare("UPDATE counters SET chain_head = ? WHERE id = 1");
  if (!st) return st.error();
  st->bind(1, head);
  return st->run();
}

Status Store::rewindAcked(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto cur = db_.queryInt("SELECT last_acked_seq FROM counters WHERE id = 1");
  if (!cur) return cur.error();
  if (seq >= static_cast<uint64_t>(*cur)) return {};
  auto oldest = db_.queryInt("SELECT COALESCE(MIN(seq), 0) FROM outbox");
  if (!oldest) return oldest.error();
  if (*oldest == 0 || static_cast<uint64_t>(*oldest) > seq + 1) {
    return Error::reject("pruned", "events " + std::to_string(seq + 1) + ".." +
                                       std::to_string(*oldest > 0 ? *oldest - 1 : *cur) +
                                       " were acknowledged and pruned here; they can only come from a ledger backup");
  }
  // Events up to seq stay acknowledged at the time the first later row says; later rows go.
  auto keep = db_.prepare(
      "INSERT OR IGNORE INTO acks (through_seq, acked_at_ms)"
      " SELECT ?1, MIN(acked_at_ms) FROM acks WHERE through_seq > ?1 HAVING count(*) > 0");
  if (!keep) return keep.error();
  keep->bind(1, static_cast<int64_t>(seq));
  if (auto s = keep->run(); !s) return s;
  auto st = db_.prepare("DELETE FROM acks WHERE through_seq > ?");
  if (!st) return st.error();
  st->bind(1, static_cast<int64_t>(seq));
  if (auto s = st->run(); !s) return s;
  auto up = db_.prepare("UPDATE counters SET last_acked_seq = ? WHERE id = 1");
  if (!up) return up.error();
  up->bind(1, static_cast<int64_t>(seq));
  if (auto s = up->run(); !s) return s;
  return txn->commit();
}

Result<int64_t> Store::prune(int64_t retention_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  // Only a prefix goes, so seqs stay gapless: everything acknowledged before the first ack still
  // inside the retention period (after a clock set back, a later ack never prunes an earlier one).
  auto upto = db_.prepare(
      "SELECT COALESCE(MAX(through_seq), 0) FROM acks WHERE through_seq <"
      " COALESCE((SELECT MIN(through_seq) FROM acks WHERE acked_at_ms >= ?), 9223372036854775807)");
  if (!upto) return upto.error();
  upto->bind(1, clock_.nowMs() - retention_ms);
  auto r = upto->step();
  if (!r) return r.error();
  int64_t last = *r ? upto->columnInt(0) : 0;
  upto->reset();
  if (last == 0) return int64_t{0};
  auto del = [&](const char* sql) -> Status {
    auto st = db_.prepare(sql);
    if (!st) return st.error();
    st->bind(1, last);
    return st->run();
  };
  // Own moves go with their events: by then the coordinator's stock view includes them.
  if (auto s = del("DELETE FROM local_moves WHERE seq <= ?"); !s) return s.error();
  if (auto s = del("DELETE FROM outbox WHERE seq <= ?"); !s) return s.error();
  int64_t n = db_.changes();
  if (auto s = del("DELETE FROM acks WHERE through_seq <= ?"); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  return n;
}

Result<StoreStats> Store::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  StoreStats s;
  auto st = db_.prepare("SELECT last_seq, last_acked_seq FROM counters WHERE id = 1");
  if (!st) return st.error();
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::fatal("corrupt_database", "counters row missing");
  s.last_seq = static_cast<uint64_t>(st->columnInt(0));
  s.last_acked_seq = static_cast<uint64_t>(st->columnInt(1));
  s.queue_depth = s.last_seq - s.last_acked_seq;
  if (s.queue_depth > 0) {
    auto o = db_.prepare("SELECT recorded_at_ms FROM outbox WHERE seq = ?");
    if (!o) return o.error();
    o->bind(1, static_cast<int64_t>(s.last_acked_seq + 1));
    auto ro = o->step();
    if (!ro) return ro.error();
    if (*ro) s.oldest_unsynced_recorded_at_ms = o->columnInt(0);
  }
  // Seqs are gapless and pruning takes a prefix, so the count follows from the oldest seq.
  auto oldest = db_.queryInt("SELECT COALESCE(MIN(seq), 0) FROM outbox");
  if (!oldest) return oldest.error();
  s.stored_events = *oldest == 0 ? 0 : s.last_seq - static_cast<uint64_t>(*oldest) + 1;
  s.disk_free_bytes = freeBytes();
  s.last_write_failure = last_failure_;
  const int64_t mono = clock_.monoMs();
  pruneRecentWrites(mono);
  const int64_t window_ms = std::clamp<int64_t>(mono - opened_at_mono_ms_, kMinRateWindowMs, kRateWindowMs);
  s.recent_bytes_per_s = static_cast<double>(recent_bytes_) * 1000.0 / static_cast<double>(window_ms);
  if (s.disk_free_bytes >= 0 && s.recent_bytes_per_s > 0) {
    const int64_t headroom = std::max<int64_t>(0, s.disk_free_bytes - config_.min_free_bytes);
    s.disk_time_left_s = static_cast<int64_t>(static_cast<double>(headroom) / s.recent_bytes_per_s);
  }
  return s;
}

void Store::pruneRecentWrites(int64_t mono_ms) {
  while (!recent_writes_.empty() &&
         (recent_writes_.front().first <= mono_ms - kRateWindowMs || recent_writes_.size() > kMaxRecentWrites)) {
    recent_bytes_ -= recent_writes_.front().second;
    recent_writes_.pop_front();
  }
}

Result<common::Event> Store::eventAt(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("SELECT body FROM outbox WHERE seq = ?");
  if (!st) return st.error();
  st->bind(1, static_cast<int64_t>(seq));
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::reject("not_found", "no event with seq " + std::to_string(seq) + " in the store");
  auto e = common::decodeEvent(st->columnView(0));
  if (!e) return e.error();
  e->device_id = config_.device_id;
  return e;
}

}  // namespace sw::agent
