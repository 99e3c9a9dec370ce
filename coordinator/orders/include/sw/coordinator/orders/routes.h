#pragma once
// HTTP routes for online orders (cpp-httplib adapter), installed by CoordinatorHttpApi::setOrders:
//   POST /v1/channels/{channel}/webhooks    a channel's webhook delivery (Shopify, WooCommerce):
//        401 bad/missing signature, 200 ping, 200 {"duplicate":true} for a delivery seen before,
//        200 {"orders":[{"order_id","status","new","reason"}]}, 5xx when it should be delivered again
//   GET  /v1/orders?status=S&limit=N        newest first: lines, status, reservations, routing, fulfilment
//   GET  /v1/orders/{channel}/{order_id}    one order, the same shape
//   GET  /v1/tasks?status=open              pick tasks (all locations)

#include <httplib.h>

#include "sw/coordinator/orders/order_service.h"

namespace sw::coordinator {

void addRoutes(httplib::Server& server, OrderService& orders);
nlohmann::json orderJson(const BookOrder& order);

}  // namespace sw::coordinator
