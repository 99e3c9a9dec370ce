#pragma once
// What a load generator run reports: per device what it recorded, sent and had acknowledged,
// and the fleet's totals and lag. Written as JSON (--report FILE), read back by parseReport() (a
// test or a later check), and compared with the coordinator's GET /v1/devices: the ledger must
// hold, for every device, exactly what the coordinator acknowledged to it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"

namespace sw::loadgen {

struct DeviceReport {
  std::string device_id;
  std::string location;
  std::string epoch;
  uint64_t recorded = 0;      // last seq recorded (seqs are 1..recorded)
  uint64_t highest_sent = 0;
  uint64_t acked = 0;         // last seq acknowledged as applied
  int64_t recorded_units = 0;  // on-hand change of all events recorded (sales < 0, returns > 0)
  int64_t acked_units = 0;     // ...of those acknowledged
  uint64_t batches = 0;
  uint64_t rewinds = 0;
  uint64_t resend_requests = 0;
  uint64_t bad_acks = 0;
  uint64_t states = 0;
  uint64_t connects = 0;
  uint64_t losses = 0;        // connections lost that the fleet did not drop itself
  uint64_t offline_spells = 0;
  std::string refused;        // why the coordinator refused the device, if it did
  bool operator==(const DeviceReport&) const = default;
};

struct LagFigures {
  uint64_t count = 0;
  int64_t p50_ms = 0;
  int64_t p99_ms = 0;
  int64_t max_ms = 0;
  bool operator==(const LagFigures&) const = default;
};

struct RunReport {
  std::string broker;
  std::string prefix;
  double selling_s = 0;       // how long the fleet recorded sales
  double drain_s = 0;         // from the end of selling until every device was drained (or gave up)
  bool drained = false;       // every device had everything it recorded acknowledged
  LagFigures live;            // occurred -> ack received, events recorded while connected
  LagFigures catch_up;        // the same, events recorded while offline
  std::vector<DeviceReport> devices;
  bool operator==(const RunReport&) const = default;
};

std::string reportToJson(const RunReport& report);
// Reads a report back. Anything that is not a report as reportToJson writes it (not JSON, a field
// missing or of another type, a negative count, acked above recorded, an invalid or repeated
// device id) is a reject error naming the field; nothing is partly read.
common::Result<RunReport> parseReport(std::string_view text);

struct LedgerMismatch {
  std::string device_id;
  uint64_t acked = 0;         // what the device had acknowledged
  int64_t ledger = -1;        // the coordinator's last_applied_seq (-1: the device is not listed)
  std::string why;
};
// Compares the report with a GET /v1/devices answer ({"devices":[{"device_id","last_applied_seq",
// "epoch",...}]}): one mismatch for each device of the report whose applied seq or epoch in the
// ledger is not what it was acknowledged. A ledger ahead of the last ack is reported too (the
// coordinator applied events whose ack did not arrive before the run ended). A malformed answer
// is a reject error.
common::Result<std::vector<LedgerMismatch>> compareWithDevices(const RunReport& report, std::string_view devices_json);

}  // namespace sw::loadgen
