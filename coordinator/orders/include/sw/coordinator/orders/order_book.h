#pragma once
// The order book: online orders as Stockwire took them in, and what became of them, written only
// through these classes. Its store is SQLite or PostgreSQL (the same SQL through common::SqlDb):
//   - with a SQLite ledger, its own SQLite file next to it (`<ledger path>.orders`), WAL and
//     synchronous=FULL like the ledger: a separate file keeps order intake from queueing behind
//     the ledger's large ingest transactions;
//   - with a PostgreSQL ledger, its tables in the same database (its own connection), so that
//     every coordinator on that database sees one order book (coordinator/README.md).
// The ledger never reads it.
//
// It is split by aggregate, each part owning its tables (one schema, component "orders"):
//   OrderBook (this file, order_book.cpp, refunds.cpp)
//     orders(channel, order_id) PK      status (OrderState, states.h), the channel's own status, the
//                                       normalised order as received first (JSON), why it was
//                                       rejected, the channel cancellation of a rejected order
//     order_lines(channel, order_id, line_id) PK   sku, quantity, units released by cancel/refund
//     refunds(channel, refund_id, line_id) PK      each refund line applied once, whatever delivery
//                                       brought it: units released from holds, units restocked
//     restocks(seq) PK                  shipped units a refund put back on the shelf (or units picked
//                                       for a task no longer open: kLatePickRef), as ledger
//                                       `return` events of the virtual device "coordinator-orders"
//                                       (seq = that device's seq): pending -> applied
//   Holds (holds.h)                     allocations: the units each order line holds where
//   TaskBook (tasks.h)                  tasks, task_lines, counters: pick tasks and their versions
//   FulfilmentBook (fulfilments.h)      fulfilments: what shipped and whether the channel was told
//   IntakeProgress (intake_progress.h)  deliveries, cursors, ledger_scan
//   CustomerBook (customers.h)          customers, customer_orders: the buyers' personal data
// A change that spans parts (a new order, a cancel, a route, a pick coming back, a task withdrawn
// from an offline location, a refund) is an OrderBook method: one transaction over every part it touches. The parts answer reads and their
// own single-table writes.
//
// Threads: every method of every part may be called from any thread (one mutex around the
// connection, shared by the parts).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/build_info.h"
#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/common/sql.h"
#include "sw/coordinator/orders/book_change.h"
#include "sw/coordinator/orders/customers.h"
#include "sw/coordinator/orders/fulfilments.h"
#include "sw/coordinator/orders/holds.h"
#include "sw/coordinator/orders/intake_progress.h"
#include "sw/coordinator/orders/states.h"
#include "sw/coordinator/orders/tasks.h"

