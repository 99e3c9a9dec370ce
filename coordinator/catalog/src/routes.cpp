#include "sw/coordinator/catalog/routes.h"

#include <nlohmann/json.hpp>

#include "sw/common/event.h"
#include "sw/common/http_errors.h"
#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/common/json_text.h"
#include "sw/common/log.h"
#include "sw/coordinator/api/access.h"

namespace sw::coordinator {

using common::Error;
using nlohmann::json;
using common::sendJson;

namespace {

// GET /v1/catalog?q=: how many items an answer holds unless told, and at most.
constexpr int64_t kSearchDefaultLimit = 50;
constexpr int64_t kSearchMaxLimit = 500;

// Row errors quote the upload, which may not be UTF-8: never let that fail the answer.

void sendStatus(httplib::Response& res, int status, const Error& e) {
  res.status = status;
  res.set_content(common::errorJson(e), "application/json");
}

json itemJson(const CatalogItem& it) {
  json j = {{"sku", it.sku},       {"gtins", it.gtins},         {"name", it.name},
            {"unit", it.unit},     {"weight_priced", it.weight_priced}, {"tax_class", it.tax_class},
            {"active", it.active}, {"version", it.version},     {"updated_at_ms", it.updated_at_ms}};
  if (it.ship_weight_g > 0) j["weight_kg"] = static_cast<double>(it.ship_weight_g) / 1000.0;
  return j;
}

json entryJson(const common::PriceEntry& e) {
  json j = {{"origin", e.origin}, {"price", e.price.toString()}, {"currency", e.currency}};
  if (!e.promotion.empty()) {
    j["promotion"] = e.promotion;
    j["starts_at"] = common::formatIsoUtcMs(e.starts_at_ms);
    j["ends_at"] = common::formatIsoUtcMs(e.ends_at_ms);
  }
  return j;
}

json outcomeJson(const ImportOutcome& o) {
  json errors = json::array();
  for (const RowError& e : o.errors) errors.push_back({{"row", e.row}, {"code", e.code}, {"message", e.message}});
  return {{"rows", o.rows},       {"applied", o.applied}, {"changed", o.changed},
          {"rejected", o.errors.size()}, {"version", o.version}, {"errors", errors}};
}

// Reads the body up to the limit; false (and a 413 or 415 sent) when it will not be imported.
// A refused body is still read to its end, without keeping it, so the client sees the answer
// instead of a reset connection while it is still sending.
bool readUpload(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                size_t max_bytes, ImportFormat* format, std::string* body) {
  auto f = importFormatFor(req.get_header_value("Content-Type"));
  bool over = false;
  reader([&](const char* data, size_t len) {
    if (!f || over) return true;
    if (body->size() + len > max_bytes) {
      over = true;
      std::string().swap(*body);
      return true;
    }
    body->append(data, len);
    return true;
  });
  if (!f) {
    sendStatus(res, 415, Error::reject("unsupported_media_type",
                                       "send Content-Type text/csv (with a header row), application/x-ndjson or "
                                       "application/jsonl"));
    return false;
  }
  if (over) {
    sendStatus(res, 413, Error::reject("body_too_large", "the upload is larger than " + std::to_string(max_bytes) +
                                                             " bytes; split it into several uploads"));
    return false;
  }
  if (auto enc = checkUploadEncoding(*body, req.get_header_value("Content-Type")); !enc) {
    sendStatus(res, 400, enc.error());
    return false;
  }
  *format = *f;
  return true;
}

template <typename Parsed>
void answerImport(httplib::Response& res, const common::Result<Parsed>& parsed,
                  const std::function<common::Result<ImportOutcome>(const Parsed&)>& apply,
                  const std::function<void(const std::vector<std::string>&)>& changed, const char* what) {
  if (!parsed) {
    int status = parsed.error().code == "too_many_rows" ? 413 : 400;
    return sendStatus(res, status, parsed.error());
  }
  auto out = apply(*parsed);
  if (!out) return common::sendError(res, out.error());
  if (out->changed > 0 && changed) {
    if (out->all_locations) changed({});
    else if (!out->locations.empty()) changed(out->locations);
  }
  SW_INFO("catalog") << what << " import: " << out->rows << " rows, " << out->applied << " applied, " << out->changed
                     << " changed, " << out->errors.size() << " rejected, version " << out->version;
  sendJson(res, outcomeJson(*out), out->applied == 0 && !out->errors.empty() ? 422 : 200);
}

}  // namespace

void addRoutes(httplib::Server& server, SqliteCatalog& catalog, const common::Clock& clock,
                          CatalogHttpConfig config, std::function<void(const std::vector<std::string>&)> changed) {
  server.Post("/v1/catalog", [&catalog, config, changed](const httplib::Request& req, httplib::Response& res,
                                                         const httplib::ContentReader& reader) {
    ImportFormat format;
    std::string body;
    if (!readUpload(req, res, reader, config.max_body_bytes, &format, &body)) return;
    answerImport<ParsedImport<CatalogRow>>(
        res, parseCatalogImport(body, format, config.limits),
        [&](const ParsedImport<CatalogRow>& p) { return catalog.importCatalog(p); }, changed, "catalog");
  });
  server.Post("/v1/prices", [&catalog, config, changed](const httplib::Request& req, httplib::Response& res,
                                                        const httplib::ContentReader& reader) {
    ImportFormat format;
    std::string body;
    if (!readUpload(req, res, reader, config.max_body_bytes, &format, &body)) return;
    auto parsed = parsePriceImport(body, format, config.limits);
    // A store manager changes its own store's prices only: one row for anything else refuses
    // the whole upload (access_policy.h).
    if (parsed && req.get_header_value(kPrincipalRoleHeader) == roleName(Role::kStoreManager)) {
      const std::string own = req.get_header_value(kPrincipalLocationHeader);
      for (const PriceRow& row : parsed->rows) {
        if (row.location != own) {
          return sendStatus(res, 403,
                            Error::reject("forbidden", "row " + std::to_string(row.row) + ": a store_manager token for " +
                                                           own + " may set prices of location " + own +
                                                           " only (not " + (row.location.empty() ? "price list " + row.price_list : row.location) +
                                                           "); nothing was changed"));
        }
      }
    }
    answerImport<ParsedImport<PriceRow>>(
        res, parsed,
        [&](const ParsedImport<PriceRow>& p) { return catalog.importPrices(p); }, changed, "prices");
  });
  server.Post("/v1/price-lists", [&catalog, changed](const httplib::Request& req, httplib::Response& res) {
    const char* shape = R"({"mappings":[{"location":"..","price_list":".."}]})";
    auto parsed = common::parseJsonObjectBody(req.body, shape);
    if (!parsed) return common::sendError(res, parsed.error());
    const json& j = *parsed;
    if (!j.contains("mappings") || !j["mappings"].is_array()) {
      return common::sendError(res, Error::reject("no_mappings", std::string("'mappings' must be an array; send ") + shape));
    }
    std::vector<PriceListMapping> maps;
    for (const json& m : j["mappings"]) {
      if (!m.is_object() || !m.contains("location") || !m["location"].is_string() || !m.contains("price_list") ||
          !m["price_list"].is_string() || !common::isValidId(m["location"].get<std::string>()) ||
          !common::isValidId(m["price_list"].get<std::string>())) {
        return common::sendError(res, Error::reject("bad_mapping", "each mapping needs location and price_list, "
                                                                   "1-64 of [A-Za-z0-9._:-]; nothing was changed"));
      }
      maps.push_back({m["location"].get<std::string>(), m["price_list"].get<std::string>()});
    }
    auto out = catalog.setPriceLists(maps);
    if (!out) return common::sendError(res, out.error());
    if (out->changed > 0 && changed) changed(out->locations);
    sendJson(res, outcomeJson(*out));
  });
  server.Get("/v1/price-lists", [&catalog](const httplib::Request&, httplib::Response& res) {
    auto maps = catalog.priceLists();
    if (!maps) return common::sendError(res, maps.error());
    json out = json::array();
    for (const auto& m : *maps) out.push_back({{"location", m.location}, {"price_list", m.price_list}});
    sendJson(res, {{"default", "default"}, {"mappings", out}});
  });
  // The console's stock search. Reads only, so it is not audited (as no GET is).
  server.Get("/v1/catalog", [&catalog](const httplib::Request& req, httplib::Response& res) {
    auto limit = common::queryInt(req, "limit", kSearchDefaultLimit, 1, kSearchMaxLimit);
    if (!limit) return common::sendError(res, limit.error());
    auto found = catalog.search(req.get_param_value("q"), static_cast<size_t>(*limit));
    if (!found) return common::sendError(res, found.error());
    json items = json::array();
    for (const CatalogHit& h : found->hits) {
      json j = itemJson(h.item);
      j["match"] = searchMatchName(h.match);
      items.push_back(std::move(j));
    }
    sendJson(res, {{"items", items}, {"truncated", found->truncated}});
  });
  server.Get(R"(/v1/catalog/([^/]{1,64}))", [&catalog](const httplib::Request& req, httplib::Response& res) {
    auto it = catalog.item(req.matches[1].str());
    if (!it) return common::sendError(res, it.error());
    if (!*it) return common::sendError(res, Error::reject("not_found", "no item with this SKU or GTIN"));
    sendJson(res, itemJson(**it));
  });
  server.Get("/v1/prices", [&catalog, &clock](const httplib::Request& req, httplib::Response& res) {
    std::string sku = req.get_param_value("sku");
    std::string loc = req.get_param_value("location");
    if (!common::isValidSku(sku) || !common::isValidId(loc)) {
      return common::sendError(res, Error::reject("missing_param", "give ?sku=SKU&location=LOC"));
    }
    auto entries = catalog.priceEntries(sku, loc);
    if (!entries) return common::sendError(res, entries.error());
    int64_t now = clock.nowMs();
    common::EffectivePrice p = common::resolvePrice(*entries, now);
    json active = json::array(), scheduled = json::array();
    for (const auto& e : p.active) active.push_back(entryJson(e));
    for (const auto& e : p.scheduled) scheduled.push_back(entryJson(e));
    sendJson(res, {{"sku", sku},
                   {"location", loc},
                   {"price_list", catalog.priceListOf(loc)},
                   {"at", common::formatIsoUtcMs(now)},
                   {"current", p.current ? entryJson(*p.current) : json(nullptr)},
                   {"base", p.base ? entryJson(*p.base) : json(nullptr)},
                   {"active", active},
                   {"scheduled", scheduled}});
  });
}

}  // namespace sw::coordinator
