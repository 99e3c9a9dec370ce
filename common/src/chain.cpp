#include "sw/common/chain.h"

#include <array>
#include <cstdint>

#include "sw/common/sha256.h"
#include "sw/common/uuid.h"

namespace sw::common {
namespace {

void putU32(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}

void putI64(std::string* out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>((u >> s) & 0xff));
}

void putText(std::string* out, std::string_view s) {
  putU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// A UUID as its 16 bytes (upper or lower case encode the same); empty stays empty.
void putUuid(std::string* out, std::string_view id) {
  if (id.empty() || !isUuid(id)) return putText(out, id);
  putText(out, uuidToBytes(id));
}

void putOptUnits(std::string* out, const std::optional<Decimal>& d) {
  out->push_back(d ? '\1' : '\0');
  if (d) putI64(out, d->scaled());
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

bool isChainHash(std::string_view text) { return isSha256Hex(text); }

std::string chainBytes(const Event& e) {
  std::string out;
  out.reserve(128 + e.lines.size() * 40);
  out.append("swchain1");
  putText(&out, e.device_id);
  putI64(&out, static_cast<int64_t>(e.seq));
  putUuid(&out, e.event_id);
  putText(&out, eventTypeName(e.type));
  putI64(&out, e.occurred_at_ms);
  putText(&out, e.location);
  putText(&out, e.other_location);
  putText(&out, e.reason);
  putUuid(&out, e.ref);
  putText(&out, e.scope);
  if (e.type == EventType::kVoid) {
    putU32(&out, 0);
    return out;
  }
  putU32(&out, static_cast<uint32_t>(e.lines.size()));
  size_t flag = 0;
  for (size_t i = 0; i < e.lines.size(); ++i) {
    const Line& l = e.lines[i];
    putText(&out, l.sku);
    putI64(&out, l.qty);
    putOptUnits(&out, l.unit_price);
    if (flag < e.price_flags.size() && e.price_flags[flag].line == i + 1) {
      const PriceFlag& f = e.price_flags[flag++];
      putText(&out, priceCheckName(f.check));
      putOptUnits(&out, f.list_price);
    } else {
      putText(&out, "");
      putOptUnits(&out, std::nullopt);
    }
  }
  return out;
}

std::string chainHash(std::string_view prev_hex, std::string_view canonical) {
  std::string input;
  input.reserve(32 + canonical.size());
  for (size_t i = 0; i + 1 < prev_hex.size(); i += 2) {
    input.push_back(static_cast<char>(hexValue(prev_hex[i]) << 4 | hexValue(prev_hex[i + 1])));
  }
  input.append(canonical);
  const std::array<uint8_t, 32> digest = sha256(input);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::string chainHash(const Event& e) { return chainHash(e.prev_hash, chainBytes(e)); }

}  // namespace sw::common
