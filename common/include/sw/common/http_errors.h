#pragma once
// How an Error becomes an HTTP answer, the same way in every Stockwire API:
// {"error":{"code":"bad_qty","kind":"reject","message":"..."}}.

#include <string>

#include <nlohmann/json.hpp>

#include "sw/common/result.h"

namespace sw::common {

// 400 for reject, 507 for a full disk, 503 for other retry errors, 500 for fatal.
int httpStatusFor(const Error& error);
std::string errorJson(const Error& error);
// The same body as JSON, for answers built as JSON before they are sent.
nlohmann::json errorBody(const Error& error);

}  // namespace sw::common
