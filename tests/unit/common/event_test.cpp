#include <gtest/gtest.h>

#include "sw/common/event.h"
#include "sw/common/uuid.h"

using namespace sw::common;

namespace {
Event sale() {
  Event e;
  e.device_id = "till-1";
  e.seq = 1;
  e.event_id = newUuid();
  e.type = EventType::kSale;
  e.occurred_at_ms = 1'700'000'000'000;
  e.location = "store-1";
  e.lines = {{"SKU-1", 2, Decimal::parse("9.99").value()}};
  return e;
}
}  // namespace

TEST(Uuid, IsVersion4AndRecognised) {
  std::string u = newUuid();
  EXPECT_TRUE(isUuid(u));
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(u, newUuid());
  EXPECT_FALSE(isUuid("not-a-uuid"));
  EXPECT_FALSE(isUuid("123e4567-e89b-12d3-a456-42661417400g"));
}

TEST(Uuid, Version7IsTimeOrderedAndRoundTripsThroughBytes) {
  std::string a = newUuidV7(1'700'000'000'000);
  std::string b = newUuidV7(1'700'000'000'001);
  EXPECT_TRUE(isUuid(a));
  EXPECT_EQ(a[14], '7');
  EXPECT_LT(a, b);  // canonical text sorts by time
  EXPECT_EQ(a.substr(0, 13), "018bcfe5-6800");
  std::string bytes = uuidToBytes(a);
  ASSERT_EQ(bytes.size(), 16u);
  EXPECT_EQ(uuidFromBytes(bytes), a);
  EXPECT_LT(uuidToBytes(a), uuidToBytes(b));
}

TEST(EventValidation, AcceptsAWellFormedSale) { EXPECT_TRUE(validateEvent(sale()).ok()); }

TEST(EventValidation, RejectsEachBadField) {
  struct Case {
    const char* code;
    void (*mutate)(Event&);
  };
  const Case cases[] = {
      {"bad_device_id", [](Event& e) { e.device_id = "till/1"; }},
      {"bad_device_id", [](Event& e) { e.device_id = ""; }},
      {"bad_seq", [](Event& e) { e.seq = 0; }},
      {"bad_event_id", [](Event& e) { e.event_id = "x"; }},
      {"bad_occurred_at", [](Event& e) { e.occurred_at_ms = 0; }},
      {"bad_location", [](Event& e) { e.location = "store 1"; }},
      {"no_lines", [](Event& e) { e.lines.clear(); }},
      {"bad_sku", [](Event& e) { e.lines[0].sku = ""; }},
      {"bad_sku", [](Event& e) { e.lines[0].sku = "SKU\n1"; }},
      {"bad_qty", [](Event& e) { e.lines[0].qty = 0; }},
      {"bad_qty", [](Event& e) { e.lines[0].qty = -1; }},
      {"bad_qty", [](Event& e) { e.lines[0].qty = kMaxAbsQty + 1; }},
      {"bad_price", [](Event& e) { e.lines[0].unit_price = Decimal::fromUnits(-1); }},
      {"missing_ref", [](Event& e) { e.type = EventType::kVoid; e.lines.clear(); }},
      {"bad_ref", [](Event& e) { e.ref = "nope"; }},
      {"missing_reason", [](Event& e) { e.type = EventType::kAdjust; }},
      {"bad_qty", [](Event& e) { e.type = EventType::kAdjust; e.reason = "x"; e.lines[0].qty = 0; }},
      {"bad_qty", [](Event& e) { e.type = EventType::kCount; e.lines[0].qty = -1; }},
      {"bad_other_location", [](Event& e) { e.type = EventType::kTransferOut; }},
      {"bad_other_location", [](Event& e) { e.type = EventType::kTransferIn; e.other_location = "store-1"; }},
  };
  for (const Case& c : cases) {
    Event e = sale();
    c.mutate(e);
    auto s = validateEvent(e);
    ASSERT_FALSE(s.ok()) << c.code;
    EXPECT_EQ(s.error().code, c.code);
    EXPECT_EQ(s.error().kind, ErrorKind::kReject);
  }
}

