#include "sw/coordinator/orders/routes.h"

#include <nlohmann/json.hpp>

#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/common/json_text.h"
#include "sw/coordinator/orders/pick_tasks.h"

namespace sw::coordinator {

using common::Error;
using nlohmann::json;
using common::sendJson;

json orderJson(const BookOrder& o) {
  json lines = json::array();
  for (const BookLine& l : o.lines) {
    int64_t held = 0, shipped = 0, released = 0, short_units = 0, unrouted = 0;
    for (const BookAllocation& a : o.allocations) {
      if (a.line_id != l.line_id) continue;
      switch (a.state) {
        case AllocationState::kReserved:
        case AllocationState::kTasked:
          held += a.quantity;
          if (a.location.empty()) unrouted += a.quantity;
          break;
        case AllocationState::kShipped:
          shipped += a.quantity;
          break;
        case AllocationState::kReleased:
          released += a.quantity;
          break;
        case AllocationState::kShort:
          short_units += a.quantity;
          break;
      }
    }
    lines.push_back({{"line_id", l.line_id}, {"sku", l.sku}, {"quantity", l.quantity}, {"reserved", held},
                     {"unrouted", unrouted}, {"shipped", shipped}, {"released", released}, {"short", short_units}});
  }
  json allocs = json::array();
  for (const BookAllocation& a : o.allocations) {
    allocs.push_back({{"id", a.id}, {"line_id", a.line_id}, {"sku", a.sku}, {"location", a.location},
                      {"quantity", a.quantity}, {"state", toString(a.state)}, {"task_id", a.task_id}});
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
                           {"tracking_number", f.tracking_number}, {"lines", fl}, {"status", toString(f.status)},
                           {"attempts", f.attempts}, {"last_error", f.last_error},
                           {"channel_fulfilment_id", f.channel_fulfilment_id}, {"created_at_ms", f.created_at_ms},
                           {"reported_at_ms", f.reported_at_ms}});
  }
  json restocks = json::array();
  for (const Restock& r : o.restocks) {
    restocks.push_back({{"seq", r.seq}, {"event_id", r.event_id}, {"refund_id", r.refund_id}, {"line_id", r.line_id},
                        {"sku", r.sku}, {"location", r.location}, {"quantity", r.quantity}, {"state", toString(r.state)},
                        {"created_at_ms", r.created_at_ms}, {"applied_at_ms", r.applied_at_ms}});
  }
  json refunds = json::array();
  for (const AppliedRefund& r : o.refunds) {
    refunds.push_back({{"refund_id", r.refund_id}, {"line_id", r.line_id}, {"quantity", r.quantity},
                       {"released", r.released}, {"restocked", r.restocked}, {"at_ms", r.at_ms}});
  }
  json cancel = nullptr;
  if (o.channel_cancel != ChannelCancel::kNone) {
    cancel = {{"state", toString(o.channel_cancel)}, {"error", o.channel_cancel_error}, {"attempts", o.channel_cancel_attempts}};
    if (o.channel_cancel == ChannelCancel::kManual) cancel["needs_manual_cancel"] = true;
  }
  return {{"channel", o.channel}, {"order_id", o.order_id}, {"order_name", o.order_name}, {"status", toString(o.status)},
          {"channel_status", o.channel_status}, {"reason", o.reason}, {"ship_to_country", o.ship_to_country},
          {"pickup_location", o.pickup_location}, {"created_at_ms", o.created_at_ms},
          {"updated_at_ms", o.updated_at_ms}, {"lines", lines}, {"allocations", allocs}, {"tasks", tasks},
          {"fulfilments", fulfilments}, {"channel_cancel", cancel}, {"restocks", restocks}, {"refunds", refunds},
          {"routing", o.routing}};
}

