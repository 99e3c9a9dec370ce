// tools/bench scale: one backlog drained by one, two and three coordinators splitting one ledger on
// PostgreSQL (serve --partitions), and by one coordinator on SQLite, beside raw PostgreSQL inserts
// from one and from two connections and raw SQLite inserts, all measured in the same run. The
// devices are the real agent Store + SyncLoop + Paho transport (in this process), the coordinators
// the real binary, the broker a real Mosquitto and the server a private, durable PostgreSQL.

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "bench.h"
#include "raw_limits.h"
#include "sw/agent/store.h"
#include "sw/agent/sync.h"
#include "sw/common/paho_transport.h"
#include "sw/common/postgres.h"
#include "sw/common/sql.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/harness/postgres.h"
#include "sw/harness/process.h"
#include "sw/harness/stack.h"

namespace sw::bench {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The workload: device d at location (d % locations); location i is the (i / partitions)-th
// store name that hashes to partition (i % partitions), so every partition holds as many
// locations (and devices) as the others and no coordinator's share is empty.
struct ScaleWorkload {
  int64_t devices, per_device, locations;
  int partitions;

  std::string location(int64_t d) const {
    const int64_t i = d % locations;
    const int part = static_cast<int>(i % partitions);
    int64_t nth = i / partitions;
    for (int64_t n = 0;; ++n) {
      std::string loc = "store-" + std::to_string(n);
      if (coordinator::locationPartition(loc, partitions) == part && nth-- == 0) return loc;
    }
  }
  uint64_t events() const { return static_cast<uint64_t>(devices * per_device); }
  // What the drain must leave on hand, summed over every location and SKU (each event a sale).
  int64_t onHandSum() const {
    int64_t sum = 0;
    for (int64_t d = 0; d < devices; ++d) {
      for (int64_t i = 0; i < per_device; ++i) sum -= DrainWorkload::line(d, i).qty;
    }
    return sum;
  }
};

struct Run {
  std::string store;  // sqlite or postgresql
  int coordinators = 1;
  uint64_t applied = 0;
  double secs = 0;
  double cpu_coordinators = 0, cpu_server = 0, cpu_devices = 0, cpu_broker = 0;
  std::vector<uint64_t> applied_by;  // events each coordinator applied
  uint64_t deadlocks = 0;            // commits PostgreSQL refused as a deadlock (retried)
  bool exact = false;
  std::string verify;
  double rate() const { return secs > 0 ? static_cast<double>(applied) / secs : 0; }
};

// CPU seconds of a process and of its children alive now (a PostgreSQL server and its backends).
double treeCpuSeconds(pid_t root) {
  double sum = cpuSeconds(root);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::FILE* f = std::fopen((entry.path() / "stat").c_str(), "r");
    if (!f) continue;
    char buf[1024];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const char* p = std::strrchr(buf, ')');
    int ppid = 0;
    if (p && std::sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == root) {
      double c = cpuSeconds(static_cast<pid_t>(std::stol(name)));
      if (c > 0) sum += c;
    }
  }
  return sum;
}

// The backlog, written once into template stores and copied for every run.
bool fillTemplates(const ScaleWorkload& w, const std::string& dir) {
  const common::Clock& clock = common::SystemClock::instance();
  for (int64_t d = 0; d < w.devices; ++d) {
    const std::string id = DrainWorkload::device(d);
    auto s = agent::Store::open(
        {.path = dir + "/" + id + ".db", .device_id = id, .location = w.location(d), .kind = "till", .min_free_bytes = 0},
        clock);
    if (!s) {
      std::fprintf(stderr, "scale: %s\n", s.error().toString().c_str());
      return false;
    }
    std::vector<agent::EventDraft> chunk;
    for (int64_t i = 0; i < w.per_device; ++i) {
      agent::EventDraft e;
      e.lines = {DrainWorkload::line(d, i)};
      chunk.push_back(std::move(e));
      if (chunk.size() == 10'000 || i + 1 == w.per_device) {
        if (auto r = (*s)->recordMany(chunk); !r) {
          std::fprintf(stderr, "scale: %s\n", r.error().toString().c_str());
          return false;
        }
        chunk.clear();
      }
    }
  }
  return true;
}

bool copyTemplates(const std::string& from, const std::string& to) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    fs::copy_file(entry.path(), fs::path(to) / entry.path().filename(), fs::copy_options::overwrite_existing, ec);
    if (ec) {
      std::fprintf(stderr, "scale: cannot copy %s: %s\n", entry.path().c_str(), ec.message().c_str());
      return false;
    }
  }
  return !ec;
}

