// The shared query-parameter check: strict whole numbers in a range, one error code.

#include <gtest/gtest.h>

#include "sw/common/http_json.h"

using namespace sw;

namespace {

httplib::Request withParam(const std::string& name, const std::string& value) {
  httplib::Request req;
  req.params.emplace(name, value);
  return req;
}

}  // namespace

TEST(QueryInt, TakesWholeNumbersInRangeAndTheFallbackWhenAbsent) {
  EXPECT_EQ(*common::queryInt(withParam("limit", "10"), "limit", 100, 1, 1000), 10);
  EXPECT_EQ(*common::queryInt(withParam("limit", "1000"), "limit", 100, 1, 1000), 1000);
  EXPECT_EQ(*common::queryInt(withParam("from", "-5"), "from", 0, -10, 10), -5);
  EXPECT_EQ(*common::queryInt(httplib::Request{}, "limit", 100, 1, 1000), 100);
  EXPECT_EQ(*common::queryInt(withParam("x", "9223372036854775807"), "x", 0, 0, INT64_MAX), INT64_MAX);
}

TEST(QueryInt, RefusesAnythingElseWithBadParamNamingTheParameter) {
  for (const char* bad : {"10abc", " 10", "10 ", "+10", "1e3", "", "0x10", "10.0", "-", "--1", "１０",
                          "99999999999999999999", "'; DROP TABLE events; --", "../../etc/passwd"}) {
    auto r = common::queryInt(withParam("limit", bad), "limit", 100, 1, 1000);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_param") << bad;
    EXPECT_NE(r.error().message.find("limit must be a whole number from 1 to 1000"), std::string::npos)
        << r.error().message;
  }
  // Out of range is refused, not clamped or wrapped (from_seq=-1 once wrapped to 2^64-1).
  EXPECT_FALSE(common::queryInt(withParam("limit", "0"), "limit", 100, 1, 1000).ok());
  EXPECT_FALSE(common::queryInt(withParam("limit", "1001"), "limit", 100, 1, 1000).ok());
  EXPECT_FALSE(common::queryInt(withParam("from_seq", "-1"), "from_seq", 0, 0, INT64_MAX).ok());
}

TEST(SendJson, SetsStatusTypeAndBody) {
  httplib::Response res;
  common::sendJson(res, {{"a", 1}}, 201);
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(res.body)["a"], 1);
}
