// cpp-httplib adapter for the connectors' HttpClient seam. Keeps one keep-alive connection
// per base URL (and one per other host, for Amazon's pre-signed upload URLs).

#include <httplib.h>

#include <cctype>
#include <map>
#include <memory>
#include <mutex>

#include "sw/common/http_socket.h"
#include "sw/coordinator/channels/http_client.h"

namespace sw::coordinator::channels {

using common::Error;

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < k.size() && eq; ++i) {
      eq = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (eq) return v;
  }
  return {};
}

std::string urlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

namespace {

// "http://host:port/path?q" -> ("http://host:port", "/path?q")
bool splitUrl(const std::string& url, std::string* origin, std::string* target) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  auto slash = url.find('/', scheme + 3);
  *origin = slash == std::string::npos ? url : url.substr(0, slash);
  *target = slash == std::string::npos ? "/" : url.substr(slash);
  return true;
}

class HttplibClient final : public HttpClient {
 public:
  explicit HttplibClient(HttpClientOptions options) : options_(std::move(options)) {}

  common::Result<HttpResponse> send(const HttpRequest& request) override {
    std::string origin = options_.base_url;
    std::string target = request.target;
    if (request.target.rfind("http://", 0) == 0 || request.target.rfind("https://", 0) == 0) {
      if (!splitUrl(request.target, &origin, &target)) return Error::reject("bad_url", "cannot parse " + request.target);
    }
    std::lock_guard lock(mu_);
    httplib::Client& cli = clientFor(origin);
    if (!cli.is_valid()) return Error::fatal("bad_url", "cannot use base URL " + origin);
    httplib::Request req;
    req.method = request.method;
    req.path = target;
    for (const auto& [k, v] : request.headers) req.headers.emplace(k, v);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
      req.body = request.body;
      if (!request.content_type.empty()) req.headers.emplace("Content-Type", request.content_type);
    }
    httplib::Result r = cli.send(req);
    if (!r) {
      // Drop the connection so the next call starts clean.
      clients_.erase(origin);
      std::string what = httplib::to_string(r.error());
      return Error::retry("http_" + what, request.method + " " + origin + target.substr(0, target.find('?')) + ": " + what);
    }
    HttpResponse out;
    out.status = r->status;
    out.body = std::move(r->body);
    for (const auto& [k, v] : r->headers) out.headers.emplace_back(k, v);
    return out;
  }

 private:
  httplib::Client& clientFor(const std::string& origin) {
    auto it = clients_.find(origin);
    if (it != clients_.end()) return *it->second;
    auto c = std::make_unique<httplib::Client>(common::makeHttpClient(origin));
    c->set_keep_alive(true);
    c->set_url_encode(false);
    auto secs = [](int64_t ms) { return static_cast<time_t>(ms / 1000); };
    auto usecs = [](int64_t ms) { return static_cast<time_t>((ms % 1000) * 1000); };
    c->set_connection_timeout(secs(options_.connect_timeout_ms), usecs(options_.connect_timeout_ms));
    c->set_read_timeout(secs(options_.read_timeout_ms), usecs(options_.read_timeout_ms));
    c->set_write_timeout(secs(options_.read_timeout_ms), usecs(options_.read_timeout_ms));
    return *clients_.emplace(origin, std::move(c)).first->second;
  }

  HttpClientOptions options_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<httplib::Client>> clients_;
};

}  // namespace

common::Result<std::unique_ptr<HttpClient>> makeHttplibClient(const HttpClientOptions& options) {
  if (options.base_url.rfind("http://", 0) != 0 && options.base_url.rfind("https://", 0) != 0) {
    return Error::reject("bad_url", "base URL must start with http:// or https://, got '" + options.base_url + "'");
  }
  std::string base = options.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpClientOptions o = options;
  o.base_url = base;
  return std::unique_ptr<HttpClient>(new HttplibClient(std::move(o)));
}

}  // namespace sw::coordinator::channels
