#include "sw/agent/enroll.h"

#include "sw/agent/cert_renewal.h"

#include <sys/stat.h>

#include <filesystem>

#include "sw/common/crypto.h"
#include "sw/common/event.h"
#include "sw/common/files.h"
#include "sw/common/http_socket.h"
#include "sw/common/sha256.h"
#include "sw/common/x509.h"

namespace sw::agent {
namespace {

using common::Error;
using nlohmann::json;

std::string advice(const std::string& code) {
  if (code == "token_used") return "this token was used already; ask IT for a new one (stockwire-provision token)";
  if (code == "token_expired") return "this token has expired; ask IT for a new one (stockwire-provision token)";
  if (code == "token_forged") return "the coordinator does not accept this token (another fleet, or altered)";
  if (code == "token_malformed") return "this is not an enrollment token; copy it again whole";
  if (code == "device_revoked") return "this device was revoked; a replacement needs a new device id";
  if (code == "unknown_device") return "the device is not registered in the fleet (stockwire-provision device add)";
  if (code == "csr_cn_mismatch") return "the token is for another device";
  return "";
}

}  // namespace

common::Result<TokenClaims> tokenClaims(const std::string& token) {
  size_t first = token.find('.');
  size_t last = token.rfind('.');
  if (token.rfind("swe1.", 0) != 0 || first == last) {
    return Error::reject("token_malformed", "this is not an enrollment token (swe1.<claims>.<mac>)");
  }
  auto claims = common::crypto::base64UrlDecode(token.substr(first + 1, last - first - 1));
  if (!claims) return Error::reject("token_malformed", "the token's claims are not base64url");
  try {
    auto j = json::parse(*claims);
    TokenClaims c{j.at("dev").get<std::string>(), j.value("ca", std::string())};
    if (!common::isValidId(c.device_id)) return Error::reject("token_malformed", "the token names no valid device id");
    if (!c.ca_sha256.empty() && !common::isSha256Hex(c.ca_sha256)) {
      return Error::reject("token_malformed", "the token's pinned CA is not a SHA-256");
    }
    return c;
  } catch (const json::exception&) {
    return Error::reject("token_malformed", "the token's claims are not JSON with a device id");
  }
}

common::Result<json> enroll(const EnrollOptions& o, const EnrollPost& post) {
  auto claims = tokenClaims(o.token);
  if (!claims) return claims.error();
  const std::string& device = claims->device_id;
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) return Error::reject("bad_dir", "cannot create " + o.dir + ": " + ec.message());
  ::chmod(o.dir.c_str(), 0700);
  const std::string dir = std::filesystem::absolute(o.dir).lexically_normal().string();

  auto key = common::x509::generateKey();
  if (!key) return key.error();
  auto csr = common::x509::makeCsr(*key, device);
  if (!csr) return csr.error();
  auto answer = post("/v1/enroll", json{{"token", o.token}, {"csr_pem", *csr}}.dump());
  if (!answer) return answer.error();
  auto [status, body] = *answer;
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception&) {
    return Error::retry("bad_answer", "the coordinator answered " + std::to_string(status) + " without JSON");
  }
  if (status != 200) {
    std::string code = j.contains("error") ? j["error"].value("code", "refused") : "refused";
    std::string message = j.contains("error") ? j["error"].value("message", "") : body;
    std::string what = advice(code);
    return Error{status >= 500 ? common::ErrorKind::kRetry : common::ErrorKind::kReject, code,
                 "enrollment refused (" + std::to_string(status) + " " + code + "): " + message +
                     (what.empty() ? "" : "; " + what)};
  }
  std::string cert, chain;
  json config;
  try {
    cert = j.at("certificate_pem").get<std::string>();
    chain = j.at("ca_pem").get<std::string>();
    config = j.at("config");
    (void)config.at("device_id").get<std::string>();
  } catch (const json::exception&) {
    return Error::retry("bad_answer", "the coordinator's answer lacks certificate_pem, ca_pem or config");
  }
  // The certificate must be for this key's device and verify against the chain it came with.
  auto info = common::x509::certInfo(cert);
  if (!info || info->common_name != device || config["device_id"] != device) {
    return Error::fatal("bad_answer", "the coordinator sent a certificate for another device");
  }
  // The token pins the fleet's root: a chain with another root (a man in the middle) is refused.
  if (auto v = common::x509::verify(cert, chain, {0, "", common::x509::Purpose::kClient, claims->ca_sha256}); !v) {
    return Error::fatal("bad_answer", "the certificate does not verify against the CA chain sent" +
                                          std::string(claims->ca_sha256.empty() ? "" : " and the root the token pins") +
                                          ": " + v.error().message);
  }
  std::string role = config.value("role", "pos");
  json run = {{"device_id", device},
              {"location", config.value("location", "")},
              {"kind", role == "handheld" ? "handheld" : "till"},
              {"broker", config.value("broker_url", "")},
              {"ca", dir + "/ca-chain.pem"},
              {"cert", dir + "/current/device.pem"},
              {"key", dir + "/current/device.key"},
              {"identity_dir", dir},
              {"db", o.db.empty() ? dir + "/agent.db" : std::filesystem::absolute(o.db).string()},
              {"http", o.http.empty() ? "127.0.0.1:8700" : o.http}};
  if (auto s = common::writeFileAtomic(dir + "/ca-chain.pem", chain, 0644); !s) return s.error();
  if (auto s = installIdentity(dir, *key, cert); !s) return s.error();
  if (auto s = common::writeFileAtomic(dir + "/config.json", run.dump(2) + "\n", 0600); !s) return s.error();
  return run;
}

EnrollPost httpEnrollPost(const std::string& coordinator_url) {
  return [coordinator_url](const std::string& path, const std::string& body) -> common::Result<std::pair<int, std::string>> {
    httplib::Client client = common::makeHttpClient(coordinator_url);
    client.set_connection_timeout(5);
    client.set_read_timeout(15);
    auto res = client.Post(path, body, "application/json");
    if (!res) {
      return Error::retry("coordinator_unreachable",
                          "cannot reach the coordinator at " + coordinator_url + ": " + httplib::to_string(res.error()));
    }
    return std::make_pair(res->status, res->body);
  };
}

}  // namespace sw::agent
