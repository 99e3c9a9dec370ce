// A ledger split between coordinators on PostgreSQL (LedgerOptions::partitions).
//
// Locations are hashed to partitions; a coordinator applies a device's events only while it
// holds the lease of the partition of the device's location, so every on_hand row has one
// writer and a device's events are applied by one coordinator at a time, in seq order. The
// rules that keep the figures exact when partitions change hands:
//
// - Fencing. Every commit first renews, in its own transaction, the lease of each partition its
//   events write (UPDATE ... WHERE token = mine): a coordinator that stalled past its lease, whose
//   partition another has taken since (a new token), writes nothing of that group. The row stays
//   locked to its commit, so a takeover waits for a commit in flight.
// - Generations. A partition's row has a generation, raised when it is taken and when a
//   coordinator that does not hold it writes there (the orders worker's groups, which follow
//   orders and not devices: the lease row locked for the transaction). A holder that finds the
//   generation moved drops what it kept in memory of on_hand before it reads any, and so does a
//   coordinator whose holdings change.
// - Order. Apply order numbers come in blocks from the sequence ord_blocks; a fresh block is
//   taken on every such change, so a location's numbers (and stock versions: a commit's first
//   number) only grow, whoever applies there.
// - Shares. Each coordinator renews its presence; with C alive, each takes up to ceil(N / C)
//   partitions whose lease has run out, and gives up (highest first) what it holds beyond that.
// - Renewal. Presence, the writer lease and the partitions held are renewed by a thread of their
//   own (keepLeases), on a connection of their own, as well as by maintainPartitions() on the
//   apply thread: a long commit does not let them run out.

#include <algorithm>
#include <chrono>
#include <mutex>

#include <nlohmann/json.hpp>

#include "sw/common/log.h"
#include "sw/common/postgres.h"
#include "sw/coordinator/ledger/sql_ledger.h"

namespace sw::coordinator {

namespace {

// ?1 holder, ?2 lease ms, ?3 partitions held; now: the server's clock in ms.
std::string presenceSql(const std::string& now) {
  return "INSERT INTO coordinator_presence (holder, expires_at_ms, partitions) VALUES (?1, " + now +
         " + ?2, ?3) ON CONFLICT (holder) DO UPDATE SET expires_at_ms = excluded.expires_at_ms,"
         " partitions = excluded.partitions";
}

}  // namespace

using common::Error;
using common::Result;
using common::SqlStmt;
using common::Status;

int locationPartition(std::string_view location, int partitions) {
  if (partitions <= 1) return 0;
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : location) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int>(h % static_cast<uint64_t>(partitions));
}

