#pragma once
// Pick tasks on the device: the coordinator routes online order lines to this location and
// sends a pick task down (downlink kind "tasks"); staff pick with the handheld
// (`stockwire-agent handheld`, command `pick`), which confirms through the local API.
//
// Table (created here, CREATE TABLE IF NOT EXISTS, beside the store's own schema):
//   pick_tasks(task_id PK, location, order_id, order_name, channel, lines JSON, ver, gen,
//              confirmed_seq, confirmed_at_ms)   confirmed_seq: the pick's first event in the outbox
//
// Confirming a task records, in one transaction (Store::recordMany):
//   - a `sale` event of the picked units, ref = task id: the units leave this location's stock
//     for the buyer (the coordinator turns the order's reservation here into shipped units);
//   - for each SKU picked short, a `count` of 0, ref = task id: the picker took every unit
//     there was, so the bin is empty now; the coordinator re-routes the short units elsewhere.
// Idempotency keys "task:<id>/pick" and "task:<id>/short" make a repeated confirm a no-op that
// answers with the first result. A task the coordinator reports done or cancelled is dropped
// from pick_tasks and kept 30 days in pick_tasks_closed(task_id, status, confirmed_seq,
// closed_at_ms): confirming it then is refused with 409 task_already_done (a task is done once;
// tasks go to every device at the location). Should two devices confirm before either hears,
// the coordinator keeps the first and moves no stock for the second (anomaly
// task_already_confirmed at GET /v1/anomalies).

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/agent/downlink.h"
#include "sw/agent/store.h"

namespace sw::agent {

// Creates the pick_tasks table if it is missing (idempotent).
common::Status ensurePickTaskTable(Store& store);
// The version ensurePickTaskTable brings them to (component agent_tasks).
common::SchemaVersion pickTaskSchemaVersion();

class PickTaskHandler final : public DownlinkHandler {
 public:
  std::string kind() const override { return "tasks"; }
  common::Status apply(common::SqliteDb& db, const common::DownPage& page, int64_t generation) override;
  common::Status finishSnapshot(common::SqliteDb& db, const std::string& location, int64_t generation) override;
};

// GET /v1/tasks: {"tasks":[{"task_id","order_id","order_name","channel","location","lines":[{"sku","qty","line_id"}]}]}
// Tasks confirmed here are left out (the coordinator has not seen the pick yet, or just did).
common::Result<nlohmann::json> listPickTasks(Store& store);

// POST /v1/tasks/{id}/confirm {"lines":[{"sku","picked"}]}: records the pick (see above).
// Errors: not_found (no such open task here), bad_request (shape), over_pick (more than asked).
// Answer: {"task_id","seq":[..],"picked":N,"short":N,"duplicate":bool}.
common::Result<nlohmann::json> confirmPickTask(Store& store, const std::string& task_id, const std::string& body);

}  // namespace sw::agent
