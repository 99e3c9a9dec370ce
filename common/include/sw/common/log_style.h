#pragma once
// How logLine (log.h) writes a record. On a terminal or a file: "ts LEVEL component: message".
// When stderr is the systemd journal (JOURNAL_STREAM names it, see systemd.exec(5)):
// "<N>LEVEL component: message", where the journal reads the syslog priority N (sd-daemon(3)
// level prefixes: 7 debug, 6 info, 4 warn, 3 error) and stamps the time itself.

#include <cstdint>
#include <string>
#include <string_view>

#include "sw/common/log.h"

namespace sw::common {

enum class LogStyle { kPlain, kJournal };
// kJournal when JOURNAL_STREAM ("DEVICE:INODE") is the file open on fd; kPlain otherwise (also
// when a process started under systemd passed the variable on with its stderr sent elsewhere).
LogStyle logStyleOf(int fd);
// One record as logLine writes it, with its newline; at_ms: Unix time in ms (unused by kJournal).
std::string formatLogLine(LogStyle style, LogLevel level, std::string_view component, std::string_view message,
                          int64_t at_ms);

}  // namespace sw::common
