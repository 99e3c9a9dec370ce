#pragma once
// The order book: online orders as Stockwire took them in, the stock each one holds
// (reservations), where it was routed, the pick tasks sent to stores and warehouses, and the
// fulfilments reported back to the channels.
//
// Storage: its own SQLite file next to the ledger (`<ledger path>.orders`), WAL and
// synchronous=FULL like the ledger, written only through this class. A separate file keeps
// order intake from queueing behind the ledger's large ingest transactions, and the ledger
// never reads it.
//
// Tables:
//   orders(channel, order_id) PK      status (OrderState, states.h), the channel's own status, the
//                                     normalised order as received first (JSON), why it was rejected
//   order_lines(channel, order_id, line_id) PK   sku, quantity, units released by cancel/refund
//   allocations(id)                   units of one line held at one location ("" = not routed yet):
//                                     state reserved -> tasked -> shipped | released | short
//   tasks(task_id) PK                 one pick task per (order, location): lines, status
//                                     open -> done | cancelled, ver (a global counter: the
//                                     downlink version of the task's location)
//   fulfilments(id)                   what was picked and shipped, tracking number, whether the
//                                     channel has been told (pending -> reported)
//   refunds(channel, refund_id, line_id) PK   each refund line applied once, whatever delivery
//                                     brought it: units released from holds, units restocked
//   restocks(seq) PK                  shipped units a refund put back on the shelf, as ledger
//                                     `return` events of the virtual device "coordinator-orders"
//                                     (seq = that device's seq): pending -> applied
//   deliveries(channel, delivery_id)  webhook deliveries seen (dedupe)
//   cursors(channel)                  where order polling resumes
//   ledger_scan(device)               the ledger events already looked at for task confirmations
//
// Held units per (SKU, location) are also kept in memory, changed in the same critical
// section as the rows, so reservedByLocation() is cheap for the availability code.
//
// Threads: every method may be called from any thread (one mutex around the connection).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"
#include "sw/coordinator/channels/availability.h"
#include "sw/coordinator/orders/states.h"

namespace sw::coordinator {

struct BookLine {
  std::string line_id;
  std::string sku;
  int64_t quantity = 0;
  int64_t released = 0;
};

struct BookAllocation {
  int64_t id = 0;
  std::string line_id;
  std::string sku;
  std::string location;  // "" = not routed yet
  int64_t quantity = 0;  // held units (reserved/tasked), or shipped/released/short units
  AllocationState state = AllocationState::kReserved;
  std::string task_id;
};

struct TaskLine {
  std::string line_id;
  std::string sku;
  int64_t quantity = 0;
  int64_t allocation_id = 0;
};

struct PickTask {
  std::string task_id;  // a UUID: the agent's pick events carry it as their ref
  std::string channel;
  std::string order_id;
  std::string order_name;
  std::string location;
  TaskStatus status = TaskStatus::kOpen;
  int64_t ver = 0;
  int64_t created_at_ms = 0;
  std::vector<TaskLine> lines;
  // line_id -> the order line's unit price and currency as the channel gave them: the pick sells
  // at the order's price, so online revenue is in the ledger.
  std::map<std::string, std::pair<std::string, std::string>> line_prices;
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

struct Fulfilment {
  int64_t id = 0;
  std::string channel;
  std::string order_id;
  std::string task_id;
  std::string location;
  std::string tracking_number;
  std::vector<TaskLine> lines;  // picked units (quantity > 0 only)
  FulfilmentStatus status = FulfilmentStatus::kPending;
  int64_t attempts = 0;
  std::string last_error;
  std::string channel_fulfilment_id;
  int64_t created_at_ms = 0;
  int64_t reported_at_ms = 0;
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

// What one change did, for those who must react (push scheduler, downlink).
struct BookChange {
  std::vector<std::string> skus;       // whose held units changed
  std::vector<std::string> locations;  // whose pick tasks changed
};

// What applying one refund line did.
struct RefundResult {
  bool duplicate = false;  // this (refund id, line) was applied before: nothing changed
  BookChange change;
  int64_t released = 0;   // held (unshipped) units no longer reserved
  int64_t restocked = 0;  // shipped units to be put back as stock (a pending Restock)
  std::string location;   // where they go back
};

class OrderBook final : public ReservationView {
 public:
  static common::Result<std::unique_ptr<OrderBook>> open(const std::string& path, const common::Clock& clock);

  // ReservationView: held units (reserved or tasked) per location for this SKU.
  std::map<std::string, int64_t> reservedByLocation(const std::string& sku) override;
  // Held units of a SKU at one location, or every location's.
  int64_t heldAt(const std::string& sku, const std::string& location);

  // Webhook dedupe: true the first time (channel, delivery id) is seen (and remembers it).
  common::Result<bool> firstDelivery(const std::string& channel, const std::string& delivery_id);

  common::Result<std::optional<BookOrder>> order(const std::string& channel, const std::string& order_id);
  // Newest first. status nullopt = any.
  common::Result<std::vector<BookOrder>> orders(std::optional<OrderState> status, int64_t limit);

