#pragma once
// Critical device alerts leave the console: each one raised (and later cleared) is POSTed to a
// webhook, and retried until the receiver answers 2xx, so a person is told.
//
//   POST <url>  Content-Type: application/json
//     X-Stockwire-Event: alert.raised | alert.cleared
//     X-Stockwire-Delivery: <uuid>          the same on every retry of one notification
//     X-Stockwire-Signature: sha256=<hex>   HMAC-SHA256 of the body with the secret (when given)
//     {"v":1,"event":"alert.raised","at":"2026-12-04T10:00:00.000Z",
//      "alert":{"device_id","code","level":"critical","message"}}
//
// Every interval the notifier reads every device's alerts (fleet/exposure.h) and compares the
// critical ones with those it has already announced: new ones are raised, gone ones cleared.
// Notifications go out one at a time, in order; a failed one (no answer, or not 2xx) is retried
// after 1 s, doubling to at most 5 minutes, and holds the ones behind it (at most 10,000 wait;
// past that the oldest are dropped and counted). What was announced is kept in memory only: after
// a restart, alerts still critical are raised again (at least once, never silently lost while
// the coordinator runs).
//
// Threads: start() runs one worker; stats() from any thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/fleet/exposure.h"

namespace sw::coordinator {

struct AlertWebhookConfig {
  std::string url;     // http://host:port/path or https://...
  std::string secret;  // "" = unsigned
  std::string ca_file;  // https: the CA certificates the receiver's certificate must chain to
  int64_t interval_ms = 5'000;
  int64_t retry_initial_ms = 1'000;
  int64_t retry_max_ms = 300'000;
  int64_t timeout_ms = 5'000;
  size_t max_pending = 10'000;
};

struct AlertNotifierStats {
  uint64_t scans = 0;      // times the devices' alerts were read
  uint64_t raised = 0;     // notifications made
  uint64_t cleared = 0;
  uint64_t delivered = 0;  // answered 2xx
  uint64_t failed_attempts = 0;
  uint64_t dropped = 0;    // past max_pending
  size_t pending = 0;
  std::string last_error;
};

class AlertNotifier {
 public:
  using DeviceSource = std::function<common::Result<std::vector<DeviceRow>>()>;
  static common::Result<std::unique_ptr<AlertNotifier>> create(AlertWebhookConfig config, DeviceSource devices,
                                                               ExposureLimits limits, const common::Clock& clock);
  ~AlertNotifier();
  AlertNotifier(const AlertNotifier&) = delete;
  AlertNotifier& operator=(const AlertNotifier&) = delete;

  // More alerts of a device beyond deviceAlerts() (serve adds the registry's certificate alerts,
  // exposure.h certificateAlerts); before start().
  using ExtraAlerts = std::function<std::vector<DeviceAlert>(const DeviceRow& device, int64_t now_ms)>;
  void setExtraAlerts(ExtraAlerts extra) { extra_ = std::move(extra); }

  void start();
  void stop();
  AlertNotifierStats stats();

 private:
  struct Notification {
    std::string delivery_id;
    std::string event;  // alert.raised or alert.cleared
    std::string body;
  };
  AlertNotifier(AlertWebhookConfig config, DeviceSource devices, ExposureLimits limits, const common::Clock& clock);
  void run();
  // Compares the critical alerts now with those announced and queues the difference.
  void scan();
  // One try of the oldest notification: true when the receiver took it.
  bool deliver(const Notification& n);
  void queue(const std::string& event, const DeviceAlert& alert);

  AlertWebhookConfig config_;
  DeviceSource devices_;
  ExtraAlerts extra_;
  ExposureLimits limits_;
  const common::Clock& clock_;
  std::string scheme_host_port_;
  std::string path_;
  bool https_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread worker_;
  std::deque<Notification> pending_;
  std::map<std::string, DeviceAlert> announced_;  // device_id/code -> the alert as raised
  AlertNotifierStats stats_;
};

}  // namespace sw::coordinator
