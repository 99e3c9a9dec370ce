#include "sw/common/http_errors.h"

#include <nlohmann/json.hpp>

namespace sw::common {

int httpStatusFor(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kReject:
      if (error.code == "not_found") return 404;
      // The request is well formed but contradicts what is already recorded.
      if (error.code == "already_voided" || error.code == "task_already_done") return 409;
      return 400;
    case ErrorKind::kRetry:
      return error.code == "disk_full" ? 507 : 503;
    case ErrorKind::kFatal:
      return 500;
  }
  return 500;
}

nlohmann::json errorBody(const Error& error) {
  return {{"error", {{"code", error.code}, {"kind", errorKindName(error.kind)}, {"message", error.message}}}};
}

std::string errorJson(const Error& error) {
  nlohmann::json j = errorBody(error);
  // Messages may quote outside input (a parse error, an uploaded row): never fail on its bytes.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sw::common
