#pragma once
// Device side of the downlink (protocol: common/downlink.h). Handlers own one kind of data each
// and write pages into the store; this client decides what to ask for: it follows the retained
// notices of its locations, and whenever a kind's version there is newer than what the store
// holds (or a snapshot or a run of changes is half-way), it asks for the next page. A page and
// the new version are written in one transaction, so a crash never leaves a gap; a request
// without an answer is asked again after request_timeout_ms. It also asks for the changes after
// the version it holds when a handler says the copy lacks own events the coordinator has applied
// (see ownAppliedNotInCopy): those need not change the version.
//
// Threads: the transport's callback thread only queues; one worker thread owned here applies
// pages and sends requests.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sw/agent/store.h"
#include "sw/common/clock.h"
#include "sw/common/downlink.h"
#include "sw/common/mqtt.h"

namespace sw::agent {

class DownlinkHandler {
 public:
  virtual ~DownlinkHandler() = default;
  virtual std::string kind() const = 0;
  // Writes one page inside the client's transaction. generation is the snapshot version the
  // copy belongs to (rows of older generations are removed by finishSnapshot).
  virtual common::Status apply(common::SqliteDb& db, const common::DownPage& page, int64_t generation) = 0;
  // The last page of a snapshot arrived: drop what the new snapshot did not contain.
  virtual common::Status finishSnapshot(common::SqliteDb& db, const std::string& location, int64_t generation) = 0;
  // For kinds whose pages depend on this device's own events: the newest of them that the
  // coordinator has acknowledged as applied but the copy at `location` does not reflect yet, or
  // 0. Applying an event may change no figure (a sale that a later count absorbed), and then no
  // notice announces a new version, so the client asks for the changes after the version it
  // holds instead. Called on the client's worker thread, under the store's lock.
  virtual common::Result<uint64_t> ownAppliedNotInCopy(common::SqliteDb& /*db*/, const std::string& /*location*/) {
    return uint64_t{0};
  }
};

// What this device holds of one kind at one location.
struct DownState {
  int64_t version = 0;
  int64_t snapshot_version = 0;  // generation of the copy; while a snapshot is half-way, the one in progress
  std::string cursor;            // a snapshot ("s:...") or a run of changes ("d:...") half-way
  int64_t target = 0;            // the newest version a notice announced
  int64_t updated_at_ms = 0;
  // Pages applied since this process started: a device back from a week away should show
  // deltas here, not a snapshot (for /v1/status, not stored).
  uint64_t snapshot_pages = 0;
  uint64_t delta_pages = 0;
};

struct DownlinkClientConfig {
  int64_t request_timeout_ms = 5000;
};

class DownlinkClient {
 public:
  DownlinkClient(Store& store, common::MqttTransport& transport, const common::Clock& clock,
                 std::vector<std::string> locations, DownlinkClientConfig config = {});
  ~DownlinkClient();
  DownlinkClient(const DownlinkClient&) = delete;
  DownlinkClient& operator=(const DownlinkClient&) = delete;

  void addHandler(DownlinkHandler& handler);  // before start()
  void start();                               // before the transport starts
  void stop();
  // (kind, location) -> state, for /v1/status.
  std::map<std::pair<std::string, std::string>, DownState> states();

 private:
  struct Inbound {
    std::string topic;
    std::string payload;
  };
  void run();
  void handle(const Inbound& msg);
  void applyPage(const common::DownPage& page);
  void askWhatIsNeeded();
  common::Status loadStates();
  common::Status saveState(common::SqliteDb& db, const std::string& kind, const std::string& location,
                           const DownState& st);

  Store& store_;
  common::MqttTransport& transport_;
  const common::Clock& clock_;
  std::vector<std::string> locations_;
  DownlinkClientConfig config_;
  std::map<std::string, DownlinkHandler*> handlers_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Inbound> inbound_;
  bool stop_ = false;
  bool reconnected_ = false;
  std::thread thread_;
  std::map<std::pair<std::string, std::string>, DownState> states_;  // guarded by mu_
  std::map<std::pair<std::string, std::string>, int64_t> asked_at_;  // worker thread only
  struct Refresh {
    uint64_t own_seq = 0;  // asked so that the copy includes own events up to here
    int64_t at_mono = 0;
  };
  std::map<std::pair<std::string, std::string>, Refresh> refreshed_;  // worker thread only
};

// The "stock" kind: the coordinator's on-hand per SKU for this device's locations.
class StockViewHandler final : public DownlinkHandler {
 public:
  std::string kind() const override { return "stock"; }
  common::Status apply(common::SqliteDb& db, const common::DownPage& page, int64_t generation) override;
  common::Status finishSnapshot(common::SqliteDb& db, const std::string& location, int64_t generation) override;
  // Own moves at the location with a seq the coordinator acknowledged and the view's
  // device_applied_seq does not include: the estimate would count them twice.
  common::Result<uint64_t> ownAppliedNotInCopy(common::SqliteDb& db, const std::string& location) override;
};

}  // namespace sw::agent
