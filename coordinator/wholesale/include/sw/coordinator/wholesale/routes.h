#pragma once
// HTTP routes of the wholesale channel (cpp-httplib adapter), installed by
// CoordinatorHttpApi::setWholesale, behind the same access control as every route (any token reads):
//   GET /v1/wholesale/partners                        each partner: ids, folders, counts
//   GET /v1/wholesale/partners/{id}/unacknowledged    our groups (846, 855, 856, 810) without a 997 yet
//   GET /v1/wholesale/partners/{id}/sent?limit=N      the files written to its outbound folder, newest first
//   GET /v1/wholesale/files?partner=ID&limit=N        the received-file log, newest first
//   GET /v1/wholesale/partners/{id}/available?sku=S   available-to-sell for the partner, with every term

#include <httplib.h>

#include "sw/coordinator/wholesale/wholesale_service.h"

namespace sw::coordinator::wholesale {

void addRoutes(httplib::Server& server, WholesaleService& wholesale);

}  // namespace sw::coordinator::wholesale
