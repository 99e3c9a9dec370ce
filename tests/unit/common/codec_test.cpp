#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sw/common/batch_decoders.h"
#include "sw/common/chain.h"
#include "sw/common/codec.h"
#include "sw/common/uuid.h"

using namespace sw::common;

namespace {

EventBatch sampleBatch(size_t n) {
  EventBatch b;
  b.device_id = "till-1";
  b.epoch = newUuid();
  b.sent_at_ms = 1'700'000'000'123;
  b.clock_offset_ms = -42;
  if (n % 2 == 0) b.prev_epoch = newUuid();
  for (size_t i = 0; i < n; ++i) {
    Event e;
    e.device_id = b.device_id;
    e.seq = 100 + i;
    e.event_id = newUuid();
    e.type = i % 3 == 0 ? EventType::kSale : (i % 3 == 1 ? EventType::kTransferOut : EventType::kAdjust);
    e.occurred_at_ms = 1'700'000'000'000 + static_cast<int64_t>(i);
    e.location = "store-1";
    e.lines = {{"SKU-" + std::to_string(i), static_cast<int64_t>(i + 1), Decimal::parse("1.25").value()}};
    if (e.type == EventType::kTransferOut) e.other_location = "store-2";
    if (e.type == EventType::kAdjust) e.reason = "damaged";
    if (e.type == EventType::kSale && i % 2 == 0) e.price_flags = {{1, PriceCheck::kOverride, Decimal::parse("9.99").value()}};
    if (i % 4 != 3) e.prev_hash = i == 0 ? std::string(kChainGenesis) : chainHash(b.events.back());
    b.events.push_back(e);
  }
  return b;
}

class CodecFormats : public ::testing::TestWithParam<WireFormat> {};

}  // namespace

TEST_P(CodecFormats, BatchRoundTripsExactly) {
  for (size_t n : {1u, 15u, 16u, 300u, 70000u}) {
    EventBatch b = sampleBatch(n);
    auto back = decodeBatch(encodeBatch(b, GetParam()), GetParam());
    ASSERT_TRUE(back.ok()) << back.error().toString();
    EXPECT_EQ(back->device_id, b.device_id);
    EXPECT_EQ(back->epoch, b.epoch);
    EXPECT_EQ(back->sent_at_ms, b.sent_at_ms);
    EXPECT_EQ(back->clock_offset_ms, b.clock_offset_ms);
    EXPECT_EQ(back->prev_epoch, b.prev_epoch);
    ASSERT_EQ(back->events.size(), n);
    EXPECT_EQ(back->events, b.events);
  }
}

TEST_P(CodecFormats, SplicedBatchEqualsDomBatch) {
  EventBatch b = sampleBatch(40);
  std::vector<std::string> enc;
  for (const auto& e : b.events) enc.push_back(encodeEvent(e, GetParam()));
  std::vector<std::string_view> views(enc.begin(), enc.end());
  std::string spliced =
      encodeBatchFromEncodedEvents({b.device_id, b.epoch, b.sent_at_ms, b.clock_offset_ms, b.prev_epoch}, views, GetParam());
  auto back = decodeBatch(spliced, GetParam());
  ASSERT_TRUE(back.ok()) << back.error().toString();
  EXPECT_EQ(back->events, b.events);
}

TEST_P(CodecFormats, EveryTruncationIsRejectedNotCrashed) {
  std::string bytes = encodeBatch(sampleBatch(3), GetParam());
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto r = decodeBatch(std::string_view(bytes).substr(0, len), GetParam());
    EXPECT_FALSE(r.ok()) << "prefix of " << len << " bytes decoded";
  }
}

