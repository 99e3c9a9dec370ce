// Channel order payloads (the first byte picks Shopify, Amazon, eBay or WooCommerce) through
// the decoders and the normalised JSON; also the money and date readers they use. Must never
// crash; a decoded order must have an id, its pickup reference (if any) must map as configured,
// and its JSON must serialise.

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "json_read.h"
#include "sw/coordinator/channels/order_decode.h"

using namespace sw::coordinator::channels;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const ChannelKind kChannels[] = {ChannelKind::kShopify, ChannelKind::kAmazon, ChannelKind::kEbay,
                                          ChannelKind::kWooCommerce};
  ChannelKind channel = kChannels[data[0] % 4];
  std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
  auto orders = decodeOrders(channel, payload);
  if (orders.ok()) {
    static const std::map<std::string, std::string> kLocations = {{"local_pickup", "store-1"}, {"STORE-1", "store-1"}};
    for (NormalizedOrder& o : *orders) {
      if (o.order_id.empty()) std::abort();
      resolvePickup(o, kLocations);  // the pickup reference the payload gave, mapped as intake does
      if (o.pickup.requested && !o.pickup.ref.empty() && kLocations.count(o.pickup.ref) && o.pickup.location.empty()) std::abort();
      (void)toJson(o).dump();
    }
  } else if (orders.error().message.empty()) {
    std::abort();  // every refusal says why
  }
  (void)detail::moneyText(payload);
  (void)detail::parseIsoMs(payload);
  return 0;
}
