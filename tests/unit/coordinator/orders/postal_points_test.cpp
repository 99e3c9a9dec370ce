// The customer's place from the order's address: the postal-code table (the shipped US file and
// hand-made ones), its refusal of malformed files, and the fall-back postal -> region -> country.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "sw/coordinator/orders/postal_points.h"
#include "test_support.h"

using namespace sw::coordinator;

namespace {

const char* kSmall =
    "# country,postal_code,lat,lon,region\n"
    "US,94103,37.773,-122.411,CA\n"
    "US,90012,34.061,-118.239,CA\n"
    "US,10001,40.750,-73.997,NY\r\n"
    "\n"
    "GB,M12AB,53.48,-2.23,\n";

PostalPoints small() {
  auto p = PostalPoints::parse(kSmall);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().toString());
  return p.ok() ? *p : *PostalPoints::parse("US,00000,0,0\n");
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

}  // namespace

TEST(PostalPoints, LooksUpCodesInTheFormsChannelsSendThem) {
  PostalPoints p = small();
  EXPECT_EQ(p.size(), 4u);
  ASSERT_TRUE(p.postal("US", "94103"));
  EXPECT_DOUBLE_EQ(p.postal("US", "94103")->lat, 37.773);
  EXPECT_TRUE(p.postal("us", " 94103-1234 "));  // ZIP+4, spaces, lower-case country
  EXPECT_TRUE(p.postal("US", "941031234"));
  EXPECT_TRUE(p.postal("GB", "m1 2ab"));
  EXPECT_FALSE(p.postal("US", "9410"));       // not a ZIP
  EXPECT_FALSE(p.postal("US", "94103-12"));   // neither 5 nor 9 digits
  EXPECT_FALSE(p.postal("US", "94104"));      // not in the table
  EXPECT_FALSE(p.postal("CA", "94103"));      // another country's table
  EXPECT_FALSE(p.postal("USA", "94103"));     // not an alpha-2 code
  EXPECT_FALSE(p.postal("US", "94103;DROP"));
  EXPECT_FALSE(p.postal("US", std::string(17, '9')));
}

TEST(PostalPoints, RegionIsTheMeanOfItsCodesAndAcceptsUsStateNames) {
  PostalPoints p = small();
  EXPECT_EQ(p.regions(), 2u);  // CA, NY (the GB line names none)
  auto ca = p.region("US", "CA");
  ASSERT_TRUE(ca);
  EXPECT_NEAR(ca->lat, (37.773 + 34.061) / 2, 1e-9);
  EXPECT_NEAR(ca->lon, (-122.411 + -118.239) / 2, 1e-9);
  ASSERT_TRUE(p.region("US", "california"));
  EXPECT_NEAR(p.region("US", "California")->lat, ca->lat, 1e-12);
  EXPECT_TRUE(p.region("US", " ny "));
  EXPECT_FALSE(p.region("US", "TX"));
  EXPECT_FALSE(p.region("US", ""));
  EXPECT_FALSE(p.region("GB", "England"));
}

TEST(PostalPoints, LocateFallsBackFromPostalToRegionToCountryAndSaysWhich) {
  PostalPoints p = small();
  std::map<std::string, GeoPoint> countries = {{"US", {39.8, -98.6}}};
  ShipToPoint s = locateShipTo(&p, countries, "US", "CA", "10001");
  EXPECT_EQ(s.source, ShipToSource::kPostal);  // the code wins over a region that disagrees
  EXPECT_DOUBLE_EQ(s.point->lat, 40.75);
  s = locateShipTo(&p, countries, "US", "CA", "99999");
  EXPECT_EQ(s.source, ShipToSource::kRegion);
  EXPECT_NEAR(s.point->lat, (37.773 + 34.061) / 2, 1e-9);
  s = locateShipTo(&p, countries, "US", "TX", "");
  EXPECT_EQ(s.source, ShipToSource::kCountry);
  EXPECT_DOUBLE_EQ(s.point->lat, 39.8);
  s = locateShipTo(nullptr, countries, "us", "CA", "94103");  // no data file: the country
  EXPECT_EQ(s.source, ShipToSource::kCountry);
  s = locateShipTo(&p, countries, "ZZ", "", "");
  EXPECT_EQ(s.source, ShipToSource::kNone);
  EXPECT_FALSE(s.point);
  EXPECT_STREQ(toString(ShipToSource::kRegion), "region");
}

