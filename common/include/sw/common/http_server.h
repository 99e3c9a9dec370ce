#pragma once
// Shared cpp-httplib plumbing for the agent's and the coordinator's APIs: binding
// (port 0 = any free port), serving on one owned thread, and JSON error replies.

#include <httplib.h>

#include <string>
#include <thread>

#include "sw/common/result.h"

namespace sw::common {

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
// body (not one read until the client closes).
void installJsonErrorHandlers(httplib::Server& server);
// The error for a status cpp-httplib itself answered (bad framing, no route, body too large).
Error httpLayerError(const httplib::Request& req, int status);
void sendError(httplib::Response& res, const Error& error);

}  // namespace sw::common
