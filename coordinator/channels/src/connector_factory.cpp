#include "sw/coordinator/channels/connector_factory.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include <nlohmann/json.hpp>

#include "sw/coordinator/channels/amazon_connector.h"
#include "sw/coordinator/channels/ebay_connector.h"
#include "sw/coordinator/channels/http_client.h"
#include "sw/coordinator/channels/shopify_connector.h"
#include "sw/coordinator/channels/walmart_connector.h"
#include "sw/coordinator/channels/woocommerce_connector.h"

namespace sw::coordinator::channels {

using common::Error;
using nlohmann::json;

std::optional<std::string> processEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

namespace {

class ConfigReader {
 public:
  ConfigReader(const json& config, const EnvLookup& env) : config_(config), env_(env) {}

  common::Result<std::string> string(const std::string& key, const std::string& fallback) {
    used_.insert(key);
    auto it = config_.find(key);
    if (it == config_.end()) return fallback;
    if (!it->is_string()) return Error::fatal("bad_config", "channel config: " + key + " must be a string");
    return it->get<std::string>();
  }
  common::Result<int64_t> number(const std::string& key, int64_t fallback) {
    used_.insert(key);
    auto it = config_.find(key);
    if (it == config_.end()) return fallback;
    if (!it->is_number_integer()) return Error::fatal("bad_config", "channel config: " + key + " must be a whole number");
    return it->get<int64_t>();
  }
  common::Result<std::string> secret(const std::string& key, const std::string& default_env) {
    used_.insert(key);
    used_.insert(key + "_env");
    if (auto it = config_.find(key); it != config_.end()) {
      if (!it->is_string()) return Error::fatal("bad_config", "channel config: " + key + " must be a string");
      return it->get<std::string>();
    }
    std::string var = default_env;
    if (auto it = config_.find(key + "_env"); it != config_.end()) {
      if (!it->is_string()) return Error::fatal("bad_config", "channel config: " + key + "_env must be a string");
      var = it->get<std::string>();
    }
    auto v = env_(var);
    if (!v || v->empty()) return Error::fatal("no_credentials", key + ": environment variable " + var + " is not set");
    return *v;
  }
  common::Status unknownKeys() const {
    for (const auto& [k, v] : config_.items()) {
      if (!used_.count(k)) return Error::fatal("bad_config", "channel config: unknown key '" + k + "'");
    }
    return {};
  }
  void use(const std::string& key) { used_.insert(key); }

