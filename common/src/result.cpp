#include "sw/common/result.h"

namespace sw::common {

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kRetry: return "retry";
    case ErrorKind::kReject: return "reject";
    case ErrorKind::kFatal: return "fatal";
  }
  return "unknown";
}

std::string Error::toString() const {
  std::string out = errorKindName(kind);
  out += ' ';
  out += code;
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

}  // namespace sw::common
