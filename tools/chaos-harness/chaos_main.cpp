// stockwire-chaos: drives several real agents, a real coordinator and a real Mosquitto with a
// random workload while injecting faults at random, then checks, Jepsen-style, that every
// sale acknowledged to a cashier reached the ledger exactly once and in order.
//
// Per run: start everything (agents and the coordinator reach the broker through two fault
// proxies), run the workload and the nemesis for --duration seconds, heal, wait for every
// agent to drain, then compare what the agents acknowledged and hold with what the ledger
// holds. One line per run and a total; exit 1 if anything was lost, duplicated, reordered,
// unexpected, inconsistent or stuck.

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sw/common/cli.h"
#include "sw/common/args.h"
#include "sw/common/codec.h"
#include "sw/common/files.h"
#include "sw/common/http_socket.h"
#include "sw/common/log.h"
#include "sw/common/paho_transport.h"
#include "sw/common/sqlite.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"
#include "sw/harness/postgres.h"
#include "sw/harness/process.h"
#include "sw/harness/proxy.h"
#include "sw/harness/stack.h"

namespace {

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kAbout = "stockwire-chaos: fault injection with a lost/duplicated checker.";

constexpr const char* kNotes = R"(Faults: agent SIGKILL at named crash points (after local commit, after publish, before and
after marking acked) and at random; coordinator SIGKILL mid-batch, after commit before ack,
and at random; Mosquitto SIGKILL and restart (no persistence: in-flight messages are lost);
network cuts, black holes and latency (agents' and coordinator's links separately);
duplicated and reordered batches (old batches published again); a device clock jumping a
day backwards or forwards; the coordinator offline for a long stretch while agents sell; with
--ledger postgresql, the ledger's PostgreSQL SIGKILLed and restarted (postgres_kill9); an
agent's database put back to an older copy of itself (agent_restore_old_copy: the first time a
copy is taken, the next time the agent is drained, stopped and its files replaced by the copy,
so it reuses seqs the ledger already has under other events; the events only the replaced files
held are then checked as the retired copy's); with the SQLite ledger, the coordinator's files
put back from a backup (coordinator_restore_backup: `backup` while it runs and sales go on, a
second or two later SIGKILL, `restore` from that backup and a start: the ledger then knows less
than the devices were told, and they resend what it lost from the events they retain); and the
same backup restored while the coordinator runs (coordinator_restore_live: `restore` with an
admin token asks the running coordinator, which swaps its files and rebuilds its services in the
same process; one time in three the coordinator was started armed to SIGKILL itself midway
through the swap, and its next start must finish the restore). With --coordinators 2 (and
--ledger postgresql) two coordinators split the fleet (serve --partitions 2: store-1's tills on
one, store-2's on the other once they have balanced), and coordinator_split_kill9 SIGKILLs one
of the two in the middle of a batch (restarted armed with the coordinator.mid_batch crash point,
so it dies inside its next commits): the other takes its partitions over when its lease (1 s)
has run out, and the killed one takes its share back once it is up again.
)";

