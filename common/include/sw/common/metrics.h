#pragma once
// Prometheus text exposition, written one way by the coordinator's and the agents' /metrics:
// counters, gauges, and latency histograms with fixed buckets, safe to update from any thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

namespace sw::common {

// Durations in buckets of at most kBucketsMs[i] ms (each observation counted once, in the first
// bucket it fits; written cumulative, as Prometheus wants), with their sum. Lock-free.
class LatencyHistogram {
 public:
  // Up to an hour: sync latencies (occurred -> applied) of a device back from an offline spell
  // are minutes, and a histogram that stops at 2.5 s would put them all in +Inf.
  static constexpr std::array<double, 20> kBucketsMs = {0.1, 0.25, 0.5, 1,      2.5,    5,      10,
                                                        25,  50,   100, 250,    500,    1000,   2500,
                                                        5000, 10'000, 30'000, 60'000, 300'000, 3'600'000};

  void observeUs(uint64_t us) {
    sum_us_.fetch_add(us, std::memory_order_relaxed);
    size_t i = 0;
    while (i < kBucketsMs.size() && static_cast<double>(us) > kBucketsMs[i] * 1000) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t count() const;
  uint64_t sumUs() const { return sum_us_.load(std::memory_order_relaxed); }
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, kBucketsMs.size() + 1> buckets_{};  // the last: +Inf
  std::atomic<uint64_t> sum_us_{0};
};

class PrometheusText {
 public:
  void counter(std::string_view name, std::string_view help, uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value);
  // A histogram in seconds, from a LatencyHistogram.
  void histogram(std::string_view name, std::string_view help, const LatencyHistogram& h);
  // The samples of one labelled histogram of a family (labels: `channel="amazon"`), after family().
  void histogramSamples(std::string_view name, std::string_view labels, const LatencyHistogram& h);
  // The # HELP / # TYPE lines of a family whose samples (with labels) the caller then adds by sample().
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name_and_labels, double value);
  std::string str() const { return out_.str(); }
  std::ostream& raw() { return out_; }

 private:
  std::ostringstream out_;
};

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4";

}  // namespace sw::common
