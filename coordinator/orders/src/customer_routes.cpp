// HTTP routes of the customer book (routes.h lists them; cpp-httplib adapter).

#include <nlohmann/json.hpp>

#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/coordinator/orders/routes.h"

namespace sw::coordinator {

using common::Error;
using common::sendJson;
using nlohmann::json;

namespace {

constexpr const char* kIdPattern = R"(/v1/customers/(cus_[0-9a-f]{32}))";

// The customer with each order's current state from the order book (order name, status, when).
json withOrderStates(OrderBook& book, const Customer& c) {
  json out = toJson(c);
  for (json& o : out["orders"]) {
    auto order = book.order(o["channel"].get<std::string>(), o["order_id"].get<std::string>());
    if (order && *order) {
      o["order_name"] = (*order)->order_name;
      o["status"] = toString((*order)->status);
      o["created_at_ms"] = (*order)->created_at_ms;
    }
  }
  return out;
}

void sendCustomer(httplib::Response& res, OrderBook& book, const common::Result<std::optional<Customer>>& c) {
  if (!c) return common::sendError(res, c.error());
  if (!*c) {
    res.set_header(kAuditSubjectHeader, "none");
    return common::sendError(res, 404, Error::reject("not_found", "no such customer"));
  }
  res.set_header(kAuditSubjectHeader, (*c)->id);
  sendJson(res, withOrderStates(book, **c));
}

}  // namespace

void addCustomerRoutes(httplib::Server& server, OrderBook& book) {
  server.Get("/v1/customers", [&book](const httplib::Request& req, httplib::Response& res) {
    if (req.has_param("email")) return sendCustomer(res, book, book.customers().byEmail(req.get_param_value("email")));
    if (req.has_param("channel") && req.has_param("buyer_id")) {
      return sendCustomer(res, book,
                          book.customers().byBuyer(req.get_param_value("channel"), req.get_param_value("buyer_id")));
    }
    // No listing of every customer: a person is looked up for a reason, by what they gave.
    common::sendError(res, Error::reject("bad_param", "give email=E, or channel=C and buyer_id=B"));
  });
  server.Get(kIdPattern, [&book](const httplib::Request& req, httplib::Response& res) {
    sendCustomer(res, book, book.customers().byId(req.matches[1].str()));
  });
  // Everything held on one person (GDPR art. 15): their contact, what each order said about them,
  // and each order as the order book holds it (lines, amounts, routing, fulfilment).
  server.Get(std::string(kIdPattern) + "/export", [&book](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1].str();
    res.set_header(kAuditSubjectHeader, id);
    auto c = book.customers().byId(id);
    if (!c) return common::sendError(res, c.error());
    if (!*c) return common::sendError(res, 404, Error::reject("not_found", "no such customer"));
    json orders = json::array();
    for (const CustomerOrder& co : (*c)->orders) {
      auto order = book.order(co.channel, co.order_id);
      if (!order) return common::sendError(res, order.error());
      orders.push_back({{"buyer", toJson(co)}, {"order", *order ? orderJson(**order) : json(nullptr)}});
    }
    json doc = {{"format", "stockwire-customer-export/1"},
                {"customer", toJson(**c)},
                {"orders", std::move(orders)},
                {"held",
                 "the coordinator's order book only: the customer record and each order's buyer record (name, email, "
                 "phone, shipping address, the channel's buyer id) until erased or until the retention after the "
                 "order is over; each order's shipping postal code, city and region for routing, as long; never on a "
                 "device (pick tasks carry the order number, SKUs and quantities)"}};
    res.set_header("Content-Disposition", "attachment; filename=\"" + id + ".json\"");
    sendJson(res, doc);
  });
  // Erasure (GDPR art. 17, CCPA deletion): personal fields removed, a tombstone left; the ledger,
  // order lines, amounts, revenue and journal figures are not touched (OrderBook::eraseCustomer).
  server.Post(std::string(kIdPattern) + "/erase", [&book](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1].str();
    res.set_header(kAuditSubjectHeader, id);
    auto e = book.eraseCustomer(id);
    if (!e) return common::sendError(res, e.error());
    sendJson(res, {{"customer_id", e->customer_id}, {"orders_erased", e->orders}, {"already_erased", e->already_erased}});
  });
}

}  // namespace sw::coordinator
