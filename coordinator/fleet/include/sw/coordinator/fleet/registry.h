#pragma once
// The device registry: which devices belong to the fleet, at which store, in which role, and
// whether they may still sync. It is the coordinator's source of truth for a device's identity:
// ingest takes the device from the MQTT topic (which the broker's ACL ties to the device's
// certificate) and its store and role from here, never from a payload.
//
// A device enters the registry when it enrolls with a valid one-time token (the token names
// device, store and role) or when an admin registers it. Revoking marks it revoked at once:
// ingest quarantines what it sends from then on (reason `device_revoked`), and what it recorded
// before stays in the ledger.
//
// Table (in the ledger's SQLite file, on this class's own connection; WAL, synchronous=FULL):
//   device_registry(device_id PK, location, role, state, cert_serial, cert_not_after_ms,
//                   enrolled_at_ms, revoked_at_ms, revoked_reason, updated_at_ms)
//   enroll_tokens_used(token_id PK, device_id, used_at_ms)
// Thread safety: every method may be called from any thread (one mutex); lookups used on the
// ingest path are served from an in-memory copy refreshed on every change made through this
// object and, for changes made by another process on the same file, by refreshIfChanged().

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sw/common/build_info.h"
#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"

namespace sw::coordinator {

enum class DeviceRole { kPos, kHandheld };
const char* deviceRoleName(DeviceRole role);                // "pos", "handheld"
std::optional<DeviceRole> parseDeviceRole(std::string_view text);

struct RegisteredDevice {
  std::string device_id;
  std::string location;
  DeviceRole role = DeviceRole::kPos;
  bool revoked = false;
  std::string cert_serial;       // hex, of the certificate issued at enrollment or last renewal
  int64_t cert_not_after_ms = 0;
  int64_t enrolled_at_ms = 0;
  int64_t revoked_at_ms = 0;
  std::string revoked_reason;
};

class DeviceRegistry {
 public:
  static common::Result<std::unique_ptr<DeviceRegistry>> open(const std::string& path,
                                                              const common::Clock& clock);
  // The schema version open() brings its tables to (for --version).
  static common::SchemaVersion schemaVersion();
  // The steps of its schema, in order: step i takes version i to i+1 (tests build a file of each
  // earlier version from them).
  static const std::vector<std::string>& schemaSteps();

  // Adds a device, or updates the store and role of one that is not revoked. A revoked device
  // id cannot come back (kReject `device_revoked`): a replacement gets a new id.
  common::Result<RegisteredDevice> upsert(const std::string& device_id, const std::string& location,
                                          DeviceRole role);
  std::optional<RegisteredDevice> find(const std::string& device_id) const;
  std::vector<RegisteredDevice> list() const;

  // Records that a certificate was issued to the device (enrollment or renewal).
  common::Status recordCertificate(const std::string& device_id, const std::string& serial_hex,
                                   int64_t not_after_ms);
  // Marks the device revoked (idempotent; the first time and reason are kept).
  common::Status revoke(const std::string& device_id, const std::string& reason);
  // Marks every device whose current certificate serial is in `serials_hex` revoked (reason
  // "certificate revoked"); returns the device ids newly revoked. Used when the CRL changes.
  std::vector<std::string> revokeSerials(const std::vector<std::string>& serials_hex);

  // One-time enrollment tokens: true the first time token_id is used, false after (kept forever).
  common::Result<bool> useToken(const std::string& token_id, const std::string& device_id);

  // Re-reads the table (changes made by another process, e.g. stockwire-coordinator device add).
  common::Status refresh();
  // Re-reads it only if any writer changed it since (one small query: every change bumps a
  // generation counter in registry_meta).
  common::Status refreshIfChanged();

 private:
  DeviceRegistry(common::SqliteDb db, const common::Clock& clock);
  common::Status loadLocked();
  common::Status bumpLocked();

  mutable std::mutex mu_;
  common::SqliteDb db_;
  const common::Clock& clock_;
  std::map<std::string, RegisteredDevice, std::less<>> devices_;
  int64_t generation_ = -1;
};

}  // namespace sw::coordinator