TEST_P(CodecFormats, AckRoundTrips) {
  Ack a{42, 40, newUuid(), 1'700'000'000'000, 1'699'999'999'990, "", 17, ""};
  auto back = decodeAck(encodeAck(a, GetParam()), GetParam());
  ASSERT_TRUE(back.ok()) << back.error().toString();
  EXPECT_EQ(back->applied_seq, 42u);
  EXPECT_EQ(back->conflict_seq, 17u);
  EXPECT_EQ(back->resend_from, 40u);
  EXPECT_EQ(back->epoch, a.epoch);
  EXPECT_EQ(back->echo_sent_at_ms, a.echo_sent_at_ms);
}

INSTANTIATE_TEST_SUITE_P(AllFormats, CodecFormats,
                         ::testing::Values(WireFormat::kJson, WireFormat::kCbor, WireFormat::kMsgPack));

TEST(Codec, ChainLinksAreCheckedOnDecode) {
  using nlohmann::json;
  std::string epoch = newUuid();
  auto batchWith = [&](json prev) {
    json e = {{"seq", 1}, {"id", newUuid()}, {"type", "sale"}, {"at", 1700000000000}, {"loc", "store-1"},
              {"lines", json::array({{{"sku", "A"}, {"qty", 1}}})}, {"prev", prev}};
    return json{{"v", 1}, {"dev", "till-1"}, {"epoch", epoch}, {"sent", 1}, {"events", json::array({e})}}.dump();
  };
  auto ok = decodeBatch(batchWith(std::string(kChainGenesis)), WireFormat::kJson);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->events[0].prev_hash, kChainGenesis);
  for (const json& bad : {json(12), json(nullptr), json::array()}) {
    auto r = decodeBatch(batchWith(bad), WireFormat::kJson);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message, "field 'prev' must be a string");
    EXPECT_EQ(decodeBatchDom(batchWith(bad), WireFormat::kJson).error().message, r.error().message);
  }
  for (const std::string& bad : {std::string("abc"), std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'A'),
                                std::string(63, 'a') + "g"}) {
    auto r = decodeBatch(batchWith(bad), WireFormat::kJson);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_prev_hash");
  }
  // The hash covers every field: change any and it changes.
  Event e = sampleBatch(1).events[0];
  const std::string h = chainHash(e);
  Event f = e;
  f.lines[0].qty += 1;
  EXPECT_NE(chainHash(f), h);
  f = e;
  f.prev_hash = std::string(63, '0') + "1";
  EXPECT_NE(chainHash(f), h);
  f = e;
  f.price_flags.clear();
  EXPECT_NE(chainHash(f), h);
  // Acks carry the chain head on a conflict, and only a hash.
  Ack a;
  a.applied_seq = 5;
  a.conflict_seq = 3;
  a.chain_head = h;
  auto back = decodeAck(encodeAck(a));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->chain_head, h);
  a.chain_head = "nope";
  EXPECT_FALSE(decodeAck(encodeAck(a)).ok());
}

