#pragma once
// The ledger on SQL (see ledger.h for the tables and rules; Ledger is its interface): on SQLite,
// the embedded default, or on PostgreSQL when LedgerOptions::path is a postgresql:// URL. One
// implementation on common::SqlDb (sql.h) for both, with the schema written for each. Only what
// opens a ledger includes this: the coordinator's main, tools, benchmarks and tests.
//
// This ledger is the only writer of its store: it keeps names, on-hand rows and the apply order
// in memory between commits. On PostgreSQL, where several coordinators can reach one ledger, that
// is enforced by a writer lease (table writer_lease, see LedgerOptions::writer_id).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>
#include "sw/common/build_info.h"
#include "sw/common/clock.h"
#include "sw/common/event.h"
#include "sw/common/result.h"
#include "sw/common/sql.h"
#include "sw/coordinator/ledger/ledger.h"

namespace sw::coordinator {

struct LedgerOptions {
  // A SQLite file, or a PostgreSQL database as a libpq URL (postgresql://user@host:port/db).
  std::string path;
  int64_t cache_mib = 64;
  // Counts and movements from different devices whose corrected times are this close cannot be
  // ordered safely (clock offsets are estimates). Such a movement is treated as seen by the
  // count (absorbed), never applied on top of it: at worst a sale is missed until the next
  // count, but nothing is ever counted twice. Discrepancies flag these movements "ambiguous".
  // Fixed when the ledger is created (every figure depends on it): -1 keeps the stored value
  // (kDefaultCountTieMs for a new ledger); another value than the stored one is refused.
  int64_t count_tie_ms = -1;
  // PostgreSQL: who writes. open() takes the ledger's one writer lease for this id (refused with
  // retry "ledger_taken" while another id holds an unexpired one; the same id takes it back at
  // once, so a restarted coordinator need not wait), every commit renews it in its transaction and
  // fails with fatal "lease_lost" if another writer has taken it since (fencing: the old writer
  // cannot commit after a takeover), and destruction gives it up. Empty: opened for reading
  // (verify); commit() is refused. SQLite ignores it.
  std::string writer_id = "stockwire-ledger";
  int64_t lease_ms = 30'000;  // how long a lease lasts without a commit (server clock)
  // PostgreSQL: split the ledger between coordinators (0: one writer, as above). Locations are
  // hashed to this many partitions (locationPartition), fixed when the first coordinator split
  // the ledger (another count is refused, and so is an unsplit writer once it is split). Each
  // coordinator (its writer_id) takes a lease on its share of them (table partition_lease:
  // holder, fencing token, generation, expiry on the server's clock), renewed by
  // maintainPartitions() and by every commit that writes them, and applies only the devices of
  // what it holds. The writer lease is then the primary's: the one coordinator running the order
  // book, channels and downlink; the others open without it (isPrimary() false) and take it when
  // it runs out. See partitions.cpp.
  int partitions = 0;
};

class SqlLedger final : public Ledger {
 public:
  // Pages of a new ledger. A catch-up group touches nearly every leaf of the movement index
  // and of on_hand, so larger pages mean fewer pages, fewer WAL frames (one pwrite(2) each) and
  // shallower trees for the same rows. tools/bench drain, alternating runs, checkpoint every
  // 125 MiB either way: 16 KiB gave 101.5k, 118.5k and 111.1k events/s; 4 KiB gave 97.5k, 98.0k
  // and 103.2k (coordinator 8.1-9.6 against 9.1-9.8 us CPU per event). A small live commit
  // writes each page it touches whole, so 16 KiB rather than larger.
  static constexpr int kPageSize = 16384;
  static common::Result<std::unique_ptr<SqlLedger>> open(const LedgerOptions& options);
  // The schema version open() brings a SQLite ledger's tables to (for --version).
  static common::SchemaVersion schemaVersion();
  // The steps of the ledger's schema on SQLite or on PostgreSQL, in order: step i takes version i
  // to i+1 (tests build a ledger of each earlier version from them).
  static const std::vector<std::string>& schemaSteps(common::SqlDialect dialect = common::SqlDialect::kSqlite);
  // A connection to the ledger's store (create: the writer's, which may create a SQLite file).
  static common::Result<std::unique_ptr<common::SqlDb>> connect(const LedgerOptions& options, bool create);
  std::string describe() const { return db_->describe(); }
  // PostgreSQL: the fencing token of the writer lease this ledger holds (0: none, or SQLite).
  int64_t leaseToken() const { return lease_token_; }
  // Split ledger: whether this coordinator holds the writer lease (always true when not split).
  bool isPrimary() const { return options_.partitions <= 0 || lease_token_ != 0; }
  // Split ledger: try to take the writer lease (a secondary, when the primary's has run out).
  common::Status tryBecomePrimary();
  int partitions() const override { return options_.partitions; }
  bool holdsPartition(int partition) const override;
  common::Result<PartitionChange> maintainPartitions() override;
  // Split ledger: the partitions held now, in order (for /metrics and tests).
  std::vector<int> heldPartitions() const;
  // Split ledger: what the other coordinators' commits changed (their on_hand rows, as CommitInfo),
  // called on a thread of its own (LISTEN stockwire_stock on a connection of its own, opened again
  // if it breaks), so that the primary's channels, downlink and orders follow stock applied
  // anywhere. A change committed while no connection listened is not told: the channels'
  // periodic reconcile covers it. Stopped by stopListening() or destruction.
  common::Status listenToOthers(std::function<void(const CommitInfo&)> fn);
  void stopListening();