// One drain: `coordinators` coordinators (on ledger_url, split into w.partitions; or one on
// SQLite when ledger_url is empty), the backlog copied into fresh device stores.
bool drainOnce(const ScaleWorkload& w, const std::string& templates, const std::string& ledger_url, int coordinators,
               int64_t lease_ms, pid_t server_pid, Run* run) {
  test::TempDir dir;
  const bool pg = !ledger_url.empty();
  run->store = pg ? "postgresql" : "sqlite";
  run->coordinators = coordinators;
  std::printf("\n  %s, %d coordinator(s)%s\n", run->store.c_str(), coordinators,
              pg ? (", " + std::to_string(w.partitions) + " partitions").c_str() : "");
  std::fflush(stdout);
  if (!copyTemplates(templates, dir.path())) return false;
  test::Broker broker;
  std::vector<std::unique_ptr<test::TempDir>> dirs;
  std::vector<std::unique_ptr<test::CoordinatorProc>> coords;
  std::vector<std::pair<std::string, std::string>> fleet;  // (location, device)
  for (int64_t d = 0; d < w.devices; ++d) fleet.emplace_back(w.location(d), DrainWorkload::device(d));
  for (int c = 0; c < coordinators; ++c) {
    dirs.push_back(std::make_unique<test::TempDir>());
    std::vector<std::string> args = {"--client-id", "coord-" + std::to_string(c)};
    if (pg) {
      args.insert(args.end(), {"--partitions", std::to_string(w.partitions), "--ledger-lease-ms", std::to_string(lease_ms)});
    }
    coords.push_back(std::make_unique<test::CoordinatorProc>(*dirs.back(), broker.url(),
                                                             std::map<std::string, std::string>{}, args));
    if (pg) coords.back()->setLedgerUrl(ledger_url);
    // Each coordinator keeps its own registry (--local-db): the fleet is registered in every one.
    if (!importDevices(coords.back()->db(), fleet, dirs.back()->file("fleet.csv"))) return false;
    coords.back()->start();
  }
  if (pg) {
    // Start once every coordinator holds its share.
    const int64_t share = w.partitions / coordinators;
    bool settled = test::waitFor(
        [&] {
          for (auto& c : coords) {
            if (metricValue(test::httpGetText(c->port(), "/metrics"), "stockwire_partitions_held") !=
                static_cast<uint64_t>(share)) {
              return false;
            }
          }
          return true;
        },
        std::chrono::seconds(120), std::chrono::milliseconds(100));
    if (!settled) {
      std::fprintf(stderr, "scale: the coordinators did not settle on %lld partitions each\n",
                   static_cast<long long>(share));
      return false;
    }
  }
  const common::Clock& clock = common::SystemClock::instance();
  std::vector<std::unique_ptr<agent::Store>> stores;
  for (int64_t d = 0; d < w.devices; ++d) {
    const std::string id = DrainWorkload::device(d);
    auto s = agent::Store::open(
        {.path = dir.file(id + ".db"), .device_id = id, .location = w.location(d), .kind = "till", .min_free_bytes = 0},
        clock);
    if (!s) {
      std::fprintf(stderr, "scale: %s\n", s.error().toString().c_str());
      return false;
    }
    stores.push_back(std::move(*s));
  }
  auto cpuOfCoordinators = [&] {
    double sum = 0;
    for (auto& c : coords) sum += cpuSeconds(c->pid());
    return sum;
  };
  std::vector<std::unique_ptr<common::MqttTransport>> transports;
  std::vector<std::unique_ptr<agent::SyncLoop>> loops;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpuOfCoordinators(), s0 = pg ? treeCpuSeconds(server_pid) : 0, d0 = cpuSeconds(getpid()),
               b0 = cpuSeconds(broker.pid());
  startSyncLoops(stores, broker.url(), transports, loops);
  const uint64_t target = w.events();
  double last_report = 0;
  while (run->applied < target) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    run->applied = 0;
    for (auto& c : coords) {
      run->applied += metricValue(test::httpGetText(c->port(), "/metrics"), "stockwire_ingest_events_applied_total");
    }
    const double el = since(t0);
    if (el - last_report >= 5) {
      std::printf("    %6.1f s: %llu applied\n", el, static_cast<unsigned long long>(run->applied));
      std::fflush(stdout);
      last_report = el;
    }
    if (el > 1800) {
      std::fprintf(stderr, "scale: gave up after 30 minutes at %llu\n", static_cast<unsigned long long>(run->applied));
      return false;
    }
  }
  run->secs = since(t0);
  run->cpu_coordinators = cpuOfCoordinators() - c0;
  run->cpu_server = pg ? treeCpuSeconds(server_pid) - s0 : 0;
  run->cpu_devices = cpuSeconds(getpid()) - d0;
  run->cpu_broker = cpuSeconds(broker.pid()) - b0;
  stopSideBySide(loops);
  for (auto& c : coords) {
    const std::string page = test::httpGetText(c->port(), "/metrics");
    run->applied_by.push_back(metricValue(page, "stockwire_ingest_events_applied_total"));
  }
  for (auto& c : coords) {
    const std::string log = c->logs();
    for (size_t at = log.find("deadlock"); at != std::string::npos; at = log.find("deadlock", at + 1)) ++run->deadlocks;
    c->stop();
  }
  for (auto& c : coords) (void)test::waitFor([&] { return !c->running(); }, std::chrono::seconds(60));
  // Exact: every event once, and on hand is what they sold.
  std::unique_ptr<common::SqlDb> db;
  if (pg) {
    auto o = common::PgDb::open({.url = ledger_url});
    if (o) db = std::move(*o);
  } else {
    auto o = common::SqliteSqlDb::open({.path = coords[0]->db()});
    if (o) db = std::move(*o);
  }
  if (!db) {
    std::fprintf(stderr, "scale: cannot open the ledger to check it\n");
    return false;
  }
  auto events = db->queryInt("SELECT COUNT(*) FROM events");
  auto on_hand = db->queryInt("SELECT COALESCE(SUM(qty), 0) FROM on_hand");
  run->exact = events && on_hand && static_cast<uint64_t>(*events) == target && *on_hand == w.onHandSum();
  auto v = test::Child::spawn({test::coordinatorBinary(), "verify", "--db", coords[0]->ledgerDb()}, dir.file("verify"));
  auto st = v.wait(std::chrono::seconds(600));
  run->verify = st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0 ? "ok" : "FAILED: " + v.stdoutText() + v.stderrText();
  while (!run->verify.empty() && run->verify.back() == '\n') run->verify.pop_back();
  std::printf("    drained %llu events in %.1f s: %.0f events/s; ledger %s (%lld events, on hand %lld of %lld), verify %s\n",
              static_cast<unsigned long long>(run->applied), run->secs, run->rate(), run->exact ? "exact" : "NOT exact",
              events ? static_cast<long long>(*events) : -1LL, on_hand ? static_cast<long long>(*on_hand) : -1LL,
              static_cast<long long>(w.onHandSum()), run->verify.c_str());
  if (coordinators > 1) {
    std::printf("    applied by each:");
    for (uint64_t a : run->applied_by) std::printf(" %llu", static_cast<unsigned long long>(a));
    std::printf("; deadlocks logged: %llu\n", static_cast<unsigned long long>(run->deadlocks));
  }
  std::printf("    CPU s: coordinators %.1f, PostgreSQL %.1f, devices (this process) %.1f, broker %.1f;"
              " %.2f of %ld cores busy\n",
              run->cpu_coordinators, run->cpu_server, run->cpu_devices, run->cpu_broker,
              (run->cpu_coordinators + run->cpu_server + run->cpu_devices + run->cpu_broker) / run->secs,
              sysconf(_SC_NPROCESSORS_ONLN));
  std::fflush(stdout);
  return true;
}

