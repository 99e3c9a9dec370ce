// Walmart Marketplace input (coordinator/channels/src): the first byte picks what the bytes are read as.
//   even: an order payload through decodeOrders(walmart) (orders/released pages, an order, errors);
//   odd:  a feed status answer (GET /v3/feeds/{feedId}) through parseWalmartFeedStatus, and an
//         X-Next-Replenishment-Time header value.
// Must never crash; a decoded order must have an id, releases within its lines' quantities, and
// serialise; every refusal says why.

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "sw/coordinator/channels/order_decode.h"
#include "sw/coordinator/channels/rate_limit.h"
#include "sw/coordinator/channels/walmart_connector.h"

using namespace sw::coordinator::channels;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    auto orders = decodeOrders(ChannelKind::kWalmart, payload);
    if (orders.ok()) {
      for (const NormalizedOrder& o : *orders) {
        if (o.order_id.empty() || o.channel != ChannelKind::kWalmart) std::abort();
        std::map<std::string, int64_t> qty, released;
        for (const OrderLine& l : o.lines) qty[l.line_id] += l.quantity;
        for (const Release& r : o.releases) {
          if (r.quantity <= 0) std::abort();
          released[r.line_id] += r.quantity;
        }
        for (const auto& [line, n] : released) {
          if (n > qty[line]) std::abort();  // never more given back than the line holds
        }
        (void)toJson(o).dump();
      }
    } else if (orders.error().message.empty()) {
      std::abort();
    }
    return 0;
  }
  auto j = parseOutsideJson(payload);
  if (j.ok()) {
    auto s = parseWalmartFeedStatus(*j);
    if (s.ok()) {
      if (s->items_received < 0 || s->offset < 0) std::abort();
      for (const WalmartFeedItem& i : s->items) {
        if (i.sku.empty()) std::abort();
      }
    } else if (s.error().message.empty()) {
      std::abort();
    }
  }
  (void)parseReplenishmentTime(payload.substr(0, 64));
  return 0;
}