namespace sw::coordinator {

struct BookLine {
  std::string line_id;
  std::string sku;
  int64_t quantity = 0;
  int64_t released = 0;
};

// Shipped units a channel refund put back as stock.
struct Restock {
  int64_t seq = 0;  // the virtual device's seq (gapless, in order)
  std::string event_id;
  std::string channel;
  std::string order_id;
  std::string refund_id;
  std::string line_id;
  std::string sku;
  std::string location;
  int64_t quantity = 0;
  RestockState state = RestockState::kPending;
  int64_t created_at_ms = 0;
  int64_t applied_at_ms = 0;
};

// One refund line as applied (the refunds table): what it released and restocked.
struct AppliedRefund {
  std::string refund_id;
  std::string line_id;
  int64_t quantity = 0;
  int64_t released = 0;
  int64_t restocked = 0;
  int64_t at_ms = 0;
};

inline constexpr const char* kRestockDevice = "coordinator-orders";
// A Restock's refund_id for units a device picked for a task that was no longer open (withdrawn
// from an offline location, or its order cancelled): this prefix and the task id. Such restocks
// are not refunds: they never count against a refund's restock limit.
inline constexpr std::string_view kLatePickRef = "late_pick:";

// Units of a withdrawn task's line sent to another location (OrderBook::withdrawTask).
struct TaskMove {
  std::string line_id;
  std::string location;
  int64_t quantity = 0;
};

struct BookOrder {
  std::string channel;
  std::string order_id;
  std::string order_name;
  OrderState status = OrderState::kAccepted;
  std::string channel_status;
  std::string reason;  // why rejected, or notes
  std::string ship_to_country;
  std::string pickup_location;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  nlohmann::json normalized;  // the order as first received (channels::toJson)
  // How it was routed (routing.h toJson(RoutePlan): where the customer is and how that was found,
  // the options weighed and their costs), with "reroutes": the plans of later re-routes. null: none.
  nlohmann::json routing;
  std::vector<BookLine> lines;
  std::vector<BookAllocation> allocations;
  std::vector<PickTask> tasks;
  std::vector<Fulfilment> fulfilments;
  ChannelCancel channel_cancel = ChannelCancel::kNone;
  std::string channel_cancel_error;
  int64_t channel_cancel_attempts = 0;
  std::vector<Restock> restocks;
  std::vector<AppliedRefund> refunds;  // each (refund id, line) once, in the order applied
};

// What applying one refund line did.
struct RefundResult {
  bool duplicate = false;  // this (refund id, line) was applied before: nothing changed
  BookChange change;
  int64_t released = 0;   // held (unshipped) units no longer reserved
  int64_t restocked = 0;  // shipped units to be put back as stock (a pending Restock)
  std::string location;   // where they go back
};

class OrderBook {
 public:
  // target: a SQLite file, or a postgresql:// URL.
  static common::Result<std::unique_ptr<OrderBook>> open(const std::string& target, const common::Clock& clock);
  // The schema version open() brings its tables to (for --version).
  static common::SchemaVersion schemaVersion();
  // The steps of its schema, in order: step i takes version i to i+1 (tests build a file of each
  // earlier version from them).
  static const std::vector<std::string>& schemaSteps();
  ~OrderBook();
  OrderBook(const OrderBook&) = delete;
  OrderBook& operator=(const OrderBook&) = delete;

  // PostgreSQL: every write over the parts (insertOrder, cancelOrder, releaseLine, routeAllocation,
  // completeTask, withdrawTask, restockLatePick, applyRefund) first reads the ledger's writer lease row FOR SHARE in its own
  // transaction and is refused (fatal "lease_lost") unless the lease still has this token
  // (SqlLedger::leaseToken): a coordinator whose lease another has taken cannot reserve, route or
  // complete anything after the takeover, and a takeover waits for a write in flight to end. The
  // parts' own single-row writes (a fulfilment reported, a cancel's outcome, intake cursors) are
  // not fenced. Set before use; 0 (the default) fences nothing.
  void fenceWith(int64_t writer_lease_token);

  // Moving a SQLite order book (`<local-db>.orders`, where releases before the PostgreSQL order
  // book kept it beside a PostgreSQL ledger) into this one (book_import.cpp). The file is opened
  // and brought to this build's schema first; then every row of every table is copied in one
  // transaction (fenced as above), row counts checked, identity sequences moved past the copied
  // ids, and the counter `imported_sqlite_book` set, so a second import of the same file is known
  // for what it is (already_imported: every order of the file is in the book; nothing copied).
  // Refused ("book_not_empty", nothing written) when this book already holds orders or tasks of
  // its own, or took in a book before and the file holds orders it lacks: two books are never
  // merged. SQLite books cannot import (bad_option).
  struct ImportOutcome {
    bool already_imported = false;      // the file was taken in before: nothing copied
    std::map<std::string, int64_t> rows;  // table -> rows copied
  };
  common::Result<ImportOutcome> importSqliteBook(const std::string& sqlite_path);
  // The tables of the order book, the same on both stores (what importSqliteBook copies).
  static const std::vector<std::string>& tableNames();

  // The parts (see the top of this file).
  Holds& holds() { return *holds_; }
  TaskBook& tasks() { return *tasks_; }
  FulfilmentBook& fulfilments() { return *fulfilments_; }
  IntakeProgress& progress() { return *progress_; }
  CustomerBook& customers() { return *customers_; }

  common::Result<std::optional<BookOrder>> order(const std::string& channel, const std::string& order_id);
  // Newest first. status nullopt = any.
  common::Result<std::vector<BookOrder>> orders(std::optional<OrderState> status, int64_t limit);

  // A new order with its lines and its first allocations (and tasks for the routed ones),
  // all in one transaction. allocations[i] must be held (reserved or tasked).
  struct NewOrder {
    BookOrder order;  // lines filled; allocations/tasks ignored
    std::vector<BookAllocation> allocations;
    std::vector<PickTask> tasks;  // their lines name allocations by index into `allocations`
    channels::CustomerContact customer;  // recorded in the customer book (nothing personal: nothing)
  };
  common::Result<BookChange> insertOrder(const NewOrder& order);

