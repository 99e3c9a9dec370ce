#include "sw/coordinator/api/restore_desk.h"

#include <httplib.h>

#include "sw/common/http_errors.h"
#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/common/log.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/api/access.h"

namespace sw::coordinator {
namespace {

using common::Error;
using nlohmann::json;

constexpr size_t kRunsKept = 16;
constexpr std::string_view kLog = "restore";

}  // namespace

json restoreRunJson(const RestoreRun& run) {
  json j = {{"id", run.id},
            {"from", run.from},
            {"requested_by", run.requested_by},
            {"state", run.state},
            {"requested_at_ms", run.requested_at_ms},
            {"files_changed", run.files_changed},
            {"files", run.files}};
  if (run.finished_at_ms != 0) j["finished_at_ms"] = run.finished_at_ms;
  if (run.error) j["error"] = common::errorBody(*run.error)["error"];
  return j;
}

RestoreDesk::RestoreDesk(const common::Clock& clock, std::function<common::Status(const std::string& from)> prepare,
                         std::function<void()> wake, std::string refusal)
    : clock_(clock), prepare_(std::move(prepare)), wake_(std::move(wake)), refusal_(std::move(refusal)) {}

common::Result<RestoreRun> RestoreDesk::request(const std::string& from, const std::string& who) {
  if (!refusal_.empty()) return Error::reject("postgresql_ledger", refusal_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool open = !runs_.empty() && (runs_.back().state == "ready" || runs_.back().state == "restoring");
    if (preparing_ || open) {
      return Error::reject("restore_in_progress",
                           "a restore is already under way" + (open ? " (" + runs_.back().id + ")" : std::string()) +
                               ": wait for its outcome (GET /v1/admin/restore)");
    }
    preparing_ = true;
  }
  RestoreRun run;
  run.id = common::newUuid();
  run.from = from;
  run.requested_by = who;
  run.requested_at_ms = clock_.nowMs();
  SW_INFO(kLog) << "restore " << run.id << " from " << from << " asked by '" << who << "': checking and staging";
  common::Status staged = prepare_(from);
  std::lock_guard<std::mutex> lock(mu_);
  preparing_ = false;
  if (!staged) {
    SW_WARN(kLog) << "restore " << run.id << " refused: " << staged.error().toString();
    return staged.error();
  }
  run.state = "ready";
  runs_.push_back(run);
  if (runs_.size() > kRunsKept) runs_.erase(runs_.begin());
  wake_();
  return run;
}

bool RestoreDesk::ready() {
  std::lock_guard<std::mutex> lock(mu_);
  return !runs_.empty() && runs_.back().state == "ready";
}

std::optional<RestoreRun> RestoreDesk::takeReady() {
  std::lock_guard<std::mutex> lock(mu_);
  if (runs_.empty() || runs_.back().state != "ready") return std::nullopt;
  runs_.back().state = "restoring";
  return runs_.back();
}

void RestoreDesk::filesReplaced(const std::string& id, std::vector<std::string> files) {
  std::lock_guard<std::mutex> lock(mu_);
  for (RestoreRun& r : runs_) {
    if (r.id != id) continue;
    r.files_changed = true;
    r.files = std::move(files);
  }
}

void RestoreDesk::finish(const std::string& id, const common::Status& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  for (RestoreRun& r : runs_) {
    if (r.id != id) continue;
    r.state = outcome ? "done" : "failed";
    if (!outcome) r.error = outcome.error();
    r.finished_at_ms = clock_.nowMs();
  }
}

std::optional<RestoreRun> RestoreDesk::last() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (runs_.empty()) return std::nullopt;
  return runs_.back();
}

std::optional<RestoreRun> RestoreDesk::find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const RestoreRun& r : runs_) {
    if (r.id == id) return r;
  }
  return std::nullopt;
}

void addRoutes(httplib::Server& server, RestoreDesk& desk) {
  server.Post("/v1/admin/restore", [&desk](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("from") || !body["from"].is_string() ||
        body["from"].get<std::string>().empty()) {
      return common::sendError(res, 400, Error::reject("bad_body", "expected {\"from\": \"/path/to/backup.db\"}"));
    }
    auto run = desk.request(body["from"].get<std::string>(), req.get_header_value(kPrincipalNameHeader));
    if (!run) {
      const Error& e = run.error();
      int status = common::httpStatusFor(e);
      if (e.code == "restore_in_progress" || e.code == "postgresql_ledger") {
        status = 409;
      } else if (e.kind != common::ErrorKind::kRetry) {
        status = 422;  // the backup cannot be restored (bad, corrupt, newer, missing)
      }
      return common::sendError(res, status, e);
    }
    common::sendJson(res, {{"restore", restoreRunJson(*run)}}, 202);
  });
  auto get = [&desk](const httplib::Request& req, httplib::Response& res) {
    std::optional<RestoreRun> run = req.matches.size() > 1 ? desk.find(req.matches[1]) : desk.last();
    if (!run) return common::sendError(res, 404, Error::reject("not_found", "no such restore since this coordinator started"));
    common::sendJson(res, {{"restore", restoreRunJson(*run)}});
  };
  server.Get("/v1/admin/restore", get);
  server.Get(R"(/v1/admin/restore/([0-9a-f-]{36}))", get);
}

}  // namespace sw::coordinator