TEST(PostalPoints, EveryMalformedFileIsRefusedWithItsLineNumber) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "no postal codes"},
      {"# only a comment\n\n", "no postal codes"},
      {"US,94103,37.7\n", "line 1: fewer than 4 fields"},
      {"US,94103,37.7,-122.4,CA\nUS,94104,1,2,CA,extra\n", "line 2: more than 5 fields"},
      {"USA,94103,37.7,-122.4\n", "country must be two letters"},
      {"U1,94103,37.7,-122.4\n", "country must be two letters"},
      {"US,9410,37.7,-122.4\n", "not a postal code"},
      {"US,94103-1234,37.7,-122.4\n", "not a postal code"},  // the file holds normal forms only
      {"GB,M1 2AB,53.4,-2.2\n", "not a postal code"},
      {"US,94103,north,-122.4\n", "lat/lon"},
      {"US,94103,37.7,-122.4x\n", "lat/lon"},
      {"US,94103,91,-122.4\n", "lat/lon"},
      {"US,94103,37.7,-181\n", "lat/lon"},
      {"US,94103,nan,-122.4\n", "lat/lon"},
      {"US,94103,37.7,-122.4\nUS,94103,37.7,-122.4\n", "line 2: postal code 94103 given twice"},
      {"US,94103,37.7,-122.4,CALIFORNIA\n", "region longer than 8"},
  };
  for (const Case& c : cases) {
    auto p = PostalPoints::parse(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.error().code, "bad_postal_data");
    EXPECT_NE(p.error().message.find(c.says), std::string::npos) << c.text << " -> " << p.error().message;
  }
}

TEST(PostalPoints, LoadsTheShippedUsFileAndItsPointsAreWhereTheCitiesAre) {
  auto p = PostalPoints::load(SW_POSTAL_DATA);
  ASSERT_TRUE(p.ok()) << p.error().toString();
  EXPECT_GT(p->size(), 33'000u);
  EXPECT_GE(p->regions(), 51u);  // 50 states and DC (and territories)
  struct City {
    const char* zip;
    GeoPoint at;
  };
  // Published coordinates of each city's centre; a ZCTA point lies within a few km of it.
  const City cities[] = {{"10001", {40.7506, -73.9972}}, {"60601", {41.8858, -87.6181}},
                         {"94103", {37.7725, -122.4147}}, {"98101", {47.6101, -122.3344}},
                         {"33131", {25.7663, -80.1897}}};
  for (const City& c : cities) {
    auto pt = p->postal("US", c.zip);
    ASSERT_TRUE(pt) << c.zip;
    EXPECT_LT(distanceKm(*pt, c.at), 5.0) << c.zip;
  }
  // A state's point lies inside the state: Kansas's within ~250 km of its geographic centre.
  auto ks = p->region("US", "KS");
  ASSERT_TRUE(ks);
  EXPECT_LT(distanceKm(*ks, {38.5, -98.0}), 250.0);
  EXPECT_GT(distanceKm(*p->region("US", "NY"), *p->region("US", "CA")), 3000.0);
}

TEST(PostalPoints, LoadReadsPlainAndGzipAndRefusesWhatItCannotRead) {
  sw::test::TempDir dir;
  writeFile(dir.file("plain.csv"), kSmall);
  auto plain = PostalPoints::load(dir.file("plain.csv"));
  ASSERT_TRUE(plain.ok()) << plain.error().toString();
  EXPECT_EQ(plain->size(), 4u);
  auto missing = PostalPoints::load(dir.file("none.csv"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot read"), std::string::npos);
  // The gzip magic followed by garbage, and a gzip file cut in half.
  writeFile(dir.file("bad.gz"), std::string("\x1f\x8b\x08\x00garbage", 11));
  auto bad = PostalPoints::load(dir.file("bad.gz"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bad_postal_data");
  std::ifstream in(SW_POSTAL_DATA, std::ios::binary);
  std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(gz.size(), 1000u);
  writeFile(dir.file("cut.gz"), gz.substr(0, gz.size() / 2));
  auto cut = PostalPoints::load(dir.file("cut.gz"));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, "bad_postal_data");
  // A malformed line inside a file names the file and the line.
  writeFile(dir.file("line3.csv"), "US,94103,1,2\nUS,94104,1,2\nUS,x,1,2\n");
  auto line3 = PostalPoints::load(dir.file("line3.csv"));
  ASSERT_FALSE(line3.ok());
  EXPECT_NE(line3.error().message.find("line3.csv: postal data line 3"), std::string::npos) << line3.error().message;
}
