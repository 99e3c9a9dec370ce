#pragma once
// HTTP routes for catalog and prices on the coordinator (cpp-httplib adapter):
//   POST /v1/catalog        JSON lines or CSV -> {"rows","applied","changed","version","errors":[{"row","code","message"}]}
//   POST /v1/prices         same shape
//   POST /v1/price-lists    {"mappings":[{"location","price_list"}]}; GET /v1/price-lists
//   GET  /v1/catalog/{sku-or-gtin}
//   GET  /v1/catalog?q=TEXT[&limit=N]   {"items":[{item..., "match":"prefix"|"partial"}], "truncated"}
//        items whose SKU, name or barcode starts with (first) or holds q, case-insensitively, then
//        by SKU (catalog_search.h); limit 1-500, default 50; q missing, blank, over 64 characters,
//        not UTF-8 or with control characters: 400 (missing_param, bad_param)
//   GET  /v1/prices?sku=SKU&location=LOC   current effective price, base, active and scheduled promotions
// An upload with some bad rows applies the good ones and answers 200 with the errors; one
// where no row could be applied answers 422. Whole-upload problems: 415 (content type), 400
// (header, empty), 413 (body_too_large, too_many_rows).

#include <httplib.h>

#include <functional>
#include <string>
#include <vector>

#include "sw/common/clock.h"
#include "sw/coordinator/catalog/catalog.h"

namespace sw::coordinator {

// changed(locations) after an import changed something (empty: every location).
void addRoutes(httplib::Server& server, SqliteCatalog& catalog, const common::Clock& clock,
                          CatalogHttpConfig config, std::function<void(const std::vector<std::string>&)> changed);

}  // namespace sw::coordinator
