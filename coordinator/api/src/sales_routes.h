#pragma once
// GET /v1/reports/sales and GET /v1/exports/journal (coordinator/README.md "Sales report" and
// "Accounting export"): the revenue lines (orders/revenue.h) as a report and as a daily journal.
// Private to sw_api.

#include <httplib.h>

#include <map>
#include <string>

#include "kpis.h"
#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/coordinator/orders/revenue.h"

namespace sw::coordinator {

// A request's query parameters by name; a parameter given twice is bad_param.
common::Result<std::map<std::string, std::string>> singleParams(const httplib::Request& req);

// extras.orders is read at each request (the fulfilment accuracy and return rate of /v1/kpis).
void addSalesRoutes(httplib::Server& server, Ledger& ledger, const common::Clock& clock, const KpiRouteExtras& extras,
                    RevenueBook& revenue);

}  // namespace sw::coordinator
