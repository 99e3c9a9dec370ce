#include "sw/coordinator/fleet/enrollment.h"

#include <sys/stat.h>

#include "sw/common/files.h"
#include "sw/common/log.h"
#include "sw/common/x509.h"
#include "sw/provision/enroll_token.h"
#include "sw/provision/fleet_dir.h"

namespace sw::coordinator {
namespace {

using common::Error;
namespace x509 = common::x509;
constexpr const char* kLog = "enroll";

}  // namespace

int enrollHttpStatus(const Error& error) {
  if (error.kind == common::ErrorKind::kRetry) return 503;
  if (error.kind == common::ErrorKind::kFatal) return 500;
  const std::string& c = error.code;
  if (c == "token_forged" || c == "token_expired") return 401;
  if (c == "token_used" || c == "device_revoked" || c == "unknown_device") return 409;
  return 400;
}

common::Result<std::unique_ptr<Enrollment>> Enrollment::open(EnrollmentConfig config, DeviceRegistry& registry,
                                                             const common::Clock& clock) {
  auto fleet = provision::FleetDir::open(config.fleet_dir);
  if (!fleet) return fleet.error();
  auto key = fleet->enrollKey();
  if (!key) return key.error();
  if (auto ca = fleet->issuingCa(); !ca) return Error::fatal("no_issuing_ca", ca.error().message);
  if (config.validity_ms <= 0) return Error::reject("bad_option", "the certificate validity must be positive");
  return std::unique_ptr<Enrollment>(new Enrollment(std::move(config), registry, clock, std::move(*key)));
}

common::Result<EnrollAnswer> Enrollment::enroll(std::string_view token_text, std::string_view csr_pem) {
  const int64_t now = clock_.nowMs();
  auto token = provision::verifyEnrollToken(enroll_key_, token_text, now);
  if (!token) return token.error();
  auto csr = x509::parseCsr(csr_pem);
  if (!csr) return csr.error();
  if (csr->common_name != token->device_id) {
    return Error::reject("csr_cn_mismatch",
                         "the CSR is for '" + csr->common_name + "' but the token is for '" + token->device_id + "'");
  }
  auto fleet = provision::FleetDir::open(config_.fleet_dir);
  if (!fleet) return Error::retry("fleet_unavailable", fleet.error().message);
  auto devices = fleet->devices();
  if (!devices) return Error::retry("fleet_unavailable", devices.error().message);
  const provision::FleetDevice* listed = nullptr;
  for (const auto& d : *devices) {
    if (d.device_id == token->device_id) listed = &d;
  }
  if (listed == nullptr) return Error::reject("unknown_device", "device " + token->device_id + " is not in the fleet");
  if (listed->revoked) return Error::reject("device_revoked", "device " + token->device_id + " is revoked");
  if (auto known = registry_.find(token->device_id); known && known->revoked) {
    return Error::reject("device_revoked", "device " + token->device_id + " is revoked");
  }
  auto role = parseDeviceRole(token->role);
  if (!role) return Error::reject("token_malformed", "the token names an unknown role");

  std::lock_guard<std::mutex> lock(mu_);
  auto fresh = registry_.useToken(token->token_id, token->device_id);
  if (!fresh) return fresh.error();
  if (!*fresh) return Error::reject("token_used", "this enrollment token was used already");
  auto device = registry_.upsert(token->device_id, token->store, *role);
  if (!device) return device.error();
  auto answer = issue(*device, csr_pem);
  if (answer) SW_INFO(kLog) << "enrolled " << answer->device_id << " at " << answer->location << ", certificate " << answer->serial_hex;
  return answer;
}

common::Result<EnrollAnswer> Enrollment::renew(const std::string& device_id, std::string_view csr_pem) {
  auto csr = x509::parseCsr(csr_pem);
  if (!csr) return csr.error();
  if (csr->common_name != device_id) {
    return Error::reject("csr_cn_mismatch", "the CSR is for '" + csr->common_name + "', sent by '" + device_id + "'");
  }
  auto device = registry_.find(device_id);
  if (!device) return Error::reject("unknown_device", "device " + device_id + " is not enrolled");
  if (device->revoked) return Error::reject("device_revoked", "device " + device_id + " is revoked");
  std::lock_guard<std::mutex> lock(mu_);
  auto answer = issue(*device, csr_pem);
  if (answer) SW_INFO(kLog) << "renewed " << device_id << ", certificate " << answer->serial_hex;
  return answer;
}

common::Result<EnrollAnswer> Enrollment::issue(const RegisteredDevice& device, std::string_view csr_pem) {
  const int64_t now = clock_.nowMs();
  auto fleet = provision::FleetDir::open(config_.fleet_dir);
  if (!fleet) return Error::retry("fleet_unavailable", fleet.error().message);
  auto ca = fleet->issuingCa();
  if (!ca) return Error::retry("fleet_unavailable", ca.error().message);
  auto chain = fleet->chainPem();
  if (!chain) return Error::retry("fleet_unavailable", chain.error().message);
  // Valid from a few minutes back, so a device whose clock is a little behind can use it.
  auto cert = x509::signClientCsr(*ca, csr_pem, {{now - 300'000, now + config_.validity_ms}, device.device_id});
  if (!cert) return cert.error();
  auto info = x509::certInfo(*cert);
  if (!info) return info.error();
  if (auto s = fleet->recordIssued({device.device_id, info->serial_hex, info->not_after_ms, now}); !s) return s.error();
  if (auto s = registry_.recordCertificate(device.device_id, info->serial_hex, info->not_after_ms); !s) return s.error();
  return EnrollAnswer{device.device_id, device.location, deviceRoleName(device.role), *cert, *chain,
                      info->serial_hex, info->not_after_ms, config_.broker_url};
}

std::vector<std::string> Enrollment::checkCrl() {
  const std::string path = config_.fleet_dir + "/crl.pem";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (mtime == crl_mtime_ns_) return {};
  auto text = common::readFile(path);
  if (!text) return {};
  auto serials = x509::crlSerials(*text);
  if (!serials) {
    SW_WARN(kLog) << path << ": " << serials.error().message;
    return {};
  }
  crl_mtime_ns_ = mtime;
  auto revoked = registry_.revokeSerials(*serials);
  for (const auto& d : revoked) SW_WARN(kLog) << "device " << d << " revoked by the CRL";
  return revoked;
}

void CrlWatcher::start() {
  enrollment_.checkCrl();
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; })) {
      lock.unlock();
      enrollment_.checkCrl();
      lock.lock();
    }
  });
}

void CrlWatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sw::coordinator
