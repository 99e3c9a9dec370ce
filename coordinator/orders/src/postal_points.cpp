#include "sw/coordinator/orders/postal_points.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "sw/common/csv.h"
#include "sw/coordinator/channels/gzip.h"

namespace sw::coordinator {

using common::Error;

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<double> number(std::string_view s) {
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return d;
}

bool countryCode(std::string_view c) {
  return c.size() == 2 && std::isalpha(static_cast<unsigned char>(c[0])) && std::isalpha(static_cast<unsigned char>(c[1]));
}

// Channels give a US state as its code or its name (Shopify "province", Amazon StateOrRegion).
const std::map<std::string, std::string>& usStateCodes() {
  static const std::map<std::string, std::string> k = {
      {"ALABAMA", "AL"}, {"ALASKA", "AK"}, {"ARIZONA", "AZ"}, {"ARKANSAS", "AR"}, {"CALIFORNIA", "CA"},
      {"COLORADO", "CO"}, {"CONNECTICUT", "CT"}, {"DELAWARE", "DE"}, {"DISTRICT OF COLUMBIA", "DC"},
      {"FLORIDA", "FL"}, {"GEORGIA", "GA"}, {"HAWAII", "HI"}, {"IDAHO", "ID"}, {"ILLINOIS", "IL"},
      {"INDIANA", "IN"}, {"IOWA", "IA"}, {"KANSAS", "KS"}, {"KENTUCKY", "KY"}, {"LOUISIANA", "LA"},
      {"MAINE", "ME"}, {"MARYLAND", "MD"}, {"MASSACHUSETTS", "MA"}, {"MICHIGAN", "MI"}, {"MINNESOTA", "MN"},
      {"MISSISSIPPI", "MS"}, {"MISSOURI", "MO"}, {"MONTANA", "MT"}, {"NEBRASKA", "NE"}, {"NEVADA", "NV"},
      {"NEW HAMPSHIRE", "NH"}, {"NEW JERSEY", "NJ"}, {"NEW MEXICO", "NM"}, {"NEW YORK", "NY"},
      {"NORTH CAROLINA", "NC"}, {"NORTH DAKOTA", "ND"}, {"OHIO", "OH"}, {"OKLAHOMA", "OK"}, {"OREGON", "OR"},
      {"PENNSYLVANIA", "PA"}, {"PUERTO RICO", "PR"}, {"RHODE ISLAND", "RI"}, {"SOUTH CAROLINA", "SC"},
      {"SOUTH DAKOTA", "SD"}, {"TENNESSEE", "TN"}, {"TEXAS", "TX"}, {"UTAH", "UT"}, {"VERMONT", "VT"},
      {"VIRGINIA", "VA"}, {"WASHINGTON", "WA"}, {"WEST VIRGINIA", "WV"}, {"WISCONSIN", "WI"}, {"WYOMING", "WY"},
  };
  return k;
}

}  // namespace

std::string normalizedPostalCode(std::string_view country, std::string_view code) {
  code = trim(code);
  if (code.empty() || code.size() > 16) return "";
  std::string out;
  for (char c : code) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out.push_back(static_cast<char>(std::toupper(u)));
    } else if (c != ' ' && c != '-') {
      return "";
    }
  }
  if (upper(country) == "US") {
    bool digits = std::all_of(out.begin(), out.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || (out.size() != 5 && out.size() != 9)) return "";
    out.resize(5);
  }
  return out;
}