// Every option, declared once: parsing, ranges, defaults and --help come from here.
std::vector<common::OptionSpec> chaosOptions() {
  using Kind = common::OptionSpec::Kind;
  return {
      {"runs", Kind::kInt, "N", "5", 1, 100'000, "independent runs; run i uses seed S+i"},
      {"seed", Kind::kInt, "S", "", 0, INT64_MAX / 2, "base seed (default: from the clock, printed)"},
      {"duration", Kind::kInt, "SEC", "12", 1, 86'400, "workload and faults per run, seconds"},
      {"agents", Kind::kInt, "K", "4", 2, 8, "agents per run (the last one is a handheld)"},
      {"faults", Kind::kText, "LIST", "", 0, 0,
       "only these faults (comma-separated names as printed, e.g.\ncoordinator_crash_point,broker_kill9); default: all"},
      {"ledger", Kind::kText, "STORE", "sqlite", 0, 0,
       "the coordinator's ledger: sqlite (its file), or postgresql (a private PostgreSQL,\n"
       "a database per run; adds the fault postgres_kill9)"},
      {"coordinators", Kind::kInt, "N", "1", 1, 2,
       "with --ledger postgresql: 2 runs two coordinators splitting the fleet (--partitions 2);\n"
       "adds the fault coordinator_split_kill9"},
      {"keep", Kind::kFlag, "", "", 0, 0, "keep each run's directory (logs, databases) even when it passes"},
      {"verbose", Kind::kFlag, "", "", 0, 0, "print every fault as it is injected"},
  };
}

const char* kFaultNames[] = {"agent_crash_point", "agent_kill9", "coordinator_crash_point", "coordinator_kill9",
                             "broker_kill9", "network_cut", "network_blackhole", "network_latency",
                             "duplicate_reorder", "clock_jump", "coordinator_offline_long", "agent_restore_old_copy",
                             "postgres_kill9", "coordinator_restore_backup", "coordinator_restore_live",
                             "coordinator_split_kill9"};

const char* kAgentCrashPoints[] = {"agent.after_local_commit", "agent.after_publish", "agent.before_mark_acked",
                                   "agent.after_mark_acked"};
const char* kCoordCrashPoints[] = {"coordinator.mid_batch", "coordinator.after_commit_before_ack"};

struct RunResult {
  uint64_t seed = 0;
  uint64_t acked = 0;           // 201s the workload got
  uint64_t ledger_events = 0;   // events in the ledger at the end
  uint64_t lost = 0;            // acknowledged (or held by an agent) but not in the ledger
  uint64_t duplicated = 0;      // one event id applied more than once
  uint64_t order = 0;           // per-device seq gaps or out-of-order application
  uint64_t unexpected = 0;      // in the ledger but in no agent's store
  uint64_t mismatch = 0;        // on-hand rows that differ from the movement log
  bool stuck = false;           // did not drain after healing
  bool tool_failed = false;     // the coordinator's backup or restore command failed
  std::map<std::string, int> faults;
  double seconds = 0;
  std::string dir;
  std::string note;
  bool ok() const { return !lost && !duplicated && !order && !unexpected && !mismatch && !stuck && !tool_failed; }
};

class Run {
 public:
  // pg: the PostgreSQL the ledger goes in (a new database for this run); null: SQLite.
  // coordinators 2: two splitting the fleet on pg (which must be set).
  Run(uint64_t seed, int agents, int duration_s, bool verbose, std::vector<std::string> faults, test::Postgres* pg,
      int coordinators = 1)
      : seed_(seed), n_agents_(agents), duration_s_(duration_s), verbose_(verbose), faults_(std::move(faults)),
        rng_(seed), pg_(pg), split_(coordinators == 2) {}

  RunResult execute(bool keep);

 private:
  struct Acked {
    std::string device;
    std::string event_id;
    uint64_t seq;
  };
  struct AgentSlot {
    std::unique_ptr<test::AgentProc> proc;
    std::mutex mu;          // guards restarts of this agent
    int64_t skew_ms = 0;
    std::atomic<bool> paused{false};  // its cashier waits (agent_restore_old_copy drains it first)
    std::atomic<bool> idle{false};    // the cashier has seen paused and has no request in flight
    std::string snapshot;             // an older copy of its database files (agent_restore_old_copy)
  };
  // Events that only an agent's replaced database files held (agent_restore_old_copy): the ledger
  // has them (they were drained before the files were replaced), the agent no longer does.
  std::mutex retired_mu_;
  std::map<std::string, std::set<std::string>> retired_;  // device -> event ids
  void restoreOldCopy(AgentSlot& a);
  void restoreCoordinatorBackup();
  void restoreCoordinatorLive();
  // The running coordinator's own `backup` into `file`: its ledger file, or "" (not running,
  // PostgreSQL, or the backup failed: then noted for `fault` and the run marked failed).
  std::string backupRunningCoordinator(const std::string& fault, const std::string& file);
  bool drained(AgentSlot& a);
  bool pauseDrainAndStop(AgentSlot& a);

  uint64_t rand(uint64_t lo, uint64_t hi) {
    std::lock_guard<std::mutex> lock(rng_mu_);
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  void note(const std::string& fault, const std::string& detail = "") {
    {
      std::lock_guard<std::mutex> lock(result_mu_);
      ++result_.faults[fault];
    }
    if (verbose_) std::printf("    [%5.1fs] %s %s\n", elapsed(), fault.c_str(), detail.c_str());
  }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

  void startAgent(AgentSlot& a, const std::map<std::string, std::string>& env = {});
  void startCoordinator(const std::map<std::string, std::string>& env = {});
  void startCoordinator(test::CoordinatorProc& coord, const std::map<std::string, std::string>& env = {});
  void workload(size_t index);
  void nemesis();
  void supervisor();
  void replayer(bool start);
  bool drain(std::string* why);
  void check();

  uint64_t seed_;
  int n_agents_;
  int duration_s_;
  bool verbose_;
  std::vector<std::string> faults_;
  std::mt19937_64 rng_;
  std::mutex rng_mu_;
  Clock::time_point started_;
  std::atomic<bool> workload_stop_{false};
  std::atomic<bool> nemesis_stop_{false};

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<test::Broker> broker_;
  std::unique_ptr<test::TcpProxy> agent_net_;
  std::unique_ptr<test::TcpProxy> coord_net_;
  std::unique_ptr<test::CoordinatorProc> coord_;
  test::Postgres* pg_;
  // Split (--coordinators 2): the second coordinator, in a directory of its own (its --local-db).
  bool split_ = false;
  std::unique_ptr<test::TempDir> dir2_;
  std::unique_ptr<test::CoordinatorProc> coord2_;
  std::mutex coord_mu_;
  bool coord_down_on_purpose_ = false;  // guarded by coord_mu_
  // a backup or restore command failed (coordinator_restore_backup, coordinator_restore_live)
  std::atomic<bool> tool_failed_{false};
  std::vector<std::unique_ptr<AgentSlot>> agents_;

  std::unique_ptr<common::MqttTransport> replay_;
  std::mutex replay_mu_;
  std::vector<std::pair<std::string, std::string>> captured_;

  std::mutex acked_mu_;
  std::vector<Acked> acked_;
  std::mutex result_mu_;
  RunResult result_;
};

void Run::startAgent(AgentSlot& a, const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> e = env;
  if (a.skew_ms != 0) e["SW_TEST_CLOCK_SKEW_MS"] = std::to_string(a.skew_ms);
  try {
    a.proc->start(e);
  } catch (const std::exception& ex) {
    // A process that dies while starting (at a crash point, or with the broker down) is simply not
    // running: the supervisor starts it again, and the final drain reports it if it never comes up.
    if (verbose_) std::printf("    [%5.1fs] agent start failed: %s\n", elapsed(), ex.what());
  }
}

void Run::startCoordinator(const std::map<std::string, std::string>& env) {
  startCoordinator(*coord_, env);
}

void Run::startCoordinator(test::CoordinatorProc& coord, const std::map<std::string, std::string>& env) {
  try {
    coord.start(env);
  } catch (const std::exception& ex) {
    if (verbose_) std::printf("    [%5.1fs] coordinator start failed: %s\n", elapsed(), ex.what());
  }
}

// One cashier (or handheld user) per agent: a random mix of sales, returns, voids, receipts,
// adjustments, counts and transfers, each with an idempotency key; every 201 is remembered.
void Run::workload(size_t index) {
  AgentSlot& a = *agents_[index];
  const std::string device = a.proc->deviceId();
  const bool handheld = index + 1 == agents_.size();
  std::vector<std::string> my_sales;
  uint64_t n = 0;
  while (!workload_stop_) {
    if (a.paused) {
      a.idle = true;
      std::this_thread::sleep_for(5ms);
      continue;
    }
    a.idle = false;
    int port = a.proc->port();
    std::string sku = "SKU-" + std::to_string(rand(0, 11));
    uint64_t pick = rand(0, 99);
    std::string path = "/v1/sales";
    json body;
    if (handheld) pick = 40 + pick * 60 / 100;  // handhelds do stock work, not sales
    if (pick < 55) {
      body = {{"lines", json::array({{{"sku", sku}, {"qty", rand(1, 3)}, {"unit_price", "4.99"}}})}};
      if (rand(0, 3) == 0) body["lines"].push_back({{"sku", "SKU-" + std::to_string(rand(0, 11))}, {"qty", 1}});
    } else if (pick < 61) {
      path = "/v1/returns";
      body = {{"lines", json::array({{{"sku", sku}, {"qty", 1}}})}};
    } else if (pick < 64 && !my_sales.empty()) {
      path = "/v1/voids";
      body = {{"ref", my_sales[rand(0, my_sales.size() - 1)]}};
    } else if (pick < 76) {
      path = "/v1/movements";
      body = {{"type", "receive"}, {"sku", sku}, {"qty", rand(5, 30)}};
    } else if (pick < 84) {
      path = "/v1/movements";
      body = {{"type", "adjust"}, {"sku", sku}, {"qty", static_cast<int64_t>(rand(0, 6)) - 3 == 0 ? 1 : static_cast<int64_t>(rand(1, 3)) * (rand(0, 1) ? 1 : -1)}, {"reason", "chaos"}};
    } else if (pick < 90) {
      path = "/v1/movements";
      body = {{"type", "count"}, {"sku", sku}, {"counted", rand(0, 40)}};
    } else if (pick < 95) {
      path = "/v1/movements";
      body = {{"type", "transfer_out"}, {"sku", sku}, {"qty", rand(1, 4)}, {"to", "store-9"}};
    } else {
      path = "/v1/movements";
      body = {{"type", "transfer_in"}, {"sku", sku}, {"qty", rand(1, 4)}, {"from", "store-9"}};
    }
    httplib::Client c = sw::common::makeHttpClient("127.0.0.1", port);
    c.set_connection_timeout(0, 300'000);
    c.set_read_timeout(2);
    std::string key = device + "-" + std::to_string(seed_) + "-" + std::to_string(++n);
    auto r = c.Post(path, {{"Idempotency-Key", key}}, body.dump(), "application/json");
    if (r && (r->status == 201 || r->status == 200)) {
      json j = json::parse(r->body, nullptr, false);
      if (j.is_object() && j.contains("event_id")) {
        std::lock_guard<std::mutex> lock(acked_mu_);
        acked_.push_back({device, j["event_id"], j["seq"]});
        if (path == "/v1/sales") my_sales.push_back(j["event_id"]);
      }
    } else if (!r) {
      if (verbose_) std::printf("    [%5.1fs] %s %s -> %s\n", elapsed(), device.c_str(), path.c_str(), httplib::to_string(r.error()).c_str());
      std::this_thread::sleep_for(20ms);  // the agent is down (being killed or restarted)
    } else if (verbose_) {
      std::printf("    [%5.1fs] %s %s -> %d %s\n", elapsed(), device.c_str(), path.c_str(), r->status, r->body.c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rand(1, 15)));
  }
}

// Restarts whatever died (by SIGKILL or at an armed crash point), sometimes arming a new crash point.
void Run::supervisor() {
  while (!nemesis_stop_) {
    for (auto& slot : agents_) {
      std::lock_guard<std::mutex> lock(slot->mu);
      if (!slot->proc->running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(rand(0, 300)));
        startAgent(*slot);
      }
    }
    {
      std::lock_guard<std::mutex> lock(coord_mu_);
      if (!coord_->running() && !coord_down_on_purpose_) startCoordinator();
      if (coord2_ && !coord2_->running()) startCoordinator(*coord2_);
    }
    std::this_thread::sleep_for(50ms);
  }
}

void Run::replayer(bool start) {
  if (!start) {
    if (replay_) replay_->stop();
    return;
  }
  common::MqttConfig mc;
  mc.broker_url = broker_->url();
  mc.client_id = "chaos-replayer";
  replay_ = common::makePahoTransport(mc);
  replay_->addMessageHandler(std::string(common::topics::kEventsFilter), [this](std::string_view topic, std::string_view payload) {
    std::lock_guard<std::mutex> lock(replay_mu_);
    if (captured_.size() < 400) {
      captured_.emplace_back(std::string(topic), std::string(payload));
    } else {
      captured_[rand(0, captured_.size() - 1)] = {std::string(topic), std::string(payload)};
    }
  });
  (void)replay_->subscribe(common::topics::kEventsFilter, 1);
  replay_->start();
}

void Run::nemesis() {
  std::this_thread::sleep_for(std::chrono::milliseconds(rand(200, 800)));
  while (!nemesis_stop_) {
    const std::string& fault = faults_[rand(0, faults_.size() - 1)];
    size_t ai = rand(0, agents_.size() - 1);
    AgentSlot& a = *agents_[ai];
    int f = 0;
    while (fault != kFaultNames[f]) ++f;
    switch (f) {
      case 0: {  // agent dies at a named crash point soon
        const char* point = kAgentCrashPoints[rand(0, 3)];
        std::lock_guard<std::mutex> lock(a.mu);
        a.proc->kill9();
        startAgent(a, {{"SW_CRASH_POINT", point}, {"SW_CRASH_AFTER", std::to_string(rand(1, 25))}});
        note("agent_crash_point", a.proc->deviceId() + " " + point);
        break;
      }
      case 1: {
        std::lock_guard<std::mutex> lock(a.mu);
        a.proc->kill9();
        note("agent_kill9", a.proc->deviceId());
        break;  // the supervisor restarts it
      }
      case 2: {
        const char* point = kCoordCrashPoints[rand(0, 1)];
        std::lock_guard<std::mutex> lock(coord_mu_);
        coord_->kill9();
        startCoordinator({{"SW_CRASH_POINT", point}, {"SW_CRASH_AFTER", std::to_string(rand(1, 20))}});
        note("coordinator_crash_point", point);
        break;
      }
      case 3: {
        std::lock_guard<std::mutex> lock(coord_mu_);
        coord_->kill9();
        note("coordinator_kill9");
        break;
      }
      case 4: {
        broker_->kill9();
        note("broker_kill9");
        std::this_thread::sleep_for(std::chrono::milliseconds(rand(100, 1500)));
        broker_->start();
        break;
      }
      case 5: {
        test::TcpProxy& p = rand(0, 2) ? *agent_net_ : *coord_net_;
        p.cut();
        note("network_cut", &p == agent_net_.get() ? "agents" : "coordinator");
        std::this_thread::sleep_for(std::chrono::milliseconds(rand(200, 2000)));
        p.heal();
        break;
      }
      case 6: {
        test::TcpProxy& p = rand(0, 2) ? *agent_net_ : *coord_net_;
        p.blackhole();
        note("network_blackhole", &p == agent_net_.get() ? "agents" : "coordinator");
        std::this_thread::sleep_for(std::chrono::milliseconds(rand(500, 3000)));
        p.heal();
        break;
      }
      case 7: {
        int ms = static_cast<int>(rand(20, 300));
        agent_net_->setLatencyMs(ms);
        note("network_latency", std::to_string(ms) + " ms");
        std::this_thread::sleep_for(std::chrono::milliseconds(rand(1000, 3000)));
        agent_net_->setLatencyMs(0);
        break;
      }
      case 8: {  // old batches published again: duplicates and reordering
        std::vector<std::pair<std::string, std::string>> picks;
        {
          std::lock_guard<std::mutex> lock(replay_mu_);
          for (uint64_t k = 0, n = rand(1, 12); k < n && !captured_.empty(); ++k) {
            picks.push_back(captured_[rand(0, captured_.size() - 1)]);
          }
        }
        for (const auto& [topic, payload] : picks) (void)replay_->publish(topic, payload, 1, false);
        note("duplicate_reorder", std::to_string(picks.size()) + " old batches");
        break;
      }
      case 9: {
        std::lock_guard<std::mutex> lock(a.mu);
        int64_t day = 24LL * 3600 * 1000;
        a.skew_ms = a.skew_ms != 0 ? 0 : (rand(0, 1) ? day : -day);
        a.proc->kill9();
        startAgent(a);
        note("clock_jump", a.proc->deviceId() + " " + std::to_string(a.skew_ms / 3600000) + " h");
        break;
      }
      case 11:
        restoreOldCopy(a);
        break;
      case 13:
        restoreCoordinatorBackup();
        break;
      case 14:
        restoreCoordinatorLive();
        break;
      case 15: {  // one of the two coordinators splitting the fleet dies in the middle of a batch
        std::lock_guard<std::mutex> lock(coord_mu_);
        test::CoordinatorProc& victim = rand(0, 1) == 0 ? *coord_ : *coord2_;
        victim.kill9();
        startCoordinator(victim, {{"SW_CRASH_POINT", "coordinator.mid_batch"},
                                  {"SW_CRASH_AFTER", std::to_string(rand(1, 10))}});
        note("coordinator_split_kill9", &victim == coord_.get() ? "coord-a" : "coord-b");
        break;
      }
      case 12: {  // the ledger's PostgreSQL dies and comes back: the coordinator's commits fail meanwhile
        if (!pg_) break;
        pg_->kill9();
        note("postgres_kill9");
        std::this_thread::sleep_for(std::chrono::milliseconds(rand(100, 1500)));
        try {
          pg_->start();
        } catch (const std::exception& ex) {
          std::printf("    [%5.1fs] postgres did not restart: %s\n", elapsed(), ex.what());
        }
        break;
      }
      case 10: {
        {
          std::lock_guard<std::mutex> lock(coord_mu_);
          coord_down_on_purpose_ = true;
          coord_->stop();
        }
        note("coordinator_offline_long");
        std::this_thread::sleep_for(std::chrono::milliseconds(rand(2000, 5000)));
        std::lock_guard<std::mutex> lock(coord_mu_);
        coord_down_on_purpose_ = false;
        startCoordinator();
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rand(100, 900)));
  }
}

bool copyDbFiles(const std::string& from, const std::string& to) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(to + suffix, ec);
    if (std::filesystem::exists(from + suffix)) {
      std::filesystem::copy_file(from + suffix, to + suffix, ec);
      if (ec) return false;
    }
  }
  return true;
}

// The agent has nothing unacknowledged and the ledger has its last seq.
bool Run::drained(AgentSlot& a) {
  json st = a.proc->status();
  if (!st.is_object() || st["queue_depth"] != 0) return false;
  auto devices = test::httpGet(coord_->port(), "/v1/devices");
  if (devices.status != 200) return false;
  for (const auto& d : devices.body["devices"]) {
    if (d["device_id"] != a.proc->deviceId()) continue;
    if (d["last_applied_seq"] == st["last_seq"]) return true;
    // Put back to an older copy and no sale since: the ledger holds more (the retired copy's).
    std::lock_guard<std::mutex> rl(retired_mu_);
    return !retired_[a.proc->deviceId()].empty() && d["last_applied_seq"].get<uint64_t>() > st["last_seq"].get<uint64_t>();
  }
  return false;
}

// Pauses the agent's cashier, waits (up to 10 s) for the agent to be in step with the ledger,
// and stops it. Whether it was in step; the caller starts it and resumes the cashier.
bool Run::pauseDrainAndStop(AgentSlot& a) {
  a.paused = true;
  auto until = Clock::now() + 10s;
  // A sale already on its way when the pause began must be in the store before it is drained.
  while (Clock::now() < until && !a.idle && !workload_stop_) std::this_thread::sleep_for(2ms);
  while (Clock::now() < until && !drained(a)) std::this_thread::sleep_for(20ms);
  bool ok = drained(a);
  a.proc->kill9();
  return ok;
}

// The coordinator's own `backup` while it runs, sales going on for a while after it, then a crash
// and its own `restore` from that backup (SQLite ledger only: PostgreSQL has its own tools).
std::string Run::backupRunningCoordinator(const std::string& fault, const std::string& file) {
  if (pg_) return "";
  std::string db;
  {
    std::lock_guard<std::mutex> lock(coord_mu_);
    if (!coord_->running()) return "";
    db = coord_->ledgerDb();
  }
  auto b = test::Child::spawn({test::coordinatorBinary(), "backup", "--db", db, "--to", file}, dir_->file("backup"));
  auto bs = b.wait(60s);
  if (!bs || !WIFEXITED(*bs) || WEXITSTATUS(*bs) != 0) {
    tool_failed_ = true;
    note(fault, "backup failed: " + b.stderrText());
    return "";
  }
  return db;
}

void Run::restoreCoordinatorBackup() {
  const std::string backup = dir_->file("coordinator-backup.db");
  const std::string db = backupRunningCoordinator("coordinator_restore_backup", backup);
  if (db.empty()) return;
  std::this_thread::sleep_for(std::chrono::milliseconds(rand(500, 2500)));
  std::lock_guard<std::mutex> lock(coord_mu_);
  coord_down_on_purpose_ = true;
  coord_->kill9();
  auto r = test::Child::spawn({test::coordinatorBinary(), "restore", "--db", db, "--from", backup}, dir_->file("restore"));
  auto rs = r.wait(60s);
  const bool restored = rs && WIFEXITED(*rs) && WEXITSTATUS(*rs) == 0;
  if (!restored) tool_failed_ = true;
  coord_down_on_purpose_ = false;
  startCoordinator();
  note("coordinator_restore_backup", restored ? "restored" : "restore failed: " + r.stderrText());
}

// The coordinator's own `backup` while it runs, sales going on, then `restore` while it still runs
// (asked over its API with an admin token): it swaps its files and rebuilds its services without
// exiting. One time in three it is first restarted armed to SIGKILL itself inside the swap (after
// the journal, or with one file replaced): the start after must finish the restore.
void Run::restoreCoordinatorLive() {
  const std::string backup = dir_->file("coordinator-live-backup.db");
  const std::string db = backupRunningCoordinator("coordinator_restore_live", backup);
  if (db.empty()) return;
  std::this_thread::sleep_for(std::chrono::milliseconds(rand(300, 2000)));
  std::lock_guard<std::mutex> lock(coord_mu_);
  if (!coord_->running()) return;
  std::string crash;
  if (rand(0, 2) == 0) {
    crash = rand(0, 1) == 0 ? "coordinator.restore_after_journal" : "coordinator.restore_mid_swap";
    coord_down_on_purpose_ = true;
    coord_->stop();
    startCoordinator({{"SW_CRASH_POINT", crash}, {"SW_CRASH_AFTER", crash == "coordinator.restore_mid_swap" ? "2" : "1"}});
    if (!coord_->running()) {
      coord_down_on_purpose_ = false;
      return;
    }
  }
  const std::string token_file = dir_->file("restore-admin-token");
  if (auto s = common::writeSecretFile(token_file, coord_->adminToken() + "\n"); !s) {
    tool_failed_ = true;
    note("coordinator_restore_live", "token file: " + s.error().toString());
    coord_down_on_purpose_ = false;
    return;
  }
  auto r = test::Child::spawn({test::coordinatorBinary(), "restore", "--db", db, "--from", backup, "--token-file",
                               token_file, "--wait-s", "120"},
                              dir_->file("restore-live"));
  if (crash.empty()) {
    auto rs = r.wait(150s);
    const bool restored = rs && WIFEXITED(*rs) && WEXITSTATUS(*rs) == 0;
    if (!restored) tool_failed_ = true;
    note("coordinator_restore_live", restored ? "restored while running" : "restore failed: " + r.stderrText());
    return;
  }
  // Armed: the coordinator dies inside the swap; its next start finishes the restore.
  const auto until = Clock::now() + 60s;
  while (coord_->running() && Clock::now() < until) std::this_thread::sleep_for(10ms);
  const bool died = !coord_->running();
  r.kill(SIGKILL);  // its outcome died with the coordinator
  const bool journal = std::filesystem::exists(db + ".restore-journal");
  coord_down_on_purpose_ = false;
  startCoordinator();
  const bool finished = !std::filesystem::exists(db + ".restore-journal") && coord_->running();
  if (!died || !journal || !finished) tool_failed_ = true;
  note("coordinator_restore_live", crash + (died && journal && finished ? ": finished at the next start"
                                                                        : ": NOT finished (died " +
                                                                              std::to_string(died) + ", journal " +
                                                                              std::to_string(journal) + ")"));
}

void Run::restoreOldCopy(AgentSlot& a) {
  std::lock_guard<std::mutex> lock(a.mu);
  const std::string db = a.proc->db(), device = a.proc->deviceId();
  if (a.snapshot.empty()) {
    // A backup of a till in good order: taken while it is in step with the ledger (drained, no
    // conflict awaited), with the agent stopped so that the files are a consistent copy.
    bool ok = pauseDrainAndStop(a);
    std::string copy = db + ".older-copy";
    if (ok && copyDbFiles(db, copy)) a.snapshot = copy;
    startAgent(a);
    a.idle = false;
    a.paused = false;
    note("agent_restore_old_copy", device + (a.snapshot.empty() ? " not drained: no copy taken" : " copy taken"));
    return;
  }
  // What only the current files hold would be lost with them if it were not in the ledger (a
  // disk that is replaced loses its unsent sales): drain first, the cashier waiting.
  bool ok = pauseDrainAndStop(a);
  if (ok) {
    auto cur = common::SqliteDb::open({.path = db, .create = false, .read_only = true});
    std::set<std::string> ids;
    if (cur) {
      auto st = cur->prepare("SELECT event_id FROM outbox");
      while (st && *st->step()) ids.insert(st->columnText(0));
    }
    std::lock_guard<std::mutex> rl(retired_mu_);
    retired_[device].insert(ids.begin(), ids.end());
  }
  bool restored = ok && copyDbFiles(a.snapshot, db);
  startAgent(a);
  a.idle = false;
  a.paused = false;
  if (restored) a.snapshot.clear();
  note("agent_restore_old_copy", device + (restored ? " restored from the older copy" : " not drained: left as it was"));
}

// After healing: every agent has nothing unacknowledged and the ledger has its last seq.
bool Run::drain(std::string* why) {
  auto deadline = Clock::now() + 120s;
  while (Clock::now() < deadline) {
    bool all = true;
    std::string pending;
    auto devices = test::httpGet(coord_->port(), "/v1/devices");
    for (auto& slot : agents_) {
      json st = slot->proc->status();
      if (!st.is_object() || !st.contains("queue_depth")) {
        all = false;
        pending = slot->proc->deviceId() + " not answering";
        break;
      }
      uint64_t applied = 0;
      if (devices.status == 200) {
        for (const auto& d : devices.body["devices"]) {
          if (d["device_id"] == slot->proc->deviceId()) applied = d["last_applied_seq"];
        }
      }
      bool restored_behind = false;  // put back to an older copy, no sale since (see drained())
      {
        std::lock_guard<std::mutex> rl(retired_mu_);
        restored_behind = !retired_[slot->proc->deviceId()].empty() && applied > st["last_seq"].get<uint64_t>();
      }
      if (st["queue_depth"] != 0 || (applied != st["last_seq"].get<uint64_t>() && !restored_behind)) {
        all = false;
        pending = slot->proc->deviceId() + " queue " + st["queue_depth"].dump() + ", ledger at " +
                  std::to_string(applied) + " of " + st["last_seq"].dump();
        break;
      }
    }
    if (all) return true;
    *why = pending;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

void Run::check() {
  // What the agents hold (everything they ever committed: nothing is pruned within a run).
  std::map<std::string, std::map<uint64_t, std::string>> stored;  // device -> seq -> event id
  for (auto& slot : agents_) {
    auto db = common::SqliteDb::open({.path = slot->proc->db(), .create = false, .read_only = true});
    if (!db) {
      result_.note = "cannot read " + slot->proc->db() + ": " + db.error().toString();
      ++result_.unexpected;
      continue;
    }
    auto st = db->prepare("SELECT seq, event_id FROM outbox ORDER BY seq");
    while (st && *st->step()) stored[slot->proc->deviceId()][static_cast<uint64_t>(st->columnInt(0))] = st->columnText(1);
  }
  // What the ledger holds.
  std::map<std::string, uint64_t> ids_in_ledger;
  std::map<std::string, std::vector<json>> ledger;
  for (auto& slot : agents_) {
    const std::string& dev = slot->proc->deviceId();
    uint64_t from = 1;
    while (true) {
      auto r = test::httpGet(coord_->port(), "/v1/events?device=" + dev + "&from_seq=" + std::to_string(from) +
                                                 "&limit=5000");
      if (r.status != 200) {
        result_.note = "cannot page the ledger for " + dev;
        result_.stuck = true;
        return;
      }
      for (auto& e : r.body["events"]) ledger[dev].push_back(e);
      if (!r.body.contains("next_from_seq")) break;
      from = r.body["next_from_seq"];
    }
  }
  for (auto& [dev, events] : ledger) {
    uint64_t expect_seq = 1;
    int64_t last_order = -1;
    for (const json& e : events) {
      ++result_.ledger_events;
      std::string id = e["event_id"];
      if (++ids_in_ledger[id] == 2) ++result_.duplicated;
      uint64_t seq = e["seq"];
      if (seq != expect_seq) ++result_.order;  // a gap or a repeat in the device's sequence
      expect_seq = seq + 1;
      int64_t ord = e["apply_order"];
      if (ord <= last_order) ++result_.order;  // applied out of seq order
      last_order = ord;
      auto it = stored[dev].find(seq);
      if (it == stored[dev].end() || it->second != id) {
        // An event of an agent's retired files (agent_restore_old_copy) is expected in the ledger.
        std::lock_guard<std::mutex> rl(retired_mu_);
        if (!retired_[dev].count(id)) ++result_.unexpected;
      }
    }
  }
  std::set<std::string> lost_ids;
  for (auto& [dev, seqs] : stored) {
    for (auto& [seq, id] : seqs) {
      if (!ids_in_ledger.count(id)) lost_ids.insert(id);
    }
  }
  for (const Acked& a : acked_) {
    if (!ids_in_ledger.count(a.event_id)) lost_ids.insert(a.event_id);
  }
  result_.tool_failed = tool_failed_;
  if (tool_failed_) result_.note += (result_.note.empty() ? "" : "; ") + std::string("a coordinator backup or restore failed");
  result_.lost = lost_ids.size();
  result_.acked = acked_.size();
  // The ledger's on-hand figures must equal what its movement log says.
  coord_->stop();
  auto v = test::Child::spawn({test::coordinatorBinary(), "verify", "--db", coord_->ledgerDb()}, dir_->file("verify"));
  auto st = v.wait(120s);
  if (!st || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
    std::string out = v.stdoutText();
    result_.mismatch = std::max<uint64_t>(1, static_cast<uint64_t>(std::count(out.begin(), out.end(), '\n')) - 1);
  }
}

RunResult Run::execute(bool keep) {
  result_.seed = seed_;
  started_ = Clock::now();
  dir_ = std::make_unique<test::TempDir>();
  result_.dir = dir_->path();
  broker_ = std::make_unique<test::Broker>();
  agent_net_ = std::make_unique<test::TcpProxy>(broker_->port());
  coord_net_ = std::make_unique<test::TcpProxy>(broker_->port());
  std::string agent_url = agent_net_->url();
  std::string coord_url = "tcp://127.0.0.1:" + std::to_string(coord_net_->port());
  auto splitArgs = [&](const std::string& id) -> std::vector<std::string> {
    if (!split_) return {};
    return {"--client-id", id, "--partitions", "2", "--ledger-lease-ms", "1000"};
  };
  coord_ = std::make_unique<test::CoordinatorProc>(*dir_, coord_url, std::map<std::string, std::string>{},
                                                   splitArgs("coord-a"));
  if (pg_) coord_->setLedgerUrl(pg_->createDatabase("chaos_" + std::to_string(seed_)));
  if (split_) {
    dir2_ = std::make_unique<test::TempDir>();
    coord2_ = std::make_unique<test::CoordinatorProc>(*dir2_, coord_url, std::map<std::string, std::string>{},
                                                      splitArgs("coord-b"));
    coord2_->setLedgerUrl(coord_->ledgerDb());
  }
  for (int i = 0; i < n_agents_; ++i) {
    auto slot = std::make_unique<AgentSlot>();
    bool handheld = i + 1 == n_agents_;
    std::string id = handheld ? "hh-1" : "till-" + std::to_string(i + 1);
    std::string loc = i % 2 == 0 ? "store-1" : "store-2";
    slot->proc = std::make_unique<test::AgentProc>(*dir_, id, loc, agent_url, handheld ? "handheld" : "till");
    // Each coordinator has its own registry: the fleet is in both.
    if (coord2_) test::registerDevice(coord2_->db(), id, loc, handheld ? "handheld" : "till");
    agents_.push_back(std::move(slot));
  }
  try {
    startCoordinator();
    if (coord2_) startCoordinator(*coord2_);
    for (auto& slot : agents_) startAgent(*slot);
    replayer(true);

    std::vector<std::thread> workers;
    for (size_t i = 0; i < agents_.size(); ++i) workers.emplace_back([this, i] { workload(i); });
    std::thread nem([this] { nemesis(); });
    std::thread sup([this] { supervisor(); });
    std::this_thread::sleep_for(std::chrono::seconds(duration_s_));
    workload_stop_ = true;
    for (auto& w : workers) w.join();
    nemesis_stop_ = true;
    nem.join();
    sup.join();

    // Heal: clean network, a broker, and every process running without an armed crash point.
    agent_net_->heal();
    coord_net_->heal();
    if (!broker_->running()) broker_->start();
    {
      std::lock_guard<std::mutex> lock(coord_mu_);
      coord_->kill9();
      startCoordinator();
      if (coord2_) {
        coord2_->kill9();
        startCoordinator(*coord2_);
      }
    }
    for (auto& slot : agents_) {
      std::lock_guard<std::mutex> lock(slot->mu);
      slot->proc->kill9();
      startAgent(*slot);
    }
    std::string why;
    if (!drain(&why)) {
      result_.stuck = true;
      result_.note = "did not drain in 120 s: " + why;
    }
    check();
  } catch (const std::exception& ex) {
    result_.stuck = true;
    result_.note = std::string("harness error: ") + ex.what();
  }
  replayer(false);
  for (auto& slot : agents_) slot->proc->stop();
  coord_->stop();
  if (coord2_) coord2_->stop();
  result_.seconds = elapsed();
  if (!result_.ok() || keep) setenv("SW_KEEP_TMP", "1", 1);
  dir_.reset();
  dir2_.reset();
  unsetenv("SW_KEEP_TMP");
  return result_;
}

}  // namespace

int runChaos(const common::ParsedOptions& args) {
  const int64_t runs = args.integer("runs"), duration = args.integer("duration"), agents = args.integer("agents");
  const int64_t seed = args.has("seed") ? args.integer("seed")
                                        : std::chrono::system_clock::now().time_since_epoch().count() % 1'000'000;
  std::vector<std::string> faults;
  if (args.has("faults")) {
    const std::string list = args.text("faults");
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      std::string name = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (std::find(std::begin(kFaultNames), std::end(kFaultNames), name) == std::end(kFaultNames)) {
        std::fprintf(stderr, "stockwire-chaos: unknown fault '%s'\n", name.c_str());
        return 2;
      }
      faults.push_back(name);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  } else {
    faults.assign(std::begin(kFaultNames), std::end(kFaultNames));
  }
  const std::string ledger = args.text("ledger");
  if (ledger != "sqlite" && ledger != "postgresql") {
    std::fprintf(stderr, "stockwire-chaos: --ledger must be sqlite or postgresql\n");
    return 2;
  }
  std::unique_ptr<test::Postgres> pg;
  if (ledger == "postgresql") {
    // The nemesis thread restarts it (postgres_kill9): it must outlive that thread.
    pg = std::make_unique<test::Postgres>(test::Postgres::Options{.stop_with_starting_thread = false});
    pg->start();
  } else {
    if (args.has("faults") && std::find(faults.begin(), faults.end(), "postgres_kill9") != faults.end()) {
      std::fprintf(stderr, "stockwire-chaos: postgres_kill9 needs --ledger postgresql\n");
      return 2;
    }
    std::erase(faults, std::string("postgres_kill9"));
  }
  const int coordinators = static_cast<int>(args.integer("coordinators"));
  if (coordinators == 2 && ledger != "postgresql") {
    std::fprintf(stderr, "stockwire-chaos: --coordinators 2 needs --ledger postgresql\n");
    return 2;
  }
  if (coordinators == 1) {
    if (args.has("faults") && std::find(faults.begin(), faults.end(), "coordinator_split_kill9") != faults.end()) {
      std::fprintf(stderr, "stockwire-chaos: coordinator_split_kill9 needs --coordinators 2\n");
      return 2;
    }
    std::erase(faults, std::string("coordinator_split_kill9"));
  }
  if (ledger == "postgresql") {
    for (const char* sqlite_only : {"coordinator_restore_backup", "coordinator_restore_live"}) {
      if (args.has("faults") && std::find(faults.begin(), faults.end(), sqlite_only) != faults.end()) {
        std::fprintf(stderr, "stockwire-chaos: %s needs the SQLite ledger (PostgreSQL has its own backups)\n",
                     sqlite_only);
        return 2;
      }
      std::erase(faults, std::string(sqlite_only));
    }
  }
  common::setLogLevel(common::LogLevel::kError);
  std::signal(SIGPIPE, SIG_IGN);
  std::printf("stockwire-chaos: %lld runs, seed %lld, %lld s each, %lld agents, ledger on %s, %d coordinator(s)\n",
              static_cast<long long>(runs), static_cast<long long>(seed), static_cast<long long>(duration),
              static_cast<long long>(agents), ledger.c_str(), coordinators);
  RunResult total;
  uint64_t failed = 0, total_faults = 0;
  std::map<std::string, int> fault_kinds;
  for (int64_t i = 0; i < runs; ++i) {
    uint64_t s = static_cast<uint64_t>(seed + i);
    Run run(s, static_cast<int>(agents), static_cast<int>(duration), args.flag("verbose"), faults, pg.get(),
            coordinators);
    RunResult r = run.execute(args.flag("keep"));
    uint64_t n_faults = 0;
    std::string kinds;
    for (auto& [k, n] : r.faults) {
      n_faults += static_cast<uint64_t>(n);
      fault_kinds[k] += n;
      kinds += (kinds.empty() ? "" : " ") + k + "=" + std::to_string(n);
    }
    total_faults += n_faults;
    total.acked += r.acked;
    total.ledger_events += r.ledger_events;
    total.lost += r.lost;
    total.duplicated += r.duplicated;
    total.order += r.order;
    total.unexpected += r.unexpected;
    total.mismatch += r.mismatch;
    if (!r.ok()) ++failed;
    std::printf("run %lld/%lld seed=%llu: events=%llu acked=%llu faults=%llu lost=%llu duplicated=%llu order=%llu "
                "unexpected=%llu ledger_mismatch=%llu %s (%.1fs)\n",
                static_cast<long long>(i + 1), static_cast<long long>(runs), static_cast<unsigned long long>(s),
                static_cast<unsigned long long>(r.ledger_events), static_cast<unsigned long long>(r.acked),
                static_cast<unsigned long long>(n_faults), static_cast<unsigned long long>(r.lost),
                static_cast<unsigned long long>(r.duplicated), static_cast<unsigned long long>(r.order),
                static_cast<unsigned long long>(r.unexpected), static_cast<unsigned long long>(r.mismatch),
                r.ok() ? "ok" : (r.stuck ? "STUCK" : "FAIL"), r.seconds);
    std::printf("    faults: %s\n", kinds.c_str());
    if (!r.ok()) std::printf("    %s; kept %s\n", r.note.c_str(), r.dir.c_str());
    std::fflush(stdout);
  }
  std::string kinds;
  for (auto& [k, n] : fault_kinds) kinds += (kinds.empty() ? "" : " ") + k + "=" + std::to_string(n);
  std::printf("total: runs=%lld failed=%llu events=%llu acked=%llu faults=%llu lost=%llu duplicated=%llu order=%llu "
              "unexpected=%llu ledger_mismatch=%llu\n       faults: %s\n",
              static_cast<long long>(runs), static_cast<unsigned long long>(failed),
              static_cast<unsigned long long>(total.ledger_events), static_cast<unsigned long long>(total.acked),
              static_cast<unsigned long long>(total_faults), static_cast<unsigned long long>(total.lost),
              static_cast<unsigned long long>(total.duplicated), static_cast<unsigned long long>(total.order),
              static_cast<unsigned long long>(total.unexpected), static_cast<unsigned long long>(total.mismatch),
              kinds.c_str());
  return failed == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  return sw::common::runTool({"stockwire-chaos", kAbout, common::OptionTable(chaosOptions()), runChaos, kNotes}, argc, argv);
}
