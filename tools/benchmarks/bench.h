#pragma once
// stockwire-bench: each benchmark prints its figures beside the raw limit measured in the same run.

#include <string>
#include <vector>

namespace sw::bench {

int benchCodec(const std::vector<std::string>& args);
int benchDrain(const std::vector<std::string>& args);
int benchChannels(const std::vector<std::string>& args);

// Percentile (0-100) of a sample, nearest-rank. The vector is sorted in place.
double percentile(std::vector<double>& v, double p);

}  // namespace sw::bench
