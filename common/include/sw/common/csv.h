#pragma once
// The one CSV reader (RFC 4180): ',' separated, '"' quoted with "" for a quote inside quotes,
// LF or CRLF line ends, a quoted field may span lines. Blank lines are skipped. A row with broken
// quoting is reported and reading goes on at the next line; an unterminated quote ends the rows
// there. Used by catalog and price uploads, the fleet files and the device registry import.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sw::common {

struct CsvRowError {
  size_t line = 0;  // where the row starts (1-based)
  std::string code;  // bad_quote, unterminated_quote, row_too_long
  std::string message;
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view body, size_t max_row_bytes = 64 * 1024)
      : s_(body), max_row_bytes_(max_row_bytes) {}

  // False at the end. *line is where the row starts. On a row error, *error is set and fields
  // are incomplete.
  bool next(size_t* line, std::vector<std::string>* fields, std::optional<CsvRowError>* error);

 private:
  std::string_view s_;
  size_t max_row_bytes_;
  size_t p_ = 0;
  size_t line_ = 1;
};

// Every row of a small text (a fleet file, a device list), for callers that want them all.
struct CsvRow {
  size_t line = 0;
  std::vector<std::string> fields;
  std::optional<CsvRowError> error;
};
std::vector<CsvRow> readCsvRows(std::string_view text, size_t max_row_bytes = 64 * 1024);

}  // namespace sw::common