Status SqlLedger::initPartitions() {
  auto stored = db_->queryInt("SELECT COALESCE((SELECT value FROM settings WHERE key = 'partitions'), 0)");
  if (!stored) return stored.error();
  const int want = options_.partitions;
  if (want <= 0) {
    if (*stored > 0 && !options_.writer_id.empty()) {
      return Error::reject("bad_option", db_->describe() + " is split between coordinators in " +
                                             std::to_string(*stored) + " partitions: start every coordinator on it "
                                             "with --partitions " + std::to_string(*stored));
    }
    return acquireLease();
  }
  if (options_.writer_id.empty()) {
    options_.partitions = 0;  // opened for reading: nothing to hold
    return {};
  }
  const std::string now = kPgNowMs;
  if (*stored == 0) {
    // The first coordinator to split the ledger: no coordinator may be writing it whole.
    auto who = db_->prepare("SELECT holder FROM writer_lease WHERE id = 1 AND expires_at_ms > " + now +
                            " AND holder <> ?1 AND holder NOT IN (SELECT holder FROM coordinator_presence)");
    if (!who) return who.error();
    who->bind(1, options_.writer_id);
    std::string holder;
    auto r = who->firstRow([&](const SqlStmt& row) { holder = row.columnText(0); });
    if (!r) return r.error();
    if (*r) {
      return Error::retry("ledger_taken", db_->describe() + " is written whole by '" + holder +
                                              "' (started without --partitions): stop it before splitting the ledger");
    }
    auto split = db_->prepare("INSERT INTO settings (key, value) VALUES ('partitions', ?) ON CONFLICT (key) DO NOTHING");
    if (!split) return split.error();
    if (auto s = split->bind(1, want).run(); !s) return s;
    stored = db_->queryInt("SELECT value FROM settings WHERE key = 'partitions'");
    if (!stored) return stored.error();
  }
  if (*stored != want) {
    return Error::reject("bad_option", db_->describe() + " is split in " + std::to_string(*stored) +
                                           " partitions (fixed when it was first split), not " + std::to_string(want) +
                                           ": start it with --partitions " + std::to_string(*stored));
  }
  auto rows = db_->prepare("INSERT INTO partition_lease (part, holder, token, gen, expires_at_ms)"
                           " SELECT g, '', 0, 0, 0 FROM generate_series(0, ?1 - 1) g ON CONFLICT (part) DO NOTHING");
  if (!rows) return rows.error();
  if (auto s = rows->bind(1, want).run(); !s) return s;
  // Blocks above every number applied so far (a ledger written whole before it was split).
  auto above = db_->prepare("SELECT setval('ord_blocks', GREATEST((SELECT last_value FROM ord_blocks), ?1))");
  if (!above) return above.error();
  auto set = above->bind(1, next_ord_ / kOrdBlock + 1).firstRow([](const SqlStmt&) {});
  if (!set) return set.error();
  if (auto s = freshOrdBlock(); !s) return s;
  // The writer lease makes this coordinator the primary; another may hold it (a secondary).
  if (auto s = acquireLease(); !s && s.error().code != "ledger_taken") return s;
  std::lock_guard<std::mutex> lock(keeper_mu_);
  keeping_ = true;
  keeper_ = std::thread([this] { keepLeases(); });
  return {};
}

void SqlLedger::keepLeases() {
  std::unique_ptr<common::SqlDb> conn;
  std::unique_lock<std::mutex> lock(keeper_mu_);
  const auto every = std::chrono::milliseconds(std::max<int64_t>(100, options_.lease_ms / 3));
  while (keeping_) {
    if (keeper_cv_.wait_for(lock, every, [this] { return !keeping_; })) break;
    lock.unlock();
    if (auto s = renewLeasesOnce(conn); !s) {
      SW_WARN("ledger") << "cannot renew this coordinator's leases from the keeper (the apply thread still does): "
                        << s.error().toString();
      conn.reset();
    }
    lock.lock();
  }
}

Status SqlLedger::renewLeasesOnce(std::unique_ptr<common::SqlDb>& conn) {
  if (!conn) {
    auto c = common::PgDb::open({.url = options_.path, .application_name = "stockwire-leases"});
    if (!c) return c.error();
    conn = std::move(*c);
  }
  std::vector<std::pair<int, int64_t>> held;
  {
    std::lock_guard<std::mutex> hl(held_mu_);
    for (const auto& [part, h] : held_) held.emplace_back(part, h.token);
  }
  auto here = conn->cached(presenceSql(kPgNowMs));
  if (!here) return here.error();
  here->bind(1, options_.writer_id).bind(2, options_.lease_ms).bind(3, static_cast<int64_t>(held.size()));
  if (auto s = here->run(); !s) return s;
  if (const int64_t token = lease_token_; token != 0) {
    auto renew = conn->cached(renewWriterLeaseSql());
    if (!renew) return renew.error();
    if (auto s = renew->bind(1, token).bind(2, options_.lease_ms).run(); !s) return s;
  }
  // By token and holder (a partition given up keeps its token, with no holder), and never waiting:
  // a row locked is in a commit of this coordinator's, which renews it, or in another's attempt
  // to take it, which finds it unexpired.
  auto renew = conn->cached(std::string("UPDATE partition_lease SET expires_at_ms = ") + kPgNowMs +
                            " + ?3 WHERE part = (SELECT part FROM partition_lease WHERE part = ?1 AND token = ?2"
                            " AND holder = ?4 FOR UPDATE SKIP LOCKED)");
  if (!renew) return renew.error();
  for (const auto& [part, token] : held) {
    if (auto s = renew->bind(1, part).bind(2, token).bind(3, options_.lease_ms).bind(4, options_.writer_id).run(); !s) {
      return s;
    }
  }
  return {};
}

