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

// Card data is never stored: refuses a draft whose SKUs, reason, reference, other location or
// idempotency key contain a card number or track data (sw/common/card_data.h), with error
// code card_data_refused (HTTP 400) and a message that does not repeat the data. The parse
// functions above call it; call it again after taking an idempotency key from a header.
common::Status checkNoCardData(const EventDraft& draft);

}  // namespace sw::agent
