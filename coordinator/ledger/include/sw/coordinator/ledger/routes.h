#pragma once
// HTTP routes that show and explain the ledger's figures (cpp-httplib adapter, routes.cpp):
//   GET /v1/stock?sku=SKU | ?location=LOC                   on hand per location (and in transit) or per SKU
//   GET /v1/events?device=ID[&from_seq=N&limit=M]            a device's applied events, in seq order, paged
//   GET /v1/events?sku=SKU&location=LOC[&after=N&limit=M]    one figure's movement log, paged
//   GET /v1/anomalies[?device=&code=&before=ID&limit=N]      what the ledger could not fully honour
//   GET /v1/discrepancies[?location=&sku=&all=1&tolerance=N] latest count vs expected, with the
//                                                            movements between the counts; and
//                                                            transfers received short or over
//   GET /v1/transfers[?location=&sku=&open=1]                shipments, in transit or received

#include <httplib.h>

#include "sw/coordinator/ledger/ledger.h"

namespace sw::coordinator {

void addRoutes(httplib::Server& server, Ledger& ledger);

}  // namespace sw::coordinator
