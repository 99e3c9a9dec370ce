#include "gs1_linters.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "sw/fw/gs1.h"
#include "sw/fw/gs1_dictionary.h"

namespace sw::fw::lint {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool allDigits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isDigit); }
int num(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

LintResult pass() { return {}; }
LintResult fail(std::string code, std::string message) {
  return {LintOutcome::kFail, std::move(code), std::move(message)};
}

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int daysIn(int month, int year) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && isLeap(year)) return 29;
  return kDays[month - 1];
}

LintResult hourMinute(std::string_view s) {
  if (s.size() != 4 || !allDigits(s)) return fail("bad_time", "time must be HHMM");
  if (num(s.substr(0, 2)) > 23 || num(s.substr(2, 2)) > 59) return fail("bad_time", "time " + std::string(s) + " is not a real HHMM");
  return pass();
}

LintResult rangeCheck(std::string_view s, int max, const char* what) {
  if (s.size() != 2 || !allDigits(s) || num(s) > max) return fail("bad_time", std::string(what) + " '" + std::string(s) + "' is out of range");
  return pass();
}

LintResult pieceOfTotal(std::string_view s) {
  if (s.size() % 2 != 0 || !allDigits(s)) return fail("bad_value", "piece/total must be two equal-length numbers");
  std::string_view piece = s.substr(0, s.size() / 2), total = s.substr(s.size() / 2);
  if (num(piece) == 0 || num(total) == 0) return fail("bad_value", "piece and total must not be zero");
  if (piece > total) return fail("bad_value", "piece number exceeds the total");
  return pass();
}

LintResult posInSeqSlash(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= s.size()) return fail("bad_value", "must be <pos>/<end>");
  std::string_view p = s.substr(0, slash), e = s.substr(slash + 1);
  if (!allDigits(p) || !allDigits(e)) return fail("bad_value", "must be <pos>/<end>");
  if (p[0] == '0' || e[0] == '0') return fail("bad_value", "position and end must not be zero or zero-prefixed");
  if (p.size() > e.size() || (p.size() == e.size() && p > e)) return fail("bad_value", "position exceeds the end");
  return pass();
}

LintResult csumAlpha(std::string_view s) {
  static const char* kCset82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  static const char* kCset32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  // The first 97 primes: weights from the right.
  static const unsigned kPrimes[] = {
      2,   3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,  47,  53,  59,  61,  67,  71,
      73,  79,  83,  89,  97,  101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173,
      179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277, 281,
      283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397, 401, 409,
      419, 421, 431, 433, 439, 443, 449, 457, 461, 463, 467, 479, 487, 491, 499, 503, 509};
  if (s.size() < 2) return fail("bad_check_digit", "too short for a check character pair");
  size_t n = s.size() - 2;
  if (n > sizeof kPrimes / sizeof kPrimes[0]) return fail("bad_length", "too long for a check character pair");
  unsigned sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const char* p = std::strchr(kCset82, s[i]);
    if (!p || s[i] == '\0') return fail("bad_character", "character not in CSET 82");
    sum += static_cast<unsigned>(p - kCset82) * kPrimes[n - 1 - i];
  }
  sum %= 1021;
  if (s[n] != kCset32[sum >> 5] || s[n + 1] != kCset32[sum & 31]) {
    return fail("bad_check_digit", "incorrect check character pair");
  }
  return pass();
}

LintResult iban(std::string_view s) {
  if (s.size() < 5 || s.size() > 34) return fail("bad_value", "IBAN length out of range");
  for (char c : s) {
    if (!(isDigit(c) || (c >= 'A' && c <= 'Z'))) return fail("bad_value", "IBAN may hold only 0-9 and A-Z");
  }
  if (!isIso3166Alpha2(s.substr(0, 2))) return fail("bad_country", "IBAN country code is not ISO 3166 alpha-2");
  if (!isDigit(s[2]) || !isDigit(s[3])) return fail("bad_check_digit", "IBAN check digits must be numeric");
  std::string r = std::string(s.substr(4)) + std::string(s.substr(0, 4));
  int mod = 0;
  for (char c : r) {
    int v = isDigit(c) ? c - '0' : c - 'A' + 10;
    mod = v >= 10 ? (mod * 100 + v) % 97 : (mod * 10 + v) % 97;
  }
  if (mod != 1) return fail("bad_check_digit", "IBAN check digits are wrong");
  return pass();
}

