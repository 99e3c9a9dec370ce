#pragma once
// The one way our HTTP routes answer JSON and read query parameters (both APIs): JSON bodies
// with the shared text form (json_text.h), errors as {"error":{...}} (http_server.h), and
// whole-number parameters parsed strictly: "10abc", " 5", "+5", "1e3", "" and values out of
// range are refused with bad_param naming the parameter and its range, never clamped or wrapped.

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "sw/common/result.h"

namespace sw::common {

void sendJson(httplib::Response& res, const nlohmann::json& body, int status = 200);

// A whole number in [min, max] (optional '-', then decimal digits only), or fallback when absent.
Result<int64_t> queryInt(const httplib::Request& req, const char* name, int64_t fallback, int64_t min, int64_t max);

// The same check for a text already taken from a request (a path segment, a form field).
Result<int64_t> parseWholeNumber(std::string_view text, const char* name, int64_t min, int64_t max);

}  // namespace sw::common
