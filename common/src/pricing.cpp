#include "sw/common/pricing.h"

#include <algorithm>
#include <cstdio>

#include "sw/common/iso_time.h"

namespace sw::common {

namespace {

bool better(const PriceEntry& a, const PriceEntry& b) {
  if (a.price != b.price) return a.price < b.price;
  if (a.origin != b.origin) return a.origin == "location";
  return a.promotion < b.promotion;
}

}  // namespace

EffectivePrice resolvePrice(const std::vector<PriceEntry>& entries, int64_t now_ms) {
  EffectivePrice out;
  for (const PriceEntry& e : entries) {
    if (e.promotion.empty()) {
      if (!out.base || (e.origin == "location" && out.base->origin != "location")) out.base = e;
    } else if (e.starts_at_ms <= now_ms && now_ms < e.ends_at_ms) {
      out.active.push_back(e);
    } else if (e.starts_at_ms > now_ms) {
      out.scheduled.push_back(e);
    }
  }
  std::sort(out.active.begin(), out.active.end(), better);
  std::sort(out.scheduled.begin(), out.scheduled.end(), [](const PriceEntry& a, const PriceEntry& b) {
    if (a.starts_at_ms != b.starts_at_ms) return a.starts_at_ms < b.starts_at_ms;
    return better(a, b);
  });
  if (!out.active.empty()) out.current = out.active.front();
  else out.current = out.base;
  return out;
}

Result<int64_t> parseIsoUtcMs(std::string_view text) { return parseIsoMs(text, IsoPolicy::kUtc); }

std::string formatIsoUtcMs(int64_t ms) { return formatIsoMs(ms); }

}  // namespace sw::common
