// Builds the order service from the config files (see makeOrderService in order_service.h).

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sw/coordinator/orders/order_service.h"
#include "sw/coordinator/orders/postal_points.h"

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

common::Result<std::unique_ptr<OrderService>> makeOrderService(OrderBook& book, Ledger& ledger,
                                                               Availability* availability,
                                                               const channels::ChannelRegistry& registry,
                                                               const std::string& locations_config_path,
                                                               const common::Clock& clock, OrdersConfig config) {
  RoutingConfig routing;
  if (!locations_config_path.empty()) {
    auto j = readJsonFile(locations_config_path, "locations config");
    if (!j) return j.error();
    auto r = parseRoutingConfig(*j);
    if (!r) return r.error();
    routing = std::move(*r);
    if (!routing.postal_codes_path.empty()) {
      std::filesystem::path file(routing.postal_codes_path);
      if (file.is_relative()) file = std::filesystem::path(locations_config_path).parent_path() / file;
      auto points = PostalPoints::load(file.string());
      if (!points) return Error::reject(points.error().code, "locations config postal_codes: " + points.error().message);
      routing.postal = std::make_shared<const PostalPoints>(std::move(*points));
    }
  } else {
    auto r = parseRoutingConfig(json::object());
    if (!r) return r.error();
    routing = std::move(*r);
  }
  auto service = std::make_unique<OrderService>(book, ledger, availability, std::move(routing), clock, config);
  for (const auto& [kind, map] : registry.channelLocations()) service->setChannelLocations(kind, map);
  for (const auto& name : registry.enabled()) {
    auto conn = registry.connector(name);
    auto kind = conn->kind();
    if (kind == channels::ChannelKind::kShopify || kind == channels::ChannelKind::kWooCommerce) {
      service->setWebhookSecret(kind, registry.webhookSecret(name));
    }
    service->addConnector(std::move(conn));
  }
  return service;
}

}  // namespace sw::coordinator
