#include "sw/coordinator/ingest/routes.h"

#include <nlohmann/json.hpp>

#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/common/json_text.h"

namespace sw::coordinator {
namespace {

using nlohmann::json;
using common::sendJson;

void quarantine(Ledger& ledger, const httplib::Request& req, httplib::Response& res) {
  auto limit = common::queryInt(req, "limit", 100, 1, 10'000);
  if (!limit) return common::sendError(res, limit.error());
  auto payload_max = common::queryInt(req, "payload_max", 1024, 0, 1 << 20);
  if (!payload_max) return common::sendError(res, payload_max.error());
  auto rows = ledger.quarantine(*limit);
  if (!rows) return common::sendError(res, rows.error());
  // Anything here may be any bytes a client published. The payload is shown as text while it
  // is UTF-8 and in base64 from its first bad byte on (bytesJson says which); the other
  // fields are dumped with U+FFFD for bad bytes (toJsonText).
  json out = json::array();
  for (const QuarantineRow& q : *rows) {
    out.push_back({{"received_at_ms", q.received_at_ms}, {"topic", q.topic}, {"device_id", q.device_id},
                   {"code", q.code}, {"reason", q.reason}, {"payload_bytes", q.payload.size()},
                   {"payload", common::bytesJson(q.payload, static_cast<size_t>(*payload_max))}});
  }
  sendJson(res, {{"quarantined", out}});
}

}  // namespace

void addRoutes(httplib::Server& server, IngestService& ingest) {
  server.Get("/v1/quarantine", [&ingest](const httplib::Request& req, httplib::Response& res) {
    quarantine(ingest.ledger(), req, res);
  });
}

}  // namespace sw::coordinator
