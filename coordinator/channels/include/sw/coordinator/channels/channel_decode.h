#pragma once
// `stockwire-coordinator channel-decode --channel NAME [--pretty] < payload.json`: prints each
// order in the payload, normalised, as one JSON object per line; or, for a payload it cannot
// use, {"error":{"code","kind","message"}} on stdout, the message on stderr, and exit code 1.
// Exit code 2 for bad options.

#include <iosfwd>
#include <string>
#include <vector>

#include "sw/common/args.h"

namespace sw::coordinator::channels {

const common::OptionTable& channelDecodeOptions();
int channelDecode(const common::ParsedOptions& options, std::istream& in, std::ostream& out, std::ostream& err);
// The same, parsing args with channelDecodeOptions() first.
int runChannelDecode(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

// What `channel-decode --help` says beyond its options.
inline constexpr const char* kChannelDecodeNotes =
    "Payloads: a Shopify orders/* webhook body; Amazon getOrders, getOrder, getOrderItems, searchOrders /\n"
    "getOrder 2026-01-01 or ORDER_CHANGE; eBay getOrders or getOrder; WooCommerce order JSON; Walmart\n"
    "orders/released, orders or orders/{id} (and the acknowledge, shipping, cancel and refund answers).\n"
    "A payload it cannot use gives {\"error\":{...}} on stdout and exit code 1.\n";

}  // namespace sw::coordinator::channels
