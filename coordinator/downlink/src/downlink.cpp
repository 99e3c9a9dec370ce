#include "sw/coordinator/downlink/downlink.h"

#include "sw/common/event.h"
#include "sw/common/log.h"
#include "sw/common/topics.h"

namespace sw::coordinator {

namespace topics = common::topics;
constexpr std::string_view kLog = "downlink";
constexpr int64_t kScanIntervalMs = 1000;

DownlinkService::DownlinkService(common::MqttTransport& transport, const common::Clock& clock, DownlinkConfig config,
                                 std::function<std::vector<std::string>()> locations)
    : transport_(transport), clock_(clock), config_(config), locations_(std::move(locations)) {}

DownlinkService::~DownlinkService() { stop(); }

void DownlinkService::addProvider(DownlinkProvider& provider) { providers_.push_back(&provider); }

common::Status DownlinkService::start() {
  transport_.addMessageHandler(std::string(topics::kRequestFilter), [this](std::string_view topic, std::string_view payload) {
    auto dt = topics::parseDeviceTopic(topic);
    if (!dt || !common::isValidId(dt->device) || payload.size() > 4096) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (requests_.size() >= 10'000) return;  // the device asks again after its timeout
      requests_.push_back({dt->device, std::string(payload)});
    }
    cv_.notify_one();
  });
  transport_.addConnectionHandler([this](bool connected) {
    if (!connected) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      all_dirty_ = true;  // retained notices may be gone with a restarted broker
    }
    cv_.notify_one();
  });
  if (auto s = transport_.subscribe(topics::kRequestFilter, 1); !s) return s;
  thread_ = std::thread([this] { run(); });
  return {};
}

void DownlinkService::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DownlinkService::changed(const std::vector<std::string>& locations) {
  std::lock_guard<std::mutex> lock(mu_);
  if (locations.empty()) all_dirty_ = true;
  dirty_.insert(locations.begin(), locations.end());
}

DownlinkStats DownlinkService::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void DownlinkService::run() {
  int64_t last_notices = -1'000'000;
  int64_t last_scan = -1'000'000;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stop_ || !requests_.empty(); });
    if (stop_) break;
    std::deque<Request> reqs;
    reqs.swap(requests_);
    std::set<std::string> notices;
    bool all = false;
    int64_t mono = clock_.monoMs();
    if ((all_dirty_ || !dirty_.empty()) && mono - last_notices >= config_.notice_interval_ms &&
        transport_.isConnected()) {
      all = all_dirty_;
      notices.swap(dirty_);
      all_dirty_ = false;
      last_notices = mono;
    }
    // A location can appear without any data changing for it (a new store's first device,
    // prices kept on a price list): look for locations without a notice now and then.
    bool scan = !all && mono - last_scan >= kScanIntervalMs && transport_.isConnected();
    if (scan) last_scan = mono;
    lock.unlock();
    for (const Request& r : reqs) answer(r);
    if (all) {
      for (auto& l : locations_()) notices.insert(l);
    } else if (scan) {
      for (auto& l : locations_()) {
        if (!announced_.count(l)) notices.insert(l);
      }
    }
    if (!notices.empty()) publishNotices(notices);
    lock.lock();
  }
}

void DownlinkService::answer(const Request& r) {
  auto count = [&](uint64_t DownlinkStats::*field) {
    std::lock_guard<std::mutex> lock(mu_);
    ++(stats_.*field);
  };
  count(&DownlinkStats::requests);
  auto req = common::decodeDownRequest(r.payload);
  if (!req) {
    count(&DownlinkStats::bad_requests);
    SW_WARN(kLog) << r.device << ": bad request: " << req.error().toString();
    return;
  }
  DownlinkProvider* provider = nullptr;
  for (DownlinkProvider* p : providers_) {
    if (p->kind() == req->kind) provider = p;
  }
  if (!provider) {
    count(&DownlinkStats::bad_requests);
    SW_WARN(kLog) << r.device << " asked for unknown kind '" << req->kind << "'";
    return;
  }
  auto page = provider->page(*req, r.device, config_.max_items_per_page);
  if (!page) {
    SW_WARN(kLog) << r.device << ": " << req->kind << " for " << req->location << ": " << page.error().toString();
    return;
  }
  if (auto s = transport_.publish(topics::down(r.device, req->kind), common::encodeDownPage(*page), 1, false); s) {
    count(&DownlinkStats::pages);
  }
}

void DownlinkService::publishNotices(const std::set<std::string>& locations) {
  for (const std::string& loc : locations) {
    common::DownNotice n;
    n.location = loc;
    n.at_ms = clock_.nowMs();
    for (DownlinkProvider* p : providers_) {
      auto v = p->version(loc);
      if (v) n.versions[p->kind()] = *v;
    }
    if (transport_.publish(topics::notice(loc), common::encodeDownNotice(n), 1, true)) {
      announced_.insert(loc);
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.notices;
    }
  }
}

}  // namespace sw::coordinator
