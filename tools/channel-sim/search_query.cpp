#include "search_query.h"

#include <cctype>

namespace sw::channelsim {

bool parseSearch(std::string_view s, std::vector<std::vector<SearchTerm>>* out, std::string* error) {
  out->clear();
  out->emplace_back();
  size_t i = 0;
  auto skip = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  while (true) {
    skip();
    if (i >= s.size()) break;
    if (s.substr(i, 3) == "OR " || s.substr(i) == "OR") {
      i += 2;
      out->emplace_back();
      continue;
    }
    if (s.substr(i, 4) == "AND ") {
      i += 3;
      continue;
    }
    SearchTerm t;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '.')) t.field += s[i++];
    if (t.field.empty() || i >= s.size() || s[i] != ':') {
      *error = "cannot read search term at position " + std::to_string(i);
      return false;
    }
    ++i;
    if (i < s.size() && (s[i] == '>' || s[i] == '<')) {
      t.op = std::string(1, s[i++]);
      if (i < s.size() && s[i] == '=') t.op += s[i++];
    } else {
      t.op = ":";
    }
    if (i < s.size() && (s[i] == '\'' || s[i] == '"')) {
      char q = s[i++];
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '\\' && i < s.size()) {
          t.value += s[i++];
        } else if (c == q) {
          closed = true;
          break;
        } else {
          t.value += c;
        }
      }
      if (!closed) {
        *error = "unterminated quoted value";
        return false;
      }
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) t.value += s[i++];
    }
    out->back().push_back(std::move(t));
  }
  for (const auto& group : *out) {
    if (group.empty()) {
      *error = "empty search term around OR";
      return false;
    }
  }
  return true;
}

}  // namespace sw::channelsim