using Linter = std::function<LintResult(std::string_view, int)>;

const std::map<std::string_view, Linter>& linters() {
  static const std::map<std::string_view, Linter> kLinters = {
      {"csum", [](std::string_view s, int) {
         if (!allDigits(s)) return fail("bad_character", "check digit field must be numeric");
         return gs1CheckDigitValid(s) ? pass() : fail("bad_check_digit", "check digit is wrong");
       }},
      {"csumalpha", [](std::string_view s, int) { return csumAlpha(s); }},
      {"gcppos1", [](std::string_view s, int) {
         if (s.size() < 4) return fail("bad_length", "too short to start with a GS1 Company Prefix");
         return allDigits(s.substr(0, 4)) ? pass() : fail("bad_value", "does not start with a GS1 Company Prefix");
       }},
      {"gcppos2", [](std::string_view s, int) {
         if (s.size() < 5) return fail("bad_length", "too short to hold a GS1 Company Prefix");
         return allDigits(s.substr(1, 4)) ? pass() : fail("bad_value", "no GS1 Company Prefix after the first digit");
       }},
      {"yymmd0", [](std::string_view s, int y) {
         return validDate(s, false, true, y) ? pass() : fail("bad_date", "date " + std::string(s) + " is not a real YYMMDD (DD=00 allowed)");
       }},
      {"yymmdd", [](std::string_view s, int y) {
         return validDate(s, false, false, y) ? pass() : fail("bad_date", "date " + std::string(s) + " is not a real YYMMDD (DD=00 not allowed here)");
       }},
      {"yyyymmdd", [](std::string_view s, int y) {
         return validDate(s, true, false, y) ? pass() : fail("bad_date", "date " + std::string(s) + " is not a real YYYYMMDD");
       }},
      {"yyyymmd0", [](std::string_view s, int y) {
         return validDate(s, true, true, y) ? pass() : fail("bad_date", "date " + std::string(s) + " is not a real YYYYMMDD");
       }},
      {"hhmi", [](std::string_view s, int) { return hourMinute(s); }},
      {"hhmm", [](std::string_view s, int) { return hourMinute(s); }},
      {"hh", [](std::string_view s, int) { return rangeCheck(s, 23, "hour"); }},
      {"mi", [](std::string_view s, int) { return rangeCheck(s, 59, "minute"); }},
      {"ss", [](std::string_view s, int) { return rangeCheck(s, 59, "second"); }},
      {"iso3166", [](std::string_view s, int) {
         return isIso3166Numeric(s) ? pass() : fail("bad_country", "'" + std::string(s) + "' is not an ISO 3166 country code");
       }},
      {"iso3166999", [](std::string_view s, int) {
         return s == "999" || isIso3166Numeric(s) ? pass() : fail("bad_country", "'" + std::string(s) + "' is not an ISO 3166 country code or 999");
       }},
      {"iso3166alpha2", [](std::string_view s, int) {
         return isIso3166Alpha2(s) ? pass() : fail("bad_country", "'" + std::string(s) + "' is not an ISO 3166 alpha-2 code");
       }},
      {"iso4217", [](std::string_view s, int) {
         return isIso4217Numeric(s) ? pass() : fail("bad_currency", "'" + std::string(s) + "' is not an ISO 4217 currency code");
       }},
      {"iso5218", [](std::string_view s, int) {
         return s == "0" || s == "1" || s == "2" || s == "9" ? pass() : fail("bad_value", "sex code must be 0, 1, 2 or 9");
       }},
      {"pcenc", [](std::string_view s, int) {
         for (size_t i = 0; i < s.size(); ++i) {
           if (s[i] != '%') continue;
           if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
               !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
             return fail("bad_value", "bad percent-encoding");
           }
         }
         return pass();
       }},
      {"hyphen", [](std::string_view s, int) { return s == "-" ? pass() : fail("bad_value", "must be '-'"); }},
      {"yesno", [](std::string_view s, int) { return s == "0" || s == "1" ? pass() : fail("bad_value", "must be 0 or 1"); }},
      {"zero", [](std::string_view s, int) { return s == "0" ? pass() : fail("bad_value", "must be 0"); }},
      {"nonzero", [](std::string_view s, int) {
         return std::any_of(s.begin(), s.end(), [](char c) { return c != '0'; }) ? pass() : fail("bad_value", "must not be zero");
       }},
      {"winding", [](std::string_view s, int) {
         return s == "0" || s == "1" || s == "9" ? pass() : fail("bad_value", "winding direction must be 0, 1 or 9");
       }},
      {"latitude", [](std::string_view s, int) {
         return allDigits(s) && std::string(s) <= "1800000000" ? pass() : fail("bad_value", "latitude out of range");
       }},
      {"longitude", [](std::string_view s, int) {
         return allDigits(s) && std::string(s) <= "3600000000" ? pass() : fail("bad_value", "longitude out of range");
       }},
      {"mediatype", [](std::string_view s, int) {
         bool ok = s.size() == 2 && allDigits(s) && ((num(s) >= 1 && num(s) <= 10) || num(s) >= 80);
         return ok ? pass() : fail("bad_value", "not an AIDC media type");
       }},
      {"importeridx", [](std::string_view s, int) {
         bool ok = s.size() == 1 && (std::isalnum(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '_');
         return ok ? pass() : fail("bad_value", "not an importer index character");
       }},
      {"pieceoftotal", [](std::string_view s, int) { return pieceOfTotal(s); }},
      {"posinseqslash", [](std::string_view s, int) { return posInSeqSlash(s); }},
      {"nozeroprefix", [](std::string_view s, int) {
         return s.size() > 1 && s[0] == '0' ? fail("bad_value", "must not start with 0") : pass();
       }},
      {"hasnondigit", [](std::string_view s, int) {
         return std::all_of(s.begin(), s.end(), isDigit) ? fail("bad_value", "must contain a non-digit") : pass();
       }},
      {"iban", [](std::string_view s, int) { return iban(s); }},
  };
  return kLinters;
}

}  // namespace

