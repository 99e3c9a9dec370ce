#pragma once
// The device's certificate, kept in an identity directory made by `stockwire-agent enroll`:
//   DIR/ca-chain.pem
//   DIR/id-<serial>/device.key (0600), DIR/id-<serial>/device.pem   one per certificate
//   DIR/current -> id-<serial>                                     the one in use
// The agent's --cert and --key are DIR/current/device.pem and DIR/current/device.key, so a new
// key and certificate replace the old ones together with one rename of the `current` symlink.
//
// CertRenewer renews the certificate when less than a third of its validity remains (checked
// every check_interval_ms) or when renewNow() is called: it makes a new key (in memory until the
// answer), publishes a CSR on sw/v1/dev/{device}/csr and takes the answer from
// sw/v1/dev/{device}/down/cert (see coordinator/fleet/include/sw/coordinator/fleet/cert_renewal.h). The new
// certificate must be for this device, for the new key and verify against DIR/ca-chain.pem (the
// chain from enrollment; the answer's ca_pem is not trusted, so the CA cannot change); then
// it is installed and the transport reconnects with it. Events are untouched: the outbox is
// durable and the sync loop resends whatever the reconnect left unacknowledged.
// Threads: its own checker thread between start() and stop(); answers arrive on the transport's.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "sw/common/clock.h"
#include "sw/common/mqtt.h"
#include "sw/common/result.h"
#include "sw/common/x509.h"

namespace sw::agent {

// Writes DIR/id-<serial>/{device.key,device.pem} and points DIR/current at it (atomically).
common::Status installIdentity(const std::string& dir, const std::string& key_pem, const std::string& cert_pem);

struct RenewalConfig {
  std::string identity_dir;  // DIR above
  std::string device_id;
  int64_t check_interval_ms = 60'000;
  int64_t retry_ms = 60'000;  // ask again after this long without an answer
};

struct RenewalStatus {
  std::string serial;
  int64_t not_after_ms = 0;
  uint64_t renewals = 0;
  std::string last_error;
};

class CertRenewer {
 public:
  CertRenewer(common::MqttTransport& transport, const common::Clock& clock, RenewalConfig config);
  ~CertRenewer();
  CertRenewer(const CertRenewer&) = delete;
  CertRenewer& operator=(const CertRenewer&) = delete;

  // Adds the message handler and subscription: call before the transport starts.
  void attach();
  void start();
  void stop();
  // Asks for a new certificate now (tests, operators); the answer installs it.
  void renewNow();
  RenewalStatus status() const;

 private:
  // The certificate in use (DIR/current/device.pem).
  common::Result<common::x509::CertInfo> currentCertificate() const;
  void run();
  void request();
  void onAnswer(std::string_view payload);

  common::MqttTransport& transport_;
  const common::Clock& clock_;
  RenewalConfig config_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool wanted_ = false;
  bool wake_ = false;
  bool reconnect_due_ = false;
  std::string pending_id_;
  std::string pending_key_;
  int64_t requested_at_ms_ = 0;
  RenewalStatus status_;
  std::thread thread_;
};

}  // namespace sw::agent
