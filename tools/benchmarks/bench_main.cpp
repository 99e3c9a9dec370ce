// stockwire-bench: performance figures, each beside the raw limit measured in the same run.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "sw/common/cli.h"
#include "sw/common/log.h"

namespace sw::bench {

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// CPU seconds (user + system) a process has used so far, from /proc/PID/stat; -1 if unreadable.
double cpuSeconds(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (!p) return -1;
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Bytes a process has caused to be written to storage so far (/proc/PID/io write_bytes); -1 if unreadable.
double writtenBytes(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/io").c_str(), "r");
  if (!f) return -1;
  char line[256];
  double v = -1;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long n = 0;
    if (std::sscanf(line, "write_bytes: %llu", &n) == 1) v = static_cast<double>(n);
  }
  std::fclose(f);
  return v;
}

}  // namespace sw::bench

namespace {

constexpr const char* kUsage = R"(stockwire-bench: measures Stockwire against the raw limits of this machine.

Usage:
  stockwire-bench codec        size and speed of JSON, CBOR and MessagePack batches
  stockwire-bench drain [--devices N] [--events N]
                               a backlog on N devices (default 100, 1,000,000 events) drained
                               into the coordinator's SQLite ledger, beside raw SQLite and Mosquitto
  stockwire-bench ledger [--devices N] [--events N] [--group N] [--cache-mib N]
                               the drain's workload applied straight to the coordinator's ledger
                               (no MQTT, one thread, groups of N events, default 64,000 as in
                               a catch-up; page cache --cache-mib, default 64 as in the coordinator)
  stockwire-bench channels [--sales N] [--pace-ms N] [--seconds N] [--skus N]
                               (a) sale on a till -> quantity visible in each of the four channel
                               simulators, p50/p99 (default 200 sales, one every 300 ms); (b) updates/s
                               achieved under Amazon's binding patch limit beside what it allows
  stockwire-bench agent [--sales N] [--raw-commits N] [--warmup N]
                               a durable sale on the real agent over HTTP (one kept-alive
                               connection, a fresh one per sale) and through its Store directly,
                               p50/p99/max beside a raw synchronous=FULL SQLite commit; the
                               agent's idle and busy RSS (default 2,000 sales per path)
)";

}  // namespace

int main(int argc, char** argv) {
  sw::common::setLogLevel(sw::common::LogLevel::kWarn);
  return sw::common::runCli("stockwire-bench", kUsage, argc, argv,
                            {{"codec", sw::bench::benchCodec},
                             {"drain", sw::bench::benchDrain},
                             {"ledger", sw::bench::benchLedger},
                             {"channels", sw::bench::benchChannels},
                             {"agent", sw::bench::benchAgent}});
}
