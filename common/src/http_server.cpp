#include "sw/common/http_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "sw/common/http_errors.h"
#include "sw/common/http_socket.h"
#include "sw/common/log.h"

namespace sw::common {

constexpr int kListenBacklog = 1024;

namespace {

// cpp-httplib's own pool has a fixed number of workers and an unbounded queue: eight idle
// sockets took every worker of the agent's API, and each connection accepted after them waited
// in memory behind them. This one starts workers as connections need them, up to max_workers,
// and lets at most max_waiting accepted connections wait; beyond that enqueue() (the accept
// loop) waits, so further clients wait in the kernel's listen backlog.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(size_t max_workers, size_t max_waiting)
      : max_workers_(std::max<size_t>(1, max_workers)), max_waiting_(std::max<size_t>(1, max_waiting)) {}
  ~BoundedPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return stopping_ || waiting_.size() < max_waiting_; });
    if (stopping_) {
      lock.unlock();
      fn();  // serves and closes the socket; nothing is left open
      return;
    }
    waiting_.push_back(std::move(fn));
    // An idle worker leaves idle_ only once it wakes: compare with what is waiting, so that a
    // burst of connections does not wait behind one worker that was merely notified.
    if (waiting_.size() > idle_ && workers_.size() < max_workers_) {
      workers_.emplace_back([this] { work(); });
    } else {
      ready_.notify_one();
    }
  }

  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_ && workers_.empty()) return;
      stopping_ = true;
    }
    ready_.notify_all();
    space_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

 private:
  void work() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      ready_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      --idle_;
      if (waiting_.empty()) return;  // stopping, and what was accepted has been served
      auto fn = std::move(waiting_.front());
      waiting_.pop_front();
      space_.notify_one();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  const size_t max_workers_;
  const size_t max_waiting_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<std::function<void()>> waiting_;
  std::vector<std::thread> workers_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

bool takesBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool hasUnreadBody(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  return req.get_header_value("Content-Length") != "0" && req.has_header("Content-Length");
}

}  // namespace

size_t bodyLimitFor(const HttpServerLimits& limits, const std::string& path) {
  size_t best_len = 0;
  size_t limit = limits.max_body_bytes;
  for (const auto& [prefix, bytes] : limits.body_limits) {
    if (prefix.size() >= best_len && path.compare(0, prefix.size(), prefix) == 0) {
      best_len = prefix.size();
      limit = bytes;
    }
  }
  return limit;
}

void configureHttpServer(httplib::Server& server, const HttpServerLimits& limits, HttpRequestGuard guard) {
  installJsonErrorHandlers(server);
  auto ms = [](int v) { return std::chrono::milliseconds(std::max(1, v)); };
  server.set_read_timeout(ms(limits.read_timeout_ms));
  server.set_write_timeout(ms(limits.write_timeout_ms));
  server.set_keep_alive_timeout(std::max(1, limits.keep_alive_timeout_s));
  server.set_keep_alive_max_count(std::max<size_t>(1, limits.keep_alive_max_requests));
  size_t largest = limits.max_body_bytes;
  for (const auto& [prefix, bytes] : limits.body_limits) largest = std::max(largest, bytes);
  server.set_payload_max_length(largest);  // the backstop; the per-route check is below
  const size_t workers = limits.max_workers, waiting = limits.max_waiting;
  server.new_task_queue = [workers, waiting] { return new BoundedPool(workers, waiting); };
  server.set_pre_routing_handler([limits, guard = std::move(guard)](const httplib::Request& req,
                                                                     httplib::Response& res) {
    // A request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 6.3), as
    // `curl -X POST` without -d sends it. cpp-httplib 0.11 instead reads such a body until the
    // client closes, so the request hung for the read timeout (5 s) and got a bare 400. Saying
    // Content-Length: 0 before httplib reads the body makes it what the RFC says it is. The
    // Request is httplib's own non-const object, handed to this hook as const.
    if (takesBody(req.method) && !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
    }
    if (req.has_header("Transfer-Encoding")) {
      refuseAndClose(res, 411, Error::reject("length_required",
                                             req.method + " " + req.path +
                                                 ": send the body with a Content-Length (chunked request bodies "
                                                 "are not accepted)"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length")) {
      const std::string cl = req.get_header_value("Content-Length");
      size_t limit = bodyLimitFor(limits, req.path);
      bool digits = !cl.empty() && cl.size() <= 19 && cl.find_first_not_of("0123456789") == std::string::npos;
      if (!digits) {
        refuseAndClose(res, 400, Error::reject("bad_http_request", "Content-Length is not a number"));
        return httplib::Server::HandlerResponse::Handled;
      }
      if (std::stoull(cl) > limit) {
        refuseAndClose(res, 413, Error::reject("body_too_large", req.method + " " + req.path + ": the body (" + cl +
                                                                     " bytes) is larger than this route accepts (" +
                                                                     std::to_string(limit) + " bytes)"));
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if (guard && guard(req, res)) {
      if (hasUnreadBody(req) && !res.content_provider_) {
        // Refused before the body was read: answer, then close instead of parsing the body.
        const int status = res.status;
        const std::string body = std::move(res.body);
        const std::string type = res.get_header_value("Content-Type");
        res.body.clear();
        res.status = status;
        auto text = std::make_shared<std::string>(body);
        res.set_header("Connection", "close");
        res.set_content_provider(text->size(), type.empty() ? "application/json" : type,
                                 [text](size_t offset, size_t length, httplib::DataSink& sink) {
                                   sink.write(text->data() + offset, length);
                                   return false;
                                 });
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

// cpp-httplib 0.11 listens with a backlog of 5 (compiled into the library): a burst of
// connections overflowed it and clients waited for SYN retransmits (1 s, 3 s, ...). listen()
// on the bound socket again sets a deeper queue; the socket is a protected member of Server,
// reached through a pointer to member.
struct ListenSocketAccess : httplib::Server {
  static int fd(httplib::Server& s) {
    auto member = &ListenSocketAccess::svr_sock_;
    return static_cast<int>((s.*member).load());
  }
};

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
  if (int fd = ListenSocketAccess::fd(server_); fd >= 0 && ::listen(fd, kListenBacklog) != 0) {
    SW_WARN("http") << "cannot deepen the listen queue of port " << port_ << ": " << std::strerror(errno);
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

void sendError(httplib::Response& res, int status, const Error& error) {
  res.status = status;
  res.set_content(errorJson(error), "application/json");
}

void refuseAndClose(httplib::Response& res, int status, const Error& error) {
  // cpp-httplib keeps a connection open after any answer it wrote whole; a content provider
  // that reports failure once it has written the body makes it close the connection instead.
  auto text = std::make_shared<std::string>(errorJson(error));
  res.status = status;
  res.body.clear();
  res.set_header("Connection", "close");
  res.set_content_provider(text->size(), "application/json",
                           [text](size_t offset, size_t length, httplib::DataSink& sink) {
                             sink.write(text->data() + offset, length);
                             return false;
                           });
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

void installJsonErrorHandlers(httplib::Server& server) {
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    // See configureHttpServer: a body-taking request without framing has an empty body.
    if (takesBody(req.method) && !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty() && !res.content_provider_) {
      res.set_content(errorJson(httpLayerError(req, res.status)), "application/json");
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
