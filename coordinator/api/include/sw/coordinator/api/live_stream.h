#pragma once
// GET /v1/stream: server-sent events (text/event-stream) that tell the console what changed, so
// its pages re-read the API when something happened instead of on a timer.
//
// Each part ("ledger", "devices", "channels", "orders", "kpis") has a version: a fingerprint of
// counters that moves when that part changes (events applied or quarantined, device messages,
// channel pushes and queues, order deliveries and fulfilments, KPI samples). The stream checks them every poll_ms and sends, when any moved:
//   event: change
//   data: {"at_ms":N,"parts":{"ledger":N,...},"changed":["ledger",...]}
// It opens with the same message as `event: hello` (changed empty) and a `retry: 3000` hint,
// sends a comment line (": keepalive") after keepalive_ms of quiet so proxies and the client
// notice a dead link, and ends after max_life_ms (the client reconnects) so that no stream holds
// an HTTP worker forever. At most max_streams run at once; one more is answered 503
// `too_many_streams` (the console then polls). stop() ends every stream within poll_ms.
// Needs a read token like every other API route (the console sends it with fetch(), which,
// unlike EventSource, can send an Authorization header).

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "sw/common/clock.h"

namespace sw::coordinator {

struct LiveStreamOptions {
  int64_t poll_ms = 250;
  int64_t keepalive_ms = 5000;
  int64_t max_life_ms = 10 * 60 * 1000;
  int max_streams = 4;
};

class LiveStream {
 public:
  LiveStream(const common::Clock& clock, LiveStreamOptions options) : clock_(clock), options_(options) {}
  ~LiveStream() { stop(); }
  LiveStream(const LiveStream&) = delete;
  LiveStream& operator=(const LiveStream&) = delete;

  // Adds (or replaces) a part; version() is called from stream threads and must be cheap and
  // thread-safe.
  void addPart(const std::string& name, std::function<uint64_t()> version);
  // Registers GET /v1/stream.
  void addRoute(httplib::Server& server);
  // Ends every stream (their next wait returns) and refuses new ones.
  void stop();
  int active() const { return active_.load(); }

  // The parts' versions now (name -> version), and the JSON data line for them.
  std::map<std::string, uint64_t> versions() const;
  std::string message(const std::map<std::string, uint64_t>& parts, const std::map<std::string, uint64_t>* before) const;

 private:
  bool wait(int64_t ms);  // false once stopping

  const common::Clock& clock_;
  const LiveStreamOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, std::function<uint64_t()>> parts_;
  std::atomic<int> active_{0};
};

}  // namespace sw::coordinator
