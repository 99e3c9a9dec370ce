#include "sw/coordinator/channels/order.h"

#include <nlohmann/json.hpp>

namespace sw::coordinator::channels {

using json = nlohmann::ordered_json;

const char* channelName(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kShopify:
      return "shopify";
    case ChannelKind::kAmazon:
      return "amazon";
    case ChannelKind::kEbay:
      return "ebay";
    case ChannelKind::kWooCommerce:
      return "woocommerce";
    case ChannelKind::kWalmart:
      return "walmart";
    case ChannelKind::kWholesale:
      return "wholesale";
  }
  return "unknown";
}

common::Result<ChannelKind> parseChannel(std::string_view name) {
  if (name == "shopify") return ChannelKind::kShopify;
  if (name == "amazon") return ChannelKind::kAmazon;
  if (name == "ebay") return ChannelKind::kEbay;
  if (name == "woocommerce" || name == "woo") return ChannelKind::kWooCommerce;
  if (name == "walmart") return ChannelKind::kWalmart;
  return common::Error::reject("bad_channel", "channel must be shopify, amazon, ebay, woocommerce or walmart, not '" +
                                                  std::string(name.substr(0, 40)) + "'");
}

const char* orderStatusName(OrderStatus status) {
  switch (status) {
    case OrderStatus::kPending:
      return "pending";
    case OrderStatus::kOpen:
      return "open";
    case OrderStatus::kPartiallyFulfilled:
      return "partially_fulfilled";
    case OrderStatus::kFulfilled:
      return "fulfilled";
    case OrderStatus::kCancelled:
      return "cancelled";
    case OrderStatus::kRefunded:
      return "refunded";
    case OrderStatus::kFailed:
      return "failed";
    case OrderStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

namespace {
json moneyJson(const std::optional<Money>& m) {
  if (!m) return nullptr;
  return {{"amount", m->amount.toString()}, {"currency", m->currency}};
}
json orNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
}  // namespace

json toJson(const NormalizedOrder& o) {
  json lines = json::array();
  for (const OrderLine& l : o.lines) {
    json jl = {{"line_id", orNull(l.line_id)},
               {"sku", l.sku_missing ? json(nullptr) : json(l.sku)},
               {"sku_missing", l.sku_missing},
               {"quantity", l.quantity},
               {"unit_price", l.unit_price ? json(l.unit_price->amount.toString()) : json(nullptr)},
               {"currency", l.unit_price ? json(l.unit_price->currency) : orNull(o.currency)}};
    if (l.current_quantity) jl["current_quantity"] = *l.current_quantity;
    if (l.presentment_unit_price) jl["presentment_unit_price"] = moneyJson(l.presentment_unit_price);
    if (l.line_total) jl["line_total"] = moneyJson(l.line_total);
    if (l.tax) jl["tax"] = moneyJson(l.tax);
    if (l.discount) jl["discount"] = moneyJson(l.discount);
    if (!l.title.empty()) jl["title"] = l.title;
    if (!l.channel_item_id.empty()) jl["channel_item_id"] = l.channel_item_id;
    if (!l.group_id.empty()) jl["group_id"] = l.group_id;
    if (l.cancel_requested) jl["cancel_requested"] = true;
    lines.push_back(std::move(jl));
  }
  json releases = json::array();
  for (const Release& r : o.releases) {
    releases.push_back({{"line_id", orNull(r.line_id)},
                        {"sku", orNull(r.sku)},
                        {"quantity", r.quantity},
                        {"reason", r.reason},
                        {"restock", r.restock}});
    if (!r.refund_id.empty()) releases.back()["refund_id"] = r.refund_id;
    if (!r.location_ref.empty()) releases.back()["location_ref"] = r.location_ref;
    if (r.restock_limit >= 0) releases.back()["line_restocked_total"] = r.restock_limit;
  }
  json j = {{"channel", channelName(o.channel)},
            {"order_id", o.order_id},
            {"order_name", orNull(o.order_name)},
            {"event", o.event},
            {"status", orderStatusName(o.status)},
            {"channel_status", orNull(o.channel_status)},
            {"created_at", orNull(o.created_at)},
            {"updated_at", orNull(o.updated_at)},
            {"currency", orNull(o.currency)},
            {"total", o.total ? json(o.total->toString()) : json(nullptr)},
            {"ship_to_country", orNull(o.ship_to_country)},
            {"customer_country", orNull(o.customer_country)},
            {"lines_complete", o.lines_complete},
            {"lines", std::move(lines)},
            {"releases", std::move(releases)},
            {"warnings", o.warnings}};
  if (!o.ship_to.empty()) {
    j["ship_to"] = {{"postal_code", orNull(o.ship_to.postal_code)},
                    {"city", orNull(o.ship_to.city)},
                    {"region", orNull(o.ship_to.region)}};
  }
  if (!o.marketplace.empty()) j["marketplace"] = o.marketplace;
  if (o.prices_pending) j["prices_pending"] = true;
  if (!o.delivery_id.empty()) j["delivery_id"] = o.delivery_id;
  if (o.pickup.requested || !o.pickup.ref.empty()) {
    j["pickup"] = {{"requested", o.pickup.requested},
                   {"ref", orNull(o.pickup.ref)},
                   {"ref_field", orNull(o.pickup.ref_field)},
                   {"location", orNull(o.pickup.location)}};
  }
  return j;
}

json customerJson(const CustomerContact& c) {
  return {{"buyer_id", orNull(c.buyer_id)},
          {"name", orNull(c.name)},
          {"email", orNull(c.email)},
          {"phone", orNull(c.phone)},
          {"ship_to",
           {{"lines", c.ship_to.lines},
            {"city", orNull(c.ship_to.city)},
            {"region", orNull(c.ship_to.region)},
            {"postal_code", orNull(c.ship_to.postal_code)},
            {"country", orNull(c.ship_to.country)}}},
          {"restricted", c.restricted}};
}

void resolvePickup(NormalizedOrder& o, const std::map<std::string, std::string>& channel_locations) {
  if (o.pickup.ref.empty()) {
    if (o.pickup.requested) o.warnings.push_back("pickup order without a store id: shipped like any other order");
    return;
  }
  auto it = channel_locations.find(o.pickup.ref);
  if (it == channel_locations.end()) {
    if (o.pickup.requested) {
      o.warnings.push_back("pickup at " + o.pickup.ref + " (" + o.pickup.ref_field +
                           "), which channel_locations does not map to a Stockwire location: shipped like any other order");
    }
    return;
  }
  o.pickup.requested = true;
  o.pickup.location = it->second;
}

}  // namespace sw::coordinator::channels

namespace sw::coordinator::channels {

common::Result<std::map<std::string, std::string>> channelLocations(const nlohmann::json& config, ChannelKind kind) {
  std::map<std::string, std::string> out;
  std::string name = channelName(kind);
  if (!config.is_object()) return out;
  auto chs = config.find("channels");
  if (chs == config.end() || !chs->is_object()) return out;
  auto ch = chs->find(name);
  if (ch == chs->end() || !ch->is_object()) return out;
  auto map = ch->find("channel_locations");
  if (map == ch->end()) return out;
  const std::string where = "channels." + name + ".channel_locations";
  if (!map->is_object()) return common::Error::reject("bad_config", where + " must be an object {\"<channel id>\": \"<location>\"}");
  for (const auto& [k, v] : map->items()) {
    if (!v.is_string() || v.get<std::string>().empty()) {
      return common::Error::reject("bad_config", where + "." + k + " must be a Stockwire location name");
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace sw::coordinator::channels
