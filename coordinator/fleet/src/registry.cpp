// The device registry (see registry.h).

#include "sw/coordinator/fleet/registry.h"

#include <set>

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::Status;

namespace {

// Steps of the registry's tables (versioned in schema_versions; releases before that kept '1'
// under 'schema' in registry_meta, which is read once; registry_meta keeps the generation).
const common::SqliteSchema kSchema = {"registry", {
    "CREATE TABLE IF NOT EXISTS registry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO registry_meta VALUES ('generation', '0');"
    "CREATE TABLE IF NOT EXISTS device_registry (device_id TEXT PRIMARY KEY, location TEXT NOT NULL,"
    "  role TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'active', cert_serial TEXT NOT NULL DEFAULT '',"
    "  cert_not_after_ms INTEGER NOT NULL DEFAULT 0, enrolled_at_ms INTEGER NOT NULL DEFAULT 0,"
    "  revoked_at_ms INTEGER NOT NULL DEFAULT 0, revoked_reason TEXT NOT NULL DEFAULT '',"
    "  updated_at_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS enroll_tokens_used (token_id TEXT PRIMARY KEY, device_id TEXT NOT NULL,"
    "  used_at_ms INTEGER NOT NULL);",
}, "registry_meta"};

}  // namespace

const char* deviceRoleName(DeviceRole role) {
  switch (role) {
    case DeviceRole::kPos: return "pos";
    case DeviceRole::kHandheld: return "handheld";
  }
  return "pos";
}

std::optional<DeviceRole> parseDeviceRole(std::string_view text) {
  if (text == "pos") return DeviceRole::kPos;
  if (text == "handheld") return DeviceRole::kHandheld;
  return std::nullopt;
}

DeviceRegistry::DeviceRegistry(common::SqliteDb db, const common::Clock& clock)
    : db_(std::move(db)), clock_(clock) {}

common::SchemaVersion DeviceRegistry::schemaVersion() {
  return common::schemaVersionOf(kSchema);
}

const std::vector<std::string>& DeviceRegistry::schemaSteps() { return kSchema.steps; }

Result<std::unique_ptr<DeviceRegistry>> DeviceRegistry::open(const std::string& path, const common::Clock& clock) {
  // Shares the file with the ledger's writer: wait for it rather than fail an enrollment.
  auto db = common::SqliteDb::open({.path = path, .busy_timeout_ms = 30'000});
  if (!db) return db.error();
  std::unique_ptr<DeviceRegistry> r(new DeviceRegistry(std::move(*db), clock));
  if (auto s = r->db_.migrate(kSchema); !s) return s.error();
  std::lock_guard<std::mutex> lock(r->mu_);
  if (auto s = r->loadLocked(); !s) return s.error();
  return r;
}

Status DeviceRegistry::bumpLocked() {
  if (auto s = db_.exec("UPDATE registry_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'"); !s) {
    return s;
  }
  auto g = db_.queryInt("SELECT CAST(value AS INTEGER) FROM registry_meta WHERE key = 'generation'");
  if (!g) return g.error();
  generation_ = *g;
  return {};
}

Status DeviceRegistry::refreshIfChanged() {
  std::lock_guard<std::mutex> lock(mu_);
  auto g = db_.queryInt("SELECT CAST(value AS INTEGER) FROM registry_meta WHERE key = 'generation'");
  if (!g) return g.error();
  if (*g == generation_) return {};
  return loadLocked();
}

Status DeviceRegistry::loadLocked() {
  auto g = db_.queryInt("SELECT CAST(value AS INTEGER) FROM registry_meta WHERE key = 'generation'");
  if (!g) return g.error();
  auto st = db_.prepare(
      "SELECT device_id, location, role, state, cert_serial, cert_not_after_ms, enrolled_at_ms, revoked_at_ms,"
      " revoked_reason FROM device_registry");
  if (!st) return st.error();
  std::map<std::string, RegisteredDevice, std::less<>> fresh;
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    RegisteredDevice d;
    d.device_id = st->columnText(0);
    d.location = st->columnText(1);
    d.role = parseDeviceRole(st->columnView(2)).value_or(DeviceRole::kPos);
    d.revoked = st->columnView(3) == "revoked";
    d.cert_serial = st->columnText(4);
    d.cert_not_after_ms = st->columnInt(5);
    d.enrolled_at_ms = st->columnInt(6);
    d.revoked_at_ms = st->columnInt(7);
    d.revoked_reason = st->columnText(8);
    fresh.emplace(d.device_id, std::move(d));
  }); !each_ok) {
    return each_ok.error();
  }
  devices_ = std::move(fresh);
  generation_ = *g;
  return {};
}