common::Result<PostalPoints> PostalPoints::parse(std::string_view text) {
  PostalPoints p;
  struct Sum {
    double lat = 0, lon = 0;
    size_t n = 0;
  };
  std::map<std::string, Sum> sums;
  // The one CSV reader (common/csv.h); a row whose first field starts with '#' is a comment.
  common::CsvReader reader(text);
  size_t line_no = 0;
  std::vector<std::string> fields;
  std::optional<common::CsvRowError> row_error;
  while (reader.next(&line_no, &fields, &row_error)) {
    auto bad = [&](const std::string& why) {
      return Error::reject("bad_postal_data", "postal data line " + std::to_string(line_no) + ": " + why);
    };
    if (row_error) return bad(row_error->message);
    if (fields.empty() || trim(fields[0]).starts_with('#')) continue;
    if (fields.size() == 1 && trim(fields[0]).empty()) continue;  // only blanks
    if (fields.size() > 5) return bad("more than 5 fields (country,postal_code,lat,lon,region)");
    std::string_view f[5];
    const size_t n = fields.size();
    for (size_t i = 0; i < n; ++i) f[i] = trim(fields[i]);
    if (n < 4) return bad("fewer than 4 fields (country,postal_code,lat,lon[,region])");
    if (!countryCode(f[0])) return bad("country must be two letters");
    std::string country = upper(f[0]);
    std::string code = normalizedPostalCode(country, f[1]);
    if (code.empty() || code != upper(f[1])) return bad("not a postal code in its normal form: " + std::string(f[1].substr(0, 20)));
    auto lat = number(f[2]), lon = number(f[3]);
    if (!lat || !lon || !(*lat >= -90 && *lat <= 90) || !(*lon >= -180 && *lon <= 180)) {
      return bad("lat/lon must be numbers within [-90, 90] and [-180, 180]");
    }
    std::string key = country + ":" + code;
    if (!p.by_code_.emplace(key, GeoPoint{*lat, *lon}).second) return bad("postal code " + code + " given twice");
    if (n == 5 && !f[4].empty()) {
      if (f[4].size() > 8) return bad("region longer than 8 characters");
      Sum& s = sums[country + ":" + upper(f[4])];
      s.lat += *lat;
      s.lon += *lon;
      s.n++;
    }
  }
  if (p.by_code_.empty()) return Error::reject("bad_postal_data", "postal data holds no postal codes");
  for (const auto& [key, s] : sums) {
    p.by_region_[key] = GeoPoint{s.lat / static_cast<double>(s.n), s.lon / static_cast<double>(s.n)};
  }
  return p;
}

common::Result<PostalPoints> PostalPoints::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::reject("bad_postal_data", "cannot read the postal data file " + path);
  std::string bytes;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    bytes.append(buf, static_cast<size_t>(in.gcount()));
    if (bytes.size() > kMaxFileBytes) return Error::reject("bad_postal_data", path + " is larger than 64 MiB");
  }
  bool gz = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
  if (gz) {
    auto plain = channels::gunzip(bytes, kMaxFileBytes);
    if (!plain) return Error::reject("bad_postal_data", path + ": " + plain.error().message);
    bytes = std::move(*plain);
  }
  auto p = parse(bytes);
  if (!p) return Error::reject(p.error().code, path + ": " + p.error().message);
  return p;
}

std::optional<GeoPoint> PostalPoints::postal(std::string_view country, std::string_view code) const {
  if (!countryCode(country)) return std::nullopt;
  std::string c = upper(country);
  std::string n = normalizedPostalCode(c, code);
  if (n.empty()) return std::nullopt;
  auto it = by_code_.find(c + ":" + n);
  if (it == by_code_.end()) return std::nullopt;
  return it->second;
}

std::optional<GeoPoint> PostalPoints::region(std::string_view country, std::string_view region) const {
  if (!countryCode(country)) return std::nullopt;
  std::string c = upper(country);
  std::string r = upper(trim(region));
  if (r.empty() || r.size() > 64) return std::nullopt;
  if (c == "US") {
    auto name = usStateCodes().find(r);
    if (name != usStateCodes().end()) r = name->second;
  }
  auto it = by_region_.find(c + ":" + r);
  if (it == by_region_.end()) return std::nullopt;
  return it->second;
}

const char* toString(ShipToSource s) {
  switch (s) {
    case ShipToSource::kPostal:
      return "postal";
    case ShipToSource::kRegion:
      return "region";
    case ShipToSource::kCountry:
      return "country";
    case ShipToSource::kNone:
      return "none";
  }
  return "none";
}

ShipToPoint locateShipTo(const PostalPoints* postal, const std::map<std::string, GeoPoint>& countries,
                         std::string_view country, std::string_view region, std::string_view postal_code) {
  if (postal) {
    if (auto p = postal->postal(country, postal_code)) return {p, ShipToSource::kPostal};
    if (auto p = postal->region(country, region)) return {p, ShipToSource::kRegion};
  }
  auto it = countries.find(upper(trim(country)));
  if (it != countries.end()) return {it->second, ShipToSource::kCountry};
  return {};
}

}  // namespace sw::coordinator
