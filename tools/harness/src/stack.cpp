#include "sw/harness/stack.h"

#include <signal.h>

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

#include "sw/common/http_socket.h"

namespace sw::test {

namespace {

std::mutex g_bearer_mu;
std::map<int, std::string> g_bearer;  // port -> token (test harness only: one table for every helper)

httplib::Headers withBearer(int port, const std::map<std::string, std::string>& headers) {
  httplib::Headers h(headers.begin(), headers.end());
  auto it = h.find("Authorization");
  if (it == h.end()) {
    std::string token = bearerForPort(port);
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  } else if (it->second.empty()) {
    h.erase(it);
  }
  return h;
}

HttpReply toReply(const httplib::Result& r) {
  HttpReply out;
  if (!r) return out;
  out.status = r->status;
  out.body = nlohmann::json::parse(r->body, nullptr, false);
  return out;
}

}  // namespace

void setBearerForPort(int port, const std::string& token) {
  std::lock_guard lock(g_bearer_mu);
  if (token.empty()) {
    g_bearer.erase(port);
  } else {
    g_bearer[port] = token;
  }
}

std::string bearerForPort(int port) {
  std::lock_guard lock(g_bearer_mu);
  auto it = g_bearer.find(port);
  return it == g_bearer.end() ? std::string() : it->second;
}

HttpReply httpGet(int port, const std::string& path, const std::map<std::string, std::string>& headers) {
  httplib::Client c = common::makeHttpClient("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(10);
  return toReply(c.Get(path, withBearer(port, headers)));
}

std::string httpGetText(int port, const std::string& path) {
  httplib::Client c = common::makeHttpClient("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(10);
  auto r = c.Get(path, withBearer(port, {}));
  return r ? r->body : std::string();
}

HttpReply httpPost(int port, const std::string& path, const std::string& body,
                   const std::map<std::string, std::string>& headers) {
  httplib::Client c = common::makeHttpClient("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(10);
  return toReply(c.Post(path, withBearer(port, headers), body, "application/json"));
}

void registerDevice(const std::string& db, const std::string& device_id, const std::string& location,
                    const std::string& kind) {
  const std::string role = kind == "handheld" ? "handheld" : "pos";
  auto child = Child::spawn({coordinatorBinary(), "device", "add", "--db", db, "--device", device_id, "--location",
                             location, "--role", role},
                            db + ".register-" + device_id);
  auto rc = child.wait(std::chrono::seconds(30));
  if (!rc || *rc != 0) {
    throw std::runtime_error("cannot register " + device_id + " in " + db + ": " + child.stderrText());
  }
}

CoordinatorProc::CoordinatorProc(const TempDir& dir, std::string broker_url, std::map<std::string, std::string> env,
                                 std::vector<std::string> extra_args)
    : dir_(dir.path()),
      broker_url_(std::move(broker_url)),
      db_(dir.file("coordinator.db")),
      env_(std::move(env)),
      extra_args_(std::move(extra_args)) {}

std::string CoordinatorProc::createToken(const std::string& name, const std::string& role,
                                         const std::string& location) {
  std::vector<std::string> argv = {coordinatorBinary(), "token", "create", "--db", db_, "--name", name, "--role", role};
  if (!location.empty()) {
    argv.push_back("--location");
    argv.push_back(location);
  }
  Child c = Child::spawn(argv, dir_ + "/token-" + name);
  auto status = c.wait(std::chrono::seconds(20));
  std::string out = c.stdoutText();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (!status || *status != 0 || out.empty()) {
    throw std::runtime_error("token create " + name + " failed: " + c.stderrText());
  }
  return out;
}

void CoordinatorProc::start(const std::map<std::string, std::string>& extra_env) {
  if (port_ == 0) port_ = freePort();
  if (admin_token_.empty()) {
    // Several CoordinatorProcs may share one ledger file, one after the other: names are unique.
    static std::atomic<int> made{0};
    admin_token_ = createToken("harness-admin-" + std::to_string(getpid()) + "-" + std::to_string(++made), "admin");
  }
  setBearerForPort(port_, admin_token_);
  auto env = env_;
  env.insert(extra_env.begin(), extra_env.end());
  std::vector<std::string> argv = {coordinatorBinary(), "serve", "--broker", broker_url_, "--db", db_,
                                   "--http", "127.0.0.1:" + std::to_string(port_), "--reorder-timeout-ms", "300"};
  if (!ledger_url_.empty()) {
    argv[5] = ledger_url_;
    argv.insert(argv.end(), {"--local-db", db_});
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  // Named by the client id when it is not the default one, so two coordinators sharing a directory
  // keep their logs apart.
  std::string name = "coordinator";
  for (size_t i = 0; i + 1 < extra_args_.size(); ++i) {
    if (extra_args_[i] == "--client-id") name += "-" + extra_args_[i + 1];
  }
  last_log_ = dir_ + "/" + name + "." + std::to_string(++starts_);
  child_ = Child::spawn(argv, last_log_, env);
  if (child_.waitForHttpPort(std::chrono::seconds(20)) != port_) {
    throw std::runtime_error("coordinator did not start: " + child_.stderrText());
  }
  // Give it a moment to reach the broker and subscribe, so that what is published next is heard
  // (best effort: the broker may be down on purpose).
  // The body is null when the request fails (the coordinator may die at a crash point meanwhile).
  waitFor(
      [&] {
        const auto body = httpGet(port_, "/healthz").body;
        return body.is_object() && body.value("mqtt_connected", false);
      },
      std::chrono::seconds(5),
          std::chrono::milliseconds(20));
}

void CoordinatorProc::kill9() { child_.kill(SIGKILL); }
void CoordinatorProc::stop() { child_.kill(SIGTERM); }

std::optional<int64_t> CoordinatorProc::onHand(const std::string& sku, const std::string& location) {
  auto r = httpGet(port_, "/v1/stock?sku=" + sku);
  if (r.status != 200) return std::nullopt;
  for (const auto& l : r.body["locations"]) {
    if (l["location"] == location) return l["on_hand"].get<int64_t>();
  }
  return std::nullopt;
}

nlohmann::json CoordinatorProc::device(const std::string& device_id) {
  auto r = httpGet(port_, "/v1/devices");
  if (r.status != 200) return nullptr;
  for (const auto& d : r.body["devices"]) {
    if (d["device_id"] == device_id) return d;
  }
  return nullptr;
}

AgentProc::AgentProc(const TempDir& dir, std::string device_id, std::string location, std::string broker_url,
                     std::string kind, std::map<std::string, std::string> env, std::vector<std::string> extra_args)
    : dir_(dir.path()),
      device_id_(std::move(device_id)),
      location_(std::move(location)),
      broker_url_(std::move(broker_url)),
      kind_(std::move(kind)),
      db_(dir.file(device_id_ + ".db")),
      registry_db_(dir.file("coordinator.db")),
      env_(std::move(env)),
      extra_args_(std::move(extra_args)) {}

void AgentProc::start(const std::map<std::string, std::string>& extra_env) {
  if (port_ == 0) port_ = freePort();
  if (starts_ == 0 && !registry_db_.empty()) registerDevice(registry_db_, device_id_, location_, kind_);
  auto env = env_;
  env.insert(extra_env.begin(), extra_env.end());
  std::vector<std::string> argv = {agentBinary(), "run", "--device-id", device_id_, "--location", location_,
                                   "--kind", kind_, "--broker", broker_url_, "--db", db_,
                                   "--http", "127.0.0.1:" + std::to_string(port_), "--ack-timeout-ms", "1000"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  child_ = Child::spawn(argv, dir_ + "/" + device_id_ + "." + std::to_string(++starts_), env);
  if (child_.waitForHttpPort(std::chrono::seconds(20)) != port_) {
    throw std::runtime_error("agent " + device_id_ + " did not start: " + child_.stderrText());
  }
}

void AgentProc::kill9() { child_.kill(SIGKILL); }
void AgentProc::stop() { child_.kill(SIGTERM); }

nlohmann::json AgentProc::status() { return httpGet(port_, "/v1/status").body; }

HttpReply AgentProc::sell(const std::string& sku, int64_t qty, const std::string& price) {
  nlohmann::json body = {{"lines", {{{"sku", sku}, {"qty", qty}, {"unit_price", price}}}}};
  return httpPost(port_, "/v1/sales", body.dump());
}

HttpReply AgentProc::movement(const nlohmann::json& body) { return httpPost(port_, "/v1/movements", body.dump()); }

bool waitForSync(CoordinatorProc& coord, AgentProc& agent, std::chrono::milliseconds timeout) {
  return waitFor(
      [&] {
        nlohmann::json s = agent.status();
        if (!s.is_object() || s["queue_depth"] != 0) return false;
        nlohmann::json d = coord.device(s["device_id"]);
        return d.is_object() && d["last_applied_seq"] == s["last_seq"];
      },
      timeout, std::chrono::milliseconds(50));
}

}  // namespace sw::test
