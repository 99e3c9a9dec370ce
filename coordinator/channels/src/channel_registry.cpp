#include "sw/coordinator/channels/channel_registry.h"

#include <fstream>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sw/coordinator/channels/order.h"

namespace sw::coordinator::channels {

using common::Error;
using common::Result;
using nlohmann::json;

namespace {

Error bad(const std::string& what) { return Error::fatal("bad_config", "channels config: " + what); }

}  // namespace

// One channel's connector and the lock every handle takes around a call that talks to it.
struct SharedConnector {
  std::mutex mu;
  std::unique_ptr<ChannelConnector> connector;
};

namespace {

// What consumers hold: forwards to the shared connector, one call at a time per channel.
class SharedHandle final : public ChannelConnector {
 public:
  using Lock = std::lock_guard<std::mutex>;
  explicit SharedHandle(std::shared_ptr<SharedConnector> shared)
      : shared_(std::move(shared)), mu_(shared_->mu), c_(*shared_->connector) {}

  ChannelKind kind() const override { return c_.kind(); }
  size_t maxBatch() const override { return c_.maxBatch(); }
  bool supportsCompareAndSet() const override { return c_.supportsCompareAndSet(); }
  RateState rateState() const override { return c_.rateState(); }
  int64_t msUntilReady(Operation op, size_t items) const override { return c_.msUntilReady(op, items); }

  Result<PushResult> pushQuantities(const std::vector<QuantityUpdate>& updates) override {
    Lock lock(mu_);
    return c_.pushQuantities(updates);
  }
  Result<PushResult> pushPrices(const std::vector<PriceUpdate>& updates) override {
    Lock lock(mu_);
    return c_.pushPrices(updates);
  }
  Result<std::vector<ChannelLevel>> readQuantities(const std::vector<std::string>& skus) override {
    Lock lock(mu_);
    return c_.readQuantities(skus);
  }
  Result<OrderPage> pollOrders(const OrderCursor& cursor) override {
    Lock lock(mu_);
    return c_.pollOrders(cursor);
  }
  Result<std::vector<ItemResult>> collectAccepted() override {
    Lock lock(mu_);
    return c_.collectAccepted();
  }
  Result<std::vector<ItemResult>> collectAcceptedPrices() override {
    Lock lock(mu_);
    return c_.collectAcceptedPrices();
  }
  Result<std::string> reportFulfilment(const FulfilmentReport& report) override {
    Lock lock(mu_);
    return c_.reportFulfilment(report);
  }
  Result<std::string> cancelOrder(const CancelRequest& request) override {
    Lock lock(mu_);
    return c_.cancelOrder(request);
  }
  Result<NormalizedOrder> refundOrder(const RefundRequest& request) override {
    Lock lock(mu_);
    return c_.refundOrder(request);
  }
  Result<PayoutPage> fetchPayouts(const PayoutCursor& cursor) override {
    Lock lock(mu_);
    return c_.fetchPayouts(cursor);
  }

 private:
  std::shared_ptr<SharedConnector> shared_;  // kept alive as long as any handle
  std::mutex& mu_;
  ChannelConnector& c_;
};

}  // namespace

Result<json> readChannelsConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  json config = json::parse(text.str(), nullptr, false);
  if (config.is_discarded()) return bad(path + " is not valid JSON");
  if (!config.is_object()) return bad(path + " must be a JSON object");
  return config;
}

Result<std::unique_ptr<ChannelRegistry>> ChannelRegistry::open(const std::string& path, const common::Clock& clock,
                                                               const EnvLookup& env) {
  if (path.empty()) return fromConfig(json::object(), false, clock, env);
  auto config = readChannelsConfig(path);
  if (!config) return config.error();
  return fromConfig(*config, true, clock, env);
}

Result<std::unique_ptr<ChannelRegistry>> ChannelRegistry::fromConfig(const json& config, bool from_file,
                                                                     const common::Clock& clock,
                                                                     const EnvLookup& env) {
  std::unique_ptr<ChannelRegistry> r(new ChannelRegistry());
  r->config_ = std::make_unique<json>(config);
  r->from_file_ = from_file;
  if (!config.is_object()) return bad("the file must hold a JSON object");
  auto chs = config.find("channels");
  if (chs == config.end()) return r;
  if (!chs->is_object()) return bad("channels must be an object");
  for (const auto& [name, c] : chs->items()) {
    auto kind = parseChannel(name);
    if (kind) {
      auto map = channels::channelLocations(config, *kind);
      if (!map) return map.error();
      r->locations_[*kind] = std::move(*map);
    }
    if (!c.is_object()) continue;
    auto conn_cfg = c.find("connector");
    if (conn_cfg == c.end()) continue;
    if (auto en = c.find("enabled"); en != c.end()) {
      if (!en->is_boolean()) return bad("channels." + name + ".enabled must be true or false");
      if (!en->get<bool>()) continue;
    }
    if (!kind) return bad("channels." + name + ": " + kind.error().message);
    json cc = *conn_cfg;
    if (!cc.is_object()) return bad("channels." + name + ".connector must be an object");
    if (!cc.contains("channel")) cc["channel"] = name;
    if (cc["channel"] != name) return bad("channels." + name + ".connector.channel says " + cc["channel"].dump());
    auto conn = makeConnector(cc, clock, env);
    if (!conn) return Error::fatal(conn.error().code, "channels." + name + ": " + conn.error().message);
    Channel ch;
    ch.name = name;
    if (*kind == ChannelKind::kShopify || *kind == ChannelKind::kWooCommerce) {
      auto secret = channels::webhookSecret(cc, env);
      if (!secret) return Error::fatal(secret.error().code, "channels." + name + ": " + secret.error().message);
      ch.webhook_secret = std::move(*secret);
    }
    ch.shared = std::make_shared<SharedConnector>();
    ch.shared->connector = std::move(*conn);
    r->channels_.push_back(std::move(ch));
  }
  return r;
}

ChannelRegistry::~ChannelRegistry() = default;

std::vector<std::string> ChannelRegistry::enabled() const {
  std::vector<std::string> out;
  for (const auto& c : channels_) out.push_back(c.name);
  return out;
}

std::unique_ptr<ChannelConnector> ChannelRegistry::connector(const std::string& name) const {
  for (const auto& c : channels_) {
    if (c.name == name) return std::make_unique<SharedHandle>(c.shared);
  }
  return nullptr;
}

std::string ChannelRegistry::webhookSecret(const std::string& name) const {
  for (const auto& c : channels_) {
    if (c.name == name) return c.webhook_secret;
  }
  return "";
}

}  // namespace sw::coordinator::channels