int resolveCentury(int yy, int current_year) {
  int century = current_year / 100;
  int d = yy - current_year % 100;
  if (d >= 51) --century;
  else if (d <= -50) ++century;
  return century * 100 + yy;
}

bool validDate(std::string_view s, bool full_year, bool allow_day_zero, int current_year) {
  size_t ylen = full_year ? 4 : 2;
  if (s.size() != ylen + 4 || !allDigits(s)) return false;
  int year = full_year ? num(s.substr(0, 4)) : resolveCentury(num(s.substr(0, 2)), current_year);
  int month = num(s.substr(ylen, 2));
  int day = num(s.substr(ylen + 2, 2));
  if (month < 1 || month > 12) return false;
  if (day == 0) return allow_day_zero;
  return day <= daysIn(month, year);
}

LintResult runLinter(std::string_view name, std::string_view component, int current_year) {
  const auto& all = linters();
  auto it = all.find(name);
  if (it == all.end()) return {LintOutcome::kNotImplemented, "", ""};
  return it->second(component, current_year);
}

}  // namespace sw::fw::lint

namespace sw::fw {

bool isLinterImplemented(std::string_view name) { return lint::linters().count(name) > 0; }

const std::vector<std::string_view>& unimplementedLinters() {
  // UN/ECE Recommendation 21 package codes and the North American coupon formats
  // are not shipped with this build: values are accepted and reported as unchecked.
  static const std::vector<std::string_view> kList = {"couponcode", "couponposoffer", "packagetype"};
  return kList;
}

}  // namespace sw::fw
