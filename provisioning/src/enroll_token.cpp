#include "sw/provision/enroll_token.h"

#include <nlohmann/json.hpp>

#include "sw/common/crypto.h"
#include "sw/common/event.h"
#include "sw/common/sha256.h"

namespace sw::provision {
namespace {

using common::Error;
namespace crypto = common::crypto;

constexpr std::string_view kPrefix = "swe1.";

bool validRole(const std::string& r) { return r == "pos" || r == "handheld"; }


}  // namespace

common::Result<std::string> issueEnrollToken(std::string_view key, const std::string& device_id,
                                             const std::string& store, const std::string& role, int64_t now_ms,
                                             int64_t ttl_ms, const std::string& ca_sha256) {
  if (key.size() < 16) return Error::fatal("bad_enroll_key", "the enrollment key is too short");
  if (!common::isValidId(device_id) || !common::isValidId(store) || !validRole(role)) {
    return Error::reject("bad_token_claims", "a token needs a valid device id, store and role (pos or handheld)");
  }
  if (ttl_ms <= 0) return Error::reject("bad_ttl", "the token's lifetime must be positive");
  if (!ca_sha256.empty() && !common::isSha256Hex(ca_sha256)) {
    return Error::reject("bad_token_claims", "the pinned CA must be a SHA-256 in lower-case hex");
  }
  auto id = crypto::randomBytes(16);
  if (!id) return id.error();
  nlohmann::json claims = {{"dev", device_id}, {"store", store}, {"role", role},
                           {"id", crypto::hex(*id)}, {"exp", now_ms + ttl_ms}};
  if (!ca_sha256.empty()) claims["ca"] = ca_sha256;
  std::string signed_part = std::string(kPrefix) + crypto::base64UrlEncode(claims.dump());
  return signed_part + "." + crypto::base64UrlEncode(crypto::hmacSha256(key, signed_part));
}

common::Result<EnrollToken> verifyEnrollToken(std::string_view key, std::string_view token, int64_t now_ms) {
  auto malformed = [] { return Error::reject("token_malformed", "this is not an enrollment token (swe1.<claims>.<mac>)"); };
  if (token.size() > 1024 || token.substr(0, kPrefix.size()) != kPrefix) return malformed();
  size_t dot = token.rfind('.');
  if (dot < kPrefix.size()) return malformed();
  std::string_view signed_part = token.substr(0, dot);
  auto mac = crypto::base64UrlDecode(token.substr(dot + 1));
  auto claims_text = crypto::base64UrlDecode(signed_part.substr(kPrefix.size()));
  if (!mac || !claims_text) return malformed();
  if (!crypto::constantTimeEqual(*mac, crypto::hmacSha256(key, signed_part))) {
    return Error::reject("token_forged", "the token's signature does not match this fleet's enrollment key");
  }
  EnrollToken t;
  try {
    auto j = nlohmann::json::parse(*claims_text);
    t.device_id = j.at("dev").get<std::string>();
    t.store = j.at("store").get<std::string>();
    t.role = j.at("role").get<std::string>();
    t.token_id = j.at("id").get<std::string>();
    t.expires_at_ms = j.at("exp").get<int64_t>();
    t.ca_sha256 = j.value("ca", std::string());
  } catch (const nlohmann::json::exception&) {
    return malformed();
  }
  if (!common::isValidId(t.device_id) || !common::isValidId(t.store) || !validRole(t.role) || t.token_id.size() != 32 ||
      (!t.ca_sha256.empty() && !common::isSha256Hex(t.ca_sha256))) {
    return malformed();
  }
  if (now_ms >= t.expires_at_ms) return Error::reject("token_expired", "the enrollment token has expired; issue a new one");
  return t;
}

}  // namespace sw::provision
