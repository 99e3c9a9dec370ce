#pragma once
// Builds a connector from a JSON channel config. Credentials come from the config file (kept
// outside the repository) or from environment variables, never from the code:
//   {"channel":"shopify","base_url":"https://shop.myshopify.com","api_version":"2026-04",
//    "location_id":"gid://shopify/Location/1","access_token_env":"SW_SHOPIFY_ACCESS_TOKEN"}
// For each secret "x": "x" gives it literally, "x_env" names the variable, and without either
// the default variable is read (SW_SHOPIFY_ACCESS_TOKEN, SW_SHOPIFY_WEBHOOK_SECRET,
// SW_AMAZON_ACCESS_TOKEN, SW_EBAY_ACCESS_TOKEN, SW_WOO_CONSUMER_KEY, SW_WOO_CONSUMER_SECRET,
// SW_WOO_WEBHOOK_SECRET, SW_WALMART_CLIENT_ID, SW_WALMART_CLIENT_SECRET). Unknown keys are errors, so a typo does not pass silently.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/channels/connector.h"

namespace sw::coordinator::channels {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
std::optional<std::string> processEnv(const std::string& name);

common::Result<std::unique_ptr<ChannelConnector>> makeConnector(const nlohmann::json& config, const common::Clock& clock,
                                                                const EnvLookup& env = processEnv);

// The webhook secret for a Shopify or WooCommerce config ("" for channels without webhooks).
common::Result<std::string> webhookSecret(const nlohmann::json& config, const EnvLookup& env = processEnv);

}  // namespace sw::coordinator::channels
