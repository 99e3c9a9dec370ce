#include "sw/coordinator/fleet/cert_renewal.h"

#include <nlohmann/json.hpp>

#include "sw/common/event.h"
#include "sw/common/http_errors.h"
#include "sw/common/log.h"
#include "sw/common/topics.h"

namespace sw::coordinator {
namespace {

constexpr const char* kLog = "renewal";
constexpr size_t kMaxQueue = 256;
constexpr size_t kMaxPayload = 32 * 1024;

}  // namespace

CertRenewalService::CertRenewalService(common::MqttTransport& transport, Enrollment& enrollment,
                                       std::string share_group)
    : transport_(transport), enrollment_(enrollment), share_group_(std::move(share_group)) {}

CertRenewalService::~CertRenewalService() { stop(); }

common::Status CertRenewalService::start() {
  transport_.addMessageHandler(std::string(common::topics::kCsrFilter), [this](std::string_view topic, std::string_view payload) {
    auto t = common::topics::parseDeviceTopic(topic);
    if (!t || t->leaf != "csr" || !common::isValidId(t->device) || payload.size() > kMaxPayload) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= kMaxQueue) return;
    queue_.push_back({t->device, std::string(payload)});
    cv_.notify_one();
  });
  worker_ = std::thread([this] { run(); });
  std::string prefix = share_group_.empty() ? "" : "$share/" + share_group_ + "/";
  return transport_.subscribe(prefix + std::string(common::topics::kCsrFilter), 1);
}

void CertRenewalService::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void CertRenewalService::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Request r = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    answer(r);
    lock.lock();
  }
}

void CertRenewalService::answer(const Request& r) {
  nlohmann::json out = {{"v", 1}};
  std::string csr;
  try {
    auto j = nlohmann::json::parse(r.payload);
    out["id"] = j.at("id").get<std::string>();
    csr = j.at("csr_pem").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    SW_WARN(kLog) << r.device << ": bad renewal request";
    out["error"] = common::errorBody(common::Error::reject("bad_request", "expected {v, id, csr_pem}"))["error"];
  }
  if (!out.contains("error")) {
    auto issued = enrollment_.renew(r.device, csr);
    if (issued) {
      out["certificate_pem"] = issued->certificate_pem;
      out["ca_pem"] = issued->ca_pem;
      out["not_after_ms"] = issued->not_after_ms;
    } else {
      SW_WARN(kLog) << r.device << ": renewal refused: " << issued.error().toString();
      out["error"] = common::errorBody(issued.error())["error"];
    }
  }
  if (auto s = transport_.publish(common::topics::down(r.device, "cert"), out.dump(), 1, false); !s) {
    SW_WARN(kLog) << r.device << ": cannot answer: " << s.error().toString();
  }
}

}  // namespace sw::coordinator
