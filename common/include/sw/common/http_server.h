#pragma once
// Shared cpp-httplib plumbing for the agent's and the coordinator's APIs: binding
// (port 0 = any free port), serving on one owned thread with a bounded pool of workers, limits
// that hold before a request body is read, and JSON error replies.

#include <httplib.h>

#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sw/common/http_limits.h"
#include "sw/common/result.h"

namespace sw::common {

// The application's own check of a request, before its body is read (authentication, Host,
// Origin...). Returns true when it answered (refused) the request itself.
using HttpRequestGuard = std::function<bool(const httplib::Request&, httplib::Response&)>;

// Applies limits and guard to a server before it binds: timeouts, keep-alive, the bounded pool,
// body limits (a declared Content-Length over the limit is refused with 413 without reading the
// body; chunked request bodies, which cpp-httplib 0.11 does not limit, get 411), JSON errors
// (installJsonErrorHandlers). A refusal before the body is read closes the connection after the
// answer, so the unread body is never parsed as a next request.
void configureHttpServer(httplib::Server& server, const HttpServerLimits& limits, HttpRequestGuard guard = nullptr);

// The body limit configureHttpServer applies to path.
size_t bodyLimitFor(const HttpServerLimits& limits, const std::string& path);

class HttpServerRunner {
 public:
  explicit HttpServerRunner(httplib::Server& server) : server_(server) {}
  ~HttpServerRunner() { stop(); }
  HttpServerRunner(const HttpServerRunner&) = delete;
  HttpServerRunner& operator=(const HttpServerRunner&) = delete;

  Status start(const std::string& host, int port);
  void stop();
  int port() const { return port_; }

 private:
  httplib::Server& server_;
  std::thread thread_;
  int port_ = 0;
};

// 404s and other httplib errors as {"error":{...}} naming what was wrong, exceptions as a
// logged 500; a POST/PUT/PATCH/DELETE without Content-Length or chunked encoding has an empty
// body (not one read until the client closes). configureHttpServer() includes this.
void installJsonErrorHandlers(httplib::Server& server);
// The error for a status cpp-httplib itself answered (bad framing, no route, body too large).
Error httpLayerError(const httplib::Request& req, int status);
void sendError(httplib::Response& res, const Error& error);
void sendError(httplib::Response& res, int status, const Error& error);
// Answers with status and error, then closes the connection (the request's body, if any, is
// never read). For refusals made before the body is read.
void refuseAndClose(httplib::Response& res, int status, const Error& error);

}  // namespace sw::common