  common::Result<std::vector<DeviceRow>> loadDevices() override;
  // Applies the whole group in one transaction, or nothing. info (optional) says what changed.
  common::Status commit(const ApplyGroup& group, CommitInfo* info = nullptr) override;

  // Reads (on a separate connection, safe from any thread).
  common::Result<std::vector<StockRow>> stockForSku(const std::string& sku) override;
  common::Result<std::vector<StockRow>> stockForLocation(const std::string& location) override;
  common::Result<std::vector<DeviceRow>> devices() override;
  common::Result<std::optional<DeviceRow>> deviceRow(const std::string& device) override;
  common::Result<int64_t> countRows(const std::string& table) override;
  common::Result<std::vector<QuarantineRow>> quarantine(int64_t limit) override;
  // Anomalies newest first, with id < before_id (0: from the newest); device and code filter if set.
  common::Result<std::vector<AnomalyRow>> anomalies(const std::string& device, const std::string& code,
                                                    int64_t before_id, int64_t limit) override;
  // The event id applied at (device, seq), if there is one.
  common::Result<std::optional<std::string>> eventIdAt(const std::string& device, uint64_t seq) override;
  // Sale lines the tills flagged (common::PriceCheck names), by device and check.
  common::Result<std::map<std::string, std::map<std::string, int64_t>>> priceFlagsByDevice() override;
  // How many anomalies there are of each code.
  common::Result<std::map<std::string, int64_t>> anomalyCounts() override;
  // A device's applied events from from_seq on, in seq order.
  common::Result<std::vector<LedgerEvent>> eventsForDevice(const std::string& device, uint64_t from_seq,
                                                           int64_t limit) override;

  // Stock views: each on_hand row carries the version of the commit that last changed it.
  common::Result<int64_t> stockVersion(const std::string& location) override;
  // Rows of a location changed after `after_version` (version order), or, for a snapshot, rows
  // with sku > after_sku (key order). Both consistent with one read transaction.
  common::Result<StockViewPage> stockChanges(const std::string& location, const std::string& device,
                                             int64_t after_version, const std::string& after_sku, size_t max_rows) override;
  common::Result<StockViewPage> stockSnapshot(const std::string& location, const std::string& device,
                                              const std::string& after_sku, size_t max_rows) override;
  common::Result<std::vector<std::string>> locationNames() override;

