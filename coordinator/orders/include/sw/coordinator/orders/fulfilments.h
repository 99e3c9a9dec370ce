#pragma once
// Fulfilments: what a pick task shipped (units per line, tracking number), and whether the
// channel has been told (table `fulfilments`; FulfilmentStatus pending -> reported, or failed
// when the channel refused it for good, until a person retries it).
//
// Every method may be called from any thread; a fulfilment is recorded by OrderBook::completeTask.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sw/common/result.h"
#include "sw/common/sql.h"
#include "sw/coordinator/orders/book_change.h"
#include "sw/coordinator/orders/states.h"
#include "sw/coordinator/orders/tasks.h"

namespace sw::coordinator {

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

class FulfilmentBook {
 public:
  explicit FulfilmentBook(BookStore& store) : store_(store) {}
  FulfilmentBook(const FulfilmentBook&) = delete;
  FulfilmentBook& operator=(const FulfilmentBook&) = delete;

  // Oldest first.
  common::Result<std::vector<Fulfilment>> pending(int64_t limit);
  // Those the channel refused for good, newest first (the attention list).
  common::Result<std::vector<Fulfilment>> failed(int64_t limit);
  common::Status reported(int64_t id, const std::string& channel_fulfilment_id);
  // A try that failed for a reason that may pass (kept pending, retried).
  common::Status triedAndFailed(int64_t id, const std::string& error);
  // The channel refused it for good: status failed, in failed() until retried.
  common::Status gaveUp(int64_t id, const std::string& error);
  // A person fixed the cause: failed -> pending. False when there is no failed fulfilment with this id.
  common::Result<bool> retry(int64_t id);

 private:
  friend class OrderBook;
  // The caller holds the lock, inside a transaction.
  common::Status recordLocked(const PickTask& t, const std::vector<TaskLine>& shipped, const std::string& tracking);
  common::Result<std::vector<Fulfilment>> ofOrderLocked(const OrderRef& order);
  common::Result<std::vector<Fulfilment>> queryLocked(const char* where_order_limit,
                                                      const std::function<void(common::SqlStmt&)>& bind);

  BookStore& store_;
};

}  // namespace sw::coordinator
