#pragma once
// A fleet of simulated devices in one process, each with its own MQTT connection (client id =
// device id), its own SimDevice (outbox, seq, epoch, chain) and its share of the TrafficModel.
//
// Threads: `threads` workers owned here, each an epoll event loop (mqtt_client.h) driving its own
// slice of the devices and their sockets (device i goes to worker i % threads): every tick_ms it
// records the sales that are due, connects (at most connect_per_s fleet-wide, with the agent's
// jittered backoff after a failure), starts and ends offline spells, keeps connections alive and
// pumps every connected device; in between it answers each ack and presence message as it
// arrives. Nothing else runs; no device has a thread of its own.
//
// Phases: start() connects the fleet; startSelling() starts the traffic clock (t = 0);
// stopSelling() records nothing more and ends every offline spell, so each device reconnects and
// drains; stop() publishes each connected device's offline state and disconnects cleanly.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sw/agent/sync.h"
#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/loadgen/report.h"
#include "sw/loadgen/sim_device.h"
#include "sw/loadgen/traffic.h"

namespace sw::loadgen {

struct FleetConfig {
  std::string broker_url;
  std::string prefix = "lg";       // device ids prefix-00000.., stores prefix-store-0000..
  int64_t devices = 100;
  int64_t devices_per_store = 10;
  int threads = 1;
  double connect_per_s = 500;      // connection attempts per second, fleet-wide
  int keepalive_s = 5;             // as stockwire-agent's --keepalive-s default
  int64_t tick_ms = 10;
  agent::SyncConfig sync;          // the agent's defaults
  TrafficConfig traffic;
};

// Device index -> id and store, as the fleet names them (also for `fleet-csv`).
std::string fleetDeviceId(const std::string& prefix, int64_t index);
int64_t fleetStoreIndex(int64_t index, int64_t devices_per_store);
std::string fleetLocation(const std::string& prefix, int64_t store);

// A moment's view of the whole fleet.
struct FleetStatus {
  int64_t devices = 0;
  int64_t connected = 0;        // connection up now
  int64_t ever_connected = 0;   // devices that have connected at least once
  int64_t offline_spell = 0;    // in an offline spell now
  uint64_t connects = 0;        // successful connects, all devices
  uint64_t connect_failures = 0;
  uint64_t unexpected_losses = 0;  // connections lost that the fleet did not drop itself
  uint64_t recorded = 0, acked = 0, batches = 0, acks = 0, rewinds = 0, bad_acks = 0, states = 0;
  int64_t refused = 0;          // devices the coordinator refused
  int64_t drained = 0;          // devices whose every event is acknowledged
  LagSink lag;
};

class Fleet {
 public:
  // A bad broker URL or prefix is a reject error.
  static common::Result<std::unique_ptr<Fleet>> create(FleetConfig config, const common::Clock& clock);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  const FleetConfig& config() const { return config_; }
  void start();
  void startSelling();
  void stopSelling();
  // Publishes each connected device's offline state and disconnects it cleanly.
  void stop();

  FleetStatus status() const;
  // Lag figures count only events acknowledged from now on.
  void resetLag();
  // Every device, as the report lists it.
  std::vector<DeviceReport> devices() const;

 private:
  Fleet(FleetConfig config, const common::Clock& clock);
  class Worker;
  struct FleetShared;
  FleetConfig config_;
  const common::Clock& clock_;
  TrafficModel traffic_;
  std::unique_ptr<FleetShared> shared_;  // the phase, read by every worker
  std::vector<std::unique_ptr<Worker>> workers_;
  bool stopped_ = false;
};

// Raises this process's RLIMIT_NOFILE soft limit to at least `needed` (up to the hard limit).
// Returns the soft limit now in force.
int64_t raiseFileLimit(int64_t needed);

}  // namespace sw::loadgen
