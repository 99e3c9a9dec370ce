#pragma once
// Minimal leveled logger: one line per record on stderr, "ts level component: message".
// Never pass card data, keys or secrets to it.

#include <sstream>
#include <string>
#include <string_view>

namespace sw::common {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void setLogLevel(LogLevel level);
LogLevel logLevel();
// Parses "debug", "info", "warn", "error"; false if unknown.
bool parseLogLevel(std::string_view text, LogLevel* out);
void logLine(LogLevel level, std::string_view component, std::string_view message);

class LogRecord {
 public:
  LogRecord(LogLevel level, std::string_view component) : level_(level), component_(component) {}
  ~LogRecord() { logLine(level_, component_, out_.str()); }
  LogRecord(const LogRecord&) = delete;
  LogRecord& operator=(const LogRecord&) = delete;
  template <typename T>
  LogRecord& operator<<(const T& v) {
    out_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::string_view component_;
  std::ostringstream out_;
};

}  // namespace sw::common

namespace sw::common {
// Lets SW_LOG be one expression (safe inside an unbraced if/else).
struct LogVoidify {
  void operator&(const LogRecord&) {}
};
}  // namespace sw::common

#define SW_LOG(level, component)                                                       \
  (static_cast<int>(level) < static_cast<int>(::sw::common::logLevel()))               \
      ? (void)0                                                                        \
      : ::sw::common::LogVoidify() & ::sw::common::LogRecord(level, component)

#define SW_DEBUG(c) SW_LOG(::sw::common::LogLevel::kDebug, c)
#define SW_INFO(c) SW_LOG(::sw::common::LogLevel::kInfo, c)
#define SW_WARN(c) SW_LOG(::sw::common::LogLevel::kWarn, c)
#define SW_ERROR(c) SW_LOG(::sw::common::LogLevel::kError, c)
