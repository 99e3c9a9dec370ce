#include "sw/coordinator/orders/pick_tasks.h"

#include <charconv>

namespace sw::coordinator {

using common::Error;
using nlohmann::json;

json taskItem(const PickTask& t) {
  json lines = json::array();
  for (const TaskLine& l : t.lines) {
    json jl = {{"line_id", l.line_id}, {"sku", l.sku}, {"qty", l.quantity}};
    if (auto p = t.line_prices.find(l.line_id); p != t.line_prices.end()) {
      jl["unit_price"] = p->second.amount.toString();
      if (!p->second.currency.empty()) jl["currency"] = p->second.currency;
    }
    lines.push_back(std::move(jl));
  }
  return {{"task_id", t.task_id}, {"order_id", t.order_id}, {"order_name", t.order_name}, {"channel", t.channel},
          {"status", toString(t.status)}, {"ver", t.ver}, {"lines", lines}};
}

common::Result<common::DownPage> PickTaskProvider::page(const common::DownRequest& req, const std::string&,
                                                        size_t max_items) {
  common::DownPage out;
  out.kind = kind();
  out.location = req.location;
  const std::string& c = req.cursor;
  if (max_items == 0) max_items = 1;
  if (req.have == 0 || c.rfind("s:", 0) == 0) {
    // Read the version first: a task that changes while the pages are read gets a higher one
    // and follows as a change.
    auto ver = tasks_.version(req.location);
    if (!ver) return ver.error();
    auto tasks = tasks_.openAt(req.location, c.empty() ? "" : c.substr(2), max_items + 1);
    if (!tasks) return tasks.error();
    out.snapshot = true;
    out.more = tasks->size() > max_items;
    if (out.more) tasks->resize(max_items);
    for (const PickTask& t : *tasks) out.items.push_back(taskItem(t));
    out.version = c.empty() ? *ver : req.have;
    if (out.more) out.cursor = "s:" + tasks->back().task_id;
    return out;
  }
  auto cursor = common::parseDeltaCursor(c, false);
  if (!cursor) return cursor.error();
  int64_t after = *cursor ? (*cursor)->version : req.have;
  auto tasks = tasks_.changedAfter(req.location, after, max_items + 1);
  if (!tasks) return tasks.error();
  out.more = tasks->size() > max_items;
  if (out.more) tasks->resize(max_items);
  for (const PickTask& t : *tasks) out.items.push_back(taskItem(t));
  if (out.more) {
    out.version = req.have;
    out.cursor = common::deltaCursor(tasks->back().ver);
  } else {
    out.version = tasks->empty() ? std::max(req.have, after) : std::max(req.have, tasks->back().ver);
  }
  return out;
}

}  // namespace sw::coordinator
