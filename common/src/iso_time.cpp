#include "sw/common/iso_time.h"

#include <cstdio>

namespace sw::common {

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

Result<int64_t> parseIsoMs(std::string_view t, IsoPolicy policy) {
  const bool channel = policy == IsoPolicy::kChannel;
  auto bad = [&](const char* why) {
    return Error::reject("bad_date", "'" + std::string(t.substr(0, 40)) + "' is not an ISO 8601 " +
                                         (channel ? "" : "UTC ") + "time (" + why + "), e.g. 2026-11-27T10:00:00Z");
  };
  auto num = [&](size_t at, size_t len, int* out) {
    if (at + len > t.size()) return false;
    int v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  const bool sep_ok = t.size() > 10 && (t[10] == 'T' || t[10] == 't' || (channel && t[10] == ' '));
  int y, mo, d, h, mi, s;
  if (t.size() < 19 || !num(0, 4, &y) || t[4] != '-' || !num(5, 2, &mo) || t[7] != '-' || !num(8, 2, &d) || !sep_ok ||
      !num(11, 2, &h) || t[13] != ':' || !num(14, 2, &mi) || t[16] != ':' || !num(17, 2, &s)) {
    return bad("expected YYYY-MM-DDTHH:MM:SS");
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1970 || mo < 1 || mo > 12) return bad("no such month");
  if (d < 1 || d > kDays[mo - 1] + (mo == 2 && leap ? 1 : 0)) return bad("no such day");
  if (h > 23 || mi > 59 || s > (channel ? 60 : 59)) return bad("no such time of day");
  size_t i = 19;
  int ms = 0;
  if (i < t.size() && t[i] == '.') {
    const size_t start = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    const size_t n = i - start;
    if (n == 0 || n > 9) return bad("a fraction has 1 to 9 digits");
    for (size_t k = 0; k < 3; ++k) ms = ms * 10 + (k < n ? t[start + k] - '0' : 0);
  }
  int64_t offset_min = 0;
  const std::string_view zone = t.substr(i);
  if (zone == "Z" || zone == "z" || zone == "+00:00") {
    // UTC
  } else if (!channel) {
    return bad("the zone must be Z (UTC)");
  } else if (!zone.empty()) {
    int oh = 0, om = 0;
    const size_t mm = zone.size() == 6 && zone[3] == ':' ? 4 : 3;
    if ((zone[0] != '+' && zone[0] != '-') || (zone.size() != 6 && zone.size() != 5) || (zone.size() == 6 && zone[3] != ':') ||
        !num(i + 1, 2, &oh) || !num(i + mm, 2, &om) || oh > 23 || om > 59) {
      return bad("the zone must be Z or +HH:MM");
    }
    offset_min = (zone[0] == '-' ? -1 : 1) * (oh * 60 + om);
  }
  const int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi - offset_min) * 60'000LL + s * 1000LL + ms;
}

std::string formatIsoMs(int64_t ms) {
  const int64_t days = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
  const int64_t rem = ms - days * 86'400'000;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, &y, &m, &d);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(rem / 3'600'000), static_cast<long long>(rem / 60'000 % 60),
                static_cast<long long>(rem / 1000 % 60), static_cast<long long>(rem % 1000));
  return buf;
}

}  // namespace sw::common
