#pragma once
// A restore asked of a running coordinator (POST /v1/admin/restore, admin tokens only), from the
// request to its outcome. The desk outlives the service graph it restores: `serve` builds the
// graph (ledger, ingest, orders, channels, catalog, registry, access, KPI history, the API
// itself), and when a restore is ready it tears the whole graph down, puts the backup in place
// and builds it again on the restored files, so every cache is the restored files' (main/).
//
//   POST /v1/admin/restore {"from": "/path/to/backup.db"}
//     checks the backup and stages its files beside the live ones while the coordinator goes on
//     serving (prepare), then answers 202 {"restore": {"id", "state": "ready", ...}} and wakes
//     serve's main thread. Refused, with nothing changed: 400 bad body, 409 `restore_in_progress`
//     or `postgresql_ledger`, 422 for a backup that cannot be restored (its error's code:
//     `not_found`, `not_a_ledger`, `corrupt_database`, `schema_too_new`, `same_file`), 5xx when
//     staging failed (disk full: 507).
//   GET /v1/admin/restore[/{id}]   the last (or that) restore: state `ready` (staged, waiting for
//     the main thread), `restoring` (service stopped, files being put in place, service being
//     rebuilt), `done` (serving from the restored files; devices asked to resend) or `failed`
//     (with the error; `files_changed` says whether the live files were replaced).
//
// Between 202 and `done` the API is down for a moment (it is rebuilt too): a client polls the
// GET through connection errors. The desk is in memory: a coordinator that exits (or crashes)
// forgets it, and finishes a committed restore at its next start (main/restore_files.h).

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/clock.h"
#include "sw/common/result.h"

namespace httplib {
class Server;
}

namespace sw::coordinator {

struct RestoreRun {
  std::string id;
  std::string from;
  std::string requested_by;  // the token's name
  std::string state;         // ready, restoring, done, failed
  int64_t requested_at_ms = 0;
  int64_t finished_at_ms = 0;
  bool files_changed = false;       // the live files were replaced by the backup's
  std::vector<std::string> files;   // what was put in place (or removed)
  std::optional<common::Error> error;
};
nlohmann::json restoreRunJson(const RestoreRun& run);

class RestoreDesk {
 public:
  // prepare(from): checks the backup and stages it (the coordinator keeps serving meanwhile);
  // wake(): tells serve's main thread a restore is ready. refusal: why restores are refused
  // here at all (a PostgreSQL ledger), empty when they are not.
  RestoreDesk(const common::Clock& clock, std::function<common::Status(const std::string& from)> prepare,
              std::function<void()> wake, std::string refusal = "");

  // From an HTTP worker: runs prepare, and when it succeeds the run is `ready` and serve is woken.
  // The run is returned either way (a refused one is `failed`, not kept as the last run).
  common::Result<RestoreRun> request(const std::string& from, const std::string& who);
  // serve's main thread: whether a run is ready; take it (its state becomes `restoring`).
  bool ready();
  std::optional<RestoreRun> takeReady();
  // serve's main thread, as it goes: the files are in place (or not), then the rebuilt service
  // serves (`done`), or the run failed.
  void filesReplaced(const std::string& id, std::vector<std::string> files);
  void finish(const std::string& id, const common::Status& outcome);

  std::optional<RestoreRun> last() const;
  std::optional<RestoreRun> find(const std::string& id) const;

 private:
  const common::Clock& clock_;
  std::function<common::Status(const std::string&)> prepare_;
  std::function<void()> wake_;
  std::string refusal_;
  mutable std::mutex mu_;
  bool preparing_ = false;
  std::vector<RestoreRun> runs_;  // oldest first; at most the last few kept
};

// POST /v1/admin/restore, GET /v1/admin/restore and /v1/admin/restore/{id} (access_policy.h:
// admin tokens only).
void addRoutes(httplib::Server& server, RestoreDesk& desk);

}  // namespace sw::coordinator
