#include "sw/common/log.h"
#include "sw/common/log_style.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace sw::common {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_write_mu;

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

// syslog(3) priorities: LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR.
int priorityOf(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return 7;
    case LogLevel::kInfo: return 6;
    case LogLevel::kWarn: return 4;
    case LogLevel::kError: return 3;
  }
  return 6;
}

}  // namespace

void setLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel logLevel() { return static_cast<LogLevel>(g_level.load()); }

bool parseLogLevel(std::string_view text, LogLevel* out) {
  if (text == "debug") *out = LogLevel::kDebug;
  else if (text == "info") *out = LogLevel::kInfo;
  else if (text == "warn") *out = LogLevel::kWarn;
  else if (text == "error") *out = LogLevel::kError;
  else return false;
  return true;
}

LogStyle logStyleOf(int fd) {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return LogStyle::kPlain;
  unsigned long long dev = 0, ino = 0;
  char extra = 0;
  if (std::sscanf(stream, "%llu:%llu%c", &dev, &ino, &extra) != 2) return LogStyle::kPlain;
  struct stat st {};
  if (fstat(fd, &st) != 0) return LogStyle::kPlain;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino
             ? LogStyle::kJournal
             : LogStyle::kPlain;
}

std::string formatLogLine(LogStyle style, LogLevel level, std::string_view component, std::string_view message,
                          int64_t at_ms) {
  char head[64];
  if (style == LogStyle::kJournal) {
    std::snprintf(head, sizeof head, "<%d>%-5s ", priorityOf(level), levelName(level));
  } else {
    std::time_t secs = static_cast<std::time_t>(at_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(head, sizeof head, "%s.%03dZ %-5s ", ts, static_cast<int>(at_ms % 1000), levelName(level));
  }
  std::string out = head;
  out.append(component).append(": ").append(message).push_back('\n');
  return out;
}

void logLine(LogLevel level, std::string_view component, std::string_view message) {
  // Where stderr goes does not change while the process runs: looked at once.
  static const LogStyle style = logStyleOf(STDERR_FILENO);
  using namespace std::chrono;
  const int64_t at_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const std::string line = formatLogLine(style, level, component, message, at_ms);
  std::lock_guard<std::mutex> lock(g_write_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace sw::common
