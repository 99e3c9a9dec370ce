#pragma once
// Limits for an HTTP server (applied by configureHttpServer in http_server.h); no httplib here so
// component headers can carry them.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace sw::common {

// What one server lets a client cost it. cpp-httplib serves each connection on one worker from
// the time it is accepted, waiting for its first request too, so an idle socket holds a worker
// until keep_alive_timeout_s; a client sending nothing for read_timeout_ms is dropped.
struct HttpServerLimits {
  size_t max_body_bytes = 1 << 20;  // any route not listed in body_limits
  // Route-specific larger (or smaller) limits: path prefix -> bytes (the longest prefix wins).
  std::vector<std::pair<std::string, size_t>> body_limits;
  int read_timeout_ms = 5000;
  int write_timeout_ms = 5000;
  int keep_alive_timeout_s = 2;
  size_t keep_alive_max_requests = 100;
  size_t max_workers = 64;   // connections served at once (workers are started as needed)
  size_t max_waiting = 256;  // accepted connections waiting for a worker; beyond it accept waits
};

}  // namespace sw::common
