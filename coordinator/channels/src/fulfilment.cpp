// Defaults for channels whose connector cannot report fulfilments, cancel or refund orders, read payouts or push prices.

#include "sw/coordinator/channels/connector.h"

namespace sw::coordinator::channels {

common::Result<std::string> ChannelConnector::reportFulfilment(const FulfilmentReport&) {
  return common::Error::reject("not_supported", std::string(channelName(kind())) +
                                                    ": this connector does not report fulfilments");
}

common::Result<std::string> ChannelConnector::cancelOrder(const CancelRequest&) {
  return common::Error::reject("not_supported", std::string(channelName(kind())) +
                                                    ": this connector cannot cancel orders");
}

common::Result<NormalizedOrder> ChannelConnector::refundOrder(const RefundRequest&) {
  return common::Error::reject("not_supported", std::string(channelName(kind())) +
                                                    ": this connector cannot issue refunds");
}

common::Result<PayoutPage> ChannelConnector::fetchPayouts(const PayoutCursor&) {
  return common::Error::reject("not_supported", std::string(channelName(kind())) +
                                                    ": this connector does not read payouts yet");
}

common::Result<PushResult> ChannelConnector::pushPrices(const std::vector<PriceUpdate>&) {
  return common::Error::reject("not_supported", std::string(channelName(kind())) +
                                                    ": this connector does not push prices yet");
}

}  // namespace sw::coordinator::channels