  // Transfers touching a location (empty: all); open_only: still in transit.
  common::Result<std::vector<TransferRow>> transfers(const std::string& location, const std::string& sku,
                                                     bool open_only, int64_t limit) override;
  // Latest count per (location, SKU), filtered by either if non-empty.
  common::Result<std::vector<CountDiscrepancy>> countDiscrepancies(const std::string& location,
                                                                   const std::string& sku, size_t max_moves) override;
  // The movement log of one (location, SKU) in apply order, after apply order `after`.
  common::Result<std::vector<MovementRow>> movementsFor(const std::string& location, const std::string& sku,
                                                        int64_t after, int64_t limit) override;
  // Applied minus occurred (corrected) time, in ms, of the newest `max_events` events applied
  // at or after since_ms, sorted ascending.
  common::Result<std::vector<int64_t>> syncLatencies(int64_t since_ms, int64_t max_events) override;
  common::Result<std::vector<SalesFigure>> salesApplied(int64_t after_ms, int64_t until_ms) override;
  int64_t countTieMs() const override { return options_.count_tie_ms; }

  // The count a (location, SKU) figure starts from. Counts are ordered by (corrected time,
  // event id): a total order that does not depend on the order in which they arrive.
  struct CountMark {
    int64_t at = 0;
    int64_t dev = 0;
    int64_t seq = 0;
    std::string id;  // 16-byte event id
    bool newerThan(const CountMark& o) const { return at != o.at ? at > o.at : id > o.id; }
  };
  // Whether the count saw the movement (dev, seq) at corrected time at: the one rule behind every
  // figure, applied when events arrive (ledger.cpp) and when figures are explained (ledger_reports.cpp).
  bool absorbs(const CountMark& c, int64_t dev, int64_t seq, int64_t at) const;

  // Recomputes every on_hand row from the movement log; returns rows that differ (should be none).
  common::Result<std::vector<std::string>> verifyOnHand() override;
  // Recomputes every device's hash chain (or only_device's) from the ledger's tables, end to end
  // (src/ledger_chain.cpp), and reports the first break of each.
  common::Result<std::vector<ChainCheck>> verifyChain(const std::string& only_device = "") override;
  // A read-only connection of its own on the ledger file (sales_history.cpp).
  common::Result<std::unique_ptr<SalesHistory>> openSalesHistory() override;

  // Test hook: called after the group's rows are written, before COMMIT. An error rolls the
  // transaction back as a failed COMMIT would.
  void setBeforeCommitHook(std::function<common::Status()> hook) { before_commit_ = std::move(hook); }

 private:
  SqlLedger() = default;
 public:
  ~SqlLedger() override;

