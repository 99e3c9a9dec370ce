#include "sw/coordinator/api/live_stream.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>

#include "sw/common/http_server.h"

namespace sw::coordinator {

namespace {

// One open stream: what it last told its client, and the count of open streams while it lives.
struct Session {
  explicit Session(std::atomic<int>& active) : active_(active) {}
  ~Session() { active_.fetch_sub(1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  std::atomic<int>& active_;
  std::map<std::string, uint64_t> told;
  bool greeted = false;
  int64_t opened_mono = 0;
  int64_t last_write_mono = 0;
};

bool send(httplib::DataSink& sink, const std::string& text) { return sink.write(text.data(), text.size()); }

}  // namespace

void LiveStream::addPart(const std::string& name, std::function<uint64_t()> version) {
  std::lock_guard lock(mu_);
  parts_[name] = std::move(version);
}

std::map<std::string, uint64_t> LiveStream::versions() const {
  std::map<std::string, std::function<uint64_t()>> parts;
  {
    std::lock_guard lock(mu_);
    parts = parts_;
  }
  std::map<std::string, uint64_t> out;
  for (const auto& [name, version] : parts) out[name] = version();
  return out;
}

std::string LiveStream::message(const std::map<std::string, uint64_t>& parts,
                                const std::map<std::string, uint64_t>* before) const {
  nlohmann::json changed = nlohmann::json::array();
  if (before) {
    for (const auto& [name, v] : parts) {
      auto it = before->find(name);
      if (it == before->end() || it->second != v) changed.push_back(name);
    }
  }
  return nlohmann::json{{"at_ms", clock_.nowMs()}, {"parts", parts}, {"changed", changed}}.dump();
}

bool LiveStream::wait(int64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
  return !stopping_;
}

void LiveStream::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void LiveStream::addRoute(httplib::Server& server) {
  server.Get("/v1/stream", [this](const httplib::Request&, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        return common::sendError(res, 503, common::Error::retry("stopping", "the coordinator is stopping"));
      }
    }
    if (active_.fetch_add(1) >= options_.max_streams) {
      active_.fetch_sub(1);
      return common::sendError(
          res, 503,
          common::Error::retry("too_many_streams", std::to_string(options_.max_streams) +
                                                       " live streams are open already: poll the API instead"));
    }
    auto session = std::make_shared<Session>(active_);  // gives the slot back when the response goes
    session->opened_mono = session->last_write_mono = clock_.monoMs();
    res.set_header("Cache-Control", "no-store");
    res.set_chunked_content_provider("text/event-stream", [this, session](size_t, httplib::DataSink& sink) {
      if (!session->greeted) {
        session->greeted = true;
        session->told = versions();
        return send(sink, "retry: 3000\nevent: hello\ndata: " + message(session->told, nullptr) + "\n\n");
      }
      if (!wait(options_.poll_ms) || clock_.monoMs() - session->opened_mono >= options_.max_life_ms) {
        sink.done();
        return true;
      }
      auto now = versions();
      const int64_t mono = clock_.monoMs();
      if (now != session->told) {
        std::string text = "event: change\ndata: " + message(now, &session->told) + "\n\n";
        session->told = std::move(now);
        session->last_write_mono = mono;
        return send(sink, text);
      }
      if (mono - session->last_write_mono >= options_.keepalive_ms) {
        session->last_write_mono = mono;
        return send(sink, ": keepalive\n\n");
      }
      return true;
    });
  });
}

}  // namespace sw::coordinator