void SqlLedger::stopKeeping() {
  {
    std::lock_guard<std::mutex> lock(keeper_mu_);
    keeping_ = false;
  }
  keeper_cv_.notify_all();
  if (keeper_.joinable()) keeper_.join();
}

Status SqlLedger::tryBecomePrimary() {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (lease_token_ != 0) return {};
  return acquireLease();
}

Status SqlLedger::freshOrdBlock() {
  auto block = db_->queryInt("SELECT nextval('ord_blocks')");
  if (!block) return block.error();
  next_ord_ = *block * kOrdBlock;
  ord_block_end_ = next_ord_ + kOrdBlock;
  return {};
}

bool SqlLedger::holdsPartition(int partition) const {
  if (options_.partitions <= 0) return true;
  std::lock_guard<std::mutex> lock(held_mu_);
  return held_.count(partition) > 0;
}

std::vector<int> SqlLedger::heldPartitions() const {
  std::lock_guard<std::mutex> lock(held_mu_);
  std::vector<int> out;
  for (const auto& [part, h] : held_) out.push_back(part);
  return out;
}

Result<PartitionChange> SqlLedger::maintainPartitions() {
  PartitionChange ch;
  if (options_.partitions <= 0) return ch;
  std::lock_guard<std::mutex> lock(write_mu_);
  const std::string now = kPgNowMs;
  const size_t n = static_cast<size_t>(options_.partitions);
  auto here = db_->cached(presenceSql(now));
  if (!here) return here.error();
  here->bind(1, options_.writer_id).bind(2, options_.lease_ms).bind(3, static_cast<int64_t>(held_.size()));
  if (auto s = here->run(); !s) return s.error();
  auto alive = db_->queryInt(std::string("SELECT COUNT(*) FROM coordinator_presence WHERE expires_at_ms > ") + now);
  if (!alive) return alive.error();
  ch.coordinators = static_cast<int>(std::max<int64_t>(1, *alive));
  const size_t share = (n + static_cast<size_t>(ch.coordinators) - 1) / static_cast<size_t>(ch.coordinators);
  // The primary's writer lease: its commits renew partitions, not it.
  if (lease_token_ != 0) {
    renew_lease_.bind(1, lease_token_.load()).bind(2, options_.lease_ms);
    if (auto s = renew_lease_.run(); !s) return s.error();
    if (db_->changes() != 1) {
      ch.writer_lost = true;
      lease_token_ = 0;
    }
  }
  bool changed = false;
  std::vector<int> mine;
  for (const auto& [part, h] : held_) mine.push_back(part);
  for (int part : mine) {
    HeldPartition& h = held_.at(part);
    auto gen = renewPartition(part, h.token);
    if (!gen) return gen.error();
    if (!*gen) {
      std::lock_guard<std::mutex> hl(held_mu_);
      held_.erase(part);
      ch.lost.push_back(part);
      changed = true;
    } else if (**gen != h.gen) {
      h.gen = **gen;
      changed = true;
    }
  }
  while (held_.size() > share) {
    auto last = std::prev(held_.end());
    if (auto s = givePartition(last->first, last->second.token); !s) return s.error();
    ch.lost.push_back(last->first);
    std::lock_guard<std::mutex> hl(held_mu_);
    held_.erase(last);
    changed = true;
  }
  if (held_.size() < share) {
    auto free = db_->cached(std::string("SELECT part FROM partition_lease WHERE expires_at_ms < ") + now +
                            " ORDER BY part");
    if (!free) return free.error();
    std::vector<int> parts;
    if (auto s = free->eachRow([&](const SqlStmt& row) { parts.push_back(static_cast<int>(row.columnInt(0))); }); !s) {
      return s.error();
    }
    auto take = db_->cached("UPDATE partition_lease SET holder = ?2, token = token + 1, gen = gen + 1, expires_at_ms = " +
                            now + " + ?3 WHERE part = ?1 AND expires_at_ms < " + now + " RETURNING token, gen");
    if (!take) return take.error();
    for (int part : parts) {
      if (held_.size() >= share) break;
      HeldPartition h;
      auto got = take->bind(1, part).bind(2, options_.writer_id).bind(3, options_.lease_ms).firstRow(
          [&](const SqlStmt& row) {
            h.token = row.columnInt(0);
            h.gen = row.columnInt(1);
          });
      if (!got) return got.error();
      if (!*got) continue;  // another coordinator was quicker
      std::lock_guard<std::mutex> hl(held_mu_);
      held_.emplace(part, h);
      ch.acquired.push_back(part);
      changed = true;
    }
  }
  if (changed) {
    onhand_cache_.clear();
    if (auto s = freshOrdBlock(); !s) return s.error();
  }
  return ch;
}

