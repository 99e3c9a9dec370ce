// Fault injection for the channel API (injectFault, called by each API handler) and the
// simulator's own control API:
//   GET  /_sim/health                      {"channel","ok"}
//   GET  /_sim/faults  POST /_sim/faults   {"error_rate","hang_rate","hang_ms","slow_ms","throttle_for_ms",
//                                           "fail_next","hang_next","throttle_next","webhooks","reset"}
//   GET  /_sim/listings[/<sku>]            what each listing holds now
//   POST /_sim/listings                    {"listings":[{"sku","quantity",...}]} seeds listings
//   POST /_sim/orders                      {"lines":[{"sku","quantity","price"}],"currency","country"}
//   POST /_sim/orders/<id>/cancel          POST /_sim/orders/<id>/refund (Shopify)
//   POST /_sim/payouts                     (Shopify: payouts.h)
//   GET  /_sim/orders[/<id>]               each order as the channel holds it: fulfilments, cancelled
//   GET  /_sim/webhooks                    delivery log;  GET /_sim/stats  requests per operation and status

#include "sim_core.h"

namespace sw::channelsim {

// Called first by every channel API handler, after the request body has been read (a
// pre-routing handler would answer before the body is read, and on a keep-alive connection
// the unread body would then be taken for the next request).
bool injectFault(SimContext& ctx, ChannelSim& sim, const httplib::Request& req, httplib::Response& res) {
  if (int64_t slow = ctx.slowMs(); slow > 0) ctx.sleepMs(slow);
  switch (ctx.nextFault()) {
    case SimContext::FaultAction::kError:
      sim.sendServerError(req, res);
      ctx.count("fault:error", res.status);
      return true;
    case SimContext::FaultAction::kHang:
      ctx.sleepMs(ctx.hangMs());
      sendJson(res, 504, {{"message", "Gateway Timeout"}});
      ctx.count("fault:hang", 504);
      return true;
    case SimContext::FaultAction::kThrottle:
      sim.sendThrottled(req, res);
      ctx.count("fault:throttle", res.status);
      return true;
    case SimContext::FaultAction::kNone:
      break;
  }
  return false;
}

void installControl(httplib::Server& server, SimContext& ctx, ChannelSim& sim) {
  auto bad = [](httplib::Response& res, int status, const std::string& message) {
    sendJson(res, status, {{"error", {{"message", message}}}});
  };

  server.Get("/_sim/health", [&ctx](const httplib::Request&, httplib::Response& res) {
    sendJson(res, 200, {{"channel", ctx.options().channel}, {"ok", true}});
  });
  server.Get("/_sim/faults", [&ctx](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, ctx.faultsJson()); });
  server.Post("/_sim/faults", [&ctx, bad](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    std::string error;
    if (body.is_discarded() || !ctx.setFaults(body, &error)) return bad(res, 400, error.empty() ? "body is not JSON" : error);
    sendJson(res, 200, ctx.faultsJson());
  });
  server.Get("/_sim/listings", [&ctx, &sim](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    for (const ListingView& v : sim.listings()) list.push_back(listingJson(v));
    sendJson(res, 200, {{"channel", ctx.options().channel}, {"listings", list}});
  });
  server.Get(R"(/_sim/listings/(.+))", [&sim, bad](const httplib::Request& req, httplib::Response& res) {
    std::string sku = req.matches[1];
    for (const ListingView& v : sim.listings()) {
      if (v.sku == sku) return sendJson(res, 200, listingJson(v));
    }
    bad(res, 404, "no listing with SKU " + sku);
  });
  server.Post("/_sim/listings", [&sim, bad](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("listings") || !body["listings"].is_array()) {
      return bad(res, 400, "expected {\"listings\":[{\"sku\":...,\"quantity\":...}]}");
    }
    std::vector<SeedListing> listings;
    json out;
    std::string error;
    if (!readSeedListings(body, sim.seedRules(), &listings, &error) || !sim.seed(listings, &out, &error)) {
      return bad(res, 400, error);
    }
    sendJson(res, 200, out);
  });
  server.Post("/_sim/orders", [&sim, bad](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("lines") || !body["lines"].is_array() ||
        body["lines"].empty()) {
      return bad(res, 400, "expected {\"lines\":[{\"sku\":...,\"quantity\":...,\"price\":\"9.99\"}]}");
    }
    OrderRequest request;
    json out;
    std::string error;
    if (!readOrderRequest(body, &request, &error) || !sim.createOrder(request, body, &out, &error)) {
      return bad(res, 400, error);
    }
    sendJson(res, 201, out);
  });
  server.Post(R"(/_sim/orders/([^/]+)/cancel)", [&sim, bad](const httplib::Request& req, httplib::Response& res) {
    json out;
    std::string error;
    if (!sim.cancelOrder(req.matches[1], &out, &error)) return bad(res, 404, error);
    sendJson(res, 200, out);
  });
  server.Post(R"(/_sim/orders/([^/]+)/refund)", [&sim, bad](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    json out;
    std::string error;
    if (body.is_discarded() || !sim.refundOrder(req.matches[1], body, &out, &error)) {
      return bad(res, 400, error.empty() ? "body is not JSON" : error);
    }
    sendJson(res, 201, out);
  });
  server.Post("/_sim/payouts", [&sim, bad](const httplib::Request& req, httplib::Response& res) {
    json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    json out;
    std::string error;
    if (body.is_discarded() || !sim.createPayout(body, &out, &error)) {
      return bad(res, 400, error.empty() ? "body is not JSON" : error);
    }
    sendJson(res, 201, out);
  });
  server.Get("/_sim/orders", [&ctx, &sim](const httplib::Request&, httplib::Response& res) {
    sendJson(res, 200, {{"channel", ctx.options().channel}, {"orders", sim.ordersView()}});
  });
  server.Get(R"(/_sim/orders/([^/]+))", [&sim, bad](const httplib::Request& req, httplib::Response& res) {
    json v = sim.orderView(req.matches[1]);
    if (v.is_null()) return bad(res, 404, "no order " + req.matches[1].str());
    sendJson(res, 200, v);
  });
  server.Get("/_sim/webhooks", [&ctx](const httplib::Request&, httplib::Response& res) {
    sendJson(res, 200, {{"deliveries", ctx.webhookLog()}});
  });
  server.Get("/_sim/stats", [&ctx](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, ctx.stats()); });
}

}  // namespace sw::channelsim
