#pragma once
// A fleet directory: the fleet's CAs, its enrollment key, its devices, the certificates issued
// and the CRL, and what is generated from them for each broker. Created by
// `stockwire-provision ca init`, read by the coordinator when it runs with --fleet-dir.
//
//   root.key, root.pem          self-signed root CA (20 years). The key is needed only to make
//                               a new issuing CA: it can be moved offline after `ca init`.
//   issuing.key, issuing.pem    issuing CA (5 years), signed by the root: signs device, broker
//                               and coordinator certificates and the CRL
//   ca-chain.pem                issuing.pem then root.pem: the CA bundle for brokers and clients
//   enroll.key                  32 random bytes: HMAC key of enrollment tokens
//   devices.csv                 store,device_id,role,state,changed_at_ms (state active|revoked)
//   issued.csv                  subject,serial_hex,not_after_ms,issued_at_ms: every certificate
//                               issued (appended by provisioning and by the coordinator)
//   crl.pem                     the issuing CA's CRL: every serial issued to a revoked device
//   brokers.txt                 the broker directories made by `broker`, kept up to date by
//                               device add/import and revoke (ACL and CRL)
// Every key is 0600; every file is replaced atomically (files.h) except issued.csv, which is
// appended one whole line per write.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"
#include "sw/common/x509.h"
#include "sw/provision/fleet.h"

namespace sw::provision {

// The coordinator's MQTT identity (certificate CN, and so its broker user name). No device may
// take this id.
inline constexpr const char* kCoordinatorIdentity = "stockwire-coordinator";

struct FleetDevice {
  std::string store;
  std::string device_id;
  std::string role;  // pos or handheld
  bool revoked = false;
  int64_t changed_at_ms = 0;
};

struct IssuedCert {
  std::string subject;  // device id, kCoordinatorIdentity or "broker:<host>"
  std::string serial_hex;
  int64_t not_after_ms = 0;
  int64_t issued_at_ms = 0;
};

struct ImportResult {
  size_t added = 0;
  size_t unchanged = 0;          // already registered with the same store and role
  std::vector<RowError> errors;  // rows left out, with 1-based row numbers of the file
};

struct BrokerOptions {
  int port = 8883;
  std::string bind;                                       // empty: every interface
  std::vector<std::string> hosts{"127.0.0.1", "localhost"};  // server certificate SANs
  // When set, DIR and its files are given to this user (Mosquitto started as root drops to its
  // own user, normally `mosquitto`, before it reads certificates and keys). Needs root.
  std::string owner;
};

class FleetDir {
 public:
  // Creates the directory's CAs and key; kReject `fleet_exists` if it already holds a fleet.
  static common::Result<FleetDir> init(const std::string& dir, int64_t now_ms);
  // kReject `no_fleet` unless init made it.
  static common::Result<FleetDir> open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  std::string path(std::string_view name) const { return dir_ + "/" + std::string(name); }

  common::Result<std::vector<FleetDevice>> devices() const;
  // Adds a device; the same device with the same store and role again is a no-op. Errors:
  // bad_device_id, bad_store, bad_role, reserved_id, device_exists (other store or role),
  // device_revoked (a revoked id never comes back).
  common::Result<FleetDevice> addDevice(const std::string& store, const std::string& device_id,
                                        const std::string& role, int64_t now_ms);
  // CSV rows store,device_id,role (an optional header row with those names). Bad rows are
  // reported and left out; the good ones are added together.
  common::Result<ImportResult> importCsv(std::string_view text, int64_t now_ms);

  // A one-time enrollment token for a registered, active device (enroll_token.h).
  common::Result<std::string> issueToken(const std::string& device_id, int64_t now_ms, int64_t ttl_ms) const;
  common::Result<std::string> enrollKey() const;

  common::Result<common::x509::Signer> issuingCa() const;
  common::Result<std::string> chainPem() const;
  // Appends to issued.csv.
  common::Status recordIssued(const IssuedCert& cert) const;
  common::Result<std::vector<IssuedCert>> issued() const;

  // Marks the device revoked, regenerates crl.pem and every broker's ACL and CRL. Idempotent.
  common::Status revoke(const std::string& device_id, int64_t now_ms);
  // crl.pem from issued.csv and devices.csv (valid 365 days; run `crl` again within that).
  common::Status writeCrl(int64_t now_ms) const;

  // The acl_file text: one user block per active device, the coordinator's, no pattern rules.
  common::Result<std::string> acl() const;

  // Writes DIR/{mosquitto.conf, acl, ca-chain.pem, crl.pem, server.pem, server.key} and
  // remembers DIR in brokers.txt.
  common::Status writeBroker(const std::string& out_dir, const BrokerOptions& options, int64_t now_ms);
  // Rewrites acl and crl.pem in every remembered broker directory.
  common::Status refreshBrokers() const;

  // DIR/{coordinator.key, coordinator.pem, ca-chain.pem}: CN kCoordinatorIdentity, client certificate.
  common::Status writeCoordinatorCert(const std::string& out_dir, int64_t now_ms) const;

 private:
  explicit FleetDir(std::string dir) : dir_(std::move(dir)) {}
  common::Status saveDevices(const std::vector<FleetDevice>& devices) const;
  common::Result<std::vector<std::string>> brokerDirs() const;

  std::string dir_;
};

// The ACL for these devices (active ones only) and the coordinator's identity.
std::string identityAcl(const std::vector<FleetDevice>& devices, const std::string& coordinator_user);

}  // namespace sw::provision
