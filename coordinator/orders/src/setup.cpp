// Builds the order service from the config files (see makeOrderService in orders.h).

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sw/coordinator/channels/connector_factory.h"
#include "sw/coordinator/orders/order_service.h"

namespace sw::coordinator {

using common::Error;
using nlohmann::json;

namespace {

common::Result<json> readJsonFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return Error::reject("bad_option", std::string("cannot read the ") + what + " " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return Error::reject("bad_option", std::string("the ") + what + " " + path + " is not valid JSON");
  return j;
}

}  // namespace

common::Result<std::unique_ptr<OrderService>> makeOrderService(OrderBook& book, SqliteLedger& ledger,
                                                               Availability* availability,
                                                               const std::string& channels_config_path,
                                                               const std::string& locations_config_path,
                                                               const common::Clock& clock, OrdersConfig config) {
  RoutingConfig routing;
  if (!locations_config_path.empty()) {
    auto j = readJsonFile(locations_config_path, "locations config");
    if (!j) return j.error();
    auto r = parseRoutingConfig(*j);
    if (!r) return r.error();
    routing = std::move(*r);
  } else {
    auto r = parseRoutingConfig(json::object());
    if (!r) return r.error();
    routing = std::move(*r);
  }
  auto service = std::make_unique<OrderService>(book, ledger, availability, std::move(routing), clock, config);
  if (channels_config_path.empty()) return service;
  auto j = readJsonFile(channels_config_path, "channels config");
  if (!j) return j.error();
  if (!j->is_object() || !j->contains("channels") || !(*j)["channels"].is_object()) return service;
  for (const auto& [name, ch] : (*j)["channels"].items()) {
    if (auto kind = channels::parseChannel(name)) {
      auto map = channels::channelLocations(*j, *kind);
      if (!map) return map.error();
      service->setChannelLocations(*kind, std::move(*map));
    }
    if (!ch.is_object() || !ch.contains("connector")) continue;
    if (ch.contains("enabled") && ch["enabled"].is_boolean() && !ch["enabled"].get<bool>()) continue;
    auto kind = channels::parseChannel(name);
    if (!kind) return kind.error();
    auto conn = channels::makeConnector(ch["connector"], clock);
    if (!conn) return conn.error();
    if (*kind == channels::ChannelKind::kShopify || *kind == channels::ChannelKind::kWooCommerce) {
      auto secret = channels::webhookSecret(ch["connector"]);
      if (!secret) return secret.error();
      service->setWebhookSecret(*kind, *secret);
    }
    service->addConnector(std::move(*conn));
  }
  return service;
}

}  // namespace sw::coordinator