// Raw PostgreSQL batched inserts from `connections` connections at once, each into a database
// of its own on the one server: rows/s in all.
double rawPostgres(test::Postgres& server, int connections, size_t rows) {
  std::vector<std::unique_ptr<common::SqlDb>> dbs;
  for (int c = 0; c < connections; ++c) {
    auto db = common::PgDb::open({.url = server.createDatabase("raw_" + std::to_string(connections) + "_" +
                                                               std::to_string(c))});
    if (!db) throw std::runtime_error(db.error().toString());
    dbs.push_back(std::move(*db));
  }
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& db : dbs) threads.emplace_back([&db, rows] { (void)measureRawInsert(*db, rows, 10'000, 120); });
  for (auto& t : threads) t.join();
  return static_cast<double>(rows) * connections / since(t0);
}

}  // namespace

int benchScale(const common::ParsedOptions& args) {
  ScaleWorkload w{args.integer("devices"), args.integer("events") / args.integer("devices"), args.integer("locations"),
                  static_cast<int>(args.integer("partitions"))};
  const int most = static_cast<int>(args.integer("coordinators"));
  if (w.per_device < 1) {
    std::fprintf(stderr, "scale: --events must be at least --devices\n");
    return 2;
  }
  std::printf("scale: %llu one-line sales buffered on %lld devices at %lld locations, drained by 1..%d coordinators "
              "splitting one PostgreSQL ledger into %d partitions, and by one on SQLite\n",
              static_cast<unsigned long long>(w.events()), static_cast<long long>(w.devices),
              static_cast<long long>(w.locations), most, w.partitions);
  test::TempDir dir;
  const std::string templates = dir.file("templates");
  fs::create_directories(templates);
  const auto t_fill = std::chrono::steady_clock::now();
  if (!fillTemplates(w, templates)) return 1;
  std::printf("  backlog written in %.1f s\n", since(t_fill));

  test::Postgres server(test::Postgres::Options{.durable = true});
  server.start();
  // Raw limits, same machine, same run.
  const double raw_pg1 = rawPostgres(server, 1, 200'000), raw_pg2 = rawPostgres(server, 2, 200'000);
  const RawSqlite raw_sql = measureRawSqliteInsert(dir.path(), 1'000'000, 10'000, 120);
  std::printf("  raw PostgreSQL insert (durable, loopback TCP, one row per statement, 10k rows/txn, 120-byte rows):"
              " %.0f rows/s from one connection, %.0f from two (x%.2f)\n",
              raw_pg1, raw_pg2, raw_pg2 / raw_pg1);
  std::printf("  raw SQLite insert (WAL, FULL, 10k rows/txn, 120-byte rows): %.0f rows/s\n", raw_sql.rows_per_s);

  std::vector<Run> runs;
  bool ok = true;
  for (int n = 1; n <= most; ++n) {
    Run r;
    const std::string url = server.createDatabase("scale_" + std::to_string(n));
    if (!drainOnce(w, templates, url, n, args.integer("lease-ms"), server.pid(), &r)) return 1;
    ok = ok && r.exact && r.verify == "ok";
    runs.push_back(r);
  }
  Run lite;
  if (!drainOnce(w, templates, "", 1, 0, 0, &lite)) return 1;
  ok = ok && lite.exact && lite.verify == "ok";

  const double one = runs.front().rate();
  std::printf("\n  events/s on PostgreSQL:");
  for (const Run& r : runs) std::printf("  %d: %.0f (x%.2f of one)", r.coordinators, r.rate(), r.rate() / one);
  std::printf("\n  against raw PostgreSQL: one coordinator %.0f%% of one connection's inserts",
              100.0 * one / raw_pg1);
  if (runs.size() > 1) std::printf(", two %.0f%% of two connections'", 100.0 * runs[1].rate() / raw_pg2);
  std::printf(" (raw two/one x%.2f)\n", raw_pg2 / raw_pg1);
  std::printf("  one coordinator, SQLite / PostgreSQL: %.0f / %.0f events/s (x%.2f); SQLite at %.0f%% of raw SQLite\n",
              lite.rate(), one, lite.rate() / one, 100.0 * lite.rate() / raw_sql.rows_per_s);
  if (runs.size() > 1) {
    std::printf("  target: two coordinators at least x1.70 of one (%s: x%.2f)\n",
                runs[1].rate() >= 1.7 * one ? "met" : "NOT met", runs[1].rate() / one);
  }
  if (args.has("json")) {
    auto runJson = [](const Run& r) {
      return json{{"store", r.store},
                  {"coordinators", r.coordinators},
                  {"events", r.applied},
                  {"seconds", r.secs},
                  {"events_per_s", r.rate()},
                  {"applied_by", r.applied_by},
                  {"deadlocks_logged", r.deadlocks},
                  {"cpu_s", {{"coordinators", r.cpu_coordinators}, {"postgresql", r.cpu_server},
                             {"devices", r.cpu_devices}, {"broker", r.cpu_broker}}},
                  {"ledger_exact", r.exact},
                  {"verify", r.verify}};
    };
    json j = {{"benchmark", "scale"},
              {"devices", w.devices},
              {"locations", w.locations},
              {"partitions", w.partitions},
              {"events", w.events()},
              {"raw", {{"postgresql_rows_per_s_one_connection", raw_pg1},
                       {"postgresql_rows_per_s_two_connections", raw_pg2},
                       {"sqlite_rows_per_s", raw_sql.rows_per_s}}},
              {"sqlite", runJson(lite)},
              {"postgresql", json::array()}};
    for (const Run& r : runs) j["postgresql"].push_back(runJson(r));
    if (runs.size() > 1) j["two_over_one"] = runs[1].rate() / one;
    if (!writeText(args.text("json"), j.dump(2) + "\n")) {
      std::fprintf(stderr, "scale: cannot write %s\n", args.text("json").c_str());
      return 1;
    }
    std::printf("  JSON report: %s\n", args.text("json").c_str());
  }
  return ok ? 0 : 1;
}

}  // namespace sw::bench