Result<std::optional<int64_t>> SqlLedger::renewPartition(int part, int64_t token) {
  auto renew = db_->cached(std::string("UPDATE partition_lease SET expires_at_ms = ") + kPgNowMs +
                           " + ?3 WHERE part = ?1 AND token = ?2 RETURNING gen");
  if (!renew) return renew.error();
  std::optional<int64_t> gen;
  auto got = renew->bind(1, part).bind(2, token).bind(3, options_.lease_ms).firstRow(
      [&](const SqlStmt& row) { gen = row.columnInt(0); });
  if (!got) return got.error();
  return gen;
}

Status SqlLedger::givePartition(int part, int64_t token) {
  auto give = db_->cached("UPDATE partition_lease SET holder = '', expires_at_ms = 0 WHERE part = ?1 AND token = ?2");
  if (!give) return give.error();
  return give->bind(1, part).bind(2, token).run();
}

Status SqlLedger::fencePartitions(const ApplyGroup& group, bool* foreign) {
  *foreign = false;
  if (options_.writer_id.empty()) {
    return Error::reject("read_only", db_->describe() + " was opened for reading (no writer id)");
  }
  std::set<int> parts;
  const std::string* last = nullptr;
  for (const ApplyEvent& ae : group.events) {
    if (last && *last == ae.event.location) continue;
    last = &ae.event.location;
    parts.insert(locationPartition(*last, options_.partitions));
  }
  bool reset = false;
  for (int part : parts) {  // in order: two commits lock rows in the same order
    std::optional<HeldPartition> held;
    {
      std::lock_guard<std::mutex> hl(held_mu_);
      if (auto it = held_.find(part); it != held_.end()) held = it->second;
    }
    if (held) {
      auto gen = renewPartition(part, held->token);
      if (!gen) return gen.error();
      if (!*gen) {
        return Error::retry("partition_lost", "another coordinator has taken partition " + std::to_string(part) +
                                                  " from '" + options_.writer_id + "': nothing of this group was written");
      }
      if (**gen != held->gen) {
        reset = true;
        std::lock_guard<std::mutex> hl(held_mu_);
        if (auto it = held_.find(part); it != held_.end()) it->second.gen = **gen;
      }
    } else if (group.held_partitions_only) {
      return Error::retry("partition_not_held", "'" + options_.writer_id + "' does not hold partition " +
                                                    std::to_string(part) + ": nothing of this group was written");
    } else {
      auto mark = db_->cached("UPDATE partition_lease SET gen = gen + 1 WHERE part = ?1");
      if (!mark) return mark.error();
      if (auto s = mark->bind(1, part).run(); !s) return s;
      *foreign = true;
    }
  }
  if (reset || *foreign) {
    onhand_cache_.clear();
    if (auto s = freshOrdBlock(); !s) return s;
  }
  int64_t need = 0;
  for (const ApplyEvent& ae : group.events) need += 1 + static_cast<int64_t>(ae.event.lines.size());
  if (next_ord_ + need > ord_block_end_) return freshOrdBlock();
  return {};
}

