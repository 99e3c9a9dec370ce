// The default for channels whose connector cannot report fulfilments yet.

#include "sw/coordinator/channels/connector.h"

namespace sw::coordinator::channels {

common::Result<std::string> ChannelConnector::reportFulfilment(const FulfilmentReport&) {
  return common::Error::reject("not_supported", std::string(channelName(kind())) +
                                                    ": this connector does not report fulfilments");
}

}  // namespace sw::coordinator::channels
