#include "json_read.h"

#include <algorithm>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <ctime>

#include "sw/common/iso_time.h"

namespace sw::coordinator::channels::detail {

const json* get(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

const json* getPath(const json& j, std::initializer_list<std::string_view> path) {
  const json* cur = &j;
  for (std::string_view k : path) {
    cur = get(*cur, k);
    if (!cur) return nullptr;
  }
  return cur;
}

std::string str(const json& j, std::string_view key) {
  const json* v = get(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

std::string strPath(const json& j, std::initializer_list<std::string_view> path) {
  const json* v = getPath(j, path);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

namespace {
// v trimmed of spaces when it is a string of at most max_len bytes without control characters;
// nullopt (and *why says which) when it is not; "" when absent, blank or not a string.
std::optional<std::string> cleanText(const json* v, size_t max_len, std::string* why) {
  if (!v || !v->is_string()) return std::string();
  const std::string& raw = v->get_ref<const std::string&>();
  size_t b = raw.find_first_not_of(" \t");
  if (b == std::string::npos) return std::string();
  size_t e = raw.find_last_not_of(" \t");
  std::string t = raw.substr(b, e - b + 1);
  bool control = std::any_of(t.begin(), t.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (t.size() > max_len || control) {
    *why = control ? " holds a control character" : " is longer than " + std::to_string(max_len) + " bytes";
    return std::nullopt;
  }
  return t;
}
}  // namespace

std::string addressPart(const json* v, size_t max_len, std::string_view what, std::vector<std::string>* warnings) {
  std::string why;
  auto t = cleanText(v, max_len, &why);
  if (!t) {
    warnings->push_back(std::string("the shipping address's ") + std::string(what) + why + ": not used for routing");
    return "";
  }
  return *t;
}

std::string contactText(const json* v, size_t max_len, std::string_view what, std::vector<std::string>* warnings) {
  std::string why;
  auto t = cleanText(v, max_len, &why);
  if (!t) {
    if (warnings) warnings->push_back(std::string("the customer's ") + std::string(what) + why + ": not kept");
    return "";
  }
  return *t;
}

std::string contactEmail(const json* v, std::vector<std::string>* warnings) {
  std::string t = contactText(v, 254, "email", warnings);
  if (t.empty()) return t;
  std::transform(t.begin(), t.end(), t.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  size_t at = t.find('@');
  if (at == 0 || at == std::string::npos || at + 1 == t.size() || t.find('@', at + 1) != std::string::npos ||
      t.find_first_of(" \t") != std::string::npos) {
    warnings->push_back("the customer's email is not an email address: not kept");
    return "";
  }
  return t;
}

PostalAddress postalAddress(const json* address, const AddressKeys& keys, std::vector<std::string>* warnings) {
  PostalAddress a;
  if (!address || !address->is_object()) return a;
  for (std::string_view k : keys.lines) {
    std::string line = contactText(get(*address, k), 200, "address line", warnings);
    if (!line.empty()) a.lines.push_back(std::move(line));
  }
  // With shipToPlace's limits, which has warned about these parts already.
  a.city = contactText(get(*address, keys.city), 80, "city", nullptr);
  a.region = contactText(get(*address, keys.region), 64, "region", nullptr);
  a.postal_code = contactText(get(*address, keys.postal_code), 16, "postal code", nullptr);
  a.country = contactText(get(*address, keys.country), 64, "country", warnings);
  return a;
}

std::string fullName(const json* object, std::string_view first_key, std::string_view last_key,
                     std::vector<std::string>* warnings) {
  if (!object || !object->is_object()) return "";
  std::string first = contactText(get(*object, first_key), 100, "first name", warnings);
  std::string last = contactText(get(*object, last_key), 100, "last name", warnings);
  if (first.empty() || last.empty()) return first + last;
  return first + " " + last;
}

ShipToPlace shipToPlace(const json* address, std::string_view postal_key, std::string_view city_key,
                        std::string_view region_key, std::vector<std::string>* warnings) {
  ShipToPlace p;
  if (!address || !address->is_object()) return p;
  p.postal_code = addressPart(get(*address, postal_key), 16, "postal code", warnings);
  p.city = addressPart(get(*address, city_key), 80, "city", warnings);
  p.region = addressPart(get(*address, region_key), 64, "region", warnings);
  return p;
}

const json* arr(const json& j, std::string_view key) {
  const json* v = get(j, key);
  return v && v->is_array() ? v : nullptr;
}

std::optional<std::string> idText(const json* v) {
  if (!v) return std::nullopt;
  if (v->is_string()) {
    std::string s = v->get<std::string>();
    if (s.empty()) return std::nullopt;
    return s;
  }
  if (v->is_number_unsigned()) return std::to_string(v->get<uint64_t>());
  if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
  return std::nullopt;
}

std::optional<int64_t> wholeNumber(const json* v) {
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    int64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::optional<common::Decimal> moneyText(std::string_view text) {
  // Trim a leading '+' and surrounding spaces, then round to 4 decimals half-even.
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.size() > 40) return std::nullopt;
  auto dot = text.find('.');
  if (dot == std::string_view::npos || text.size() - dot - 1 <= 4) {
    auto d = common::Decimal::parse(text);
    if (!d) return std::nullopt;
    return *d;
  }
  std::string_view head = text.substr(0, dot + 5);
  std::string_view rest = text.substr(dot + 5);
  for (char c : rest) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto d = common::Decimal::parse(head);
  if (!d) return std::nullopt;
  int64_t v = d->scaled();
  bool neg = !head.empty() && head.front() == '-';
  char first = rest.front();
  bool beyond = rest.find_first_not_of('0', 1) != std::string_view::npos;
  bool up = first > '5' || (first == '5' && (beyond || (std::llabs(v) % 2 == 1)));
  if (up) v += neg ? -1 : 1;
  return common::Decimal::fromUnits(v);
}

std::optional<common::Decimal> money(const json* v) {
  if (!v) return std::nullopt;
  if (v->is_string()) return moneyText(v->get_ref<const std::string&>());
  if (v->is_number_integer() || v->is_number_unsigned()) {
    auto n = wholeNumber(v);
    if (!n || std::llabs(*n) > 900'000'000'000'000) return std::nullopt;
    return common::Decimal::fromUnits(*n * common::Decimal::kScale);
  }
  if (v->is_number_float()) {
    // The shortest text that reads back as the same double: 12.99 stays "12.99".
    double d = v->get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 9.0e14) return std::nullopt;
    char buf[64];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    if (ec != std::errc()) return std::nullopt;
    return moneyText(std::string_view(buf, static_cast<size_t>(p - buf)));
  }
  return std::nullopt;
}

bool addCharge(std::optional<Money>& total, const Money& part) {
  if (part.amount.scaled() < 0) return false;
  if (!total) {
    total = part;
    return true;
  }
  int64_t sum = 0;
  if (total->currency != part.currency || __builtin_add_overflow(total->amount.scaled(), part.amount.scaled(), &sum)) {
    return false;
  }
  total->amount = common::Decimal::fromUnits(sum);
  return true;
}

common::Decimal divide(common::Decimal total, int64_t qty, bool* exact) {
  if (qty <= 0) {
    *exact = false;
    return total;
  }
  int64_t v = total.scaled();
  int64_t q = v / qty;
  int64_t r = v % qty;
  *exact = r == 0;
  if (r != 0) {
    int64_t twice = 2 * std::llabs(r);
    if (twice > qty || (twice == qty && std::llabs(q) % 2 == 1)) q += v < 0 ? -1 : 1;
  }
  return common::Decimal::fromUnits(q);
}

std::optional<int64_t> parseIsoMs(std::string_view s) {
  auto ms = common::parseIsoMs(s, common::IsoPolicy::kChannel);
  if (!ms) return std::nullopt;
  return *ms;
}

std::string formatIsoMs(int64_t ms) { return common::formatIsoMs(ms); }

}  // namespace sw::coordinator::channels::detail
