#pragma once
// The "tasks" downlink kind: open pick tasks per location, for that location's handhelds.
// Items: {"task_id","order_id","order_name","channel","status","ver","lines":[{"line_id","sku","qty"}]};
// status "open", or "done"/"cancelled" in a run of changes (the device drops the task).
// A snapshot holds only open tasks, in task id order.
//
// Version of a location: the highest task `ver` there (one counter across all tasks, so every
// change to a task gets a new, higher version). Cursors: "s:<task_id>" continues a snapshot,
// "d:<ver>" continues a run of changes.

#include "sw/coordinator/downlink/downlink.h"
#include "sw/coordinator/orders/tasks.h"

namespace sw::coordinator {

class PickTaskProvider final : public DownlinkProvider {
 public:
  explicit PickTaskProvider(TaskBook& tasks) : tasks_(tasks) {}
  std::string kind() const override { return "tasks"; }
  common::Result<int64_t> version(const std::string& location) override { return tasks_.version(location); }
  common::Result<common::DownPage> page(const common::DownRequest& request, const std::string& device,
                                        size_t max_items) override;

 private:
  TaskBook& tasks_;
};

nlohmann::json taskItem(const PickTask& task);

}  // namespace sw::coordinator
