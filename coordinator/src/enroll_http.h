#pragma once
// POST /v1/enroll (cpp-httplib adapter), installed by CoordinatorHttpApi::setEnrollment.
//   body {"token":"swe1....","csr_pem":"-----BEGIN CERTIFICATE REQUEST-----..."} (at most 32 KiB)
//   200 {"certificate_pem","ca_pem","not_after_ms","config":{"device_id","location","role","broker_url"}}
//   400/401/409 {"error":{code,kind,message}} (codes in sw/coordinator/enrollment.h)
// This route takes no bearer token: the one-time enrollment token is the credential.

#include <httplib.h>

#include "sw/coordinator/enrollment.h"

namespace sw::coordinator {

void installEnrollRoutes(httplib::Server& server, Enrollment& enrollment);

}  // namespace sw::coordinator
