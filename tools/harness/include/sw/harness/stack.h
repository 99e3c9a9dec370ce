#pragma once
// Real processes: a coordinator and agents started from our binaries against a private
// Mosquitto, talked to over their HTTP APIs.

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sw/harness/process.h"

namespace sw::test {

struct HttpReply {
  int status = 0;  // 0 when the request could not be made
  nlohmann::json body;
};

// Requests to a port a CoordinatorProc of this process listens on carry that coordinator's admin
// bearer token, unless headers name "Authorization" themselves (an empty value: send none).
HttpReply httpGet(int port, const std::string& path, const std::map<std::string, std::string>& headers = {});
// The body as text (for non-JSON answers such as /metrics); empty if the request failed.
std::string httpGetText(int port, const std::string& path);
HttpReply httpPost(int port, const std::string& path, const std::string& body,
                   const std::map<std::string, std::string>& headers = {});

// Registers a device in the registry of the ledger at `db` (stockwire-coordinator device add), as IT
// does before a device goes live; works before or while the coordinator runs. kind "till" is role pos.
void registerDevice(const std::string& db, const std::string& device_id, const std::string& location,
                    const std::string& kind = "till");

class CoordinatorProc {
 public:
  CoordinatorProc(const TempDir& dir, std::string broker_url, std::map<std::string, std::string> env = {},
                  std::vector<std::string> extra_args = {});
  // extra_env is added to the environment given at construction (e.g. a crash point).
  void start(const std::map<std::string, std::string>& extra_env = {});
  void kill9();
  void stop();  // SIGTERM, waits
  bool running() { return child_.running(); }
  // Waits up to timeout for it to exit by itself: its wait status, or nullopt if still running.
  std::optional<int> wait(std::chrono::milliseconds timeout) { return child_.wait(timeout); }
  pid_t pid() const { return child_.pid(); }
  int port() const { return port_; }
  std::string db() const { return db_; }
  // The ledger on PostgreSQL (serve --db URL --local-db db()); empty: in db() on SQLite.
  void setLedgerUrl(std::string url) { ledger_url_ = std::move(url); }
  // What `verify --db` takes: the PostgreSQL URL, or db().
  std::string ledgerDb() const { return ledger_url_.empty() ? db_ : ledger_url_; }
  const std::string& lastStartLog() const { return last_log_; }
  std::string logs() const { return child_.stderrText(); }
  // on_hand for (sku, location), or nullopt if the ledger has no row.
  std::optional<int64_t> onHand(const std::string& sku, const std::string& location);
  nlohmann::json device(const std::string& device_id);
  // The admin token made (with the CLI) at the first start; httpGet/httpPost send it.
  const std::string& adminToken() const { return admin_token_; }
  // stockwire-coordinator token create on this ledger; throws if it fails.
  std::string createToken(const std::string& name, const std::string& role, const std::string& location = "");

 private:
  std::string dir_;
  std::string broker_url_;
  std::string db_;
  std::string ledger_url_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> extra_args_;
  int port_ = 0;
  int starts_ = 0;
  std::string last_log_;
  std::string admin_token_;
  Child child_;
};

// The bearer token httpGet/httpPost send to port (empty: none); CoordinatorProc sets its own.
void setBearerForPort(int port, const std::string& token);
std::string bearerForPort(int port);

class AgentProc {
 public:
  AgentProc(const TempDir& dir, std::string device_id, std::string location, std::string broker_url,
            std::string kind = "till", std::map<std::string, std::string> env = {},
            std::vector<std::string> extra_args = {});
  // The first start registers the device with the coordinator whose ledger is `registry_db`
  // (default: coordinator.db in the same directory, where CoordinatorProc keeps it; empty: none).
  void start(const std::map<std::string, std::string>& extra_env = {});
  void setRegistryDb(std::string db) { registry_db_ = std::move(db); }
  void kill9();
  void stop();
  bool running() { return child_.running(); }
  pid_t pid() const { return child_.pid(); }
  int port() const { return port_; }
  std::string db() const { return db_; }
  const std::string& deviceId() const { return device_id_; }
  std::string logs() const { return child_.stderrText(); }
  nlohmann::json status();
  // POST /v1/sales with one line; returns the reply.
  HttpReply sell(const std::string& sku, int64_t qty, const std::string& price = "1.00");
  HttpReply movement(const nlohmann::json& body);

 private:
  std::string dir_;
  std::string device_id_;
  std::string location_;
  std::string broker_url_;
  std::string kind_;
  std::string db_;
  std::string registry_db_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> extra_args_;
  int port_ = 0;
  int starts_ = 0;
  Child child_;
};

// Waits until the agent has nothing unacknowledged and the coordinator's ledger has applied up to
// its last seq (GET /v1/devices); false if that did not happen within timeout.
bool waitForSync(CoordinatorProc& coord, AgentProc& agent, std::chrono::milliseconds timeout);

}  // namespace sw::test