void SqlLedger::releasePartitions() {
  if (options_.partitions <= 0 || !db_) return;
  for (const auto& [part, h] : held_) (void)givePartition(part, h.token);
  auto gone = db_->prepare("DELETE FROM coordinator_presence WHERE holder = ?");
  if (gone) (void)gone->bind(1, options_.writer_id).run();
  std::lock_guard<std::mutex> hl(held_mu_);
  held_.clear();
}

namespace {

constexpr const char* kStockChannel = "stockwire_stock";
// A NOTIFY payload must stay under 8000 bytes: keys are sent in chunks of about this much.
constexpr size_t kNotifyBytes = 6000;

}  // namespace

Status SqlLedger::notifyOthers(const CommitInfo& changed) {
  auto st = db_->cached(std::string("SELECT pg_notify('") + kStockChannel + "', ?)");
  if (!st) return st.error();
  nlohmann::json keys = nlohmann::json::array();
  size_t bytes = 0;
  auto send = [&]() -> Status {
    if (keys.empty()) return {};
    const std::string payload = nlohmann::json{{"from", options_.writer_id}, {"changed", keys}}.dump();
    keys = nlohmann::json::array();
    bytes = 0;
    auto r = st->bind(1, payload).firstRow([](const SqlStmt&) {});
    if (!r) return r.error();
    return {};
  };
  for (const auto& [loc, sku] : changed.changed) {
    keys.push_back({loc, sku});
    bytes += loc.size() + sku.size() + 8;
    if (bytes >= kNotifyBytes) {
      if (auto s = send(); !s) return s;
    }
  }
  return send();
}

Status SqlLedger::listenToOthers(std::function<void(const CommitInfo&)> fn) {
  if (options_.partitions <= 0) return {};
  stopListening();
  listening_ = true;
  listener_ = std::thread([this, fn = std::move(fn)] {
    std::unique_ptr<common::PgDb> conn;
    while (listening_) {
      if (!conn) {
        auto c = common::PgDb::open({.url = options_.path, .application_name = "stockwire-listen"});
        Status listening = c ? (*c)->exec(std::string("LISTEN ") + kStockChannel) : Status(c.error());
        if (!listening) {
          SW_WARN("ledger") << "cannot listen for other coordinators' stock changes, trying again: "
                            << listening.error().toString();
          for (int i = 0; i < 10 && listening_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        conn = std::move(*c);
      }
      auto got = conn->waitNotifications(200);
      if (!got) {
        SW_WARN("ledger") << "stopped listening for other coordinators' stock changes: " << got.error().toString();
        conn.reset();
        continue;
      }
      for (const std::string& payload : *got) {
        auto j = nlohmann::json::parse(payload, nullptr, false);
        if (!j.is_object() || j.value("from", std::string()) == options_.writer_id) continue;
        CommitInfo info;
        std::set<std::string> locs;
        for (const auto& k : j.value("changed", nlohmann::json::array())) {
          if (!k.is_array() || k.size() != 2 || !k[0].is_string() || !k[1].is_string()) continue;
          info.changed.emplace_back(k[0].get<std::string>(), k[1].get<std::string>());
          if (locs.insert(info.changed.back().first).second) info.locations.push_back(info.changed.back().first);
        }
        if (!info.changed.empty()) fn(info);
      }
    }
  });
  return {};
}

void SqlLedger::stopListening() {
  listening_ = false;
  if (listener_.joinable()) listener_.join();
}

}  // namespace sw::coordinator
