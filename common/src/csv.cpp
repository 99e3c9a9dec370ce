#include "sw/common/csv.h"

namespace sw::common {

bool CsvReader::next(size_t* row, std::vector<std::string>* fields, std::optional<CsvRowError>* error) {
  fields->clear();
  error->reset();
  // Skip blank lines.
  while (p_ < s_.size() && (s_[p_] == '\n' || s_[p_] == '\r')) {
    if (s_[p_] == '\n') ++line_;
    ++p_;
  }
  if (p_ >= s_.size()) return false;
  *row = line_;
  size_t start = p_;
  std::string field;
  bool in_quotes = false;
  bool was_quoted = false;
  auto fail = [&](const char* code, std::string message) {
    *error = CsvRowError{*row, code, std::move(message)};
    // Resume at the next line: the row's remaining fields cannot be trusted.
    while (p_ < s_.size() && s_[p_] != '\n') ++p_;
    if (p_ < s_.size()) {
      ++p_;
      ++line_;
    }
    return true;
  };
  while (true) {
    if (p_ - start > max_row_bytes_) {
      // Too long: find where it ends (quotes respected) without keeping it.
      while (p_ < s_.size()) {
        char c = s_[p_++];
        if (c == '"') in_quotes = !in_quotes;
        else if (c == '\n') {
          ++line_;
          if (!in_quotes) break;
        }
      }
      *error = CsvRowError{*row, "row_too_long", "the row is longer than " + std::to_string(max_row_bytes_) + " bytes"};
      return true;
    }
    if (p_ >= s_.size()) {
      if (in_quotes) {
        *error = CsvRowError{*row, "unterminated_quote", "a quoted field is not closed before the end of the body"};
        return true;
      }
      fields->push_back(std::move(field));
      return true;
    }
    char c = s_[p_++];
    if (in_quotes) {
      if (c == '"') {
        if (p_ < s_.size() && s_[p_] == '"') {
          field += '"';
          ++p_;
        } else {
          in_quotes = false;
          if (p_ < s_.size() && s_[p_] != ',' && s_[p_] != '\n' && s_[p_] != '\r') {
            return fail("bad_quote", "text after a closing quote (write a quote inside quotes as \"\")");
          }
        }
      } else {
        if (c == '\n') ++line_;
        field += c;
      }
      continue;
    }
    if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '"') {
      if (!field.empty() || was_quoted) return fail("bad_quote", "a quote inside an unquoted field (quote the whole field)");
      in_quotes = true;
      was_quoted = true;
    } else if (c == '\r') {
      if (p_ < s_.size() && s_[p_] == '\n') continue;
      field += c;
    } else if (c == '\n') {
      ++line_;
      fields->push_back(std::move(field));
      return true;
    } else {
      field += c;
    }
  }
}

std::vector<CsvRow> readCsvRows(std::string_view text, size_t max_row_bytes) {
  CsvReader reader(text, max_row_bytes);
  std::vector<CsvRow> out;
  CsvRow r;
  while (reader.next(&r.line, &r.fields, &r.error)) out.push_back(r);
  return out;
}

}  // namespace sw::common
