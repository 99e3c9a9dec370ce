#include "sw/common/http_server.h"

#include "sw/common/http_errors.h"
#include "sw/common/http_socket.h"
#include "sw/common/log.h"

namespace sw::common {

Status HttpServerRunner::start(const std::string& host, int port) {
  tuneHttpServer(server_);  // before the socket exists
  if (port == 0) {
    port_ = server_.bind_to_any_port(host);
    if (port_ <= 0) return Error::fatal("http_bind", "cannot bind " + host + " to any port");
  } else {
    if (!server_.bind_to_port(host, port)) {
      return Error::fatal("http_bind", "cannot bind " + host + ":" + std::to_string(port) + " (in use?)");
    }
    port_ = port;
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  return {};
}

void HttpServerRunner::stop() {
  if (!thread_.joinable()) return;
  server_.stop();
  thread_.join();
}

void sendError(httplib::Response& res, const Error& error) {
  res.status = httpStatusFor(error);
  res.set_content(errorJson(error), "application/json");
}

void installJsonErrorHandlers(httplib::Server& server) {
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      Error e = res.status == 404 ? Error::reject("not_found", "no such endpoint")
                                  : Error::reject("http_" + std::to_string(res.status), "request failed");
      res.set_content(errorJson(e), "application/json");
    }
  });
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
    SW_ERROR("http") << req.method << ' ' << req.path << ": " << what;
    res.status = 500;
    res.set_content(errorJson(Error::fatal("internal", what)), "application/json");
  });
}

}  // namespace sw::common
