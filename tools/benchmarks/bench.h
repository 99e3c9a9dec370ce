#pragma once
// stockwire-bench: each benchmark prints its figures beside the raw limit measured in the same run.

#include <string>
#include <sys/types.h>
#include <vector>

namespace sw::bench {

int benchCodec(const std::vector<std::string>& args);
int benchDrain(const std::vector<std::string>& args);
int benchLedger(const std::vector<std::string>& args);
int benchChannels(const std::vector<std::string>& args);

// Percentile (0-100) of a sample, nearest-rank. The vector is sorted in place.
double percentile(std::vector<double>& v, double p);
// CPU seconds (user + system) a process has used so far, from /proc/PID/stat; -1 if unreadable.
double cpuSeconds(pid_t pid);
// Bytes a process has caused to be written to storage so far (/proc/PID/io); -1 if unreadable.
double writtenBytes(pid_t pid);

}  // namespace sw::bench
