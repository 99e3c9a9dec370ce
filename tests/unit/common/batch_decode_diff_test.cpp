// Differential test: the streaming batch decoder (what decodeBatch() runs) against the DOM
// reference (decodeBatchDom), on generated batches and on mutations of them, in all three wire
// formats. Both must agree on ok-ness, on the batch, and on the error's kind, code and message
// (batch_decode_compare.h). Seeded, so every run sees the same inputs.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "batch_decode_compare.h"
#include "sw/common/batch_decoders.h"
#include "sw/common/codec.h"

using namespace sw::common;
using nlohmann::ordered_json;  // keeps keys in the order written, and lets a test write one twice

namespace {

constexpr WireFormat kFormats[] = {WireFormat::kJson, WireFormat::kCbor, WireFormat::kMsgPack};
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// Deterministic everywhere: std::mt19937_64 is fully specified and no std distribution is used.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  uint64_t below(uint64_t n) { return gen_() % n; }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
  uint8_t byte() { return static_cast<uint8_t>(gen_()); }

 private:
  std::mt19937_64 gen_;
};

// Appends a key even if the object has it already (ordered_json's own insert would refuse).
void append(ordered_json* obj, std::string key, ordered_json value) {
  obj->get_ref<ordered_json::object_t&>().emplace_back(std::move(key), std::move(value));
}

