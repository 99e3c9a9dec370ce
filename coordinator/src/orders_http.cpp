#include "orders_http.h"

#include <nlohmann/json.hpp>

#include "sw/common/http_server.h"
#include "sw/coordinator/pick_tasks.h"

namespace sw::coordinator {

using common::Error;
using nlohmann::json;

json orderJson(const BookOrder& o) {
  json lines = json::array();
  for (const BookLine& l : o.lines) {
    int64_t held = 0, shipped = 0, released = 0, short_units = 0, unrouted = 0;
    for (const BookAllocation& a : o.allocations) {
      if (a.line_id != l.line_id) continue;
      if (a.state == "reserved" || a.state == "tasked") {
        held += a.quantity;
        if (a.location.empty()) unrouted += a.quantity;
      } else if (a.state == "shipped") {
        shipped += a.quantity;
      } else if (a.state == "released") {
        released += a.quantity;
      } else if (a.state == "short") {
        short_units += a.quantity;
      }
    }
    lines.push_back({{"line_id", l.line_id}, {"sku", l.sku}, {"quantity", l.quantity}, {"reserved", held},
                     {"unrouted", unrouted}, {"shipped", shipped}, {"released", released}, {"short", short_units}});
  }
  json allocs = json::array();
  for (const BookAllocation& a : o.allocations) {
    allocs.push_back({{"id", a.id}, {"line_id", a.line_id}, {"sku", a.sku}, {"location", a.location},
                      {"quantity", a.quantity}, {"state", a.state}, {"task_id", a.task_id}});
  }
  json tasks = json::array();
  for (const PickTask& t : o.tasks) {
    json item = taskItem(t);
    item["location"] = t.location;
    item["created_at_ms"] = t.created_at_ms;
    tasks.push_back(std::move(item));
  }
  json fulfilments = json::array();
  for (const Fulfilment& f : o.fulfilments) {
    json fl = json::array();
    for (const TaskLine& l : f.lines) fl.push_back({{"line_id", l.line_id}, {"sku", l.sku}, {"quantity", l.quantity}});
    fulfilments.push_back({{"id", f.id}, {"task_id", f.task_id}, {"location", f.location},
                           {"tracking_number", f.tracking_number}, {"lines", fl}, {"status", f.status},
                           {"attempts", f.attempts}, {"last_error", f.last_error},
                           {"channel_fulfilment_id", f.channel_fulfilment_id}, {"created_at_ms", f.created_at_ms},
                           {"reported_at_ms", f.reported_at_ms}});
  }
  return {{"channel", o.channel}, {"order_id", o.order_id}, {"order_name", o.order_name}, {"status", o.status},
          {"channel_status", o.channel_status}, {"reason", o.reason}, {"ship_to_country", o.ship_to_country},
          {"pickup_location", o.pickup_location}, {"created_at_ms", o.created_at_ms},
          {"updated_at_ms", o.updated_at_ms}, {"lines", lines}, {"allocations", allocs}, {"tasks", tasks},
          {"fulfilments", fulfilments}};
}

void installOrderRoutes(httplib::Server& server, OrderService& orders) {
  server.Post(R"(/v1/channels/([a-z]{1,20})/webhooks)", [&orders](const httplib::Request& req, httplib::Response& res) {
    channels::HeaderList headers;
    for (const auto& [k, v] : req.headers) headers.emplace_back(k, v);
    auto answer = orders.webhook(req.matches[1].str(), headers, req.body);
    res.status = answer.http_status;
    res.set_content(answer.body.dump(), "application/json");
  });
  server.Get("/v1/orders", [&orders](const httplib::Request& req, httplib::Response& res) {
    int64_t limit = 100;
    if (req.has_param("limit")) {
      try {
        limit = std::stoll(req.get_param_value("limit"));
      } catch (const std::exception&) {
        limit = -1;
      }
      if (limit < 1 || limit > 10'000) return common::sendError(res, Error::reject("bad_limit", "limit must be 1-10000"));
    }
    auto list = orders.book().orders(req.get_param_value("status"), limit);
    if (!list) return common::sendError(res, list.error());
    json out = json::array();
    for (const BookOrder& o : *list) out.push_back(orderJson(o));
    res.set_content(json{{"orders", out}}.dump(), "application/json");
  });
  server.Get(R"(/v1/orders/([a-z]{1,20})/([^/]{1,128}))", [&orders](const httplib::Request& req, httplib::Response& res) {
    auto o = orders.book().order(req.matches[1].str(), req.matches[2].str());
    if (!o) return common::sendError(res, o.error());
    if (!*o) return common::sendError(res, Error::reject("not_found", "no such order"));
    res.set_content(orderJson(**o).dump(), "application/json");
  });
  server.Get("/v1/tasks", [&orders](const httplib::Request&, httplib::Response& res) {
    auto tasks = orders.book().openTasks();
    if (!tasks) return common::sendError(res, tasks.error());
    json out = json::array();
    for (const PickTask& t : *tasks) {
      json item = taskItem(t);
      item["location"] = t.location;
      out.push_back(std::move(item));
    }
    res.set_content(json{{"tasks", out}}.dump(), "application/json");
  });
}

}  // namespace sw::coordinator
