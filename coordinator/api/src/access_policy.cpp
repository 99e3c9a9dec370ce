#include "sw/coordinator/api/access_policy.h"

#include <regex>

namespace sw::coordinator {

namespace {

bool isRead(const std::string& method) { return method == "GET" || method == "HEAD"; }

}  // namespace

bool isPublicRoute(const std::string& method, const std::string& path) {
  // The console page holds no data (it asks for a token and sends it with every call).
  if (isRead(method) && (path == "/" || path == "/healthz")) return true;
  if (method == "POST") {
    // Channel webhooks are authenticated by their HMAC signature (orders/src/routes.cpp).
    static const std::regex kWebhook(R"(/v1/channels/[^/]{1,64}/webhooks)");
    if (std::regex_match(path, kWebhook)) return true;
    // Device enrollment: its credential is the one-time enrollment token in the body.
    if (path == "/v1/enroll") return true;
  }
  return false;
}

RouteAccess routeAccess(const std::string& method, const std::string& path) {
  if (isPublicRoute(method, path)) return RouteAccess::kPublic;
  if (isRead(method)) {
    // Payouts are the business's bank deposits and fees, and the accounting export records each
    // export (the books' own data): admins only. So is customers' personal data. The sales
    // report's money figures: admins, and store managers for their own store (sales_routes.cpp
    // narrows the report to it).
    const bool admin_only = path == "/v1/audit" || path.rfind("/v1/admin/", 0) == 0 ||
                            path == "/v1/settlements" || path.rfind("/v1/settlements/", 0) == 0 ||
                            path.rfind("/v1/exports/", 0) == 0 || path == "/v1/customers" ||
                            path.rfind("/v1/customers/", 0) == 0;
    if (admin_only) return RouteAccess::kAdminRead;
    if (path.rfind("/v1/reports/", 0) == 0) return RouteAccess::kManagerRead;
    return RouteAccess::kRead;
  }
  // A store manager may change its own store's prices; the route checks every row's location.
  if (method == "POST" && path == "/v1/prices") return RouteAccess::kStoreWrite;
  return RouteAccess::kAdminWrite;
}

AccessDecision decideAccess(const Principal& who, const std::string& method, const std::string& path) {
  const RouteAccess access = routeAccess(method, path);
  auto refuse = [&](std::string message) {
    return AccessDecision{false, 403, "forbidden",
                          "token '" + who.name + "' (" + roleName(who.role) + ") may not " + method + " " + path + ": " +
                              std::move(message)};
  };
  switch (access) {
    case RouteAccess::kPublic:
    case RouteAccess::kRead:
      return {true, 200, "", ""};
    case RouteAccess::kAdminRead:
      if (who.role == Role::kAdmin) return {true, 200, "", ""};
      return refuse("only admin tokens read this");
    case RouteAccess::kManagerRead:
      if (who.role == Role::kAdmin || who.role == Role::kStoreManager) return {true, 200, "", ""};
      return refuse("only admin and store_manager tokens read this");
    case RouteAccess::kStoreWrite:
      if (who.role == Role::kAdmin || who.role == Role::kStoreManager) return {true, 200, "", ""};
      return refuse("viewer tokens cannot change anything");
    case RouteAccess::kAdminWrite:
      if (who.role == Role::kAdmin) return {true, 200, "", ""};
      return refuse(who.role == Role::kViewer ? "viewer tokens cannot change anything" : "only admin tokens do this");
  }
  return refuse("unknown route");
}

const std::vector<RouteExample>& apiRoutes() {
  static const std::vector<RouteExample> kAll = {
      {"GET", "/", RouteAccess::kPublic},
      {"GET", "/healthz", RouteAccess::kPublic},
      {"GET", "/metrics", RouteAccess::kRead},
      {"GET", "/v1/stock", RouteAccess::kRead},
      {"GET", "/v1/devices", RouteAccess::kRead},
      {"GET", "/v1/alerts", RouteAccess::kRead},
      {"GET", "/v1/events", RouteAccess::kRead},
      {"GET", "/v1/quarantine", RouteAccess::kRead},
      {"GET", "/v1/anomalies", RouteAccess::kRead},
      {"GET", "/v1/discrepancies", RouteAccess::kRead},
      {"GET", "/v1/transfers", RouteAccess::kRead},
      {"GET", "/v1/kpis", RouteAccess::kRead},
      {"GET", "/v1/whoami", RouteAccess::kRead},
      {"GET", "/v1/stream", RouteAccess::kRead},
      {"GET", "/v1/kpis/history", RouteAccess::kRead},
      {"GET", "/v1/catalog", RouteAccess::kRead},
      {"GET", "/v1/catalog/SKU-1", RouteAccess::kRead},
      {"GET", "/v1/prices", RouteAccess::kRead},
      {"GET", "/v1/price-lists", RouteAccess::kRead},
      {"GET", "/v1/available", RouteAccess::kRead},
      {"GET", "/v1/channels", RouteAccess::kRead},
      {"GET", "/v1/channels/dead-letters", RouteAccess::kRead},
      {"GET", "/v1/orders", RouteAccess::kRead},
      {"GET", "/v1/orders/attention", RouteAccess::kRead},
      {"GET", "/v1/orders/shopify/1", RouteAccess::kRead},
      {"GET", "/v1/tasks", RouteAccess::kRead},
      {"GET", "/v1/wholesale/partners", RouteAccess::kRead},
      {"GET", "/v1/wholesale/partners/acme/unacknowledged", RouteAccess::kRead},
      {"GET", "/v1/wholesale/files", RouteAccess::kRead},
      {"GET", "/v1/audit", RouteAccess::kAdminRead},
      {"GET", "/v1/settlements", RouteAccess::kAdminRead},
      {"GET", "/v1/settlements/shopify/623721858", RouteAccess::kAdminRead},
      {"POST", "/v1/settlements/shopify/fetch", RouteAccess::kAdminWrite},
      {"GET", "/v1/admin/restore", RouteAccess::kAdminRead},
      {"GET", "/v1/reports/sales", RouteAccess::kManagerRead},
      {"GET", "/v1/exports/journal", RouteAccess::kAdminRead},
      {"GET", "/v1/customers", RouteAccess::kAdminRead},
      {"GET", "/v1/customers/cus_0123456789abcdef0123456789abcdef", RouteAccess::kAdminRead},
      {"GET", "/v1/customers/cus_0123456789abcdef0123456789abcdef/export", RouteAccess::kAdminRead},
      {"POST", "/v1/customers/cus_0123456789abcdef0123456789abcdef/erase", RouteAccess::kAdminWrite},
      {"POST", "/v1/admin/restore", RouteAccess::kAdminWrite},
      {"POST", "/v1/catalog", RouteAccess::kAdminWrite},
      {"POST", "/v1/prices", RouteAccess::kStoreWrite},
      {"POST", "/v1/price-lists", RouteAccess::kAdminWrite},
      {"POST", "/v1/channels/dead-letters/1/replay", RouteAccess::kAdminWrite},
      {"POST", "/v1/channels/shopify/reconcile", RouteAccess::kAdminWrite},
      {"POST", "/v1/fulfilments/1/retry", RouteAccess::kAdminWrite},
      {"POST", "/v1/orders/walmart/1/refund", RouteAccess::kAdminWrite},
      {"POST", "/v1/channels/shopify/webhooks", RouteAccess::kPublic},
  };
  return kAll;
}

}  // namespace sw::coordinator
