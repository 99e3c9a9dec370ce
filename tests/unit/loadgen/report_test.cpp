// The load generator's report (read back from a file: outside input) and its comparison with the
// coordinator's GET /v1/devices, and the reader of the coordinator's /metrics.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sw/common/metrics.h"
#include "sw/loadgen/metrics_reader.h"
#include "sw/loadgen/report.h"

using namespace sw;
using nlohmann::json;

namespace {

loadgen::RunReport sample() {
  loadgen::RunReport r;
  r.broker = "tcp://127.0.0.1:1883";
  r.prefix = "lg";
  r.selling_s = 10.5;
  r.drain_s = 1.25;
  r.drained = true;
  r.live = {100, 12, 40, 55};
  r.catch_up = {20, 900, 1500, 1600};
  loadgen::DeviceReport a;
  a.device_id = "lg-00000";
  a.location = "lg-store-0000";
  a.epoch = "e-a";
  a.recorded = a.highest_sent = a.acked = 7;
  a.recorded_units = a.acked_units = -9;
  a.batches = 5;
  a.connects = 1;
  loadgen::DeviceReport b = a;
  b.device_id = "lg-00001";
  b.epoch = "e-b";
  b.recorded = 5;
  b.highest_sent = 4;
  b.acked = 3;
  b.offline_spells = 1;
  b.refused = "";
  r.devices = {a, b};
  return r;
}

json sampleJson() { return json::parse(loadgen::reportToJson(sample())); }

std::string errorOf(const json& j) {
  auto r = loadgen::parseReport(j.dump());
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

std::string devicesAnswer(std::vector<std::tuple<std::string, uint64_t, std::string>> rows) {
  json d = json::array();
  for (auto& [id, seq, epoch] : rows) d.push_back({{"device_id", id}, {"last_applied_seq", seq}, {"epoch", epoch}});
  return json{{"devices", d}}.dump();
}

}  // namespace

TEST(LoadgenReport, ReadsBackWhatItWrote) {
  auto r = loadgen::parseReport(loadgen::reportToJson(sample()));
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(*r, sample());
  EXPECT_EQ(sampleJson()["totals"]["recorded"], 12);
  EXPECT_EQ(sampleJson()["totals"]["acked"], 10);
}

TEST(LoadgenReport, RefusesWhatIsNotAReportNamingTheField) {
  EXPECT_EQ(loadgen::parseReport("").error().code, "bad_report");
  EXPECT_EQ(loadgen::parseReport("{not json").error().message, "the report is not JSON");
  EXPECT_EQ(errorOf(json::array()), "report must be an object");
  json j = sampleJson();
  j.erase("devices");
  EXPECT_EQ(errorOf(j), "report.devices is missing");
  j = sampleJson();
  j["devices"] = "many";
  EXPECT_EQ(errorOf(j), "report.devices must be an array");
  j = sampleJson();
  j["devices"][1]["acked"] = -1;
  EXPECT_EQ(errorOf(j), "report.devices[1].acked must be a whole number >= 0");
  j = sampleJson();
  j["devices"][0]["recorded"] = 1.5;
  EXPECT_EQ(errorOf(j), "report.devices[0].recorded must be a whole number >= 0");
  j = sampleJson();
  j["devices"][0]["acked_units"] = "-9";
  EXPECT_EQ(errorOf(j), "report.devices[0].acked_units must be a whole number");
  j = sampleJson();
  j["devices"][0]["acked_units"] = 18446744073709551615ULL;
  EXPECT_EQ(errorOf(j), "report.devices[0].acked_units must be a whole number");
  j = sampleJson();
  j["devices"][1]["acked"] = 5;  // above highest_sent
  EXPECT_EQ(errorOf(j), "report.devices[1] must have acked <= highest_sent <= recorded");
  j = sampleJson();
  j["devices"][1]["device_id"] = "lg-00000";
  EXPECT_EQ(errorOf(j), "report.devices[1].device_id lg-00000 is listed twice");
  j = sampleJson();
  j["devices"][0]["device_id"] = "lg/00000";
  EXPECT_EQ(errorOf(j), "report.devices[0].device_id is not a valid device id");
  j = sampleJson();
  j["devices"][0]["refused"] = nullptr;
  EXPECT_EQ(errorOf(j), "report.devices[0].refused must be a string");
  j = sampleJson();
  j["drained"] = 1;
  EXPECT_EQ(errorOf(j), "report.drained must be true or false");
  j = sampleJson();
  j["selling_s"] = -1;
  EXPECT_EQ(errorOf(j), "report.selling_s must be a number >= 0");
  j = sampleJson();
  j["lag_live"]["p99_ms"] = 1;  // under p50
  EXPECT_EQ(errorOf(j), "report.lag_live must have 0 <= p50_ms <= p99_ms <= max_ms");
  j = sampleJson();
  j["lag_catch_up"] = 3;
  EXPECT_EQ(errorOf(j), "report.lag_catch_up must be an object");
}

TEST(LoadgenReport, TheLedgerMustHoldExactlyWhatWasAcknowledged) {
  const loadgen::RunReport r = sample();
  auto same = loadgen::compareWithDevices(r, devicesAnswer({{"lg-00000", 7, "e-a"}, {"lg-00001", 3, "e-b"}, {"x", 9, ""}}));
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty());