  // A new order with its lines and its first allocations (and tasks for the routed ones),
  // all in one transaction. allocations[i] must be held (reserved or tasked).
  struct NewOrder {
    BookOrder order;  // lines filled; allocations/tasks ignored
    std::vector<BookAllocation> allocations;
    std::vector<PickTask> tasks;  // their lines name allocations by index into `allocations`
  };
  common::Result<BookChange> insertOrder(const NewOrder& order);

  // Cancelled at the channel: every held unit released, open tasks cancelled.
  common::Result<BookChange> cancelOrder(const std::string& channel, const std::string& order_id,
                                         const std::string& channel_status);
  // Units of one line no longer wanted (refund, line removed): released from held units,
  // unrouted first, then reserved, then those on an open task (the task is re-issued smaller).
  common::Result<BookChange> releaseLine(const std::string& channel, const std::string& order_id,
                                         const std::string& line_id, int64_t quantity);

  // Unrouted held units, oldest first.
  common::Result<std::vector<BookAllocation>> unrouted(int64_t limit);
  struct OrderRef {
    std::string channel;
    std::string order_id;
  };
  common::Result<OrderRef> orderOfAllocation(int64_t allocation_id);
  // Routes `quantity` units of an unrouted allocation to `location` with a new open task.
  common::Result<BookChange> routeAllocation(int64_t allocation_id, const std::string& location,
                                             int64_t quantity, const std::string& task_id);

  common::Result<std::vector<PickTask>> openTasks();
  common::Result<std::optional<PickTask>> task(const std::string& task_id);
  // A task's pick came back: picked[sku] units shipped (per line, in line order); the rest of
  // each line goes back to "" (to be re-routed) and is counted as short. Records a pending
  // fulfilment when anything was picked. Done once: a task that is not open is left alone.
  common::Result<BookChange> completeTask(const std::string& task_id, const std::map<std::string, int64_t>& picked,
                                          const std::string& tracking_number);

  // Downlink (kind "tasks"): versions and pages per location.
  common::Result<int64_t> taskVersion(const std::string& location);
  common::Result<std::vector<PickTask>> tasksChangedAfter(const std::string& location, int64_t after_ver,
                                                          size_t limit);
  common::Result<std::vector<PickTask>> openTasksAt(const std::string& location, const std::string& after_task_id,
                                                    size_t limit);

  common::Result<std::vector<Fulfilment>> pendingFulfilments(int64_t limit);
  common::Status fulfilmentReported(int64_t id, const std::string& channel_fulfilment_id);
  // A try that failed for a reason that may pass (kept pending, retried).
  common::Status fulfilmentFailed(int64_t id, const std::string& error);
  // The channel refused it for good: status failed, shown by attention() until retried.
  common::Status fulfilmentGaveUp(int64_t id, const std::string& error);
  // A person fixed the cause: failed -> pending. False when there is no failed fulfilment with this id.
  common::Result<bool> retryFulfilment(int64_t id);

  // A refund line from the channel, applied once per (channel, refund id, line id): releases up to
  // `quantity` held units of the line; when `restock`, what is left of `quantity` and was shipped
  // (and not restocked before) becomes a pending Restock at `location` ("" = where it shipped from).
  // restock_limit >= 0: the channel's count of the line's restocked units, all refunds together
  // (WooCommerce); the line's restocks never go past it.
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

  // Order polling cursor per channel.
  common::Result<std::pair<std::string, std::string>> cursor(const std::string& channel);
  common::Status setCursor(const std::string& channel, const std::string& updated_since, const std::string& page_token);

  // How far the ledger's events were looked at per device (task confirmations).
  common::Result<uint64_t> scanned(const std::string& device);
  common::Status setScanned(const std::string& device, uint64_t seq);

 private:
  OrderBook(const common::Clock& clock) : clock_(clock) {}
  common::Status init(const std::string& path);
  common::Status loadHeld();
  void hold(const std::string& sku, const std::string& location, int64_t delta);
  common::Result<int64_t> nextVer();
  common::Result<std::vector<PickTask>> readTasks(common::SqliteStmt& st);
  common::Status readTaskLines(PickTask& t);
  common::Status insertTask(const PickTask& t);
  common::Status updateOrderStatus(const std::string& channel, const std::string& order_id);
  // The orders whose (channel, order_id) keys_sql selects, each read whole; bind fills its parameters.
  common::Result<std::vector<BookOrder>> ordersOf(const char* keys_sql,
                                                  const std::function<void(common::SqliteStmt&)>& bind);
  common::Result<std::vector<BookAllocation>> allocationsOf(const std::string& channel, const std::string& order_id);
  common::Result<BookChange> releaseAllocations(const std::vector<BookAllocation>& allocs, int64_t quantity,
                                                BookChange change);

  const common::Clock& clock_;
  std::mutex mu_;
  common::SqliteDb db_;
  std::map<std::string, std::map<std::string, int64_t>> held_;  // sku -> location -> units
  // Changes to held_ made inside the open transaction, applied once it commits.
  std::vector<std::tuple<std::string, std::string, int64_t>> pending_holds_;
};

}  // namespace sw::coordinator