 private:
  // The database server's clock in ms: leases are judged by one clock whatever the writers' say.
  static constexpr const char* kPgNowMs = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";
  common::Status acquireLease();
  static std::string renewWriterLeaseSql();  // ?1 token, ?2 lease ms
  // Split ledger (partitions.cpp): set up at open; within a commit, renew (held) or lock and mark
  // (not held) the lease of every partition the group writes, before anything is read from the
  // cache; a fresh block of apply order numbers.
  common::Status initPartitions();
  common::Status fencePartitions(const ApplyGroup& group, bool* foreign);
  common::Status freshOrdBlock();
  void releasePartitions();
  // A held partition's lease renewed by its token: its generation, or nullopt if another
  // coordinator has taken it since. givePartition: given up (free for anyone at once).
  common::Result<std::optional<int64_t>> renewPartition(int part, int64_t token);
  common::Status givePartition(int part, int64_t token);
  // In the commit's transaction: pg_notify of its changed keys, delivered when it commits.
  common::Status notifyOthers(const CommitInfo& changed);
  std::thread listener_;
  std::atomic<bool> listening_{false};
  // Split ledger: a thread of its own, on a connection of its own, renews this coordinator's
  // presence, writer lease and held partitions every third of the lease, whatever the apply
  // thread is doing. Commits of seconds under load once let them run out: partitions went back
  // and forth, and the primary lost its writer lease. It only renews; what is held changes in
  // maintainPartitions() (which renews too) and in commits.
  void keepLeases();
  common::Status renewLeasesOnce(std::unique_ptr<common::SqlDb>& conn);
  void stopKeeping();
  std::thread keeper_;
  std::mutex keeper_mu_;
  std::condition_variable keeper_cv_;
  bool keeping_ = false;
  struct HeldPartition {
    int64_t token = 0;
    int64_t gen = 0;  // the lease row's generation as this holder last wrote or saw it
  };
  mutable std::mutex held_mu_;       // held_ is read by holdsPartition() from ingest's callback thread
  std::map<int, HeldPartition> held_;  // written under write_mu_ and held_mu_
  // Apply order numbers (ord) of a split ledger come in blocks of kOrdBlock from the sequence
  // ord_blocks: a block taken later is above every number given before by any coordinator, and
  // one is taken whenever what a coordinator holds changes, so a location's ord (and stock
  // version, which is its commit's first ord) only grows whoever applies it.
  static constexpr int64_t kOrdBlock = int64_t{1} << 30;
  int64_t ord_block_end_ = INT64_MAX;
  // PostgreSQL: the fencing token of the lease held (0: none). Read by the keeper's thread.
  std::atomic<int64_t> lease_token_{0};
  common::SqlStmt renew_lease_;
  common::Status init(const LedgerOptions& options);
  common::Result<std::vector<DeviceRow>> readDevices(const std::string* only);  // null: every device
  common::Status prepareStatements();
  common::Status applyEvent(const ApplyEvent& ae, int64_t applied_at_ms);
  struct OnHand {
    int64_t qty = 0;
    std::optional<CountMark> count;
    std::optional<int64_t> counted;
    bool dirty = false;
    bool stored = false;  // a row exists in the database (committed)
  };
  using Key = std::pair<int64_t, int64_t>;  // (location id, sku id)
  common::Result<OnHand*> onHand(Key key);
  void markDirty(Key key, OnHand& oh);
  common::Status applyDelta(Key key, int64_t delta, int64_t at_ms, int64_t dev, int64_t seq);
  common::Status applyCount(Key key, int64_t counted, const CountMark& mark);
  common::Status applyLocationCount(int64_t loc, const std::set<int64_t>& listed, const CountMark& mark);
  common::Status applyTransfer(const common::Event& e, int64_t dev, int64_t loc, int64_t at);
  common::Status flushOnHand(int64_t now_ms, int64_t version, CommitInfo* info);
  // An event applied without its full rows (anomalies): its canonical bytes, for verifyChain().
  common::Status keepChained(int64_t dev, const common::Event& e);
  common::Status recordAnomaly(int64_t dev, int64_t seq, const std::string& code, const std::string& message,
                               int64_t at_ms);

  // Plain events (sale, return, receive, adjust: lines at one location, nothing to look up) are
  // staged and written kInsertRows at a time, each table with one multi-row INSERT OR IGNORE:
  // one statement instead of 64 saves its start and end, and OR IGNORE means a statement that
  // cannot abort, so SQLite keeps no statement journal for it (a multi-row plain INSERT does,
  // and is several times slower). Any other event first flushes what is staged, so it sees
  // every earlier event in the database.
  static constexpr int kInsertRows = 64;
  struct Staged {
    const ApplyEvent* ae;
    int64_t dev, loc, at, ord;  // ord is the event's; its lines take ord + 1, ord + 2, ...
    size_t first_sku;           // its lines' SKU ids start here in staged_skus_
  };
  common::Status stageEvent(const ApplyEvent& ae, int64_t applied_at_ms);
  common::Status flushStaged(int64_t applied_at_ms);
  std::vector<Staged> staged_;
  std::vector<int64_t> staged_skus_;

