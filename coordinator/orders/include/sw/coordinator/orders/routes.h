#pragma once
// HTTP routes for online orders (cpp-httplib adapter), installed by CoordinatorHttpApi::setOrders:
//   POST /v1/channels/{channel}/webhooks    a channel's webhook delivery (Shopify, WooCommerce):
//        401 bad/missing signature, 200 ping, 200 {"duplicate":true} for a delivery seen before,
//        200 {"orders":[{"order_id","status","new","reason"}]}, 5xx when it should be delivered again
//   GET  /v1/orders?status=S&limit=N        newest first: lines, status, reservations, routing, fulfilment
//   GET  /v1/orders/{channel}/{order_id}    one order, the same shape
//   GET  /v1/tasks?status=open              pick tasks (all locations)
// and the customer book's (customer_routes.cpp; admin only, access_policy.cpp), each naming the
// customer it touched in kAuditSubjectHeader for the audit log (which takes the header off):
//   GET  /v1/customers?email=E | ?channel=C&buyer_id=B   the customer and their orders on every channel
//   GET  /v1/customers/{id}                 the same by id
//   GET  /v1/customers/{id}/export          everything held on them (GDPR art. 15), as one JSON document
//   POST /v1/customers/{id}/erase           their personal data removed, a tombstone left (art. 17, CCPA)

#include <httplib.h>

#include "sw/coordinator/orders/order_service.h"

namespace sw::coordinator {

inline constexpr const char* kAuditSubjectHeader = "X-Stockwire-Audit-Subject";

void addRoutes(httplib::Server& server, OrderService& orders);
void addCustomerRoutes(httplib::Server& server, OrderBook& book);
nlohmann::json orderJson(const BookOrder& order);

}  // namespace sw::coordinator
