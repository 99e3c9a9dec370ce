#pragma once
// The local API routes for the till's devices (devices.h); routes in src/devices_http.cpp.

#include <httplib.h>

#include "sw/agent/devices.h"

namespace sw::agent {

// Adds /v1/devices, /v1/scale/read, /v1/drawer/open, /v1/receipts, /v1/receipts/{id}/print and
// /v1/scans to server. devices must outlive it.
void installDeviceRoutes(httplib::Server& server, Devices& devices);

}  // namespace sw::agent