  // Names (devices, locations, SKUs) are stored once and referred to by integer ids, which
  // keeps every index key small and fast to compare.
  struct Interner {
    const char* table;
    const char* column;
    std::unordered_map<std::string, int64_t> ids;
    std::unordered_map<int64_t, std::string> names;  // the same, by id
    std::vector<std::string> added;  // in the open transaction: forgotten if it rolls back
    common::SqlStmt find;
    common::SqlStmt insert;
    common::SqlStmt by_id;
  };
  common::Result<int64_t> intern(Interner& in, const std::string& name);
  // The name of an id, from the database when no event since the start has named it (a
  // whole-location count reaches SKUs only by id).
  common::Result<const std::string*> nameOf(Interner& in, int64_t id);
  // intern() for names that repeat from one event to the next (a batch's device and location).
  struct LastName {
    std::string name;
    int64_t id = 0;
  };
  common::Result<int64_t> internRepeated(Interner& in, LastName& last, const std::string& name);
  LastName last_device_, last_location_;
  common::Status prepareInterner(Interner& in);
  // On PostgreSQL, the names a group adds, before it is applied: each table's in sorted order,
  // the tables always in one order (see the definition).
  common::Status internNewNames(const ApplyGroup& group);

  std::mutex write_mu_;
  std::unique_ptr<common::SqlDb> db_;
  std::mutex read_mu_;
  std::unique_ptr<common::SqlDb> reader_;
  Interner devices_{"devices", "device_id", {}, {}, {}, {}, {}, {}};
  Interner locations_{"locations", "name", {}, {}, {}, {}, {}, {}};
  Interner skus_{"skus", "sku", {}, {}, {}, {}, {}, {}};
  common::SqlStmt ins_move_;
  common::SqlStmt ins_event_or_ignore_;  // one staged event
  common::SqlStmt ins_events_many_;      // kInsertRows staged events
  common::SqlStmt ins_moves_many_;       // kInsertRows of their lines
  common::SqlStmt sel_event_by_id_;
  common::SqlStmt sel_onhand_;
  common::SqlStmt up_onhand_;
  common::SqlStmt up_onhand_many_;  // PostgreSQL only: kInsertRows rows per upsert
  common::SqlStmt set_onhand_;
  common::SqlStmt sum_after_;
  common::SqlStmt sel_ref_moves_;
  common::SqlStmt up_device_;
  common::SqlStmt set_epoch_;
  common::SqlStmt ins_quarantine_;
  common::SqlStmt up_state_;
  common::SqlStmt mark_voided_;
  common::SqlStmt ins_anomaly_;
  common::SqlStmt sel_claim_;
  common::SqlStmt ins_price_flag_;
  common::SqlStmt ins_claim_;
  common::SqlStmt set_internal_;
  common::SqlStmt set_conflict_;
  common::SqlStmt switch_epoch_;
  common::SqlStmt sel_event_id_at_;  // on reader_
  common::SqlStmt sel_loc_count_;
  common::SqlStmt ins_loc_count_;
  common::SqlStmt sel_loc_skus_;
  common::SqlStmt match_early_receipt_;
  common::SqlStmt match_shipment_ref_;
  common::SqlStmt match_shipment_fifo_;
  common::SqlStmt ins_transfer_out_;
  common::SqlStmt ins_transfer_in_;
  common::SqlStmt set_transfer_out_;
  common::SqlStmt set_transfer_in_;
  common::SqlStmt set_chain_head_;
  common::SqlStmt set_chain_break_;
  common::SqlStmt ins_chain_kept_;
  LedgerOptions options_;
  int64_t next_ord_ = 1;
  int64_t stock_ver_ = 0;
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      return std::hash<int64_t>()(k.first * 1'000'003 + k.second);
    }
  };
  // on_hand rows as committed, plus this transaction's changes (dirty_). Kept across commits
  // (this ledger is the only writer), dropped whole when a transaction rolls back or it grows
  // past kOnHandCacheMax rows.
  static constexpr size_t kOnHandCacheMax = 2'000'000;
  std::unordered_map<Key, OnHand, KeyHash> onhand_cache_;
  std::vector<Key> dirty_;
  std::function<common::Status()> before_commit_;
  static constexpr int64_t kCheckpointBytes = 125LL * 1024 * 1024;
};

}  // namespace sw::coordinator
