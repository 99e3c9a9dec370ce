#include "sw/common/card_data.h"

#include "sw/common/event.h"

#include <algorithm>

namespace sw::common {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

struct Brand {
  const char* lo;  // inclusive prefix range, same length
  const char* hi;
  int min_len;
  int max_len;
};

// Issuer prefix ranges and PAN lengths of the card brands (public IIN tables).
constexpr Brand kBrands[] = {
    {"4", "4", 13, 13},          {"4", "4", 16, 16},          {"4", "4", 19, 19},          // Visa
    {"51", "55", 16, 16},        {"2221", "2720", 16, 16},                                  // Mastercard
    {"34", "34", 15, 15},        {"37", "37", 15, 15},                                      // Amex
    {"6011", "6011", 16, 19},    {"644", "649", 16, 19},      {"65", "65", 16, 19},        // Discover
    {"3528", "3589", 16, 19},                                                               // JCB
    {"300", "305", 14, 19},      {"3095", "3095", 14, 19},    {"36", "36", 14, 19},
    {"38", "39", 16, 19},                                                                   // Diners
    {"62", "62", 16, 19},                                                                   // UnionPay
    {"5018", "5018", 12, 19},    {"5020", "5020", 12, 19},    {"5038", "5038", 12, 19},
    {"5893", "5893", 12, 19},    {"6304", "6304", 12, 19},    {"6759", "6759", 12, 19},
    {"6761", "6763", 12, 19},                                                               // Maestro
    {"2200", "2204", 16, 19},                                                               // Mir
    {"60", "60", 16, 16},        {"508", "508", 16, 16},                                    // RuPay
    {"506099", "506198", 16, 19}, {"507865", "507964", 16, 19}, {"650002", "650027", 16, 19},  // Verve
    {"9792", "9792", 16, 16},                                                               // Troy
    {"5019", "5019", 16, 16},                                                               // Dankort
    {"636", "639", 16, 19},                                                                 // InterPayment/InstaPayment
};

bool brandMatches(std::string_view d) {
  for (const Brand& b : kBrands) {
    std::string_view lo(b.lo), hi(b.hi);
    if (d.size() < static_cast<size_t>(b.min_len) || d.size() > static_cast<size_t>(b.max_len)) continue;
    std::string_view prefix = d.substr(0, lo.size());
    if (prefix >= lo && prefix <= hi) return true;
  }
  return false;
}

bool gs1CheckValid(std::string_view d) {
  int sum = 0;
  int weight = 3;
  for (size_t i = d.size() - 1; i-- > 0;) {
    sum += (d[i] - '0') * weight;
    weight = 4 - weight;
  }
  return (10 - sum % 10) % 10 == d.back() - '0';
}

bool isCardNumber(std::string_view digits) {
  if (!looksLikePan(digits)) return false;
  if ((digits.size() == 12 || digits.size() == 13) && gs1CheckValid(digits)) return false;  // a UPC/EAN code
  return true;
}

// Track 2: [;]PAN=YYMM... ; track 1: [%]B PAN ^ name ^ YYMM...
std::optional<CardDataMatch> trackAt(std::string_view t, size_t i) {
  size_t p = i;
  bool track1 = false;
  if (t[p] == '%') ++p;
  if (p < t.size() && (t[p] == 'B' || t[p] == 'b')) {
    track1 = true;
    ++p;
  } else if (t[i] == '%') {
    return std::nullopt;
  } else if (t[p] == ';') {
    ++p;
  }
  size_t d0 = p;
  while (p < t.size() && isDigit(t[p])) ++p;
  size_t n = p - d0;
  if (n < 12 || n > 19 || p >= t.size()) return std::nullopt;
  if (d0 > 0 && isDigit(t[d0 - 1])) return std::nullopt;
  if (track1) {
    if (t[p] != '^') return std::nullopt;
    size_t name_end = t.find('^', p + 1);
    if (name_end == std::string_view::npos || name_end - p - 1 > 26) return std::nullopt;
    size_t e = name_end + 1;
    size_t k = e;
    while (k < t.size() && isDigit(t[k])) ++k;
    if (k - e < 4) return std::nullopt;
    while (k < t.size() && t[k] != '?' && t[k] != '\r' && t[k] != '\n') ++k;
    if (k < t.size() && t[k] == '?') ++k;
    return CardDataMatch{i, k, CardDataKind::kTrack1};
  }
  if (t[p] != '=' && t[p] != 'D' && t[p] != 'd') return std::nullopt;
  size_t e = p + 1;
  size_t k = e;
  while (k < t.size() && isDigit(t[k])) ++k;
  if (k - e < 4) return std::nullopt;
  if (k < t.size() && t[k] == '?') ++k;
  return CardDataMatch{i, k, CardDataKind::kTrack2};
}

}  // namespace