TEST(EventValidation, SignedAdjustAndZeroCountAreFine) {
  Event e = sale();
  e.type = EventType::kAdjust;
  e.reason = "damaged";
  e.lines[0].qty = -3;
  EXPECT_TRUE(validateEvent(e).ok());
  e.type = EventType::kCount;
  e.lines[0].qty = 0;
  EXPECT_TRUE(validateEvent(e).ok());
}

TEST(BatchValidation, RequiresContiguousSeqsOfOneDevice) {
  EventBatch b;
  b.device_id = "till-1";
  b.epoch = newUuid();
  b.events = {sale(), sale()};
  b.events[1].seq = 2;
  EXPECT_TRUE(validateBatch(b).ok());
  b.events[1].seq = 3;
  EXPECT_EQ(validateBatch(b).error().code, "seq_not_contiguous");
  b.events[1].seq = 2;
  b.events[1].device_id = "till-2";
  EXPECT_EQ(validateBatch(b).error().code, "device_mismatch");
  b.events.clear();
  EXPECT_EQ(validateBatch(b).error().code, "empty_batch");
}

// Issue 15 item 15: at = clk = INT64_MAX overflowed into a negative stored time.
TEST(EventValidation, RefusesTimesPastTheSaneRange) {
  Event e = sale();
  e.occurred_at_ms = INT64_MAX;
  EXPECT_EQ(validateEvent(e).error().code, "bad_occurred_at");
  e.occurred_at_ms = kMaxEventTimeMs + 1;
  EXPECT_EQ(validateEvent(e).error().code, "bad_occurred_at");
  e.occurred_at_ms = kMaxEventTimeMs;
  EXPECT_TRUE(validateEvent(e).ok());
}

TEST(BatchValidation, RefusesOutOfRangeSentAtAndClockOffset) {
  EventBatch b;
  b.device_id = "till-1";
  b.epoch = newUuid();
  b.events = {sale()};
  b.sent_at_ms = 1'700'000'000'000;
  b.clock_offset_ms = INT64_MAX;
  EXPECT_EQ(validateBatch(b).error().code, "bad_clock_offset");
  b.clock_offset_ms = INT64_MIN;
  EXPECT_EQ(validateBatch(b).error().code, "bad_clock_offset");
  b.clock_offset_ms = -kMaxClockOffsetMs;
  EXPECT_TRUE(validateBatch(b).ok());
  b.sent_at_ms = INT64_MAX;
  EXPECT_EQ(validateBatch(b).error().code, "bad_sent_at");
  b.sent_at_ms = -1;
  EXPECT_EQ(validateBatch(b).error().code, "bad_sent_at");
}

TEST(EventValidation, PriceChecksNameALineOfASaleOnce) {
  Event e = sale();
  e.lines.push_back({"SKU-2", 1, std::nullopt});
  e.price_flags = {{1, PriceCheck::kOverride, Decimal::parse("7.99").value()}, {2, PriceCheck::kNoPrice, std::nullopt}};
  EXPECT_TRUE(validateEvent(e).ok());
  e.price_flags = {{3, PriceCheck::kNoPrice, std::nullopt}};
  EXPECT_EQ(validateEvent(e).error().code, "bad_price_check");
  e.price_flags = {{2, PriceCheck::kNoPrice, std::nullopt}, {1, PriceCheck::kNoPrice, std::nullopt}};
  EXPECT_EQ(validateEvent(e).error().code, "bad_price_check");
  e.price_flags = {{1, PriceCheck::kOverride, std::nullopt}};
  EXPECT_EQ(validateEvent(e).error().code, "bad_price_check") << "an override carries the catalog price";
  e.price_flags = {{1, PriceCheck::kNoPrice, std::nullopt}};
  e.type = EventType::kReturn;
  EXPECT_EQ(validateEvent(e).error().code, "bad_price_check");
}
