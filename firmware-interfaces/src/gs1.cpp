#include "sw/fw/gs1.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <set>

#include "gs1_linters.h"

namespace sw::fw {

using common::Error;
using common::Result;
using common::Status;

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool allDigits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isDigit); }

Error reject(std::string code, std::string message) { return Error::reject(std::move(code), std::move(message)); }

std::string aiName(std::string_view ai) { return "AI (" + std::string(ai) + ")"; }

int currentYear(const Gs1Options& o) {
  if (o.current_year > 0) return o.current_year;
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

// CSET 82: printable ASCII except space and # $ @ [ \ ] ^ { | } ~ `.
bool inCset82(char c) {
  if (c < 0x21 || c > 0x7a) return false;
  return std::strchr("#$@[\\]^`", c) == nullptr;
}
bool inCset39(char c) { return isDigit(c) || (c >= 'A' && c <= 'Z') || c == '#' || c == '-' || c == '/'; }
bool inCset64(char c) {
  return isDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
}

const char* csetName(char cset) {
  switch (cset) {
    case 'N': return "digits";
    case 'X': return "GS1 CSET 82 characters";
    case 'Y': return "GS1 CSET 39 characters";
    case 'Z': return "base64url characters";
  }
  return "?";
}

Status checkCharset(const AiSpec& spec, const AiComponent& c, std::string_view part) {
  for (size_t i = 0; i < part.size(); ++i) {
    char ch = part[i];
    bool ok = false;
    switch (c.cset) {
      case 'N': ok = isDigit(ch); break;
      case 'X': ok = inCset82(ch); break;
      case 'Y': ok = inCset39(ch); break;
      case 'Z':
        // base64url with up to two '=' of padding at the very end
        ok = inCset64(ch) || (ch == '=' && (i + 1 == part.size() || (i + 2 == part.size() && part[i + 1] == '=')));
        break;
    }
    if (!ok) {
      std::string shown = (ch >= 0x20 && ch < 0x7f) ? std::string("'") + ch + "'" : "byte " + std::to_string(static_cast<unsigned char>(ch));
      return reject("bad_character", aiName(spec.ai) + " may hold only " + csetName(c.cset) + ", found " + shown);
    }
  }
  return {};
}

bool matchesPattern(std::string_view pattern, std::string_view ai) {
  if (pattern.size() != ai.size()) return false;
  for (size_t i = 0; i < ai.size(); ++i) {
    if (pattern[i] == 'n') {
      if (!isDigit(ai[i])) return false;
    } else if (pattern[i] != ai[i]) {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

Status validateAiValue(const AiSpec& spec, std::string_view value, const Gs1Options& options,
                       std::vector<std::string>* unchecked) {
  int year = currentYear(options);
  size_t p = 0;
  for (uint8_t i = 0; i < spec.component_count; ++i) {
    const AiComponent& c = spec.components[i];
    size_t remaining = value.size() - p;
    if (remaining == 0) {
      if (c.optional) break;
      return reject("bad_length", aiName(spec.ai) + " value '" + std::string(value) + "' is too short (needs at least " +
                                      std::to_string(spec.minLength()) + " characters)");
    }
    size_t len = std::min<size_t>(remaining, c.max_len);
    if (len < c.min_len) {
      return reject("bad_length", aiName(spec.ai) + " value '" + std::string(value) + "' is too short (needs at least " +
                                      std::to_string(spec.minLength()) + " characters)");
    }
    std::string_view part = value.substr(p, len);
    if (auto s = checkCharset(spec, c, part); !s) return s;
    for (std::string_view name : split(c.linters, ',')) {
      lint::LintResult r = lint::runLinter(name, part, year);
      if (r.outcome == lint::LintOutcome::kFail) {
        return reject(r.code, aiName(spec.ai) + " value '" + std::string(value) + "': " + r.message);
      }
      if (r.outcome == lint::LintOutcome::kNotImplemented && unchecked) {
        unchecked->push_back(std::string(spec.ai) + ": " + std::string(name));
      }
    }
    p += len;
  }
  if (p < value.size()) {
    return reject("bad_length", aiName(spec.ai) + " value is too long (at most " + std::to_string(spec.maxLength()) +
                                    " characters, got " + std::to_string(value.size()) + ")");
  }
  return {};
}

Status validateAssociations(const std::vector<AiValue>& ais) {
  for (size_t i = 0; i < ais.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (ais[i].ai == ais[j].ai && ais[i].value != ais[j].value) {
        return reject("conflicting_ai", aiName(ais[i].ai) + " appears twice with different values");
      }
    }
  }
  std::set<std::string_view> present;
  for (const auto& a : ais) present.insert(a.ai);
  auto anyMatches = [&](std::string_view pattern, std::string_view except) {
    for (std::string_view p : present) {
      if (p != except && matchesPattern(pattern, p)) return true;
    }
    return false;
  };
  for (std::string_view ai : present) {
    const AiSpec* spec = findAi(ai);
    if (!spec) continue;
    for (std::string_view pattern : split(spec->ex, ',')) {
      for (std::string_view other : present) {
        if (other != ai && matchesPattern(pattern, other)) {
          return reject("invalid_ai_pair", aiName(ai) + " may not appear together with " + aiName(other));
        }
      }
    }
  }
  for (std::string_view ai : present) {
    const AiSpec* spec = findAi(ai);
    if (!spec) continue;
    for (std::string_view requirement : split(spec->req, ' ')) {
      bool satisfied = false;
      for (std::string_view alternative : split(requirement, ',')) {
        bool all = true;
        for (std::string_view member : split(alternative, '+')) {
          if (!anyMatches(member, ai)) {
            all = false;
            break;
          }
        }
        if (all) {
          satisfied = true;
          break;
        }
      }
      if (!satisfied) {
        std::string wanted;
        for (std::string_view alternative : split(requirement, ',')) {
          if (!wanted.empty()) wanted += " or ";
          std::string alt(alternative);
          std::replace(alt.begin(), alt.end(), '+', '&');
          wanted += "(" + alt + ")";
        }
        return reject("missing_required_ai", aiName(ai) + " needs " + wanted + " in the same message");
      }
    }
  }
  return {};
}

Result<Gs1Message> parseElementString(std::string_view data, const Gs1Options& options) {
  Gs1Message msg;
  size_t pos = 0;
  // Some scanners send the leading FNC1 as GS although the AIM id already implies it.
  if (!data.empty() && data[0] == kGs) pos = 1;
  if (pos >= data.size()) return reject("no_data", "no GS1 data after the symbology identifier");
  while (pos < data.size()) {
    if (data[pos] == kGs) {
      return reject("bad_separator", "empty element (two separators in a row) at position " + std::to_string(pos));
    }
    std::string_view rest = data.substr(pos);
    const AiSpec* spec = matchAiPrefix(rest);
    if (!spec) {
      size_t n = 0;
      while (n < 4 && n < rest.size() && isDigit(rest[n])) ++n;
      if (n < 2) {
        return reject("unknown_ai", "expected an AI at position " + std::to_string(pos) + ", found non-digit data");
      }
      return reject("unknown_ai", "no GS1 AI starts with '" + std::string(rest.substr(0, n)) + "' (position " +
                                      std::to_string(pos) + ")");
    }
    std::string_view ai = spec->ai;
    pos += ai.size();
    size_t gs = data.find(kGs, pos);
    size_t avail_end = gs == std::string_view::npos ? data.size() : gs;
    std::string_view value;
    size_t max_len = spec->maxLength();
    size_t min_len = spec->minLength();
    if (spec->predefined_length) {
      if (avail_end - pos < max_len) {
        return reject("bad_length", aiName(ai) + " needs " + std::to_string(max_len) + " characters, got " +
                                        std::to_string(avail_end - pos));
      }
      value = data.substr(pos, max_len);
      pos += max_len;
    } else {
      value = data.substr(pos, avail_end - pos);
      if (value.size() > max_len) {
        bool fixed = min_len == max_len;
        bool next_is_ai = matchAiPrefix(value.substr(max_len)) != nullptr;
        if (fixed || next_is_ai) {
          return reject("missing_separator", aiName(ai) + " is " + (fixed ? "fixed-length" : "variable-length") +
                                                 " (at most " + std::to_string(max_len) +
                                                 " characters) and must be followed by a GS separator before the next AI");
        }
        return reject("bad_length", aiName(ai) + " value is too long (at most " + std::to_string(max_len) +
                                        " characters, got " + std::to_string(value.size()) + ")");
      }
      if (value.empty()) return reject("bad_length", aiName(ai) + " has no value");
      pos = avail_end;
    }
    if (auto s = validateAiValue(*spec, value, options, &msg.unchecked); !s) return s.error();
    msg.ais.push_back({std::string(ai), std::string(value)});
    if (pos < data.size() && data[pos] == kGs) ++pos;  // separator (also tolerated after predefined-length AIs)
  }
  if (auto s = validateAssociations(msg.ais); !s) return s.error();
  return msg;
}

// ---------------------------------------------------------------- Digital Link

namespace {

// Every valid path sequence: the key alone, or the key with an ordered subset of one
// qualifier alternative.
bool isValidPathSequence(const std::vector<std::string>& seq) {
  if (seq.empty()) return false;
  const AiSpec* key = findAi(seq[0]);
  if (!key || !key->dl_primary_key) return false;
  if (seq.size() == 1) return true;
  for (std::string_view alternative : split(key->dl_qualifiers, '|')) {
    std::vector<std::string_view> quals = split(alternative, ',');
    size_t q = 0;
    bool ok = true;
    for (size_t i = 1; i < seq.size(); ++i) {
      while (q < quals.size() && quals[q] != seq[i]) ++q;
      if (q == quals.size()) {
        ok = false;
        break;
      }
      ++q;
    }
    if (ok) return true;
  }
  return false;
}

bool isPrimaryKey(std::string_view ai) {
  const AiSpec* s = findAi(ai);
  return s && s->dl_primary_key;
}

int hexVal(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percentDecode(std::string_view in, bool query) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hexVal(in[i + 1]) >= 0 && hexVal(in[i + 2]) >= 0) {
      char c = static_cast<char>(hexVal(in[i + 1]) * 16 + hexVal(in[i + 2]));
      if (c == '\0') return reject("bad_digital_link", "percent-encoded NUL in the URI");
      out += c;
      i += 2;
    } else if (query && in[i] == '+') {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return out;
}

}  // namespace

Result<Gs1Message> parseDigitalLink(std::string_view uri, const Gs1Options& options) {
  static const char* kUriChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%";
  for (char c : uri) {
    if (c == '\0' || !std::strchr(kUriChars, c)) {
      return reject("bad_digital_link", "the URI contains a character that is not allowed in a URI");
    }
  }
  std::string_view rest;
  if (uri.rfind("https://", 0) == 0 || uri.rfind("HTTPS://", 0) == 0) rest = uri.substr(8);
  else if (uri.rfind("http://", 0) == 0 || uri.rfind("HTTP://", 0) == 0) rest = uri.substr(7);
  else return reject("bad_digital_link", "a GS1 Digital Link URI starts with http:// or https:// (all lower or all upper case)");
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return reject("bad_digital_link", "the URI has no domain or no path");
  }
  std::string_view domain = rest.substr(0, slash);
  if (domain.find_first_of("_~?#@!$&'()*+,;=%") != std::string_view::npos) {
    return reject("bad_digital_link", "the domain name contains a character that is not allowed");
  }
  std::string_view path = rest.substr(slash);
  if (size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  std::string_view query;
  if (size_t q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  // Path segments; the DL part starts at the rightmost /AI/value pair whose AI is a
  // primary key, found by walking pairs of known AIs from the right.
  std::vector<std::string_view> segs;
  {
    size_t start = 1;  // path starts with '/'
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      segs.push_back(path.substr(start, end - start));
      start = end + 1;
    }
  }
  long key_index = -1;
  for (long i = static_cast<long>(segs.size()) - 2; i >= 0; i -= 2) {
    std::string_view ai = segs[static_cast<size_t>(i)];
    if (!allDigits(ai) || !findAi(ai)) break;
    if (isPrimaryKey(ai)) {
      key_index = i;
      break;
    }
  }
  if (key_index < 0) return reject("bad_digital_link", "no GS1 Digital Link primary key (such as /01/) in the URI path");

  Gs1Message msg;
  std::vector<std::string> path_seq;
  for (size_t i = static_cast<size_t>(key_index); i + 1 < segs.size(); i += 2) {
    std::string_view ai = segs[i];
    if (segs[i + 1].empty()) return reject("bad_digital_link", aiName(ai) + " has an empty value in the URI path");
    auto v = percentDecode(segs[i + 1], false);
    if (!v) return v.error();
    msg.ais.push_back({std::string(ai), *v});
    path_seq.emplace_back(ai);
  }
  if (!isValidPathSequence(path_seq)) {
    std::string seq;
    for (const auto& a : path_seq) seq += "/" + a;
    return reject("bad_digital_link", "the path AIs " + seq + " are not a valid key and qualifier sequence");
  }
  for (std::string_view param : split(query, '&')) {
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;  // a bare parameter is not AI data
    std::string_view key = param.substr(0, eq);
    if (!allDigits(key)) continue;  // non-numeric parameters are not AIs and are ignored
    const AiSpec* spec = findAi(key);
    if (!spec) return reject("unknown_ai", "the query parameter " + std::string(key) + " is not a GS1 AI");
    if (eq + 1 == param.size()) return reject("bad_digital_link", aiName(key) + " has an empty value in the query");
    auto v = percentDecode(param.substr(eq + 1), true);
    if (!v) return v.error();
    std::string value = *v;
    if (key == "01" && (value.size() == 8 || value.size() == 12 || value.size() == 13)) {
      value = std::string(14 - value.size(), '0') + value;
    }
    for (const auto& existing : msg.ais) {
      if (existing.ai == key) return reject("conflicting_ai", aiName(key) + " is given more than once in the URI");
    }
    if (!spec->dl_attribute) {
      return reject("bad_digital_link", aiName(key) + " is not allowed as a Digital Link query attribute");
    }
    // An AI that could be a qualifier in the path must be in the path.
    for (size_t j = 1; j <= path_seq.size(); ++j) {
      std::vector<std::string> trial = path_seq;
      trial.insert(trial.begin() + static_cast<long>(j), std::string(key));
      if (isValidPathSequence(trial)) {
        return reject("bad_digital_link", aiName(key) + " belongs in the URI path, not the query");
      }
    }
    msg.ais.push_back({std::string(key), value});
  }
  for (const auto& a : msg.ais) {
    const AiSpec* spec = findAi(a.ai);
    if (auto s = validateAiValue(*spec, a.value, options, &msg.unchecked); !s) return s.error();
  }
  if (auto s = validateAssociations(msg.ais); !s) return s.error();
  return msg;
}

}  // namespace sw::fw
