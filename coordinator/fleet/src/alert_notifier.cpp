// Critical device alerts to a webhook, with retries (see alert_notifier.h).

#include "sw/coordinator/fleet/alert_notifier.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "sw/common/crypto.h"
#include "sw/common/http_socket.h"
#include "sw/common/iso_time.h"
#include "sw/common/log.h"
#include "sw/common/uuid.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using nlohmann::json;

namespace {

constexpr const char* kLog = "alerts";

std::string keyOf(const DeviceAlert& a) { return a.device_id + "/" + a.code; }

}  // namespace

Result<std::unique_ptr<AlertNotifier>> AlertNotifier::create(AlertWebhookConfig config, DeviceSource devices,
                                                             ExposureLimits limits, const common::Clock& clock) {
  std::unique_ptr<AlertNotifier> n(new AlertNotifier(std::move(config), std::move(devices), limits, clock));
  // scheme://host[:port]/path: httplib clients take the first part, requests the path.
  const std::string& url = n->config_.url;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos || (url.compare(0, scheme_end, "http") != 0 && url.compare(0, scheme_end, "https") != 0)) {
    return Error::reject("bad_option", "--alert-webhook must be an http:// or https:// URL, got '" + url + "'");
  }
  n->https_ = url.compare(0, scheme_end, "https") == 0;
  size_t path_start = url.find('/', scheme_end + 3);
  n->scheme_host_port_ = url.substr(0, path_start);
  n->path_ = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (n->scheme_host_port_.size() <= scheme_end + 3) return Error::reject("bad_option", "--alert-webhook names no host");
  if (n->config_.interval_ms < 1 || n->config_.retry_initial_ms < 1 || n->config_.max_pending < 1) {
    return Error::reject("bad_option", "alert webhook intervals and queue must be positive");
  }
  return n;
}

AlertNotifier::AlertNotifier(AlertWebhookConfig config, DeviceSource devices, ExposureLimits limits,
                             const common::Clock& clock)
    : config_(std::move(config)), devices_(std::move(devices)), limits_(limits), clock_(clock) {}

AlertNotifier::~AlertNotifier() { stop(); }

void AlertNotifier::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (worker_.joinable()) return;
  stopping_ = false;
  worker_ = std::thread([this] { run(); });
}

void AlertNotifier::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

AlertNotifierStats AlertNotifier::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  AlertNotifierStats s = stats_;
  s.pending = pending_.size();
  return s;
}

void AlertNotifier::queue(const std::string& event, const DeviceAlert& a) {
  json body = {{"v", 1},
               {"event", event},
               {"at", common::formatIsoMs(clock_.nowMs())},
               {"alert", {{"device_id", a.device_id}, {"code", a.code}, {"level", a.level}, {"message", a.message}}}};
  pending_.push_back({common::newUuid(), event, body.dump()});
  if (event == "alert.raised") ++stats_.raised;
  else ++stats_.cleared;
  while (pending_.size() > config_.max_pending) {
    pending_.pop_front();
    ++stats_.dropped;
  }
}

void AlertNotifier::scan() {
  auto devices = devices_();
  if (!devices) {
    SW_WARN(kLog) << "cannot read the devices: " << devices.error().toString();
    return;
  }
  const int64_t now = clock_.nowMs();
  std::map<std::string, DeviceAlert> critical;
  for (const DeviceRow& d : *devices) {
    std::vector<DeviceAlert> alerts = deviceAlerts(d, now, limits_);
    if (extra_) {
      for (DeviceAlert& a : extra_(d, now)) alerts.push_back(std::move(a));
    }
    for (DeviceAlert& a : alerts) {
      if (a.level == "critical") critical.emplace(keyOf(a), std::move(a));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.scans;
  for (const auto& [key, a] : critical) {
    if (!announced_.count(key)) queue("alert.raised", a);
  }
  for (auto it = announced_.begin(); it != announced_.end();) {
    if (critical.count(it->first)) {
      ++it;
      continue;
    }
    queue("alert.cleared", it->second);
    it = announced_.erase(it);
  }
  for (auto& [key, a] : critical) announced_.emplace(key, a);
}

bool AlertNotifier::deliver(const Notification& n) {
  httplib::Headers headers = {{"X-Stockwire-Event", n.event}, {"X-Stockwire-Delivery", n.delivery_id}};
  if (!config_.secret.empty()) {
    headers.emplace("X-Stockwire-Signature",
                    "sha256=" + common::crypto::hex(common::crypto::hmacSha256(config_.secret, n.body)));
  }
  const auto seconds = static_cast<time_t>(config_.timeout_ms / 1000);
  const auto micros = static_cast<time_t>((config_.timeout_ms % 1000) * 1000);
  // The answer's status, or 0 with why there was none.
  int status = 0;
  std::string no_answer;
  auto take = [&](const httplib::Result& r) {
    if (r) status = r->status;
    else no_answer = httplib::to_string(r.error());
  };
  if (https_) {
    std::string host_port = scheme_host_port_.substr(8);
    size_t colon = host_port.rfind(':');
    int port = colon == std::string::npos ? 443 : std::atoi(host_port.c_str() + colon + 1);
    auto client = common::makeHttpsClient(host_port.substr(0, colon), port, config_.ca_file);
    client->set_connection_timeout(seconds, micros);
    client->set_read_timeout(seconds, micros);
    take(client->Post(path_, headers, n.body, "application/json"));
  } else {
    httplib::Client client = common::makeHttpClient(scheme_host_port_);
    client.set_connection_timeout(seconds, micros);
    client.set_read_timeout(seconds, micros);
    take(client.Post(path_, headers, n.body, "application/json"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (status / 100 == 2) {
    ++stats_.delivered;
    return true;
  }
  ++stats_.failed_attempts;
  stats_.last_error = status ? "HTTP " + std::to_string(status) : "no answer: " + no_answer;
  return false;
}

void AlertNotifier::run() {
  int64_t next_scan = 0;
  int64_t retry_ms = config_.retry_initial_ms;
  int64_t next_try = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    const int64_t now = clock_.monoMs();
    if (now >= next_scan) {
      scan();
      next_scan = now + config_.interval_ms;
    }
    std::optional<Notification> head;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!pending_.empty() && clock_.monoMs() >= next_try) head = pending_.front();
    }
    if (head) {
      if (deliver(*head)) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!pending_.empty() && pending_.front().delivery_id == head->delivery_id) pending_.pop_front();
        retry_ms = config_.retry_initial_ms;
        next_try = 0;
        continue;  // the next one at once
      }
      SW_WARN(kLog) << head->event << " to " << config_.url << " failed (" << stats().last_error << "); retry in "
                    << retry_ms << " ms";
      next_try = clock_.monoMs() + retry_ms;
      retry_ms = std::min(retry_ms * 2, config_.retry_max_ms);
    }
    std::unique_lock<std::mutex> lock(mu_);
    int64_t wake = next_scan;
    if (!pending_.empty()) wake = std::min(wake, std::max(next_try, clock_.monoMs()));
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, wake - clock_.monoMs())),
                 [this] { return stopping_; });
  }
}

}  // namespace sw::coordinator
