#pragma once
// HTTP routes of the fleet (cpp-httplib adapter, routes.cpp).
//
// addRoutes(server, enrollment), installed by CoordinatorHttpApi::setEnrollment:
//   POST /v1/enroll   body {"token":"swe1....","csr_pem":"-----BEGIN CERTIFICATE REQUEST-----..."} (at most 32 KiB)
//     200 {"certificate_pem","ca_pem","not_after_ms","config":{"device_id","location","role","broker_url"}}
//     400/401/409 {"error":{code,kind,message}} (codes in sw/coordinator/fleet/enrollment.h)
//   This route takes no bearer token: the one-time enrollment token is the credential.
//
// addRoutes(server, ledger, clock, limits, held, cert), always installed:
//   GET /v1/devices   devices by store then id: sync position, what each last reported (software
//                     version, disk time left, last error), exposure, its certificate (from the
//                     registry), alerts. Filters: device=ID, location=L, q=TEXT (part of the id,
//                     store, kind or version, any case), state=online|offline|alerts|critical;
//                     paging: limit=1..1000 (none: all) and offset. The answer also has total,
//                     matched, offset, limit and a summary of the whole fleet (devices, online,
//                     offline, critical, warning, unsynced_events, stores), whatever the filters.
//   GET /v1/alerts    every device alert (offline_long, unsynced_too_old, queue_too_deep, disk_low,
//                     disk_filling, clock_skew, cert_expiring, cert_expired, ...)

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sw/common/clock.h"
#include "sw/coordinator/fleet/enrollment.h"
#include "sw/coordinator/fleet/exposure.h"
#include "sw/coordinator/fleet/registry.h"
#include "sw/coordinator/ledger/ledger.h"

namespace sw::coordinator {

// Events of a device held behind a gap (ingest's sequencer); may be empty.
using HeldCount = std::function<uint64_t(const std::string& device_id)>;
// The registry's record of a device (its certificate); may be empty.
using CertLookup = std::function<std::optional<RegisteredDevice>(const std::string& device_id)>;

void addRoutes(httplib::Server& server, Enrollment& enrollment);
void addRoutes(httplib::Server& server, Ledger& ledger, const common::Clock& clock, ExposureLimits limits,
               HeldCount held, CertLookup cert);

}  // namespace sw::coordinator
