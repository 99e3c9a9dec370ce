#pragma once
// The small HTTP seam the connectors talk through. The real one is cpp-httplib
// (httplib_client.cpp); unit tests script a fake. Errors are only for requests that got
// no HTTP answer at all (connection refused, timeout): kind retry.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sw/common/result.h"

namespace sw::coordinator::channels {

struct HttpRequest {
  std::string method = "GET";
  // A path with query ("/admin/api/2026-04/graphql.json?x=1") relative to the client's base URL,
  // or an absolute "http(s)://host[:port]/path" (Amazon's pre-signed feed upload URL).
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;  // sent when body is not empty
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Case-insensitive; empty if absent.
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual common::Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct HttpClientOptions {
  std::string base_url;  // "https://shop.myshopify.com" or "http://127.0.0.1:8081"
  int64_t connect_timeout_ms = 2'000;
  int64_t read_timeout_ms = 10'000;
};

// cpp-httplib with keep-alive; one connection per client, requests serialised.
common::Result<std::unique_ptr<HttpClient>> makeHttplibClient(const HttpClientOptions& options);

// Percent-encodes everything outside RFC 3986 unreserved characters ("[" -> "%5B").
std::string urlEncode(std::string_view text);

}  // namespace sw::coordinator::channels
