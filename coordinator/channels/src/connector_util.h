#pragma once
// Helpers shared by the connectors: HTTP status to Error, response JSON parsing,
// idempotency keys for batches. Internal to the channels code.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/result.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/channels/gzip.h"
#include "sw/coordinator/channels/http_client.h"

namespace sw::coordinator::channels::detail {

// First 300 bytes of a body, for messages.
std::string snippet(std::string_view body);

// An HTTP answer that is not a success, as an Error: 401/403 fatal (credentials), 408/429/5xx
// retry, other 4xx reject. `what` names the call ("Shopify graphql").
common::Error statusError(const HttpResponse& r, const std::string& what, const std::string& detail = "");

// The body as JSON; a body that is not JSON is a retry error (a proxy's HTML page, a cut-off answer).
common::Result<nlohmann::json> responseJson(const HttpResponse& r, const std::string& what);

// A UUID-shaped key derived from the given parts (SHA-256), so the same batch of the same
// logical changes gets the same key on every retry.
std::string derivedKey(const std::vector<std::string>& parts);

using channels::gunzip;  // sw/coordinator/channels/gzip.h

// Items that were all refused for one reason.
PushResult allItems(const std::vector<QuantityUpdate>& updates, ItemOutcome outcome, const std::string& code,
                    const std::string& message, int64_t retry_after_ms = 0);

}  // namespace sw::coordinator::channels::detail
