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

Error httpLayerError(const httplib::Request& req, int status) {
  const std::string what = req.method.empty() ? std::string("the request") : req.method + " " + req.path;
  switch (status) {
    case 400:
      return Error::reject("bad_http_request", what + ": not valid HTTP/1.1 (the request line, a header, or the "
                                                      "framing of the body: Content-Length or chunked encoding)");
    case 404:
      return Error::reject("not_found", "no endpoint " + what + " (check the method and the path)");
    case 413:
      return Error::reject("body_too_large", what + ": the body is larger than this API accepts");
    case 414:
      return Error::reject("uri_too_long", "the request line is longer than this API accepts");
    case 416:
      return Error::reject("bad_range", what + ": the Range header cannot be satisfied");
    default:
      return Error::reject("http_" + std::to_string(status),
                           what + ": refused by the HTTP layer with status " + std::to_string(status));
  }
}

bool takesBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

void installJsonErrorHandlers(httplib::Server& server) {
  // A request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 6.3), as
  // `curl -X POST` without -d sends it. cpp-httplib 0.11 instead reads such a body until the
  // client closes, so the request hung for the read timeout (5 s) and got a bare 400. Saying
  // Content-Length: 0 before httplib reads the body makes it what the RFC says it is. The
  // Request is httplib's own non-const object, handed to this hook as const.
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    if (takesBody(req.method) && !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty()) res.set_content(errorJson(httpLayerError(req, res.status)), "application/json");
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