 private:
  const json& config_;
  const EnvLookup& env_;
  std::set<std::string> used_;
};

#define SW_TRY_ASSIGN(var, expr)          \
  auto var##_r = (expr);                  \
  if (!var##_r) return var##_r.error();   \
  auto var = std::move(*var##_r)

}  // namespace

common::Result<std::unique_ptr<ChannelConnector>> makeConnector(const json& config, const common::Clock& clock,
                                                                const EnvLookup& env) {
  if (!config.is_object()) return Error::fatal("bad_config", "a channel config is a JSON object");
  ConfigReader rd(config, env);
  SW_TRY_ASSIGN(channel_name, rd.string("channel", ""));
  auto kind = parseChannel(channel_name);
  if (!kind) return Error::fatal("bad_config", kind.error().message);
  SW_TRY_ASSIGN(base_url, rd.string("base_url", ""));
  SW_TRY_ASSIGN(connect_ms, rd.number("connect_timeout_ms", 2'000));
  SW_TRY_ASSIGN(read_ms, rd.number("read_timeout_ms", 10'000));
  rd.use("webhook_secret");
  rd.use("webhook_secret_env");
  auto http = makeHttplibClient({base_url, connect_ms, read_ms});
  if (!http) return Error::fatal("bad_config", http.error().message);
  std::unique_ptr<ChannelConnector> out;
  switch (*kind) {
    case ChannelKind::kShopify: {
      ShopifyConfig c;
      SW_TRY_ASSIGN(version, rd.string("api_version", c.api_version));
      SW_TRY_ASSIGN(token, rd.secret("access_token", "SW_SHOPIFY_ACCESS_TOKEN"));
      SW_TRY_ASSIGN(location, rd.string("location_id", ""));
      SW_TRY_ASSIGN(name, rd.string("quantity_name", c.quantity_name));
      SW_TRY_ASSIGN(payout_page, rd.number("payout_page_size", c.payout_page_size));
      if (payout_page < 1 || payout_page > 250) return Error::fatal("bad_config", "payout_page_size must be 1..250");
      c.payout_page_size = static_cast<int>(payout_page);
      c.api_version = version;
      c.access_token = token;
      c.location_id = location;
      c.quantity_name = name;
      if (auto s = rd.unknownKeys(); !s) return s.error();
      auto conn = ShopifyConnector::create(std::move(c), std::move(*http), clock);
      if (!conn) return conn.error();
      out = std::move(*conn);
      break;
    }
    case ChannelKind::kAmazon: {
      AmazonConfig c;
      SW_TRY_ASSIGN(token, rd.secret("access_token", "SW_AMAZON_ACCESS_TOKEN"));
      SW_TRY_ASSIGN(seller, rd.string("seller_id", ""));
      SW_TRY_ASSIGN(marketplace, rd.string("marketplace_id", c.marketplace_id));
      SW_TRY_ASSIGN(product_type, rd.string("product_type", c.product_type));
      SW_TRY_ASSIGN(threshold, rd.number("feed_threshold", static_cast<int64_t>(c.feed_threshold)));
      SW_TRY_ASSIGN(settlement_page, rd.number("settlement_page_size", c.settlement_page_size));
      c.settlement_page_size = static_cast<int>(std::clamp<int64_t>(settlement_page, 0, 1000));
      c.access_token = token;
      c.seller_id = seller;
      c.marketplace_id = marketplace;
      c.product_type = product_type;
      c.feed_threshold = static_cast<size_t>(std::max<int64_t>(1, threshold));
      if (auto s = rd.unknownKeys(); !s) return s.error();
      auto conn = AmazonConnector::create(std::move(c), std::move(*http), clock);
      if (!conn) return conn.error();
      out = std::move(*conn);
      break;
    }
    case ChannelKind::kEbay: {
      EbayConfig c;
      SW_TRY_ASSIGN(token, rd.secret("access_token", "SW_EBAY_ACCESS_TOKEN"));
      SW_TRY_ASSIGN(marketplace, rd.string("marketplace_id", c.marketplace_id));
      SW_TRY_ASSIGN(finances, rd.string("finances_base_url", ""));
      SW_TRY_ASSIGN(payout_page, rd.number("payout_page_size", c.payout_page_size));
      c.access_token = token;
      c.marketplace_id = marketplace;
      c.finances_base_url = finances;
      c.payout_page_size = static_cast<int>(std::clamp<int64_t>(payout_page, 0, 1000));
      if (auto s = rd.unknownKeys(); !s) return s.error();
      auto conn = EbayConnector::create(std::move(c), std::move(*http), clock);
      if (!conn) return conn.error();
      out = std::move(*conn);
      break;
    }
    case ChannelKind::kWooCommerce: {
      WooCommerceConfig c;
      SW_TRY_ASSIGN(key, rd.secret("consumer_key", "SW_WOO_CONSUMER_KEY"));
      SW_TRY_ASSIGN(secret, rd.secret("consumer_secret", "SW_WOO_CONSUMER_SECRET"));
      SW_TRY_ASSIGN(limit, rd.number("batch_limit", static_cast<int64_t>(c.batch_limit)));
      c.consumer_key = key;
      c.consumer_secret = secret;
      c.batch_limit = static_cast<size_t>(std::max<int64_t>(1, limit));
      if (auto s = rd.unknownKeys(); !s) return s.error();
      auto conn = WooCommerceConnector::create(std::move(c), std::move(*http), clock);
      if (!conn) return conn.error();
      out = std::move(*conn);
      break;
    }
    case ChannelKind::kWalmart: {
      WalmartConfig c;
      SW_TRY_ASSIGN(id, rd.secret("client_id", "SW_WALMART_CLIENT_ID"));
      SW_TRY_ASSIGN(secret, rd.secret("client_secret", "SW_WALMART_CLIENT_SECRET"));
      SW_TRY_ASSIGN(svc, rd.string("service_name", c.service_name));
      SW_TRY_ASSIGN(channel_type, rd.string("channel_type", c.channel_type));
      SW_TRY_ASSIGN(threshold, rd.number("feed_threshold", static_cast<int64_t>(c.feed_threshold)));
      SW_TRY_ASSIGN(max_batch, rd.number("max_batch", static_cast<int64_t>(c.max_batch)));
      c.client_id = id;
      c.client_secret = secret;
      c.service_name = svc;
      c.channel_type = channel_type;
      c.feed_threshold = static_cast<size_t>(std::max<int64_t>(1, threshold));
      c.max_batch = static_cast<size_t>(std::clamp<int64_t>(max_batch, 1, 10'000));
      if (auto s = rd.unknownKeys(); !s) return s.error();
      auto conn = WalmartConnector::create(std::move(c), std::move(*http), clock);
      if (!conn) return conn.error();
      out = std::move(*conn);
      break;
    }
    case ChannelKind::kWholesale:  // parseChannel never gives it: partners are in --wholesale
      return Error::fatal("bad_config", "wholesale partners are configured by serve --wholesale FILE");
  }
  return out;
}

common::Result<std::string> webhookSecret(const json& config, const EnvLookup& env) {
  if (!config.is_object()) return Error::fatal("bad_config", "a channel config is a JSON object");
  ConfigReader rd(config, env);
  auto name = rd.string("channel", "");
  if (!name) return name.error();
  auto kind = parseChannel(*name);
  if (!kind) return Error::fatal("bad_config", kind.error().message);
  if (*kind == ChannelKind::kShopify) return rd.secret("webhook_secret", "SW_SHOPIFY_WEBHOOK_SECRET");
  if (*kind == ChannelKind::kWooCommerce) return rd.secret("webhook_secret", "SW_WOO_WEBHOOK_SECRET");
  return std::string();
}

}  // namespace sw::coordinator::channels
