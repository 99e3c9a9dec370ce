#include <gtest/gtest.h>

#include "sw/agent/requests.h"

using namespace sw;
using common::EventType;

TEST(SaleRequest, ParsesLinesWithPrices) {
  auto d = agent::parseSaleRequest(R"({"lines":[{"sku":"SKU-1","qty":2,"unit_price":"9.99"},{"sku":"B","qty":1}]})",
                                   EventType::kSale);
  ASSERT_TRUE(d.ok()) << d.error().toString();
  ASSERT_EQ(d->lines.size(), 2u);
  EXPECT_EQ(d->lines[0].qty, 2);
  EXPECT_EQ(d->lines[0].unit_price->toString(), "9.99");
  EXPECT_FALSE(d->lines[1].unit_price.has_value());
}

TEST(SaleRequest, RejectsBadInputWithAReason) {
  struct Case {
    const char* body;
    const char* code;
  };
  const Case cases[] = {
      {"", "missing_body"},  // says there is no body, not that it is bad JSON
      {"not json", "bad_json"},
      {"[1]", "bad_json"},
      {"{}", "no_lines"},
      {R"({"lines":[]})", "no_lines"},
      {R"({"lines":[{"qty":1}]})", "bad_sku"},
      {R"({"lines":[{"sku":"","qty":1}]})", "bad_sku"},
      {R"({"lines":[{"sku":"A"}]})", "missing_field"},
      {R"({"lines":[{"sku":"A","qty":0}]})", "bad_qty"},
      {R"({"lines":[{"sku":"A","qty":-2}]})", "bad_qty"},
      {R"({"lines":[{"sku":"A","qty":1.5}]})", "bad_qty"},
      {R"({"lines":[{"sku":"A","qty":"2"}]})", "bad_qty"},
      {R"({"lines":[{"sku":"A","qty":99999999999999999999}]})", "bad_qty"},
      {R"({"lines":[{"sku":"A","qty":1,"unit_price":9.99}]})", "bad_price"},
      {R"({"lines":[{"sku":"A","qty":1,"unit_price":"-1"}]})", "bad_price"},
      {R"({"lines":[{"sku":"A","qty":1,"unit_price":"1.23456"}]})", "bad_price"},
      {R"({"lines":[{"sku":"A","qty":1}],"ref":"x"})", "bad_ref"},
  };
  for (const Case& c : cases) {
    auto d = agent::parseSaleRequest(c.body, EventType::kSale);
    ASSERT_FALSE(d.ok()) << c.body;
    EXPECT_EQ(d.error().code, c.code) << c.body << " -> " << d.error().message;
  }
}

TEST(MovementRequest, EachTypeAndItsRules) {
  auto r = agent::parseMovementRequest(R"({"type":"receive","sku":"S","qty":10})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, EventType::kReceive);
  auto a = agent::parseMovementRequest(R"({"type":"adjust","sku":"S","qty":-2,"reason":"damaged"})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->lines[0].qty, -2);
  auto cnt = agent::parseMovementRequest(R"({"type":"count","sku":"S","counted":0})");
  ASSERT_TRUE(cnt.ok());
  EXPECT_EQ(cnt->lines[0].qty, 0);
  auto t = agent::parseMovementRequest(R"({"type":"transfer_out","sku":"S","qty":3,"to":"store-2"})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->other_location, "store-2");
  auto ti = agent::parseMovementRequest(R"({"type":"transfer_in","sku":"S","qty":3,"other_location":"wh-1"})");
  ASSERT_TRUE(ti.ok());
  EXPECT_EQ(ti->other_location, "wh-1");
  auto multi = agent::parseMovementRequest(R"({"type":"count","lines":[{"sku":"A","counted":1},{"sku":"B","counted":2}]})");
  ASSERT_TRUE(multi.ok());
  EXPECT_EQ(multi->lines.size(), 2u);

  struct Case {
    const char* body;
    const char* code;
  };
  const Case bad[] = {
      {R"({"sku":"S","qty":1})", "bad_type"},
      {R"({"type":"sale","sku":"S","qty":1})", "bad_type"},
      {R"({"type":"receive","sku":"S","qty":0})", "bad_qty"},
      {R"({"type":"adjust","sku":"S","qty":-2})", "missing_reason"},
      {R"({"type":"adjust","sku":"S","qty":0,"reason":"x"})", "bad_qty"},
      {R"({"type":"count","sku":"S","qty":3})", "missing_field"},
      {R"({"type":"count","sku":"S","counted":-1})", "bad_qty"},
      {R"({"type":"transfer_out","sku":"S","qty":1})", "missing_other_location"},
      {R"({"type":"transfer_in","sku":"S","qty":1,"from":"bad/loc"})", "bad_other_location"},
      {R"({"type":"receive","sku":"S","qty":1,"lines":[]})", "bad_request"},
  };
  for (const Case& c : bad) {
    auto d = agent::parseMovementRequest(c.body);
    ASSERT_FALSE(d.ok()) << c.body;
    EXPECT_EQ(d.error().code, c.code) << c.body << " -> " << d.error().message;
  }
}

TEST(VoidRequest, NeedsARef) {
  EXPECT_EQ(agent::parseVoidRequest("{}").error().code, "missing_ref");
  EXPECT_EQ(agent::parseVoidRequest(R"({"ref":"abc"})").error().code, "bad_ref");
  auto v = agent::parseVoidRequest(R"({"ref":"123e4567-e89b-42d3-a456-426614174000","reason":"wrong item"})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->type, EventType::kVoid);
}
