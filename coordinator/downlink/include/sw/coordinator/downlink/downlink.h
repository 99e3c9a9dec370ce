#pragma once
// Coordinator side of the downlink (protocol: common/downlink.h). Providers own one kind of
// data each (stock views, catalog, prices, tasks) and answer "what changed for this location
// after version N"; this service answers device requests with their pages and keeps each
// location's retained notice current.
//
// Threads: the transport's callback thread only queues requests; one worker thread owned
// here answers them and publishes notices (coalesced: at most one per location per
// notice_interval_ms while data keeps changing).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sw/common/clock.h"
#include "sw/common/downlink.h"
#include "sw/common/mqtt.h"

namespace sw::coordinator {

class DownlinkProvider {
 public:
  virtual ~DownlinkProvider() = default;
  virtual std::string kind() const = 0;
  // The current version for a location (0: nothing yet). Never goes down.
  virtual common::Result<int64_t> version(const std::string& location) = 0;
  // Changes after request.have, or a snapshot page when have is 0 or too old, or when a
  // snapshot is being continued (request.cursor). At most max_items items.
  virtual common::Result<common::DownPage> page(const common::DownRequest& request, const std::string& device,
                                                size_t max_items) = 0;
};

struct DownlinkConfig {
  size_t max_items_per_page = 500;
  int64_t notice_interval_ms = 200;
};

struct DownlinkStats {
  uint64_t requests = 0;
  uint64_t pages = 0;
  uint64_t notices = 0;
  uint64_t bad_requests = 0;
};

class DownlinkService {
 public:
  // locations() lists every location a notice should exist for (called from the worker).
  DownlinkService(common::MqttTransport& transport, const common::Clock& clock, DownlinkConfig config,
                  std::function<std::vector<std::string>()> locations);
  ~DownlinkService();
  DownlinkService(const DownlinkService&) = delete;
  DownlinkService& operator=(const DownlinkService&) = delete;

  void addProvider(DownlinkProvider& provider);  // before start()
  common::Status start();                          // before the transport starts
  void stop();
  // Data changed for these locations (empty: all of them): their notices are republished soon.
  void changed(const std::vector<std::string>& locations);
  DownlinkStats stats() const;

 private:
  struct Request {
    std::string device;
    std::string payload;
  };
  void run();
  void answer(const Request& r);
  void publishNotices(const std::set<std::string>& locations);

  common::MqttTransport& transport_;
  const common::Clock& clock_;
  DownlinkConfig config_;
  std::function<std::vector<std::string>()> locations_;
  std::vector<DownlinkProvider*> providers_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> requests_;
  std::set<std::string> dirty_;
  bool all_dirty_ = true;
  bool stop_ = false;
  DownlinkStats stats_;
  std::thread thread_;
  std::set<std::string> announced_;  // worker thread only: locations given a notice so far
};

}  // namespace sw::coordinator
