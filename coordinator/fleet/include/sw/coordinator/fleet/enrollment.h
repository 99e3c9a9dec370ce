#pragma once
// Enrollment and certificate renewal at the coordinator, from a fleet directory
// (provisioning/include/sw/provision/fleet_dir.h) it was given with --fleet-dir.
//
// enroll(token, csr): the token's MAC and expiry are checked with FLEET/enroll.key, the device
// must still be active in FLEET/devices.csv and not revoked in the registry, the CSR's CN must
// be the token's device; then the token is used up (DeviceRegistry::useToken: a second use is
// refused), the device registered with the token's store and role, the CSR signed by the issuing
// CA, and the certificate recorded in the registry and FLEET/issued.csv.
// renew(device, csr): the same for a device already enrolled, asked over its own authenticated
// MQTT connection (the topic, which the broker's ACL ties to its certificate, names it).
// checkCrl(): when FLEET/crl.pem changed since the last call, marks the devices whose current
// certificate it lists revoked in the registry.
//
// Error codes (kReject unless noted) and the HTTP status POST /v1/enroll answers with:
//   400 bad_request, token_malformed, bad_csr, bad_csr_signature, bad_cn, csr_cn_mismatch
//   401 token_forged, token_expired
//   409 token_used, device_revoked, unknown_device (not in the fleet's devices.csv)
//   5xx retry/fatal (files, registry)

#include <cstdint>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <string_view>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/fleet/registry.h"

namespace sw::coordinator {

struct EnrollmentConfig {
  std::string fleet_dir;
  int64_t validity_ms = 30LL * 86'400'000;
  std::string broker_url;  // handed to enrolled devices (config.broker_url)
};

struct EnrollAnswer {
  std::string device_id;
  std::string location;
  std::string role;
  std::string certificate_pem;
  std::string ca_pem;  // the chain: issuing CA then root
  std::string serial_hex;
  int64_t not_after_ms = 0;
  std::string broker_url;
};

class Enrollment {
 public:
  static common::Result<std::unique_ptr<Enrollment>> open(EnrollmentConfig config, DeviceRegistry& registry,
                                                          const common::Clock& clock);

  common::Result<EnrollAnswer> enroll(std::string_view token, std::string_view csr_pem);
  common::Result<EnrollAnswer> renew(const std::string& device_id, std::string_view csr_pem);
  // Returns the devices newly revoked (empty when the CRL did not change).
  std::vector<std::string> checkCrl();

 private:
  Enrollment(EnrollmentConfig config, DeviceRegistry& registry, const common::Clock& clock, std::string key)
      : config_(std::move(config)), registry_(registry), clock_(clock), enroll_key_(std::move(key)) {}
  common::Result<EnrollAnswer> issue(const RegisteredDevice& device, std::string_view csr_pem);

  EnrollmentConfig config_;
  DeviceRegistry& registry_;
  const common::Clock& clock_;
  std::string enroll_key_;
  std::mutex mu_;  // one issue at a time (issued.csv, registry certificate)
  int64_t crl_mtime_ns_ = -1;
};

// Calls checkCrl() at start and then every interval on its own thread, between start() and
// stop() (the destructor stops it), so a revocation reaches the registry within seconds.
class CrlWatcher {
 public:
  CrlWatcher(Enrollment& enrollment, int64_t interval_ms) : enrollment_(enrollment), interval_ms_(interval_ms) {}
  ~CrlWatcher() { stop(); }
  CrlWatcher(const CrlWatcher&) = delete;
  CrlWatcher& operator=(const CrlWatcher&) = delete;
  void start();
  void stop();

 private:
  Enrollment& enrollment_;
  int64_t interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// The HTTP status for an enrollment error (see above).
int enrollHttpStatus(const common::Error& error);

}  // namespace sw::coordinator
