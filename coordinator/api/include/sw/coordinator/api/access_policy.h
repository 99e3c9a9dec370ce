#pragma once
// Which role may call which route of the coordinator's API: one table, no I/O. The README's
// "Access" table says the same in words; tests/security iterates over kRoutes.

#include <string>
#include <vector>

#include "sw/coordinator/api/access.h"

namespace sw::coordinator {

enum class RouteAccess {
  kPublic,      // no token: the console page (holds no data), liveness, channel webhooks (HMAC), enrollment
  kRead,        // any role
  kAdminRead,   // admin only (the audit log, the accounting export)
  kManagerRead, // admin and store managers (the sales report)
  kStoreWrite,  // admin; a store manager for its own location only (checked by the route on its rows)
  kAdminWrite,  // admin only
};

// The routes that need no bearer token: the one place that lists them.
bool isPublicRoute(const std::string& method, const std::string& path);
RouteAccess routeAccess(const std::string& method, const std::string& path);

struct AccessDecision {
  bool allowed = false;
  int status = 403;
  std::string code;
  std::string message;
};
AccessDecision decideAccess(const Principal& who, const std::string& method, const std::string& path);

// Every route of the API with an example path, for tests that try each one.
struct RouteExample {
  std::string method;
  std::string path;  // a concrete path ("{c}" filled in)
  RouteAccess access;
};
const std::vector<RouteExample>& apiRoutes();

}  // namespace sw::coordinator
