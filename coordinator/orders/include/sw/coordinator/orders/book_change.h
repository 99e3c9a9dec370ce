#pragma once
// What the order book's parts share in their interfaces: the change one write made, for those who
// must react (push scheduler, downlink), and the key of an order.

#include <cstdint>
#include <string>
#include <vector>

namespace sw::coordinator {

struct BookChange {
  std::vector<std::string> skus;       // whose held units changed
  std::vector<std::string> locations;  // whose pick tasks changed
};

struct OrderRef {
  std::string channel;
  std::string order_id;
};

// Units taken off a held allocation that a pick task names: the task line must shrink too.
struct TaskUnitsTaken {
  int64_t allocation_id = 0;
  std::string task_id;
  int64_t units = 0;
};

// The connection, its mutex and the clock the parts of one order book share (src/book_store.h).
struct BookStore;

}  // namespace sw::coordinator
