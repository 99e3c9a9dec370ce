#include "sw/coordinator/channels/channel_decode.h"

#include <iostream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sw/common/args.h"
#include "sw/common/http_errors.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

int runChannelDecode(const std::vector<std::string>& raw, std::istream& in, std::ostream& out, std::ostream& err) {
  auto args = common::Args::parse(raw, {"channel"}, {"pretty"});
  if (!args) {
    err << "stockwire-coordinator channel-decode: " << args.error().message << "\n";
    return 2;
  }
  auto name = args->get("channel");
  if (!name) {
    err << "stockwire-coordinator channel-decode: --channel shopify|amazon|ebay|woocommerce is required\n";
    return 2;
  }
  auto channel = parseChannel(*name);
  if (!channel) {
    err << "stockwire-coordinator channel-decode: " << channel.error().message << "\n";
    return 2;
  }
  // Read at most one byte past the limit, so an endless stdin cannot exhaust memory.
  std::string payload;
  char buf[65536];
  while (in && payload.size() <= kMaxOrderPayloadBytes) {
    in.read(buf, sizeof buf);
    payload.append(buf, static_cast<size_t>(in.gcount()));
  }
  auto orders = decodeOrders(*channel, payload);
  if (!orders) {
    out << common::errorJson(orders.error()) << "\n";
    err << "stockwire-coordinator channel-decode: " << orders.error().toString() << "\n";
    return 1;
  }
  int indent = args->has("pretty") ? 2 : -1;
  for (const NormalizedOrder& o : *orders) out << toJson(o).dump(indent) << "\n";
  return 0;
}

}  // namespace sw::coordinator::channels