Status DeviceRegistry::refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  return loadLocked();
}

Result<RegisteredDevice> DeviceRegistry::upsert(const std::string& device_id, const std::string& location,
                                                DeviceRole role) {
  if (device_id.empty() || location.empty()) {
    return Error::reject("bad_device", "a device needs an id and a location");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (auto s = loadLocked(); !s) return s.error();
  if (auto it = devices_.find(device_id); it != devices_.end() && it->second.revoked) {
    return Error::reject("device_revoked",
                         "device " + device_id + " was revoked; a replacement device needs a new id");
  }
  const int64_t now = clock_.nowMs();
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto st = db_.prepare(
      "INSERT INTO device_registry (device_id, location, role, enrolled_at_ms, updated_at_ms) VALUES (?,?,?,?,?)"
      " ON CONFLICT (device_id) DO UPDATE SET location = excluded.location, role = excluded.role,"
      " updated_at_ms = excluded.updated_at_ms");
  if (!st) return st.error();
  st->bind(1, std::string_view(device_id)).bind(2, std::string_view(location));
  st->bind(3, std::string_view(deviceRoleName(role))).bind(4, now).bind(5, now);
  if (auto s = st->run(); !s) return s.error();
  if (auto s = bumpLocked(); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  if (auto s = loadLocked(); !s) return s.error();
  return devices_.at(device_id);
}

std::optional<RegisteredDevice> DeviceRegistry::find(const std::string& device_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = devices_.find(device_id);
  if (it == devices_.end()) return std::nullopt;
  return it->second;
}

std::vector<RegisteredDevice> DeviceRegistry::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RegisteredDevice> out;
  out.reserve(devices_.size());
  for (const auto& [id, d] : devices_) out.push_back(d);
  return out;
}

Status DeviceRegistry::recordCertificate(const std::string& device_id, const std::string& serial_hex,
                                         int64_t not_after_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto st = db_.prepare(
      "UPDATE device_registry SET cert_serial = ?, cert_not_after_ms = ?, updated_at_ms = ? WHERE device_id = ?");
  if (!st) return st.error();
  st->bind(1, std::string_view(serial_hex)).bind(2, not_after_ms).bind(3, clock_.nowMs());
  st->bind(4, std::string_view(device_id));
  if (auto s = st->run(); !s) return s;
  if (db_.changes() == 0) return Error::reject("unknown_device", "device " + device_id + " is not registered");
  if (auto s = bumpLocked(); !s) return s;
  if (auto s = txn->commit(); !s) return s;
  return loadLocked();
}

Status DeviceRegistry::revoke(const std::string& device_id, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto st = db_.prepare(
      "UPDATE device_registry SET state = 'revoked', revoked_at_ms = ?, revoked_reason = ?, updated_at_ms = ?"
      " WHERE device_id = ? AND state != 'revoked'");
  if (!st) return st.error();
  const int64_t now = clock_.nowMs();
  st->bind(1, now).bind(2, std::string_view(reason)).bind(3, now).bind(4, std::string_view(device_id));
  if (auto s = st->run(); !s) return s;
  if (db_.changes() == 0) {
    if (auto s = loadLocked(); !s) return s;
    if (devices_.count(device_id) == 0) {
      return Error::reject("unknown_device", "device " + device_id + " is not registered");
    }
    return {};  // already revoked: the first time and reason stay
  }
  if (auto s = bumpLocked(); !s) return s;
  if (auto s = txn->commit(); !s) return s;
  return loadLocked();
}

std::vector<std::string> DeviceRegistry::revokeSerials(const std::vector<std::string>& serials_hex) {
  std::set<std::string> wanted(serials_hex.begin(), serials_hex.end());
  std::vector<std::string> hit;
  for (const auto& d : list()) {
    if (!d.revoked && !d.cert_serial.empty() && wanted.count(d.cert_serial) != 0) hit.push_back(d.device_id);
  }
  std::vector<std::string> done;
  for (const auto& id : hit) {
    if (revoke(id, "certificate revoked")) done.push_back(id);
  }
  return done;
}

Result<bool> DeviceRegistry::useToken(const std::string& token_id, const std::string& device_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("INSERT OR IGNORE INTO enroll_tokens_used (token_id, device_id, used_at_ms) VALUES (?,?,?)");
  if (!st) return st.error();
  st->bind(1, std::string_view(token_id)).bind(2, std::string_view(device_id)).bind(3, clock_.nowMs());
  if (auto s = st->run(); !s) return s.error();
  return db_.changes() == 1;
}

}  // namespace sw::coordinator
