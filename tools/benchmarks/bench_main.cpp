// stockwire-bench: performance figures, each beside the raw limit measured in the same run.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>
#include <sys/wait.h>

#include "bench.h"
#include "sw/common/log.h"

namespace sw::bench {

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace sw::bench

namespace {

constexpr const char* kUsage = R"(stockwire-bench: measures Stockwire against the raw limits of this machine.

Usage:
  stockwire-bench codec        size and speed of JSON, CBOR and MessagePack batches
  stockwire-bench drain [--devices N] [--events N]
                               a backlog on N devices (default 100, 1,000,000 events) drained
                               into the coordinator's SQLite ledger, beside raw SQLite and Mosquitto
  stockwire-bench channels [--sales N] [--pace-ms N] [--seconds N] [--skus N]
                               (a) sale on a till -> quantity visible in each of the four channel
                               simulators, p50/p99 (default 200 sales, one every 300 ms); (b) updates/s
                               achieved under Amazon's binding patch limit beside what it allows
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  sw::common::setLogLevel(sw::common::LogLevel::kWarn);
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "codec") return sw::bench::benchCodec(args);
  if (cmd == "drain") return sw::bench::benchDrain(args);
  if (cmd == "channels") return sw::bench::benchChannels(args);
  std::fprintf(stderr, "stockwire-bench: unknown benchmark '%s'\n", cmd.c_str());
  return 2;
}
