#pragma once
// `stockwire-agent enroll`: the device's side of enrollment. It makes its EC P-256 key on the
// device (written 0600 and never sent), a CSR with CN = the device id the token names, POSTs
// {token, csr_pem} to the coordinator's /v1/enroll and writes, in DIR (layout in cert_renewal.h):
//   id-<serial>/device.key (0600), id-<serial>/device.pem, current -> id-<serial>,
//   ca-chain.pem, config.json
// config.json holds the options of `stockwire-agent run --config DIR/config.json`: device_id,
// location, kind (till for role pos, handheld), broker (ssl://), ca, cert, key, db, http.
// Nothing is written unless the coordinator issued the certificate; a failed attempt leaves an
// earlier enrollment in DIR as it was.

#include <functional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "sw/common/result.h"

namespace sw::agent {

struct EnrollOptions {
  std::string token;
  std::string coordinator_url;  // http://host:port
  std::string dir;
  std::string db;    // default DIR/agent.db
  std::string http;  // default 127.0.0.1:8700
};

// POSTs a JSON body to the coordinator's path; the answer's HTTP status and body, or kRetry
// when the coordinator cannot be reached.
using EnrollPost = std::function<common::Result<std::pair<int, std::string>>(const std::string& path, const std::string& body)>;

// What a token says (its MAC is checked by the coordinator, not here): the device id, and the
// SHA-256 of the fleet root it pins (empty in tokens from before the pin).
struct TokenClaims {
  std::string device_id;
  std::string ca_sha256;
};
common::Result<TokenClaims> tokenClaims(const std::string& token);

// Returns config.json's content. Errors carry the coordinator's code (token_used,
// token_expired, token_forged, csr_cn_mismatch, device_revoked, ...) and a message saying what
// to do.
common::Result<nlohmann::json> enroll(const EnrollOptions& options, const EnrollPost& post);

// The real EnrollPost: cpp-httplib to coordinator_url.
EnrollPost httpEnrollPost(const std::string& coordinator_url);

}  // namespace sw::agent
