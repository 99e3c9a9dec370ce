// The postal-code data reader (coordinator/orders/postal_points.h) on any bytes: parse() never
// crashes, and when it takes a file:
//   - it holds at least one code, and every point it gives lies within [-90, 90] x [-180, 180];
//   - each code line of the input is found again by postal() under its country, at its point's
//     region mean or its own point (both in range);
//   - normalizedPostalCode is idempotent and its result is found as itself.
// The input's first line also goes through every lookup as a postal code and a region.

#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sw/coordinator/orders/postal_points.h"

namespace {

using sw::coordinator::GeoPoint;

void checkPoint(const std::optional<GeoPoint>& p) {
  if (p && !(p->lat >= -90 && p->lat <= 90 && p->lon >= -180 && p->lon <= 180)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sw::coordinator;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view first = text.substr(0, text.find('\n'));
  for (std::string_view country : {"US", "GB", "us"}) {
    std::string n = normalizedPostalCode(country, first);
    if (normalizedPostalCode(country, n) != n) std::abort();
    if (n.size() > 16) std::abort();
  }
  auto p = PostalPoints::parse(text);
  std::map<std::string, GeoPoint> countries = {{"US", {39.8, -98.6}}};
  ShipToPoint none = locateShipTo(p.ok() ? &*p : nullptr, countries, first.substr(0, 2), first, first);
  checkPoint(none.point);
  if (!p) return 0;
  if (p->size() == 0) std::abort();
  // Every code line (country,code,...) the parser took is found again.
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string_view line = text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t c1 = line.find(','), c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string_view::npos) std::abort();  // a file with such a line must have been refused
    std::string_view country = line.substr(0, c1), code = line.substr(c1 + 1, c2 - c1 - 1);
    while (!code.empty() && (code.back() == ' ' || code.back() == '\t')) code.remove_suffix(1);
    while (!code.empty() && (code.front() == ' ' || code.front() == '\t')) code.remove_prefix(1);
    while (!country.empty() && (country.back() == ' ' || country.back() == '\t' || country.back() == '\r')) country.remove_suffix(1);
    auto pt = p->postal(country, code);
    if (!pt) std::abort();
    checkPoint(pt);
    ShipToPoint s = locateShipTo(&*p, countries, country, "", code);
    if (s.source != ShipToSource::kPostal) std::abort();
  }
  checkPoint(p->postal("US", first));
  checkPoint(p->region("US", first));
  return 0;
}
