#pragma once
// Who may use the coordinator's API, and what they did: bearer tokens with roles, stored hashed
// in the ledger file (tables api_tokens, audit_log; own connection, as the catalog has), the
// rule that says which role may call which route (access_policy.h), and the audit log.
//
// A token is "swt_" + 64 hex digits (32 random bytes); only its SHA-256 is kept, so the ledger
// file does not hold a usable credential. It is shown once, when it is made.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/build_info.h"
#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"

namespace sw::coordinator {

// Set on each request by the API's guard once the bearer token is checked; the same headers sent
// by a client are dropped first. Routes that narrow a role's rights (POST /v1/prices for a store
// manager) read them.
inline constexpr const char* kPrincipalNameHeader = "X-Stockwire-Principal";
inline constexpr const char* kPrincipalRoleHeader = "X-Stockwire-Role";
inline constexpr const char* kPrincipalLocationHeader = "X-Stockwire-Location";

enum class Role { kAdmin, kStoreManager, kViewer };
const char* roleName(Role role);
std::optional<Role> parseRole(std::string_view name);

struct Principal {
  std::string name;
  Role role = Role::kViewer;
  std::string location;  // a store manager's own location; empty for the other roles
};

struct TokenInfo {
  std::string name;
  Role role = Role::kViewer;
  std::string location;
  int64_t created_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0: in force
};

struct AuditEntry {
  int64_t id = 0;
  int64_t at_ms = 0;
  std::string who;   // token name; empty when the request had no valid token
  std::string role;  // role name; empty likewise
  std::string remote;  // client address
  std::string method;
  std::string path;
  std::string target;  // the request target as sent (path and query)
  int status = 0;
  std::string outcome;  // "ok", or the error code the answer gave
  // Whose personal data the request touched (a customer id: GET /v1/customers..., export, erase);
  // "" for the rest. Reads are logged only when they have one.
  std::string subject;
};

struct AuditQuery {
  std::string who;
  std::string method;
  std::string path_prefix;
  int status = 0;          // 0: any
  bool refused_only = false;  // only answers 400 and above
  int64_t since_ms = 0;
  int64_t until_ms = 0;    // 0: no upper bound
  int64_t before_id = 0;   // paging, newest first; 0: from the newest
  std::string subject;     // only requests that touched this customer's data
  int64_t limit = 100;
};

// SHA-256 as 64 lowercase hex digits, and a fresh token (OpenSSL adapter: access_openssl.cpp).
std::string sha256Hex(std::string_view data);
common::Result<std::string> newTokenSecret();

class SqliteAccess {
 public:
  static common::Result<std::unique_ptr<SqliteAccess>> open(const std::string& path, const common::Clock& clock);
  // The schema version open() brings its tables to (for --version).
  static common::SchemaVersion schemaVersion();
  // The steps of its schema, in order: step i takes version i to i+1 (tests build a file of each
  // earlier version from them).
  static const std::vector<std::string>& schemaSteps();

  // Makes a token and returns its secret (the only time it is seen). A store manager needs its
  // location; the other roles take none. Names are unique, revoked ones included.
  common::Result<std::string> createToken(const std::string& name, Role role, const std::string& location);
  common::Result<std::vector<TokenInfo>> tokens();
  // false when no token in force has that name.
  common::Result<bool> revokeToken(const std::string& name);
  // The principal a bearer secret stands for; nullopt for an unknown or revoked one.
  common::Result<std::optional<Principal>> authenticate(std::string_view secret);

  common::Status recordAudit(const AuditEntry& entry);
  common::Result<std::vector<AuditEntry>> audit(const AuditQuery& query);

 private:
  SqliteAccess(common::SqliteDb db, const common::Clock& clock) : db_(std::move(db)), clock_(clock) {}
  std::mutex mu_;  // one connection, used by every HTTP worker
  common::SqliteDb db_;
  const common::Clock& clock_;
};

}  // namespace sw::coordinator
