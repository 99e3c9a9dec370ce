#pragma once
// Holds: the stock orders hold, one row per lot of units of one order line at one location
// (table `allocations`; location "" = not routed yet). State reserved -> tasked -> shipped |
// released | short (AllocationState, states.h). Held units (reserved or tasked) per (SKU,
// location) are also kept in memory, changed only once the transaction that changed the rows
// commits, so reservedByLocation() is cheap for the availability code.
//
// The reads below lock the order book; the writes are made by OrderBook inside its transactions.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "sw/common/result.h"
#include "sw/coordinator/channels/availability.h"
#include "sw/coordinator/orders/book_change.h"
#include "sw/coordinator/orders/states.h"

namespace sw::coordinator {

struct BookAllocation {
  int64_t id = 0;
  std::string line_id;
  std::string sku;
  std::string location;  // "" = not routed yet
  int64_t quantity = 0;  // held units (reserved/tasked), or shipped/released/short units
  AllocationState state = AllocationState::kReserved;
  std::string task_id;
};

class Holds final : public ReservationView {
 public:
  explicit Holds(BookStore& store) : store_(store) {}
  Holds(const Holds&) = delete;
  Holds& operator=(const Holds&) = delete;

  // ReservationView: held units (reserved or tasked) per location for this SKU.
  std::map<std::string, int64_t> reservedByLocation(const std::string& sku) override;
  // Held units of a SKU at one location.
  int64_t heldAt(const std::string& sku, const std::string& location);
  // Unrouted held units, oldest first.
  common::Result<std::vector<BookAllocation>> unrouted(int64_t limit);
  common::Result<OrderRef> orderOf(int64_t allocation_id);

 private:
  friend class OrderBook;
  // An unrouted allocation, as routeAllocation() reads it.
  struct Unrouted {
    OrderRef order;
    std::string line_id;
    std::string sku;
    int64_t quantity = 0;
  };

  // All below: the caller holds the lock, inside a transaction.
  common::Status loadLocked();
  common::Result<std::vector<BookAllocation>> ofOrderLocked(const OrderRef& order);
  common::Result<int64_t> insertLocked(const OrderRef& order, const BookAllocation& a);
  common::Status setLocked(int64_t id, int64_t quantity, AllocationState state);
  common::Result<Unrouted> unroutedLocked(int64_t id);
  // Takes units off an allocation (the row goes when none are left).
  common::Status takeLocked(int64_t id, int64_t units, int64_t had);
  // Releases up to `quantity` held units from allocs, in their order; *skus gains those changed.
  common::Result<std::vector<TaskUnitsTaken>> releaseLocked(const std::vector<BookAllocation>& allocs, int64_t quantity,
                                                   std::vector<std::string>* skus);
  // A change to the held units, applied to memory by applyStaged() once the transaction commits.
  void stage(const std::string& sku, const std::string& location, int64_t delta);
  void applyStaged();
  void dropStaged() { staged_.clear(); }

  BookStore& store_;
  std::map<std::string, std::map<std::string, int64_t>> held_;  // sku -> location -> units
  std::vector<std::tuple<std::string, std::string, int64_t>> staged_;
};

}  // namespace sw::coordinator
