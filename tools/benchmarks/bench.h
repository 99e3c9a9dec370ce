#pragma once
// stockwire-bench: each benchmark prints its figures beside the raw limit measured in the same run.

#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "sw/common/args.h"

#include "sw/common/event.h"

namespace sw::agent {
class Store;
class SyncLoop;
}  // namespace sw::agent
namespace sw::common {
class MqttTransport;
}  // namespace sw::common

namespace sw::bench {

// The drain's workload, also applied by `ledger`: device d (till-0000...) at location
// store-(d % 20) records one-line sales; its i-th sells 1-3 units of one of 5,000 SKUs.
struct DrainWorkload {
  static std::string device(int64_t d);
  static std::string location(int64_t d);
  static common::Line line(int64_t d, int64_t i);
};

int benchCodec(const common::ParsedOptions& options);
int benchDrain(const common::ParsedOptions& options);
int benchLedger(const common::ParsedOptions& options);
int benchChannels(const common::ParsedOptions& options);
int benchAgent(const common::ParsedOptions& options);
int benchFleet(const common::ParsedOptions& options);
int benchRouting(const common::ParsedOptions& options);
int benchScale(const common::ParsedOptions& options);

// Percentile (0-100) of a sample, nearest-rank. The vector is sorted in place.
double percentile(std::vector<double>& v, double p);
// CPU seconds (user + system) a process has used so far, from /proc/PID/stat; -1 if unreadable.
double cpuSeconds(pid_t pid);
// Bytes a process has caused to be written to storage so far (/proc/PID/io); -1 if unreadable.
double writtenBytes(pid_t pid);
// A /proc/PID/status field in KiB (VmRSS, VmHWM), or -1.
long procStatusKib(pid_t pid, const std::string& field);

// One figure from a /metrics page (test::httpGetText(port, "/metrics")); 0 if it is not there.
uint64_t metricValue(const std::string& page, const std::string& name);
// Registers (location, device_id) tills in a coordinator's registry, as IT does before they go
// live (`device import --db db --csv csv_path`; the CSV is written there). false, with the
// reason on stderr, if it fails.
bool importDevices(const std::string& db, const std::vector<std::pair<std::string, std::string>>& tills,
                   const std::string& csv_path);
bool writeText(const std::string& path, const std::string& text);
// Stops every device's sync loop, side by side: Paho pauses about a second in every disconnect
// (paho.mqtt.c issue #889), so stopping 100 devices one after the other took a minute and a half.
void stopSideBySide(std::vector<std::unique_ptr<agent::SyncLoop>>& loops);
// Starts every store's real SyncLoop (state every 5 s) on a Paho transport of its own to
// broker_url, its client id the device's; both are appended to transports and loops.
void startSyncLoops(std::vector<std::unique_ptr<agent::Store>>& stores, const std::string& broker_url,
                    std::vector<std::unique_ptr<common::MqttTransport>>& transports,
                    std::vector<std::unique_ptr<agent::SyncLoop>>& loops);

}  // namespace sw::bench