TEST(Codec, RejectsWrongTypesAndValuesWithReasons) {
  using nlohmann::json;
  std::string epoch = newUuid();
  std::string id = newUuid();
  auto batchWith = [&](json event) {
    json j = {{"v", 1}, {"dev", "till-1"}, {"epoch", epoch}, {"sent", 1}, {"events", json::array({event})}};
    return j.dump();
  };
  json good = {{"seq", 1}, {"id", id}, {"type", "sale"}, {"at", 1700000000000}, {"loc", "store-1"},
               {"lines", json::array({{{"sku", "A"}, {"qty", 1}}})}};
  ASSERT_TRUE(decodeBatch(batchWith(good), WireFormat::kJson).ok());

  struct Case {
    const char* field;
    json value;
    const char* code;
  };
  const Case cases[] = {
      {"seq", -1, "malformed"},         {"seq", "1", "malformed"},     {"seq", 0, "bad_seq"},
      {"id", 5, "malformed"},           {"id", "abc", "bad_event_id"}, {"type", "steal", "bad_type"},
      {"at", 1.5, "malformed"},         {"loc", "a/b", "bad_location"}, {"lines", "x", "malformed"},
      {"lines", json::array(), "no_lines"},
      // A line's price check: a known check, a decimal catalog price, an override with one.
      {"lines", json::array({{{"sku", "A"}, {"qty", 1}, {"pchk", "bogus"}}}), "bad_price_check"},
      {"lines", json::array({{{"sku", "A"}, {"qty", 1}, {"pchk", 3}}}), "malformed"},
      {"lines", json::array({{{"sku", "A"}, {"qty", 1}, {"pchk", "override"}, {"list", "x"}}}), "bad_decimal"},
      {"lines", json::array({{{"sku", "A"}, {"qty", 1}, {"pchk", "override"}}}), "bad_price_check"},
  };
  for (const Case& c : cases) {
    json e = good;
    e[c.field] = c.value;
    auto r = decodeBatch(batchWith(e), WireFormat::kJson);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.error().code, c.code) << c.field << ": " << r.error().message;
  }
  json e = good;
  e["lines"][0]["price"] = 9.99;  // a number, not a decimal string
  EXPECT_EQ(decodeBatch(batchWith(e), WireFormat::kJson).error().code, "malformed");
  e["lines"][0]["price"] = "9.999999";
  EXPECT_EQ(decodeBatch(batchWith(e), WireFormat::kJson).error().code, "bad_decimal");

  json wrong_version = {{"v", 2}, {"dev", "till-1"}, {"epoch", epoch}, {"sent", 1}, {"events", json::array()}};
  EXPECT_EQ(decodeBatch(wrong_version.dump(), WireFormat::kJson).error().code, "unsupported_version");
  EXPECT_EQ(decodeBatch("[1,2,3]", WireFormat::kJson).error().code, "malformed");
  EXPECT_EQ(decodeBatch("\xff\x00garbage", WireFormat::kMsgPack).error().code, "malformed");
}

TEST(Codec, StateMessagesRoundTrip) {
  DeviceState s;
  s.online = true;
  s.session = newUuid();
  s.kind = "till";
  s.location = "store-1";
  s.epoch = newUuid();
  s.at_ms = 5;
  s.queue_depth = 7;
  s.oldest_unsynced_age_s = 30;
  s.disk_free_bytes = 1 << 30;
  s.clock_offset_ms = -12;
  s.version = "stockwire 1.2.3";
  s.disk_time_left_s = 86400;
  s.last_error = "disk_full: only 10 KiB free";
  s.last_error_at_ms = 4;
  auto back = decodeDeviceState(encodeDeviceState(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->queue_depth, 7u);
  EXPECT_EQ(back->clock_offset_ms, -12);
  EXPECT_EQ(back->version, "stockwire 1.2.3");
  EXPECT_EQ(back->disk_time_left_s, 86400);
  EXPECT_EQ(back->last_error, "disk_full: only 10 KiB free");
  EXPECT_EQ(back->last_error_at_ms, 4);
  // An agent older than the version, time-left and error fields: they read as unknown.
  auto old_json = nlohmann::json::parse(encodeDeviceState(s));
  for (const char* k : {"version", "disk_time_left_s", "last_error", "last_error_at"}) old_json.erase(k);
  auto old = decodeDeviceState(old_json.dump());
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->version, "");
  EXPECT_EQ(old->disk_time_left_s, -1);
  EXPECT_EQ(old->last_error, "");
  // Wrong types are refused, not guessed.
  auto bad = nlohmann::json::parse(encodeDeviceState(s));
  bad["disk_time_left_s"] = "soon";
  EXPECT_FALSE(decodeDeviceState(bad.dump()).ok());
  DeviceState dead;
  dead.session = s.session;
  auto d = decodeDeviceState(encodeDeviceState(dead));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->online);
  EXPECT_FALSE(decodeDeviceState("{\"v\":1,\"online\":\"yes\"}").ok());
  auto cs = decodeCoordinatorState(encodeCoordinatorState({true, "s", 9}));
  ASSERT_TRUE(cs.ok());
  EXPECT_TRUE(cs->online);
}
