#pragma once
// Parsing of the local HTTP API's request bodies into event drafts. Pure functions
// (no HTTP, no storage) so they can be unit-tested and fuzzed.

#include <string_view>

#include "sw/agent/store.h"
#include "sw/common/result.h"

namespace sw::agent {

// POST /v1/sales and /v1/returns: {"lines":[{"sku":"SKU-1","qty":2,"unit_price":"9.99"}], "ref"?: uuid}
common::Result<EventDraft> parseSaleRequest(std::string_view body, common::EventType type);
// POST /v1/voids: {"ref":"<event id of the sale>", "reason"?: "..."}
common::Result<EventDraft> parseVoidRequest(std::string_view body);
// POST /v1/movements: {"type":"receive|adjust|count|transfer_out|transfer_in","sku":..,"qty":..}
// adjust: signed qty + reason; count: counted; transfers: other_location (or to / from).
// A "lines" array may replace sku/qty for several SKUs in one movement.
common::Result<EventDraft> parseMovementRequest(std::string_view body);

}  // namespace sw::agent
