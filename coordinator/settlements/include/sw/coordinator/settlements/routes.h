#pragma once
// HTTP routes for settlement reconciliation (cpp-httplib adapter), installed by
// CoordinatorHttpApi::setSettlements; admin tokens only (payouts are the business's money):
//   GET  /v1/settlements?channel=C&limit=N           payouts newest first, each with its match status
//   GET  /v1/settlements/{channel}/{payout_id}       the payout, every line with its match, the findings
//   POST /v1/settlements/{channel}/fetch[?date_min=YYYY-MM-DD]  fetch from the channel now and match

#include <httplib.h>

#include "sw/coordinator/settlements/settlement_service.h"

namespace sw::coordinator::settlements {

void addRoutes(httplib::Server& server, SettlementService& settlements);

}  // namespace sw::coordinator::settlements