bool luhnValid(std::string_view digits) {
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), isDigit)) return false;
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int v = digits[i] - '0';
    if (dbl) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool looksLikePan(std::string_view digits) {
  if (digits.size() < 12 || digits.size() > 19) return false;
  return brandMatches(digits) && luhnValid(digits);
}

std::vector<CardDataMatch> findCardData(std::string_view t) {
  std::vector<CardDataMatch> out;
  size_t i = 0;
  while (i < t.size()) {
    // Track data first: it contains a PAN, and the whole track must be masked.
    if (t[i] == '%' || t[i] == ';' || t[i] == 'B' || t[i] == 'b' || isDigit(t[i])) {
      if (auto m = trackAt(t, i)) {
        out.push_back(*m);
        i = m->end;
        continue;
      }
    }
    if (!isDigit(t[i]) || (i > 0 && isDigit(t[i - 1]))) {
      ++i;
      continue;
    }
    // A digit run, allowing single spaces, hyphens or dots between digit groups (a number typed
    // as 4111.1111.1111.1111 is still one).
    size_t start = i;
    size_t k = i;
    std::string joined;
    std::vector<std::pair<size_t, size_t>> plain_runs;  // pure-digit runs inside
    size_t run_start = i;
    while (k < t.size()) {
      if (isDigit(t[k])) {
        joined += t[k];
        ++k;
      } else if ((t[k] == ' ' || t[k] == '-' || t[k] == '.') && k + 1 < t.size() && isDigit(t[k + 1])) {
        plain_runs.emplace_back(run_start, k);
        ++k;
        run_start = k;
      } else {
        break;
      }
    }
    plain_runs.emplace_back(run_start, k);
    if (isCardNumber(joined)) {
      out.push_back({start, k, CardDataKind::kPan});
    } else {
      for (auto [b, e] : plain_runs) {
        if (isCardNumber(t.substr(b, e - b))) out.push_back({b, e, CardDataKind::kPan});
      }
    }
    i = k;
  }
  return out;
}

bool containsCardData(std::string_view text) { return !findCardData(text).empty(); }

std::string maskDigits(std::string_view value) {
  std::string out(value);
  size_t digits = static_cast<size_t>(std::count_if(out.begin(), out.end(), isDigit));
  size_t keep = digits >= 4 ? 4 : 0;
  size_t seen = 0;
  for (char& c : out) {
    if (!isDigit(c)) continue;
    if (seen < digits - keep) c = '*';
    ++seen;
  }
  return out;
}

std::string maskCardData(std::string_view text) {
  std::string out(text);
  for (const CardDataMatch& m : findCardData(text)) {
    if (m.kind == CardDataKind::kPan) {
      out.replace(m.begin, m.end - m.begin, maskDigits(text.substr(m.begin, m.end - m.begin)));
    } else {
      for (size_t i = m.begin; i < m.end; ++i) out[i] = '*';
    }
  }
  return out;
}

std::optional<std::string> cardDataInEvent(const Event& event) {
  for (size_t i = 0; i < event.lines.size(); ++i) {
    if (containsCardData(event.lines[i].sku)) return "lines[" + std::to_string(i) + "].sku";
  }
  if (containsCardData(event.reason)) return std::string("reason");
  if (containsCardData(event.ref)) return std::string("ref");
  if (containsCardData(event.other_location)) return std::string("other_location");
  if (containsCardData(event.scope)) return std::string("scope");
  return std::nullopt;
}

Error cardDataRefused(std::string_view where) {
  return Error::reject("card_data_refused",
                       std::string(where) + " looks like payment card data (card number or magnetic stripe track); "
                                            "it was refused and not stored");
}

}  // namespace sw::common