void addRoutes(httplib::Server& server, OrderService& orders) {
  addCustomerRoutes(server, orders.book());
  server.Post(R"(/v1/channels/([^/]{1,64})/webhooks)", [&orders](const httplib::Request& req, httplib::Response& res) {
    channels::HeaderList headers;
    for (const auto& [k, v] : req.headers) headers.emplace_back(k, v);
    auto answer = orders.webhook(req.matches[1].str(), headers, req.body);
    sendJson(res, answer.body, answer.http_status);
  });
  server.Get("/v1/orders", [&orders](const httplib::Request& req, httplib::Response& res) {
    auto limit = common::queryInt(req, "limit", 100, 1, 10'000);
    if (!limit) return common::sendError(res, limit.error());
    std::optional<OrderState> status;
    if (req.has_param("status")) {
      status = parseOrderState(req.get_param_value("status"));
      if (!status) {
        return common::sendError(res, common::Error::reject("bad_param", "status must be accepted, rejected_no_stock, "
                                                                         "partially_shipped, shipped or cancelled"));
      }
    }
    auto list = orders.book().orders(status, *limit);
    if (!list) return common::sendError(res, list.error());
    json out = json::array();
    for (const BookOrder& o : *list) out.push_back(orderJson(o));
    sendJson(res, json{{"orders", out}});
  });
  // What a person must do by hand: fulfilments a channel refused, rejected orders to cancel in the
  // channel's back office (no API) or whose cancellation the channel refused.
  server.Get("/v1/orders/attention", [&orders](const httplib::Request&, httplib::Response& res) {
    auto a = orders.book().attention(500);
    if (!a) return common::sendError(res, a.error());
    json fs = json::array();
    for (const Fulfilment& f : a->failed_fulfilments) {
      json fl = json::array();
      for (const TaskLine& l : f.lines) fl.push_back({{"line_id", l.line_id}, {"sku", l.sku}, {"quantity", l.quantity}});
      fs.push_back({{"id", f.id}, {"channel", f.channel}, {"order_id", f.order_id}, {"location", f.location},
                    {"tracking_number", f.tracking_number}, {"lines", fl}, {"attempts", f.attempts},
                    {"last_error", f.last_error}, {"created_at_ms", f.created_at_ms}});
    }
    json cs = json::array();
    for (const BookOrder& o : a->cancels) {
      cs.push_back({{"channel", o.channel}, {"order_id", o.order_id}, {"order_name", o.order_name},
                    {"status", toString(o.status)}, {"reason", o.reason},
                    {"channel_cancel", toString(o.channel_cancel)},
                    {"needs_manual_cancel", o.channel_cancel == ChannelCancel::kManual}, {"error", o.channel_cancel_error},
                    {"attempts", o.channel_cancel_attempts}, {"updated_at_ms", o.updated_at_ms}});
    }
    sendJson(res, json{{"failed_fulfilments", fs}, {"cancels", cs}});
  });
  server.Post(R"(/v1/fulfilments/(\d{1,18})/retry)", [&orders](const httplib::Request& req, httplib::Response& res) {
    auto ok = orders.book().fulfilments().retry(std::stoll(req.matches[1].str()));
    if (!ok) return common::sendError(res, ok.error());
    if (!*ok) return common::sendError(res, Error::reject("not_found", "no failed fulfilment with this id"));
    orders.ledgerChanged();  // the worker reports it again soon
    sendJson(res, json{{"ok", true}, {"status", "pending"}});
  });
  server.Get(R"(/v1/orders/([a-z]{1,20})/([^/]{1,128}))", [&orders](const httplib::Request& req, httplib::Response& res) {
    auto o = orders.book().order(req.matches[1].str(), req.matches[2].str());
    if (!o) return common::sendError(res, o.error());
    if (!*o) return common::sendError(res, Error::reject("not_found", "no such order"));
    sendJson(res, orderJson(**o));
  });
  // A refund issued at the channel (OrderService::refund): {"lines":[{"line_id","quantity"}],
  // "reason"?: the channel's reason code, "note"?: free text}.
  server.Post(R"(/v1/orders/([a-z]{1,20})/([^/]{1,128})/refund)", [&orders](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    auto bad = [&](const std::string& why) { common::sendError(res, Error::reject("bad_request", why)); };
    if (!body.is_object()) return bad("the body must be a JSON object {\"lines\":[{\"line_id\",\"quantity\"}]}");
    for (const auto& [k, v] : body.items()) {
      if (k != "lines" && k != "reason" && k != "note") return bad("unknown key '" + k.substr(0, 40) + "'");
    }
    channels::RefundRequest request;
    request.order_id = req.matches[2].str();
    for (const char* key : {"reason", "note"}) {
      if (!body.contains(key)) continue;
      if (!body[key].is_string() || body[key].get<std::string>().size() > 500) return bad(std::string(key) + " must be a string of at most 500 bytes");
      (std::string(key) == "reason" ? request.reason : request.note) = body[key].get<std::string>();
    }
    if (!body.contains("lines") || !body["lines"].is_array() || body["lines"].empty() || body["lines"].size() > 500) {
      return bad("lines must be a list of 1 to 500 {\"line_id\",\"quantity\"}");
    }
    for (const json& l : body["lines"]) {
      if (!l.is_object() || !l.contains("line_id") || !l["line_id"].is_string() || l["line_id"].get<std::string>().empty() ||
          l["line_id"].get<std::string>().size() > 128 || !l.contains("quantity") || !l["quantity"].is_number_integer() || l.size() != 2) {
        return bad("each line is {\"line_id\": text, \"quantity\": a whole number}");
      }
      request.lines.push_back({l["line_id"].get<std::string>(), l["quantity"].get<int64_t>()});
    }
    auto r = orders.refund(req.matches[1].str(), request);
    if (!r) return common::sendError(res, r.error());
    json refunds = json::array();
    for (const AppliedRefund& a : r->refunds) {
      refunds.push_back({{"refund_id", a.refund_id}, {"line_id", a.line_id}, {"quantity", a.quantity}, {"released", a.released}});
    }
    json out = {{"ok", true}, {"refunds", refunds}, {"status", r->intake.status}};
    if (!r->book_error.empty()) out["book_error"] = r->book_error;
    sendJson(res, out);
  });
  server.Get("/v1/tasks", [&orders](const httplib::Request&, httplib::Response& res) {
    auto tasks = orders.book().tasks().open();
    if (!tasks) return common::sendError(res, tasks.error());
    json out = json::array();
    for (const PickTask& t : *tasks) {
      json item = taskItem(t);
      item["location"] = t.location;
      out.push_back(std::move(item));
    }
    sendJson(res, json{{"tasks", out}});
  });
}

}  // namespace sw::coordinator
