// Prometheus text: histogram buckets cumulative with +Inf, sum in seconds, count.

#include <gtest/gtest.h>

#include "sw/common/metrics.h"

using namespace sw::common;

TEST(Metrics, AHistogramIsWrittenCumulativeInSeconds) {
  LatencyHistogram h;
  h.observeUs(50);         // <= 0.1 ms
  h.observeUs(700);        // <= 1 ms
  h.observeUs(700);
  h.observeUs(4'000'000'000);  // past the last bucket (an hour): only +Inf
  EXPECT_EQ(h.count(), 4u);
  PrometheusText p;
  p.histogram("x_seconds", "things", h);
  p.counter("x_total", "all", 7);
  p.gauge("x_ratio", "half", 0.5);
  std::string t = p.str();
  EXPECT_NE(t.find("# HELP x_seconds things\n# TYPE x_seconds histogram\n"), std::string::npos) << t;
  EXPECT_NE(t.find("x_seconds_bucket{le=\"0.0001\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("x_seconds_bucket{le=\"0.001\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("x_seconds_bucket{le=\"2.5\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("x_seconds_bucket{le=\"3600\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("x_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos) << t;
  EXPECT_NE(t.find("x_seconds_sum 4000.00145\n"), std::string::npos) << t;
  EXPECT_NE(t.find("x_seconds_count 4\n"), std::string::npos) << t;
  EXPECT_NE(t.find("# TYPE x_total counter\nx_total 7\n"), std::string::npos) << t;
  EXPECT_NE(t.find("# TYPE x_ratio gauge\nx_ratio 0.5\n"), std::string::npos) << t;
}

// A byte count or a seq is written in full, never rounded to six digits.
TEST(Metrics, LargeWholeValuesAreWrittenExactly) {
  PrometheusText p;
  p.gauge("disk_free_bytes", "free", 50'000'123'456.0);
  p.gauge("offset_seconds", "offset", 0.123456789);
  p.sample("seq{device=\"a\"}", 9'007'199'254'740'992.0);
  std::string t = p.str();
  EXPECT_NE(t.find("disk_free_bytes 50000123456\n"), std::string::npos) << t;
  EXPECT_NE(t.find("offset_seconds 0.123456789\n"), std::string::npos) << t;
  EXPECT_NE(t.find("seq{device=\"a\"} 9007199254740992\n"), std::string::npos) << t;
}