  // Cancelled at the channel: every held unit released, open tasks cancelled.
  common::Result<BookChange> cancelOrder(const std::string& channel, const std::string& order_id,
                                         const std::string& channel_status);
  // Units of one line no longer wanted (refund, line removed): released from held units,
  // unrouted first, then reserved, then those on an open task (the task is re-issued smaller).
  common::Result<BookChange> releaseLine(const std::string& channel, const std::string& order_id,
                                         const std::string& line_id, int64_t quantity);
  // Routes `quantity` units of an unrouted allocation (Holds::unrouted) to `location` with a new open task.
  // Customer-data retention: for orders that are over (shipped, cancelled, rejected) and last
  // changed before before_ms, removes where the customer is: normalized.ship_to (postal code, city,
  // region) and the ship_to point of routing and of each re-route (the source, options and costs
  // stay), and who they are: the order's buyer record in the customer book (name, email, phone,
  // address, buyer id). A customer none of whose orders holds personal data any more is
  // tombstoned ("retention"). At most `limit` orders a call; returns how many were erased.
  common::Result<int64_t> eraseShipTo(int64_t before_ms, int64_t limit);
  // Erasure on request (GDPR art. 17, CCPA): every order of the customer loses what eraseShipTo
  // removes, whatever its state and age, and the customer is tombstoned ("request"), in one
  // transaction. Order lines, quantities, amounts, allocations, fulfilments, refunds and the
  // ledger are not touched. not_found for an unknown id; a second erasure clears nothing more.
  common::Result<Erasure> eraseCustomer(const std::string& customer_id);
  // Appends a re-route's plan (toJson(RoutePlan)) to the order's routing["reroutes"], keeping the
  // last kMaxReroutesKept.
  common::Status recordReroute(const std::string& channel, const std::string& order_id, const nlohmann::json& plan);
  static constexpr size_t kMaxReroutesKept = 10;
  common::Result<BookChange> routeAllocation(int64_t allocation_id, const std::string& location,
                                             int64_t quantity, const std::string& task_id);
  // An open task withdrawn from its location (every device there offline too long, OrderService):
  // the task cancelled (a new version: its devices drop it from their downlink), its held units
  // moved to the locations `moves` names, one new open task per location, and `reroute` appended
  // to routing["reroutes"], all in one transaction. The moves must place every unit of every line
  // of the task (bad_moves otherwise): a task moves whole or not at all. Refused with not_open when
  // the task is no longer open (its pick came back first): nothing changes.
  common::Result<BookChange> withdrawTask(const std::string& task_id, const std::vector<TaskMove>& moves,
                                          const nlohmann::json& reroute);
  // A device's pick for a task that was no longer open (withdrawn or cancelled) reached the
  // ledger: picked[sku] units sold at the task's location that no order will ship. Each becomes a
  // pending Restock there (refund_id kLatePickRef + task id), once per task: a second call for
  // the same task (the event read again after a restart) restocks nothing. Returns the units.
  common::Result<int64_t> restockLatePick(const std::string& task_id, const std::map<std::string, int64_t>& picked);
  // A task's pick came back: picked[sku] units shipped (per line, in line order); the rest of
  // each line goes back to "" (to be re-routed) and is counted as short. Records a pending
  // fulfilment when anything was picked. Done once: a task that is not open is left alone.
  common::Result<BookChange> completeTask(const std::string& task_id, const std::map<std::string, int64_t>& picked,
                                          const std::string& tracking_number);

  // Refunds (refunds.cpp). A refund line from the channel, applied once per (channel, refund id,
  // line id): releases up to `quantity` held units of the line; when `restock`, what is left of
  // `quantity` and was shipped (and not restocked before) becomes a pending Restock at `location`
  // ("" = where it shipped from). restock_limit >= 0: the channel's count of the line's restocked
  // units, all refunds together (WooCommerce); the line's restocks never go past it.
  common::Result<RefundResult> applyRefund(const std::string& channel, const std::string& order_id,
                                           const std::string& refund_id, const std::string& line_id, int64_t quantity,
                                           bool restock, const std::string& location, int64_t restock_limit = -1);
  // Units per line of every refund applied to this order so far.
  common::Result<std::map<std::string, int64_t>> refundedUnits(const std::string& channel, const std::string& order_id);
  common::Result<std::vector<Restock>> pendingRestocks(int64_t limit);
  // Restocks up to this seq are in the ledger.
  common::Status restocksApplied(int64_t up_to_seq);

