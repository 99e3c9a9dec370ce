// tools/bench ledger: the coordinator's apply path alone. The drain's workload (one-line sales
// spread over 100 devices, 20 locations and 5,000 SKUs each) is applied to a fresh SqlLedger
// in groups, on one thread, as the ingest thread does; no MQTT, no decoding. It shows how much of
// the drain's time is the ledger itself, beside raw SQLite batched inserts in the same run.
// --store postgresql (or both) applies it to a ledger on a private PostgreSQL (durable settings,
// the server on this machine, over loopback TCP) beside raw inserts into that server.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <unistd.h>

#include "bench.h"
#include "raw_limits.h"
#include "sw/common/args.h"
#include "sw/common/postgres.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/ingest/ingest.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/harness/postgres.h"
#include "sw/harness/process.h"

namespace sw::bench {

namespace {

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct LedgerRun {
  int64_t applied = 0, groups = 0;
  double apply_s = 0, cpu_s = 0, written = 0;
  size_t differ = 0;
  double rate() const { return static_cast<double>(applied) / apply_s; }
};

// The workload applied to a new ledger at target; false (with a message) on failure.
bool applyWorkload(const std::string& target, int64_t devices, int64_t per_device, int64_t group_events,
                   int64_t cache_mib, LedgerRun* out) {
  auto ledger = coordinator::SqlLedger::open({.path = target, .cache_mib = cache_mib});
  if (!ledger) {
    std::fprintf(stderr, "ledger: %s\n", ledger.error().toString().c_str());
    return false;
  }
  const int64_t start_ms = 1'790'000'000'000;
  auto makeEvent = [&](int64_t d, int64_t i) {
    coordinator::ApplyEvent ae;
    common::Event& e = ae.event;
    e.device_id = DrainWorkload::device(d);
    e.seq = static_cast<uint64_t>(i + 1);
    e.occurred_at_ms = start_ms + i * 10;
    e.event_id = common::newUuidV7(e.occurred_at_ms);
    e.location = DrainWorkload::location(d);
    e.lines = {DrainWorkload::line(d, i)};
    return ae;
  };
  // Devices interleave as their batches would: a run of each device's events in turn.
  const int64_t run = 300;
  LedgerRun& r = *out;
  double written0 = writtenBytes(getpid());
  coordinator::ApplyGroup group;
  auto flush = [&]() -> bool {
    if (group.events.empty()) return true;
    group.applied_at_ms = start_ms;
    double c0 = threadCpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    auto s = (*ledger)->commit(group);
    r.apply_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.cpu_s += threadCpuSeconds() - c0;
    if (!s) {
      std::fprintf(stderr, "ledger: commit failed: %s\n", s.error().toString().c_str());
      return false;
    }
    r.applied += static_cast<int64_t>(group.events.size());
    ++r.groups;
    group = {};
    return true;
  };
  for (int64_t from = 0; from < per_device; from += run) {
    for (int64_t d = 0; d < devices; ++d) {
      const std::string id = DrainWorkload::device(d);
      if (from == 0) group.new_devices[id] = common::newUuid();
      int64_t to = std::min(per_device, from + run);
      for (int64_t i = from; i < to; ++i) group.events.push_back(makeEvent(d, i));
      group.cursors[id] = static_cast<uint64_t>(to);
      if (static_cast<int64_t>(group.events.size()) >= group_events && !flush()) return false;
    }
  }
  if (!flush()) return false;
  r.written = writtenBytes(getpid()) - written0;
  auto bad = (*ledger)->verifyOnHand();
  if (!bad) {
    std::fprintf(stderr, "ledger: verify failed: %s\n", bad.error().toString().c_str());
    return false;
  }
  r.differ = bad->size();
  return true;
}

void printRun(const LedgerRun& r, const char* store) {
  std::printf("  %s: applied %lld events in %lld transactions in %.1f s: %.0f events/s, %.1f us CPU per event"
              " (this process)\n",
              store, static_cast<long long>(r.applied), static_cast<long long>(r.groups), r.apply_s, r.rate(),
              r.cpu_s * 1e6 / static_cast<double>(r.applied));
  std::printf("  %s: verify: %zu on-hand rows differ from the movement log\n", store, r.differ);
}

}  // namespace

int benchLedger(const common::ParsedOptions& args) {
  int64_t devices = args.integer("devices");
  int64_t total = args.integer("events");
  // Default: the coordinator's largest group, which a catch-up fills.
  int64_t group_events = args.integer("group");
  int64_t cache_mib = args.integer("cache-mib");
  const std::string store = args.text("store");
  if (store != "sqlite" && store != "postgresql" && store != "both") {
    std::fprintf(stderr, "ledger: --store must be sqlite, postgresql or both\n");
    return 2;
  }
  if (total < devices) {
    std::fprintf(stderr, "ledger: --events must be at least --devices\n");
    return 2;
  }
  int64_t per_device = total / devices;
  test::TempDir dir;
  std::printf("ledger: %lld one-line sales from %lld devices in groups of %lld events (page cache %lld MiB)\n",
              static_cast<long long>(per_device * devices), static_cast<long long>(devices),
              static_cast<long long>(group_events), static_cast<long long>(cache_mib));
  bool ok = true;
  LedgerRun lite, pg;
  if (store != "postgresql") {
    if (!applyWorkload(dir.file("ledger.db"), devices, per_device, group_events, cache_mib, &lite)) return 1;
    printRun(lite, "sqlite");
    std::printf("  sqlite: wrote %.0f bytes to storage per event (ledger and WAL)\n",
                lite.written / static_cast<double>(lite.applied));
    RawSqlite raw_sql = measureRawSqliteInsert(dir.path(), 1'000'000, 10'000, 120);
    std::printf("  raw SQLite batched insert (WAL, FULL, 10k rows/txn, 120-byte rows): %.0f rows/s -> ratio %.2f\n",
                raw_sql.rows_per_s, lite.rate() / raw_sql.rows_per_s);
    ok = ok && lite.differ == 0;
  }
  if (store != "sqlite") {
    test::Postgres server(test::Postgres::Options{.durable = true});
    server.start();
    const std::string url = server.createDatabase("bench_ledger");
    if (!applyWorkload(url, devices, per_device, group_events, cache_mib, &pg)) return 1;
    printRun(pg, "postgresql");
    auto db = common::PgDb::open({.url = url});
    if (!db) {
      std::fprintf(stderr, "ledger: %s\n", db.error().toString().c_str());
      return 1;
    }
    RawSqlite raw_pg = measureRawInsert(**db, 200'000, 10'000, 120);
    std::printf("  raw PostgreSQL insert, one row per statement over loopback TCP (fsync on, 10k rows/txn, 120-byte"
                " rows): %.0f rows/s -> ratio %.2f\n",
                raw_pg.rows_per_s, pg.rate() / raw_pg.rows_per_s);
    ok = ok && pg.differ == 0;
  }
  if (store == "both") {
    std::printf("  postgresql / sqlite, events/s: %.2f\n", pg.rate() / lite.rate());
  }
  return ok ? 0 : 1;
}

}  // namespace sw::bench
