#include "connector_util.h"

#include <openssl/evp.h>

#include <cstdio>

namespace sw::coordinator::channels::detail {

using common::Error;

std::string snippet(std::string_view body) {
  std::string s(body.substr(0, 300));
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return body.size() > 300 ? s + "..." : s;
}

Error statusError(const HttpResponse& r, const std::string& what, const std::string& detail) {
  std::string msg = what + ": HTTP " + std::to_string(r.status) + (detail.empty() ? "" : ": " + detail);
  if (detail.empty() && !r.body.empty()) msg += ": " + snippet(r.body);
  std::string code = "http_" + std::to_string(r.status);
  if (r.status == 401 || r.status == 403) return Error::fatal(code, msg + " (check the channel credentials)");
  if (r.status == 408 || r.status == 429 || r.status >= 500) return Error::retry(code, msg);
  return Error::reject(code, msg);
}

common::Result<nlohmann::json> responseJson(const HttpResponse& r, const std::string& what) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    return Error::retry("bad_response", what + ": answer is not JSON (HTTP " + std::to_string(r.status) + "): " + snippet(r.body));
  }
  return j;
}

std::string derivedKey(const std::vector<std::string>& parts) {
  // OpenSSL (EVP) is the only third-party call here; kept small on purpose.
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const std::string& p : parts) {
    EVP_DigestUpdate(ctx, p.data(), p.size());
    EVP_DigestUpdate(ctx, "\x1f", 1);
  }
  unsigned char h[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, h, &len);
  EVP_MD_CTX_free(ctx);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1],
                h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
  return buf;
}

PushResult allItems(const std::vector<QuantityUpdate>& updates, ItemOutcome outcome, const std::string& code,
                    const std::string& message, int64_t retry_after_ms) {
  PushResult out;
  for (const QuantityUpdate& u : updates) {
    ItemResult r;
    r.sku = u.sku;
    r.outcome = outcome;
    r.code = code;
    r.message = message;
    r.retry_after_ms = retry_after_ms;
    out.items.push_back(std::move(r));
  }
  return out;
}

}  // namespace sw::coordinator::channels::detail
