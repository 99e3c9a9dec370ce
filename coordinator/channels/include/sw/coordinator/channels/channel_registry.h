#pragma once
// The channels config file, read once, and one connector per enabled channel, shared by
// everything that speaks to that channel: the push scheduler (quantities, read-back,
// reconciliation) and order intake (polls, fulfilments, cancels). Sharing one connector means
// one learned rate limit per channel: a 429 an order poll receives slows the pushes too.
//
// File shape: see channel_service.h (rules, push options) and connector_factory.h (connectors);
// "channels.<name>.channel_locations" maps the channel's own store ids (order.h).
//
// Threads: open() on one thread; afterwards every method may be called from any thread. Calls
// on a handle from connector() are serialised per channel (one lock per channel), except
// rateState(), msUntilReady(), maxBatch(), kind() and supportsCompareAndSet(), which never wait.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/channels/connector_factory.h"

namespace sw::coordinator::channels {

// The one reader of a channels config file: the parsed object, or a bad_config error naming the
// file ("cannot read", "is not valid JSON", "must be a JSON object").
common::Result<nlohmann::json> readChannelsConfig(const std::string& path);

struct SharedConnector;  // one channel's connector and its lock (channel_registry.cpp)

class ChannelRegistry {
 public:
  // path empty: no file (no connector; availability then covers all five channels by default).
  static common::Result<std::unique_ptr<ChannelRegistry>> open(const std::string& path, const common::Clock& clock,
                                                              const EnvLookup& env = processEnv);
  static common::Result<std::unique_ptr<ChannelRegistry>> fromConfig(const nlohmann::json& config, bool from_file,
                                                                     const common::Clock& clock,
                                                                     const EnvLookup& env = processEnv);
  ~ChannelRegistry();
  ChannelRegistry(const ChannelRegistry&) = delete;
  ChannelRegistry& operator=(const ChannelRegistry&) = delete;

  const nlohmann::json& config() const { return *config_; }  // {} without a file
  bool fromFile() const { return from_file_; }

  // Channels with a connector that is not "enabled": false, in the file's order.
  std::vector<std::string> enabled() const;
  // A handle on the channel's one connector (null for a channel not enabled). Every handle of a
  // channel shares its state, rate limit and lock.
  std::unique_ptr<ChannelConnector> connector(const std::string& name) const;
  // The webhook secret of an enabled Shopify or WooCommerce channel ("" otherwise).
  std::string webhookSecret(const std::string& name) const;
  // channels.<name>.channel_locations for every channel the file names (empty map if none).
  const std::map<ChannelKind, std::map<std::string, std::string>>& channelLocations() const { return locations_; }

 private:
  struct Channel {
    std::string name;
    std::shared_ptr<SharedConnector> shared;
    std::string webhook_secret;
  };
  ChannelRegistry() = default;
  std::unique_ptr<nlohmann::json> config_;
  bool from_file_ = false;
  std::vector<Channel> channels_;
  std::map<ChannelKind, std::map<std::string, std::string>> locations_;
};

}  // namespace sw::coordinator::channels
