#include "sw/agent/cert_renewal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "sw/common/crypto.h"
#include "sw/common/files.h"
#include "sw/common/log.h"
#include "sw/common/topics.h"
#include "sw/common/x509.h"

namespace sw::agent {
namespace {

using common::Error;
namespace fs = std::filesystem;
constexpr const char* kLog = "renewal";

}  // namespace

common::Status installIdentity(const std::string& dir, const std::string& key_pem, const std::string& cert_pem) {
  auto info = common::x509::certInfo(cert_pem);
  if (!info) return info.error();
  const std::string name = "id-" + info->serial_hex;
  std::error_code ec;
  fs::create_directories(dir + "/" + name, ec);
  if (ec) return Error::retry("write_failed", "cannot create " + dir + "/" + name + ": " + ec.message());
  if (auto s = common::writeSecretFile(dir + "/" + name + "/device.key", key_pem); !s) return s;
  if (auto s = common::writeFileAtomic(dir + "/" + name + "/device.pem", cert_pem, 0644); !s) return s;
  // A new symlink renamed over `current`: readers see the old pair or the new one.
  const std::string tmp = dir + "/current.tmp";
  ::unlink(tmp.c_str());
  if (::symlink(name.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), (dir + "/current").c_str()) != 0) {
    return Error::retry("write_failed", "cannot point " + dir + "/current at " + name);
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

CertRenewer::CertRenewer(common::MqttTransport& transport, const common::Clock& clock, RenewalConfig config)
    : transport_(transport), clock_(clock), config_(std::move(config)) {}

CertRenewer::~CertRenewer() { stop(); }

common::Result<common::x509::CertInfo> CertRenewer::currentCertificate() const {
  auto cert = common::readFile(config_.identity_dir + "/current/device.pem");
  if (!cert) return cert.error();
  return common::x509::certInfo(*cert);
}

void CertRenewer::attach() {
  // GET /v1/certificate answers from the first request on, before the worker's first pass.
  if (auto info = currentCertificate()) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.serial = info->serial_hex;
    status_.not_after_ms = info->not_after_ms;
  }
  const std::string topic = common::topics::down(config_.device_id, "cert");
  transport_.addMessageHandler(topic, [this](std::string_view, std::string_view payload) { onAnswer(payload); });
  (void)transport_.subscribe(topic, 1);
}

void CertRenewer::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void CertRenewer::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CertRenewer::renewNow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wanted_ = true;
    pending_id_.clear();  // a new request, even if one is outstanding
    wake_ = true;
  }
  cv_.notify_all();
}

RenewalStatus CertRenewer::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void CertRenewer::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_ = false;
    if (reconnect_due_) {
      reconnect_due_ = false;
      lock.unlock();
      transport_.reconnect();
      lock.lock();
    }
    lock.unlock();
    auto info = currentCertificate();
    const int64_t now = clock_.nowMs();
    const bool connected = transport_.isConnected();
    lock.lock();
    if (info) {
      status_.serial = info->serial_hex;
      status_.not_after_ms = info->not_after_ms;
      int64_t lifetime = info->not_after_ms - info->not_before_ms;
      if (info->not_after_ms - now < lifetime / 3) wanted_ = true;
    }
    bool due = wanted_ && connected && (pending_id_.empty() || now - requested_at_ms_ >= config_.retry_ms);
    if (due) {
      lock.unlock();
      request();
      lock.lock();
    }
    // Wanted but not connected yet: look again soon.
    int64_t wait_ms = wanted_ && !connected ? 200 : config_.check_interval_ms;
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_ || wake_; });
  }
}

void CertRenewer::request() {
  auto key = common::x509::generateKey();
  auto id = common::crypto::randomBytes(8);
  if (!key || !id) return;
  auto csr = common::x509::makeCsr(*key, config_.device_id);
  if (!csr) return;
  std::string rid = common::crypto::hex(*id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_id_ = rid;
    pending_key_ = *key;
    requested_at_ms_ = clock_.nowMs();
  }
  nlohmann::json j = {{"v", 1}, {"id", rid}, {"csr_pem", *csr}};
  if (auto s = transport_.publish(common::topics::csr(config_.device_id), j.dump(), 1, false); !s) {
    SW_WARN(kLog) << "cannot send the renewal request: " << s.error().toString();
    std::lock_guard<std::mutex> lock(mu_);
    pending_id_.clear();
    return;
  }
  SW_INFO(kLog) << config_.device_id << ": asked for a new certificate (request " << rid << ")";
}

void CertRenewer::onAnswer(std::string_view payload) {
  std::string id, cert, code, message;
  try {
    auto j = nlohmann::json::parse(payload);
    id = j.at("id").get<std::string>();
    if (j.contains("error")) {
      code = j["error"].value("code", "refused");
      message = j["error"].value("message", "");
    } else {
      cert = j.at("certificate_pem").get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
    SW_WARN(kLog) << "bad renewal answer ignored";
    return;
  }
  std::string key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (id != pending_id_) return;  // an answer to an older request
    key = pending_key_;
    if (!code.empty()) {
      status_.last_error = code + ": " + message;
      pending_id_.clear();
      pending_key_.clear();
      wanted_ = false;  // asked again at the next check if still due
      SW_WARN(kLog) << "renewal refused: " << status_.last_error;
      return;
    }
  }
  auto info = common::x509::certInfo(cert);
  auto bad = [&](const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_error = why;
    SW_WARN(kLog) << "renewal answer refused: " << why;
  };
  if (!info || info->common_name != config_.device_id) return bad("the certificate is not for this device");
  if (!common::x509::certMatchesKey(cert, key)) return bad("the certificate is not for the key sent");
  // Verified against the chain the device already trusts (from enrollment), never against the
  // one in the answer: a renewal cannot move the device to another CA.
  auto trusted = common::readFile(config_.identity_dir + "/ca-chain.pem");
  if (!trusted) return bad(trusted.error().message);
  if (auto v = common::x509::verify(cert, *trusted, {clock_.nowMs(), "", common::x509::Purpose::kClient, ""}); !v) {
    return bad("the certificate does not verify against the fleet's CA: " + v.error().message);
  }
  if (auto s = installIdentity(config_.identity_dir, key, cert); !s) return bad(s.error().message);
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_id_.clear();
    pending_key_.clear();
    wanted_ = false;
    status_.serial = info->serial_hex;
    status_.not_after_ms = info->not_after_ms;
    status_.last_error.clear();
    ++status_.renewals;
  }
  SW_INFO(kLog) << config_.device_id << ": new certificate " << info->serial_hex << " installed; reconnecting";
  // Not on the transport's callback thread (a clean disconnect waits for it): on ours.
  {
    std::lock_guard<std::mutex> lock(mu_);
    reconnect_due_ = true;
    wake_ = true;
  }
  cv_.notify_all();
}

}  // namespace sw::agent
