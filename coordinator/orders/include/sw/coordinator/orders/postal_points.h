#pragma once
// Where a customer is, from the postal code, region and country of the order's shipping address.
//
// PostalPoints is a table of postal code -> point (and the region each code lies in), read from a
// data file (coordinator/orders/data/README.md: the shipped US file, its source and licence).
// File format, one code a line, '#' lines are comments:
//     country,postal_code,lat,lon,region          e.g.  US,94103,37.773,-122.411,CA
// A region's point is the mean of its postal codes' points (their centre of mass, which leans
// towards where codes are dense, i.e. where people live: better for routing than a geometric centroid).
//
// locateShipTo falls back from the postal code to the region, then to the country's centroid,
// and says which one it used.
//
// Pure apart from PostalPoints::load (reads a file); unit-tested in
// tests/unit/coordinator/orders/postal_points_test.cpp, fuzzed by tests/fuzz/fuzz_postal_points.cpp.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sw/common/result.h"
#include "sw/coordinator/orders/routing.h"

namespace sw::coordinator {

class PostalPoints {
 public:
  // The text of a data file. Any malformed line refuses the whole file with its line number
  // (reject): a table half read would route silently to the wrong places.
  static common::Result<PostalPoints> parse(std::string_view text);
  // A data file, plain or gzip-compressed (".gz"), at most kMaxFileBytes either way.
  static common::Result<PostalPoints> load(const std::string& path);
  static constexpr size_t kMaxFileBytes = 64u << 20;

  size_t size() const { return by_code_.size(); }
  size_t regions() const { return by_region_.size(); }
  // country: ISO alpha-2 (any case); code as the channel gave it (normalizedPostalCode).
  std::optional<GeoPoint> postal(std::string_view country, std::string_view code) const;
  // region: a code ("CA") or, for the US, a state's name ("California"), any case.
  std::optional<GeoPoint> region(std::string_view country, std::string_view region) const;

 private:
  std::unordered_map<std::string, GeoPoint> by_code_;  // "US:94103"
  std::map<std::string, GeoPoint> by_region_;          // "US:CA"
};

// The form a postal code is kept in the table: upper case without spaces; for the US the first
// five digits of "94103" or "94103-1234" / "941031234". "" when it cannot be one (a US code that
// is not 5 or 9 digits, anything longer than 16 bytes or with characters other than letters,
// digits, spaces and '-').
std::string normalizedPostalCode(std::string_view country, std::string_view code);

enum class ShipToSource { kPostal, kRegion, kCountry, kNone };
const char* toString(ShipToSource s);

struct ShipToPoint {
  std::optional<GeoPoint> point;
  ShipToSource source = ShipToSource::kNone;
};

// The best point for an address: its postal code's, else its region's, else its country's
// centroid (countries: RoutingConfig::countries), else none. postal may be null (no data file).
ShipToPoint locateShipTo(const PostalPoints* postal, const std::map<std::string, GeoPoint>& countries,
                         std::string_view country, std::string_view region, std::string_view postal_code);

}  // namespace sw::coordinator
