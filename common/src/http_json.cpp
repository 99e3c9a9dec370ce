#include "sw/common/http_json.h"

#include <charconv>
#include <string>

#include "sw/common/json_text.h"

namespace sw::common {

void sendJson(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(toJsonText(body), "application/json");
}

Result<int64_t> parseWholeNumber(std::string_view text, const char* name, int64_t min, int64_t max) {
  int64_t n = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  // from_chars takes an optional '-' and digits, nothing else (no space, '+' or exponent).
  auto [end, ec] = std::from_chars(first, last, n);
  if (text.empty() || ec != std::errc() || end != last || n < min || n > max) {
    return Error::reject("bad_param", std::string(name) + " must be a whole number from " + std::to_string(min) +
                                          " to " + std::to_string(max) + ", not '" +
                                          std::string(text.substr(0, 32)) + "'");
  }
  return n;
}

Result<int64_t> queryInt(const httplib::Request& req, const char* name, int64_t fallback, int64_t min, int64_t max) {
  if (!req.has_param(name)) return fallback;
  return parseWholeNumber(req.get_param_value(name), name, min, max);
}

}  // namespace sw::common