// The same object with `key: value` written first.
ordered_json prepended(const ordered_json& obj, std::string key, ordered_json value) {
  ordered_json out = ordered_json::object();
  append(&out, std::move(key), std::move(value));
  for (const auto& [k, v] : obj.get_ref<const ordered_json::object_t&>()) append(&out, k, v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encodings. Besides nlohmann's own (shortest) encodings, MessagePack and CBOR are written with
// randomly chosen wider forms nlohmann reads as the same value: wider integer and length fields,
// signed forms for positive integers, single-precision floats, CBOR indefinite lengths and
// chunked strings.

class VariedEncoder {
 public:
  VariedEncoder(Rng* rng, WireFormat format) : rng_(rng), format_(format) {}

  std::string encode(const ordered_json& j) {
    out_.clear();
    if (format_ == WireFormat::kMsgPack) {
      msgpack(j);
    } else {
      cbor(j);
    }
    return out_;
  }

 private:
  void put(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void bigEndian(uint64_t v, int bytes) {
    for (int s = (bytes - 1) * 8; s >= 0; s -= 8) put(static_cast<uint8_t>(v >> s));
  }
  // Picks one of the first `n` forms; the first is the shortest.
  size_t choose(size_t n) { return rng_->chance(50) ? 0 : rng_->below(n); }
  void raw(const std::string& s) { out_ += s; }

  void msgpackLength(size_t n, uint8_t fix_base, size_t fix_limit, std::vector<std::pair<uint8_t, int>> wide) {
    std::vector<std::pair<uint8_t, int>> forms;
    if (n < fix_limit) forms.push_back({static_cast<uint8_t>(fix_base | n), 0});
    for (auto [tag, bytes] : wide) {
      if (bytes == 4 || n < (size_t{1} << (8 * bytes))) forms.push_back({tag, bytes});
    }
    auto [tag, bytes] = forms[choose(forms.size())];
    put(tag);
    if (bytes) bigEndian(n, bytes);
  }

  void msgpackInt(int64_t i, bool is_unsigned, uint64_t u) {
    std::vector<std::pair<uint8_t, int>> forms;  // tag, width; tag 0: fixint
    if (is_unsigned) {
      if (u < 128) forms.push_back({0, 0});
      if (u <= 0xff) forms.push_back({0xcc, 1});
      if (u <= 0xffff) forms.push_back({0xcd, 2});
      if (u <= 0xffffffff) forms.push_back({0xce, 4});
      forms.push_back({0xcf, 8});
      if (u <= 0x7f) forms.push_back({0xd0, 1});
      if (u <= 0x7fff) forms.push_back({0xd1, 2});
      if (u <= 0x7fffffff) forms.push_back({0xd2, 4});
      if (u <= static_cast<uint64_t>(kInt64Max)) forms.push_back({0xd3, 8});
    } else {
      if (i >= -32) forms.push_back({0, 0});
      if (i >= -128) forms.push_back({0xd0, 1});
      if (i >= -32768) forms.push_back({0xd1, 2});
      if (i >= std::numeric_limits<int32_t>::min()) forms.push_back({0xd2, 4});
      forms.push_back({0xd3, 8});
    }
    auto [tag, bytes] = forms[choose(forms.size())];
    if (tag == 0) {
      put(static_cast<uint8_t>(is_unsigned ? u : static_cast<uint64_t>(i)));
      return;
    }
    put(tag);
    bigEndian(is_unsigned ? u : static_cast<uint64_t>(i), bytes);
  }

  void msgpack(const ordered_json& j) {
    switch (j.type()) {
      case ordered_json::value_t::null: put(0xc0); break;
      case ordered_json::value_t::boolean: put(j.get<bool>() ? 0xc3 : 0xc2); break;
      case ordered_json::value_t::number_unsigned: msgpackInt(0, true, j.get<uint64_t>()); break;
      case ordered_json::value_t::number_integer: {
        int64_t i = j.get<int64_t>();
        if (i >= 0) {
          msgpackInt(0, true, static_cast<uint64_t>(i));
        } else {
          msgpackInt(i, false, 0);
        }
        break;
      }
      case ordered_json::value_t::number_float: {
        double d = j.get<double>();
        auto f = static_cast<float>(d);
        if (static_cast<double>(f) == d && rng_->chance(50)) {
          put(0xca);
          bigEndian(std::bit_cast<uint32_t>(f), 4);
        } else {
          put(0xcb);
          bigEndian(std::bit_cast<uint64_t>(d), 8);
        }
        break;
      }
      case ordered_json::value_t::string: {
        const auto& s = j.get_ref<const std::string&>();
        msgpackLength(s.size(), 0xa0, 32, {{0xd9, 1}, {0xda, 2}, {0xdb, 4}});
        raw(s);
        break;
      }
      case ordered_json::value_t::binary: {
        const auto& b = j.get_binary();
        msgpackLength(b.size(), 0, 0, {{0xc4, 1}, {0xc5, 2}, {0xc6, 4}});
        for (uint8_t c : b) put(c);
        break;
      }
      case ordered_json::value_t::array:
        msgpackLength(j.size(), 0x90, 16, {{0xdc, 2}, {0xdd, 4}});
        for (const auto& e : j) msgpack(e);
        break;
      case ordered_json::value_t::object: {
        const auto& o = j.get_ref<const ordered_json::object_t&>();
        msgpackLength(o.size(), 0x80, 16, {{0xde, 2}, {0xdf, 4}});
        for (const auto& [k, v] : o) {
          msgpack(ordered_json(k));
          msgpack(v);
        }
        break;
      }
      default: raw(std::string(1, '\xc1'));  // never used: discarded values are not generated
    }
  }

  void cborHead(uint8_t major, uint64_t n) {
    std::vector<int> widths;
    if (n < 24) widths.push_back(0);
    if (n <= 0xff) widths.push_back(1);
    if (n <= 0xffff) widths.push_back(2);
    if (n <= 0xffffffff) widths.push_back(4);
    widths.push_back(8);
    int w = widths[choose(widths.size())];
    uint8_t base = static_cast<uint8_t>(major << 5);
    switch (w) {
      case 0: put(static_cast<uint8_t>(base | n)); return;
      case 1: put(base | 24); break;
      case 2: put(base | 25); break;
      case 4: put(base | 26); break;
      default: put(base | 27); break;
    }
    bigEndian(n, w);
  }

  void cborText(const std::string& s) {
    if (s.size() < 2 || !rng_->chance(15)) {
      cborHead(3, s.size());
      raw(s);
      return;
    }
    put(0x7f);  // indefinite-length text in chunks
    size_t at = 0;
    while (at < s.size()) {
      size_t n = 1 + rng_->below(s.size() - at);
      cborHead(3, n);
      raw(s.substr(at, n));
      at += n;
    }
    put(0xff);
  }

  void cbor(const ordered_json& j) {
    switch (j.type()) {
      case ordered_json::value_t::null: put(0xf6); break;
      case ordered_json::value_t::boolean: put(j.get<bool>() ? 0xf5 : 0xf4); break;
      case ordered_json::value_t::number_unsigned: cborHead(0, j.get<uint64_t>()); break;
      case ordered_json::value_t::number_integer: {
        int64_t i = j.get<int64_t>();
        if (i >= 0) {
          cborHead(0, static_cast<uint64_t>(i));
        } else {
          cborHead(1, static_cast<uint64_t>(-(i + 1)));
        }
        break;
      }
      case ordered_json::value_t::number_float: {
        double d = j.get<double>();
        auto f = static_cast<float>(d);
        if (static_cast<double>(f) == d && rng_->chance(50)) {
          put(0xfa);
          bigEndian(std::bit_cast<uint32_t>(f), 4);
        } else {
          put(0xfb);
          bigEndian(std::bit_cast<uint64_t>(d), 8);
        }
        break;
      }
      case ordered_json::value_t::string: cborText(j.get_ref<const std::string&>()); break;
      case ordered_json::value_t::binary: {
        const auto& b = j.get_binary();
        cborHead(2, b.size());
        for (uint8_t c : b) put(c);
        break;
      }
      case ordered_json::value_t::array: {
        bool indefinite = rng_->chance(20);
        if (indefinite) {
          put(0x9f);
        } else {
          cborHead(4, j.size());
        }
        for (const auto& e : j) cbor(e);
        if (indefinite) put(0xff);
        break;
      }
      case ordered_json::value_t::object: {
        const auto& o = j.get_ref<const ordered_json::object_t&>();
        bool indefinite = rng_->chance(20);
        if (indefinite) {
          put(0xbf);
        } else {
          cborHead(5, o.size());
        }
        for (const auto& [k, v] : o) {
          cborText(k);
          cbor(v);
        }
        if (indefinite) put(0xff);
        break;
      }
      default: put(0xf7);
    }
  }

  Rng* rng_;
  WireFormat format_;
  std::string out_;
};

std::string encodeCanonical(const ordered_json& j, WireFormat f) {
  switch (f) {
    case WireFormat::kJson: return j.dump();
    case WireFormat::kCbor: {
      auto v = ordered_json::to_cbor(j);
      return std::string(v.begin(), v.end());
    }
    case WireFormat::kMsgPack: {
      auto v = ordered_json::to_msgpack(j);
      return std::string(v.begin(), v.end());
    }
  }
  return {};
}

// nlohmann's encoding, plus (for `variants` > 0) re-encodings in other valid forms.
std::vector<std::string> encodings(const ordered_json& j, WireFormat f, Rng* rng, int variants) {
  std::vector<std::string> out{encodeCanonical(j, f)};
  for (int i = 0; i < variants; ++i) {
    if (f == WireFormat::kJson) {
      out.push_back(i % 2 ? j.dump(1, '\t', true) : j.dump(2));
    } else {
      out.push_back(VariedEncoder(rng, f).encode(j));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Batches as ordered_json: valid ones of every event type and option.

const std::vector<std::string> kTypeNames = {"sale",   "return", "void",         "receive",
                                             "adjust", "count",  "transfer_out", "transfer_in"};

class BatchGen {
 public:
  explicit BatchGen(Rng* rng) : rng_(rng) {}

  std::string uuid() {
    static constexpr char kHex[] = "0123456789abcdefABCDEF";
    std::string s(36, '-');
    for (size_t i = 0; i < s.size(); ++i) {
      if (i != 8 && i != 13 && i != 18 && i != 23) s[i] = kHex[rng_->below(rng_->chance(5) ? 22 : 16)];
    }
    return s;
  }

  // Fields in the order given, or shuffled.
  ordered_json object(std::vector<std::pair<std::string, ordered_json>> fields) {
    if (rng_->chance(30)) {
      for (size_t i = fields.size(); i > 1; --i) std::swap(fields[i - 1], fields[rng_->below(i)]);
    }
    ordered_json o = ordered_json::object();
    for (auto& [k, v] : fields) append(&o, std::move(k), std::move(v));
    return o;
  }

  ordered_json line(const std::string& type) {
    int64_t qty = 1 + static_cast<int64_t>(rng_->below(rng_->chance(10) ? 1'000'000'000 : 50));
    if (type == "adjust" && rng_->chance(50)) qty = -qty;
    if (type == "count" && rng_->chance(20)) qty = 0;
    static const std::vector<std::string> kSkus = {"A", "SKU-10042", "x y", "~!@#$%^&*()", std::string(64, 'S'),
                                                   "0"};
    static const std::vector<std::string> kPrices = {"0.00", "12.99", "1", "0.0001", "123456789.1234", "7.5", "0"};
    std::vector<std::pair<std::string, ordered_json>> f = {{"sku", rng_->pick(kSkus)}, {"qty", qty}};
    if (rng_->chance(60)) f.emplace_back("price", rng_->pick(kPrices));
    if (type == "sale" && rng_->chance(15)) {
      static const std::vector<std::string> kChecks = {"override", "no_price", "uncatalogued"};
      const std::string& check = rng_->pick(kChecks);
      f.emplace_back("pchk", check);
      if (check == "override" || rng_->chance(50)) f.emplace_back("list", rng_->pick(kPrices));
    }
    return object(std::move(f));
  }

  ordered_json event(uint64_t seq) {
    const std::string& type = rng_->pick(kTypeNames);
    std::string loc = "store-" + std::to_string(rng_->below(20));
    // The latest time an event may carry (2100-01-01) sometimes, the edge of what validates.
    int64_t at = rng_->chance(5) ? kMaxEventTimeMs : 1'700'000'000'000 + static_cast<int64_t>(rng_->below(1'000'000'000));
    std::vector<std::pair<std::string, ordered_json>> f = {
        {"seq", seq}, {"id", uuid()}, {"type", type}, {"at", at}, {"loc", loc}};
    ordered_json lines = ordered_json::array();
    size_t n = type == "void" ? (rng_->chance(80) ? 0 : 1) : 1 + rng_->below(4);
    if (rng_->chance(1)) n = kMaxLinesPerEvent;
    for (size_t i = 0; i < n; ++i) lines.push_back(line(type == "void" ? "void_line" : type));
    f.emplace_back("lines", std::move(lines));
    if (type == "transfer_out" || type == "transfer_in") {
      f.emplace_back("other", loc + "-other");
    } else if (rng_->chance(10)) {
      f.emplace_back("other", "store-x");
    }
    if (type == "adjust" || rng_->chance(10)) {
      f.emplace_back("reason", rng_->chance(10) ? std::string(kMaxReasonLength, 'r') : "damaged in transit");
    }
    if (type == "void" || (type == "return" && rng_->chance(50)) || rng_->chance(5)) f.emplace_back("ref", uuid());
    if (type == "count" && rng_->chance(30)) f.emplace_back("scope", std::string("location"));
    return object(std::move(f));
  }

  ordered_json batch(size_t events) {
    static const std::vector<uint64_t> kFirstSeqs = {1, 2, 100, 1'000'000, uint64_t{1} << 40};
    uint64_t first = rng_->chance(5) ? static_cast<uint64_t>(kInt64Max) - events : rng_->pick(kFirstSeqs);
    ordered_json evs = ordered_json::array();
    for (size_t i = 0; i < events; ++i) evs.push_back(event(first + i));
    std::vector<std::pair<std::string, ordered_json>> f = {
        {"v", 1},
        {"dev", "till-" + std::to_string(rng_->below(100))},
        {"epoch", uuid()},
        {"sent", rng_->chance(10) ? int64_t{0} : int64_t{1'700'000'000'000} + static_cast<int64_t>(rng_->below(1000))}};
    if (rng_->chance(50)) f.emplace_back("clk", static_cast<int64_t>(rng_->below(2000)) - 1000);
    if (rng_->chance(20)) f.emplace_back("pep", uuid());
    f.emplace_back("events", std::move(evs));
    return object(std::move(f));
  }

  size_t eventCount() { return rng_->chance(10) ? 20 + rng_->below(40) : 1 + rng_->below(5); }

 private:
  Rng* rng_;
};

// Values of every type and the edges of each: for wrong types, ranges, unknown keys.
std::vector<ordered_json> valuePool() {
  return {nullptr,
          true,
          false,
          0,
          1,
          -1,
          2,
          kInt64Max,
          kInt64Min,
          uint64_t{1} << 63,
          std::numeric_limits<uint64_t>::max(),
          1.0,
          1.5,
          -0.0,
          1e300,
          "",
          "1",
          "sale",
          "store-1",
          "0123abcd-0123-4567-89ab-0123456789ab",
          ordered_json::array(),
          ordered_json::array({1}),
          ordered_json::object(),
          ordered_json::parse(R"({"a": [1, {"b": null, "seq": "x", "events": [{}]}], "c": {"d": [[[]]]}})"),
          ordered_json::binary({1, 2, 3})};
}

// Strings a known field might plausibly hold but must not.
std::vector<ordered_json> stringPool(const std::string& field) {
  if (field == "type") {
    std::vector<ordered_json> v(kTypeNames.begin(), kTypeNames.end());
    for (const char* s : {"Sale", "steal", " sale", "sale\n"}) v.push_back(s);
    v.push_back(std::string(100, 't'));
    return v;
  }
  if (field == "scope") return {"location", "Location", "", "skus", std::string(70, 's')};
  if (field == "price") {
    return {"1.", ".5", "1e3", "9.99999", "-0.01", "abc", "99999999999999999999", "0", "-0", "+1", "1.2.3", "12.34"};
  }
  return {"a/b", std::string(65, 'a'), "till-1", "store-1", " SKU", "SKU\x01", std::string(201, 'r'),
          "0123ABCD-0123-4567-89AB-0123456789AB", "0123abcd_0123_4567_89ab_0123456789ab"};
}

// Where a field lives: the batch (event < 0), an event (line < 0) or one of its lines.
struct Path {
  int event = -1;
  int line = -1;
  std::string key;
};

ordered_json* objectAt(ordered_json* batch, const Path& p) {
  if (p.event < 0) return batch;
  ordered_json* ev = &(*batch)["events"][static_cast<size_t>(p.event)];
  if (p.line < 0) return ev;
  return &(*ev)["lines"][static_cast<size_t>(p.line)];
}

// ---------------------------------------------------------------------------------------------

std::string hexPrefix(std::string_view bytes) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < bytes.size() && i < 96; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(bytes[i]));
    out += buf;
  }
  if (bytes.size() > 96) out += "...";
  return out;
}

// Feeds inputs to both decoders and keeps count of what they answered.
class Differential {
 public:
  void check(std::string_view bytes, WireFormat f, const std::string& what) {
    ++cases_;
    std::string outcome;
    if (auto diff = sw::test::decodersDisagree(bytes, f, &outcome)) {
      if (++failures_ <= 25) {
        ADD_FAILURE() << what << " [" << wireFormatName(f) << ", " << bytes.size() << " bytes " << hexPrefix(bytes)
                      << "]: " << *diff;
      }
      return;
    }
    ++outcomes_[outcome];
  }
  void checkAll(const std::vector<std::string>& inputs, WireFormat f, const std::string& what) {
    for (const auto& b : inputs) check(b, f, what);
  }

  size_t cases() const { return cases_; }
  size_t count(const std::string& outcome) const {
    auto it = outcomes_.find(outcome);
    return it == outcomes_.end() ? 0 : it->second;
  }
  std::string summary() const {
    std::string s = std::to_string(cases_) + " inputs:";
    for (const auto& [o, n] : outcomes_) s += " " + o + "=" + std::to_string(n);
    return s;
  }

 private:
  size_t cases_ = 0;
  size_t failures_ = 0;
  std::map<std::string, size_t> outcomes_;
};

void report(const Differential& d) {
  std::printf("[ differential ] %s\n", d.summary().c_str());
  ::testing::Test::RecordProperty("inputs", static_cast<int>(d.cases()));
}

}  // namespace

TEST(BatchDecodeDifferential, ValidBatchesOfEveryTypeAndOptionDecodeIdentically) {
  Rng rng(0x5eed0001);
  BatchGen gen(&rng);
  Differential d;
  for (int i = 0; i < 300; ++i) {
    ordered_json batch = gen.batch(gen.eventCount());
    for (WireFormat f : kFormats) {
      d.checkAll(encodings(batch, f, &rng, 3), f, "valid batch " + std::to_string(i));
      // And as our own encoder writes it.
      auto decoded = decodeBatchDom(encodeCanonical(batch, f), f);
      ASSERT_TRUE(decoded.ok()) << "generator made an invalid batch: " << decoded.error().toString();
      d.check(encodeBatch(*decoded, f), f, "encodeBatch of valid batch " + std::to_string(i));
    }
  }
  report(d);
  EXPECT_EQ(d.count("ok"), d.cases()) << d.summary();
}

TEST(BatchDecodeDifferential, EveryFieldMissingWrongTypedOutOfRangeOrRepeated) {
  Rng rng(0x5eed0002);
  BatchGen gen(&rng);
  Differential d;
  const std::vector<std::string> kTopKeys = {"v", "dev", "epoch", "sent", "clk", "pep", "events"};
  const std::vector<std::string> kEventKeys = {"seq", "id", "type", "at", "loc", "lines", "other", "reason", "ref", "scope"};
  const std::vector<std::string> kLineKeys = {"sku", "qty", "price"};
  const std::vector<ordered_json> pool = valuePool();
  for (int i = 0; i < 8; ++i) {
    ordered_json base = gen.batch(1 + rng.below(3));
    size_t events = base["events"].size();
    std::vector<Path> paths;
    for (const auto& k : kTopKeys) paths.push_back({-1, -1, k});
    for (int e : {0, static_cast<int>(events) - 1}) {
      for (const auto& k : kEventKeys) paths.push_back({e, -1, k});
      size_t lines = base["events"][static_cast<size_t>(e)]["lines"].size();
      if (lines == 0) continue;
      for (int l : {0, static_cast<int>(lines) - 1}) {
        for (const auto& k : kLineKeys) paths.push_back({e, l, k});
      }
    }
    for (const Path& p : paths) {
      std::vector<std::pair<std::string, ordered_json>> cases;
      {
        ordered_json m = base;
        objectAt(&m, p)->erase(p.key);
        cases.emplace_back("without '" + p.key + "'", std::move(m));
      }
      std::vector<ordered_json> values = pool;
      for (auto& s : stringPool(p.key)) values.push_back(std::move(s));
      for (const ordered_json& v : values) {
        ordered_json m = base;
        (*objectAt(&m, p))[p.key] = v;
        cases.emplace_back("'" + p.key + "' = " + v.dump(), std::move(m));
      }
      // Repeated keys: the last one counts, whether the other is good or bad.
      for (int r = 0; r < 4; ++r) {
        const ordered_json& v = rng.pick(values);
        ordered_json m = base;
        ordered_json* obj = objectAt(&m, p);
        ordered_json good = obj->contains(p.key) ? (*obj)[p.key] : ordered_json(1);
        if (r % 2 == 0) {
          append(obj, p.key, v);  // bad value last
        } else {
          *obj = prepended(*obj, p.key, v);  // bad value first, the good one wins
        }
        if (r >= 2) append(obj, p.key, good);  // and once more, good
        cases.emplace_back("'" + p.key + "' repeated with " + v.dump(), std::move(m));
      }
      for (const auto& [what, m] : cases) {
        for (WireFormat f : kFormats) d.checkAll(encodings(m, f, &rng, 1), f, what);
      }
    }
  }
  report(d);
  // The generator must reach every check the decoders make.
  for (const char* code : {"ok", "malformed", "bad_type", "bad_decimal", "unsupported_version", "bad_device_id",
                           "bad_epoch", "bad_seq", "bad_event_id", "bad_occurred_at", "bad_location", "bad_reason",
                           "bad_ref", "no_lines", "bad_sku", "bad_qty", "bad_price", "missing_ref",
                           "missing_reason", "bad_other_location", "bad_scope", "seq_not_contiguous", "empty_batch"}) {
    EXPECT_GT(d.count(code), 0u) << code << " never produced; " << d.summary();
  }
}

TEST(BatchDecodeDifferential, UnknownKeysAndOddShapesAnywhere) {
  Rng rng(0x5eed0003);
  BatchGen gen(&rng);
  Differential d;
  const std::vector<ordered_json> pool = valuePool();
  const std::vector<std::string> kUnknown = {"x", "extra", "Seq", "events2", "lines ", "", "V", "dev\u00e9"};
  for (int i = 0; i < 150; ++i) {
    ordered_json base = gen.batch(1 + rng.below(4));
    size_t events = base["events"].size();
    std::vector<std::pair<std::string, ordered_json>> cases;
    // Unknown keys, with nested values, at every level, first or last.
    for (int level = 0; level < 3; ++level) {
      ordered_json m = base;
      Path p{level >= 1 ? static_cast<int>(rng.below(events)) : -1, -1, ""};
      if (level == 2) {
        size_t lines = m["events"][static_cast<size_t>(p.event)]["lines"].size();
        if (lines == 0) continue;
        p.line = static_cast<int>(rng.below(lines));
      }
      ordered_json* obj = objectAt(&m, p);
      for (int k = 0; k < 3; ++k) {
        if (rng.chance(50)) {
          append(obj, rng.pick(kUnknown), rng.pick(pool));
        } else {
          *obj = prepended(*obj, rng.pick(kUnknown), rng.pick(pool));
        }
      }
      cases.emplace_back("unknown keys at level " + std::to_string(level), std::move(m));
    }
    // Elements that are not objects, among the events and among the lines.
    {
      ordered_json m = base;
      auto& evs = m["events"];
      evs.insert(evs.begin() + static_cast<std::ptrdiff_t>(rng.below(evs.size() + 1)), rng.pick(pool));
      cases.emplace_back("odd element among events", std::move(m));
    }
    {
      ordered_json m = base;
      auto& lines = m["events"][rng.below(events)]["lines"];
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(rng.below(lines.size() + 1)), rng.pick(pool));
      cases.emplace_back("odd element among lines", std::move(m));
    }
    // Empty arrays; events out of order, repeated or skipped.
    {
      ordered_json m = base;
      m["events"] = ordered_json::array();
      cases.emplace_back("no events", std::move(m));
    }
    {
      ordered_json m = base;
      m["events"][rng.below(events)]["lines"] = ordered_json::array();
      cases.emplace_back("an event without lines", std::move(m));
    }
    {
      ordered_json m = base;
      auto& evs = m["events"];
      evs.push_back(evs[rng.below(events)]);
      cases.emplace_back("an event twice", std::move(m));
    }
    if (events > 1) {
      ordered_json m = base;
      std::swap(m["events"][0]["seq"], m["events"][events - 1]["seq"]);
      cases.emplace_back("seqs swapped", std::move(m));
    }
    // Too many lines, alone and with a bad line among them (too_many_lines is checked first).
    {
      ordered_json m = base;
      auto& ev = m["events"][rng.below(events)];
      ordered_json lines = ordered_json::array();
      for (size_t l = 0; l < kMaxLinesPerEvent + 1; ++l) {
        lines.push_back(ordered_json{{"sku", "S" + std::to_string(l)}, {"qty", 1}});
      }
      ev["lines"] = lines;
      cases.emplace_back("501 lines", m);
      ev["lines"][rng.below(kMaxLinesPerEvent + 1)] = rng.pick(pool);
      cases.emplace_back("501 lines, one odd", std::move(m));
    }
    // The message is not an object.
    cases.emplace_back("batch in an array", ordered_json::array({base}));
    cases.emplace_back("a scalar", rng.pick(pool));
    for (const auto& [what, m] : cases) {
      for (WireFormat f : kFormats) d.checkAll(encodings(m, f, &rng, 2), f, what);
    }
  }
  report(d);
  EXPECT_GT(d.count("ok"), 0u) << d.summary();
  EXPECT_GT(d.count("too_many_lines"), 0u) << d.summary();
}

TEST(BatchDecodeDifferential, TruncationsAtEveryByteAndByteMutations) {
  Rng rng(0x5eed0004);
  BatchGen gen(&rng);
  Differential d;
  static const std::vector<uint8_t> kInteresting = {0x00, 0xff, 0x7f, 0x80, 0xc0, 0xc1, 0xd9, 0xdd, 0xdf, 0x9f,
                                                    0xbf, 0x7f, 0xf7, 0xf9, 0xfb, 0xc6, 0x1b, 0x3b, 0x5b, 0xd8,
                                                    '"',  '{',  '}',  '[',  ']',  ',',  ':',  '\\', '-',  '0'};
  for (int i = 0; i < 8; ++i) {
    ordered_json batch = gen.batch(1 + rng.below(3));
    for (WireFormat f : kFormats) {
      for (const std::string& bytes : encodings(batch, f, &rng, 1)) {
        for (size_t len = 0; len < bytes.size(); ++len) d.check(bytes.substr(0, len), f, "truncated");
        for (int m = 0; m < 300; ++m) {
          std::string b = bytes;
          size_t at = rng.below(b.size());
          switch (rng.below(6)) {
            case 0: b[at] = static_cast<char>(b[at] ^ (1u << rng.below(8))); break;
            case 1: b[at] = static_cast<char>(rng.pick(kInteresting)); break;
            case 2: b.insert(at, 1, static_cast<char>(rng.chance(50) ? rng.byte() : rng.pick(kInteresting))); break;
            case 3: b.erase(at, 1 + rng.below(4)); break;
            case 4: b.insert(at, b.substr(rng.below(b.size()), 1 + rng.below(16))); break;
            default: std::swap(b[at], b[rng.below(b.size())]); break;
          }
          d.check(b, f, "mutated");
        }
      }
    }
  }
  report(d);
}

namespace {

ordered_json oneEventJson() {
  return {{"seq", 1}, {"id", "0123abcd-0123-4567-89ab-0123456789ab"}, {"type", "sale"}, {"at", 9}, {"loc", "s"},
          {"lines", ordered_json::array({{{"sku", "A"}, {"qty", 1}}})}};
}

// A batch with `key` written by hand (`raw` is its value), followed by a valid "events" unless
// the key is "events" itself.
std::string batchWithRaw(WireFormat f, const std::string& key, const std::string& raw) {
  ordered_json header = {{"v", 1}, {"dev", "till-1"}, {"epoch", "0123abcd-0123-4567-89ab-0123456789ab"}, {"sent", 5}};
  std::string out = f == WireFormat::kJson ? "{\"v\":1,\"dev\":\"till-1\",\"epoch\":\"0123abcd-0123-4567-89ab-0123456789ab\",\"sent\":5,"
                                           : encodeCanonical(header, f);
  bool more = key != "events";
  if (f == WireFormat::kJson) {
    out += ordered_json(key).dump() + ":" + raw;
    if (more) out += ",\"events\":" + ordered_json::array({oneEventJson()}).dump();
    return out + "}";
  }
  out[0] = static_cast<char>(out[0] + (more ? 2 : 1));  // more entries (fixmap 0x84, CBOR 0xa4)
  out += encodeCanonical(key, f) + raw;
  if (more) out += encodeCanonical("events", f) + encodeCanonical(ordered_json::array({oneEventJson()}), f);
  return out;
}

std::string bytesOf(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string oneEvent(WireFormat f) { return encodeCanonical(oneEventJson(), f); }

std::string nested(size_t depth, WireFormat f, bool objects) {
  std::string open, close, leaf = encodeCanonical(1, f);
  if (f == WireFormat::kJson) {
    open = objects ? "{\"a\":" : "[";
    close = objects ? "}" : "]";
  } else if (f == WireFormat::kMsgPack) {
    open = objects ? bytesOf({0x81, 0xa1, 'a'}) : bytesOf({0x91});
  } else {
    open = objects ? bytesOf({0xa1, 0x61, 'a'}) : bytesOf({0x81});
  }
  std::string out;
  out.reserve(depth * (open.size() + close.size()) + leaf.size());
  for (size_t i = 0; i < depth; ++i) out += open;
  out += leaf;
  for (size_t i = 0; i < depth; ++i) out += close;
  return out;
}

}  // namespace

TEST(BatchDecodeDifferential, HugeCountsAndHugeNumbers) {
  Differential d;
  for (WireFormat f : {WireFormat::kCbor, WireFormat::kMsgPack}) {
    std::vector<std::string> heads;
    if (f == WireFormat::kMsgPack) {
      heads = {bytesOf({0xdc, 0xff, 0xff}),       bytesOf({0xdd, 0xff, 0xff, 0xff, 0xff}),
               bytesOf({0xde, 0xff, 0xff}),       bytesOf({0xdf, 0xff, 0xff, 0xff, 0xff}),
               bytesOf({0xdb, 0xff, 0xff, 0xff, 0xff}), bytesOf({0xc6, 0xff, 0xff, 0xff, 0xff}),
               bytesOf({0xdd, 0x00, 0x00, 0x00, 0x02})};
    } else {
      heads = {bytesOf({0x9a, 0xff, 0xff, 0xff, 0xff}),
               bytesOf({0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}),
               bytesOf({0x9b, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}),  // more than a vector holds
               bytesOf({0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
               bytesOf({0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),  // read as indefinite
               bytesOf({0xbb, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}),
               bytesOf({0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
               bytesOf({0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
               bytesOf({0x5b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}),
               bytesOf({0x98, 0x02}),
               bytesOf({0x9f})};
    }
    for (const std::string& head : heads) {
      for (const std::string& rest : {std::string(), oneEvent(f), oneEvent(f) + "\xff", oneEvent(f) + oneEvent(f)}) {
        d.check(batchWithRaw(f, "events", head + rest), f, "huge count as events");
        d.check(batchWithRaw(f, "x", head + rest), f, "huge count as an unknown key's value");
        d.check(batchWithRaw(f, "dev", head + rest), f, "huge count as dev");
        d.check(head + rest, f, "huge count as the message");
      }
    }
  }
  // Numbers past every integer type, in JSON text.
  const std::string head = R"({"v":1,"dev":"till-1","epoch":"0123abcd-0123-4567-89ab-0123456789ab","sent":)";
  for (const char* n : {"9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
                        "-9223372036854775808", "-9223372036854775809", "1e400", "-1e400", "1.0", "1e2", "-0",
                        "0.0000000000000000000000001"}) {
    d.check(head + n + ",\"events\":[]}", WireFormat::kJson, std::string("sent=") + n);
    d.check(std::string(R"({"v":)") + n + "}", WireFormat::kJson, std::string("v=") + n);
  }
  report(d);
}

TEST(BatchDecodeDifferential, DeepNesting) {
  Differential d;
  for (WireFormat f : kFormats) {
    std::vector<size_t> depths = {1, 10, 100, 200, 250, 252, 253, 254, 255, 256, 257, 300, 1000};
    if (f == WireFormat::kJson) depths.insert(depths.end(), {10'000, 100'000});
    for (size_t depth : depths) {
      for (bool objects : {false, true}) {
        std::string deep = nested(depth, f, objects);
        std::string what = "nested " + std::to_string(depth);
        d.check(batchWithRaw(f, "x", deep), f, what + " under an unknown key");
        d.check(batchWithRaw(f, "events", f == WireFormat::kJson ? "[" + deep + "]"
                                               : (f == WireFormat::kCbor ? "\x81" : "\x91") + deep),
                f, what + " as an event");
        d.check(deep, f, what + " as the message");
      }
    }
  }
  report(d);
}

// The one documented difference (batch_decoders.h): CBOR and MessagePack nested deeper than
// kMaxBinaryNesting are refused by the streaming decoder only. The batch itself is one level.
TEST(BatchDecodeDifferential, BinaryNestingPastTheLimitIsRefusedByTheStreamingDecoderOnly) {
  for (WireFormat f : {WireFormat::kCbor, WireFormat::kMsgPack}) {
    std::string at_limit = batchWithRaw(f, "x", nested(kMaxBinaryNesting - 1, f, false));
    EXPECT_TRUE(decodeBatchStreaming(at_limit, f).ok());
    EXPECT_TRUE(decodeBatchDom(at_limit, f).ok());

    std::string past = batchWithRaw(f, "x", nested(kMaxBinaryNesting, f, false));
    EXPECT_TRUE(decodeBatchDom(past, f).ok());
    auto r = decodeBatchStreaming(past, f);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "malformed");
    EXPECT_EQ(r.error().kind, ErrorKind::kReject);

    // Far past it, where nlohmann's recursion would be deep, the refusal comes at the limit.
    EXPECT_EQ(decodeBatch(batchWithRaw(f, "x", nested(1'000'000, f, true)), f).error().code, "malformed");
  }
  // JSON is parsed without recursion and has no limit, in either decoder.
  std::string json = batchWithRaw(WireFormat::kJson, "x", nested(100'000, WireFormat::kJson, false));
  EXPECT_TRUE(decodeBatchStreaming(json, WireFormat::kJson).ok());
  EXPECT_TRUE(decodeBatchDom(json, WireFormat::kJson).ok());
}