  auto m = loadgen::compareWithDevices(r, devicesAnswer({{"lg-00000", 6, "e-a"}, {"lg-00001", 4, "e-b"}}));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].device_id, "lg-00000");
  EXPECT_EQ((*m)[0].why, "the ledger has less than was acknowledged");
  EXPECT_EQ((*m)[1].why, "the ledger is ahead of the last ack that arrived");

  m = loadgen::compareWithDevices(r, devicesAnswer({{"lg-00000", 8, "e-a"}, {"lg-00001", 3, "other"}}));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].why, "the ledger has seqs the device never recorded");
  EXPECT_EQ((*m)[1].why, "the ledger knows another epoch: other");

  m = loadgen::compareWithDevices(r, devicesAnswer({{"lg-00001", 3, "e-b"}}));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].ledger, -1);
}

TEST(LoadgenReport, RefusesAnAnswerThatIsNotADeviceList) {
  const loadgen::RunReport r = sample();
  for (const char* bad : {"", "[]", "{\"devices\":3}", "{\"devices\":[{\"device_id\":1,\"last_applied_seq\":2}]}",
                          "{\"devices\":[{\"device_id\":\"a\",\"last_applied_seq\":-2}]}", "{\"devices\":[7]}"}) {
    auto m = loadgen::compareWithDevices(r, bad);
    EXPECT_FALSE(m.ok()) << bad;
    if (!m.ok()) {
      EXPECT_EQ(m.error().code, "bad_devices");
    }
  }
}

TEST(MetricsReader, ReadsTheCoordinatorsHistogramAndItsQuantiles) {
  common::LatencyHistogram h;
  for (int i = 0; i < 90; ++i) h.observeUs(3'000);      // 3 ms: bucket (2.5, 5] ms
  for (int i = 0; i < 10; ++i) h.observeUs(700'000);    // 700 ms: bucket (500, 1000] ms
  common::PrometheusText t;
  t.counter("stockwire_ingest_events_applied_total", "applied", 100);
  t.histogram("stockwire_sync_latency_seconds", "lag", h);
  const std::string page = t.str();
  EXPECT_EQ(loadgen::metricValue(page, "stockwire_ingest_events_applied_total"), 100.0);
  EXPECT_FALSE(loadgen::metricValue(page, "stockwire_ingest_events").has_value());
  auto r = loadgen::readHistogram(page, "stockwire_sync_latency_seconds");
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->count(), 100u);
  EXPECT_NEAR(r->sum, 7.27, 1e-9);
  EXPECT_GT(r->quantile(0.5), 0.0025);
  EXPECT_LE(r->quantile(0.5), 0.005);
  EXPECT_GT(r->quantile(0.99), 0.5);
  EXPECT_LE(r->quantile(0.99), 1.0);
  EXPECT_DOUBLE_EQ(*r->shareAtMost(1.0), 1.0);
  EXPECT_DOUBLE_EQ(*r->shareAtMost(0.5), 0.9);
  EXPECT_FALSE(r->shareAtMost(0.7).has_value());

  for (int i = 0; i < 5; ++i) h.observeUs(20'000'000);  // 20 s
  common::PrometheusText later;
  later.histogram("stockwire_sync_latency_seconds", "lag", h);
  auto r2 = loadgen::readHistogram(later.str(), "stockwire_sync_latency_seconds");
  ASSERT_TRUE(r2.ok());
  auto d = r2->since(*r);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->count(), 5u);
  EXPECT_DOUBLE_EQ(*d->shareAtMost(10.0), 0.0);
  EXPECT_EQ(r->since(*r2).error().code, "bad_metrics");  // went down: another process's figures
}

TEST(MetricsReader, RefusesAHistogramThatDoesNotAddUp) {
  const std::string ok =
      "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 4\nh_sum 2.5\nh_count 4\n";
  ASSERT_TRUE(loadgen::readHistogram(ok, "h").ok());
  const std::vector<std::string> bad = {
      "",                                                                             // none
      "h_bucket{le=\"0.5\"} 1\nh_sum 1\n",                                            // no +Inf
      "h_bucket{le=\"+Inf\"} 1\n",                                                    // no sum
      "h_bucket{le=\"1\"} 3\nh_bucket{le=\"0.5\"} 4\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\n",  // not ascending
      "h_bucket{le=\"0.5\"} 3\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\n",  // not cumulative
      "h_bucket{le=\"0.5\"} -1\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\n",                  // negative count
      "h_bucket{le=\"abc\"} 1\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\n",                   // bad bound
      "h_bucket{le=\"0.5\"}1\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\n",                    // no space
      "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 4\nh_sum nan\n",                 // bad sum
  };
  for (const std::string& page : bad) {
    auto r = loadgen::readHistogram(page, "h");
    EXPECT_FALSE(r.ok()) << page;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "bad_metrics");
    }
  }
  EXPECT_FALSE(loadgen::metricValue("x 1e\n", "x").has_value());
  EXPECT_FALSE(loadgen::metricValue("x\n", "x").has_value());
}
