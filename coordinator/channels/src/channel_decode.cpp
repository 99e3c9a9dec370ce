#include "sw/coordinator/channels/channel_decode.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sw/common/args.h"
#include "sw/common/http_errors.h"
#include "sw/coordinator/channels/channel_registry.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

const common::OptionTable& channelDecodeOptions() {
  using Kind = common::OptionSpec::Kind;
  static const common::OptionTable table({
      {"channel", Kind::kText, "NAME", "", 0, 0, "shopify, amazon, ebay, woocommerce or walmart", true},
      {"channels-config", Kind::kText, "FILE", "", 0, 0,
       "map a pickup order's store reference through channels.<channel>.channel_locations"},
      {"pretty", Kind::kFlag, "", "", 0, 0, "indent each order"},
  });
  return table;
}

int runChannelDecode(const std::vector<std::string>& raw, std::istream& in, std::ostream& out, std::ostream& err) {
  auto args = channelDecodeOptions().parse(raw);
  if (!args) {
    err << "stockwire-coordinator channel-decode: " << args.error().message << "\n";
    return 2;
  }
  return channelDecode(*args, in, out, err);
}

int channelDecode(const common::ParsedOptions& args, std::istream& in, std::ostream& out, std::ostream& err) {
  const std::string name = args.text("channel");
  auto channel = parseChannel(name);
  if (!channel) {
    err << "stockwire-coordinator channel-decode: " << channel.error().message << "\n";
    return 2;
  }
  // With the channels config, a pickup reference is mapped to a Stockwire location as intake does.
  std::map<std::string, std::string> channel_locations;
  if (args.has("channels-config")) {
    auto cfg = readChannelsConfig(args.text("channels-config"));
    if (!cfg) {
      err << "stockwire-coordinator channel-decode: " << cfg.error().message << "\n";
      return 2;
    }
    auto map = channelLocations(*cfg, *channel);
    if (!map) {
      err << "stockwire-coordinator channel-decode: " << map.error().message << "\n";
      return 2;
    }
    channel_locations = std::move(*map);
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
  int indent = args.flag("pretty") ? 2 : -1;
  for (NormalizedOrder& o : *orders) {
    resolvePickup(o, channel_locations);
    out << toJson(o).dump(indent) << "\n";
  }
  return 0;
}

}  // namespace sw::coordinator::channels
