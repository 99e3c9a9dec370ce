#pragma once
// One-time enrollment tokens: what IT hands to a device (stockwire-provision token) so that it
// can ask the coordinator for its certificate once (POST /v1/enroll). The token names the
// device, its store and its role, carries a random id (the coordinator refuses an id it has seen,
// DeviceRegistry::useToken) and an expiry, and is authenticated with HMAC-SHA256 under the
// fleet's enroll.key, which only stockwire-provision and the coordinator hold.
//
// Text form (no padding, URL- and shell-safe):
//   swe1.<base64url of the JSON claims>.<base64url of HMAC-SHA256(key, "swe1." + claims part)>
//   claims: {"dev":"till-1","store":"store-1","role":"pos","id":"<32 hex>","exp":<ms since epoch>,
//            "ca":"<SHA-256 of the fleet root certificate, 64 hex>"}
// "ca" pins the fleet's root for the device: `stockwire-agent enroll` trusts the CA chain the
// coordinator answers with only if its one root is this one (enrollment may run over plain HTTP,
// and the answer names the broker; a man in the middle cannot swap either without the token).

#include <cstdint>
#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::provision {

struct EnrollToken {
  std::string device_id;
  std::string store;
  std::string role;      // pos or handheld
  std::string token_id;  // 32 lower-case hex (128 random bits)
  int64_t expires_at_ms = 0;
  std::string ca_sha256;  // empty in tokens from before the pin
};

inline constexpr size_t kEnrollKeyBytes = 32;

// A token for the device with a new random id, valid until now_ms + ttl_ms.
common::Result<std::string> issueEnrollToken(std::string_view key, const std::string& device_id,
                                             const std::string& store, const std::string& role, int64_t now_ms,
                                             int64_t ttl_ms, const std::string& ca_sha256 = "");
// Checks form, MAC (in constant time) and expiry, in that order. Errors (kReject):
//   token_malformed, token_forged (wrong MAC: not made with this fleet's key, or altered),
//   token_expired. The one-time check is the caller's (it needs the registry).
common::Result<EnrollToken> verifyEnrollToken(std::string_view key, std::string_view token, int64_t now_ms);

}  // namespace sw::provision
