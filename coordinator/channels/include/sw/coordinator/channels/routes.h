#pragma once
// HTTP routes for available-to-sell and the channel push scheduler (see src/routes.cpp):
//   GET  /v1/available?sku=SKU                     per channel: the figure and every term of it, and
//                                                  channel_shows {quantity, at_ms, how}: what the
//                                                  channel last applied, accepted or was read to hold
//   GET  /v1/channels                              per channel: queue, last push, rate state, counts,
//                                                  last reconciliation
//   GET  /v1/channels/dead-letters[?all=1&limit=N] items a channel refused (newest first)
//   POST /v1/channels/dead-letters/{id}/replay     queue that SKU again (with its current figure)
//   POST /v1/channels/{channel}/reconcile[?wait_ms=N]  read every known SKU back and correct drift;
//                                                  200 with the report when done within wait_ms
//                                                  (default 30000), else 202 with progress so far

#include <httplib.h>

#include "sw/coordinator/channels/availability.h"
#include "sw/coordinator/channels/push_scheduler.h"

namespace sw::coordinator {

// push may be null (no channel enabled): the /v1/channels routes then say so.
void addRoutes(httplib::Server& server, Availability& availability, channels::PushScheduler* push);

}  // namespace sw::coordinator
