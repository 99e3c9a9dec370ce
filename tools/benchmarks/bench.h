#pragma once
// stockwire-bench: each benchmark prints its figures beside the raw limit measured in the same run.

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "sw/common/args.h"

#include "sw/common/event.h"

namespace sw::bench {

// The drain's workload, also applied by `ledger`: device d (till-0000...) at location
// store-(d % 20) records one-line sales; its i-th sells 1-3 units of one of 5,000 SKUs.
struct DrainWorkload {
  static std::string device(int64_t d);
  static std::string location(int64_t d);
  static common::Line line(int64_t d, int64_t i);
};

int benchCodec(const common::ParsedOptions& options);
int benchDrain(const common::ParsedOptions& options);
int benchLedger(const common::ParsedOptions& options);
int benchChannels(const common::ParsedOptions& options);
int benchAgent(const common::ParsedOptions& options);
int benchFleet(const common::ParsedOptions& options);
int benchRouting(const common::ParsedOptions& options);

// Percentile (0-100) of a sample, nearest-rank. The vector is sorted in place.
double percentile(std::vector<double>& v, double p);
// CPU seconds (user + system) a process has used so far, from /proc/PID/stat; -1 if unreadable.
double cpuSeconds(pid_t pid);
// Bytes a process has caused to be written to storage so far (/proc/PID/io); -1 if unreadable.
double writtenBytes(pid_t pid);
// A /proc/PID/status field in KiB (VmRSS, VmHWM), or -1.
long procStatusKib(pid_t pid, const std::string& field);

}  // namespace sw::bench
