#pragma once
// HTTP routes of ingest (cpp-httplib adapter, routes.cpp):
//   GET /v1/quarantine[?limit=N&payload_max=B]   messages refused as malformed or invalid, newest
//                                                 first; payloads as text while UTF-8, then base64

#include <httplib.h>

#include "sw/coordinator/ingest/ingest.h"

namespace sw::coordinator {

void addRoutes(httplib::Server& server, IngestService& ingest);

}  // namespace sw::coordinator