  // Channel cancellation of rejected orders.
  common::Result<std::vector<BookOrder>> ordersToCancel(int64_t limit);
  common::Status setChannelCancel(const std::string& channel, const std::string& order_id, ChannelCancel state,
                                  const std::string& error);
  // What a person must look at: failed fulfilments, cancels that are manual or failed.
  struct Attention {
    std::vector<Fulfilment> failed_fulfilments;
    std::vector<BookOrder> cancels;  // channel_cancel manual or failed (lines and allocations not filled)
  };
  common::Result<Attention> attention(int64_t limit);
  // How many orders are in each state (states with none are left out).
  common::Result<std::map<OrderState, int64_t>> countByState();
  // Figures for the KPIs (api/kpi_figures.h, coordinator/README.md "KPIs" defines them).
  struct KpiFigures {
    // Orders shipped (nothing held any more, something shipped) whose every fulfilment the
    // channel has answered (none pending): the orders whose outcome is known; those whose last
    // parcel was picked in (after, until] (so a report's days count the orders they shipped).
    int64_t shipped_settled = 0;
    // Of those, the ones shipped complete and on time: every line with a SKU shipped its units in
    // full (ordered less released by cancel or refund before shipping), every fulfilment reported
    // (the channel accepted it; a refused one is failed), and every parcel picked within
    // kShipOnTimeMs of the order's intake (orders carry no promised ship date).
    int64_t shipped_complete = 0;
    // Refund lines applied in (after, until]: the units that had shipped (refunded less released
    // from holds), i.e. units sold and then refunded.
    int64_t refunded_shipped_units = 0;
    // Units of the orders taken in during (after, until], rejected ones left out, by channel.
    std::map<std::string, int64_t> ordered_units_by_channel;
  };
  // location: only orders with a parcel picked there (refunded_shipped_units and
  // ordered_units_by_channel are not narrowed: the book keeps no location for them); "" = all.
  common::Result<KpiFigures> kpiFigures(int64_t after_ms, int64_t until_ms, const std::string& location = "");
  // On time: picked (its fulfilment recorded) within two days of the order's intake.
  static constexpr int64_t kShipOnTimeMs = 48LL * 3'600'000;

 private:
  explicit OrderBook(const common::Clock& clock);
  common::Status init(const std::string& target);
  // One write over the parts: the lock, a transaction, fn, and the held units fn staged applied
  // to memory only once the transaction commits (on an error, nothing is kept).
  common::Status write(const std::function<common::Status()>& fn);
  common::Status updateOrderStatusLocked(const OrderRef& order);
  // Releases up to `quantity` held units of allocs (in their order) and shrinks their tasks.
  common::Result<BookChange> releaseLocked(const std::vector<BookAllocation>& allocs, int64_t quantity);
  // The orders whose (channel, order_id) keys_sql selects, each read whole; bind fills its parameters.
  common::Result<std::vector<BookOrder>> ordersOf(const char* keys_sql,
                                                  const std::function<void(common::SqlStmt&)>& bind);
  common::Result<std::optional<BookOrder>> orderLocked(const OrderRef& ref);
  common::Status readRefundsLocked(BookOrder& o);
  // routing["reroutes"] of the order gains `plan`, keeping the last kMaxReroutesKept.
  common::Status appendRerouteLocked(const OrderRef& order, const nlohmann::json& plan);
  // eraseShipTo and eraseCustomer: each order's shipping place and buyer record cleared; *erased
  // counts the orders that had something to clear.
  common::Status erasePersonalLocked(const std::vector<OrderRef>& orders, int64_t now_ms, int64_t* erased);

  std::unique_ptr<BookStore> store_;
  std::unique_ptr<Holds> holds_;
  std::unique_ptr<TaskBook> tasks_;
  std::unique_ptr<FulfilmentBook> fulfilments_;
  std::unique_ptr<IntakeProgress> progress_;
  std::unique_ptr<CustomerBook> customers_;
};

}  // namespace sw::coordinator
