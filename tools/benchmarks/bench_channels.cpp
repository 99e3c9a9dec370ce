// tools/bench channels: stock out to the channels, on real processes.
//   (a) latency: a sale on a till (agent HTTP POST /v1/sales) until the new quantity is visible
//       in each of the four channel simulators (GET /_sim/listings/<sku>), sales paced so that
//       no channel's rate limit binds (Amazon's patchListingsItem, 5/s, is the tightest);
//   (b) throughput under a binding limit: stock of many SKUs keeps changing faster than
//       Amazon's patchListingsItem bucket (rate 5/s, burst 5, as the simulator enforces and
//       announces in x-amzn-RateLimit-Limit) lets through; listing updates the simulator
//       accepted per second, beside what the bucket allows in the same window.
// Mosquitto, stockwire-coordinator, stockwire-agent and stockwire-channel-sim are the real binaries.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench.h"
#include "sw/common/args.h"
#include "sw/common/uuid.h"
#include "sw/harness/process.h"
#include "sw/harness/stack.h"

namespace sw::bench {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Sim {
  std::string channel;
  test::Child child;
  int port = -1;
  json connector;  // the coordinator's connector config for it
};

std::unique_ptr<Sim> startSim(const test::TempDir& dir, const std::string& channel, const std::vector<std::string>& skus,
                              int64_t start_qty, std::vector<std::string> extra = {}) {
  auto s = std::make_unique<Sim>();
  s->channel = channel;
  std::string token = common::newUuid();
  std::string key = "ck_" + common::newUuid();
  std::string secret = "cs_" + common::newUuid();
  std::vector<std::string> argv = {test::binaryPath("tools/channel-sim", "stockwire-channel-sim"), "--channel", channel,
                                   "--port", "0"};
  if (channel == "woocommerce") {
    argv.insert(argv.end(), {"--consumer-key", key, "--consumer-secret", secret});
  } else {
    argv.insert(argv.end(), {"--access-token", token});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  s->child = test::Child::spawn(argv, dir.file("sim-" + channel));
  s->port = s->child.waitForHttpPort(std::chrono::seconds(10));
  if (s->port <= 0) throw std::runtime_error(channel + " simulator did not start: " + s->child.stderrText());
  json listings = json::array();
  for (const auto& sku : skus) listings.push_back({{"sku", sku}, {"quantity", start_qty}});
  auto r = test::httpPost(s->port, "/_sim/listings", json{{"listings", listings}}.dump());
  if (r.status != 200) throw std::runtime_error("seeding " + channel + " failed: " + r.body.dump());
  json c = {{"channel", channel}, {"base_url", "http://127.0.0.1:" + std::to_string(s->port)}};
  if (channel == "shopify" || channel == "woocommerce") c["webhook_secret"] = "whsec-" + common::newUuid();
  if (channel == "shopify") c.update({{"access_token", token}, {"location_id", r.body["location_id"]}});
  if (channel == "amazon") c.update({{"access_token", token}, {"seller_id", r.body["seller_id"]}});
  if (channel == "ebay") c["access_token"] = token;
  if (channel == "woocommerce") c.update({{"consumer_key", key}, {"consumer_secret", secret}});
  s->connector = c;
  return s;
}

std::optional<int64_t> listed(const Sim& s, const std::string& sku) {
  auto r = test::httpGet(s.port, "/_sim/listings/" + sku);
  if (r.status != 200 || !r.body["quantity"].is_number_integer()) return std::nullopt;
  return r.body["quantity"].get<int64_t>();
}

int64_t statCount(const Sim& s, const std::string& op, const std::string& status) {
  auto r = test::httpGet(s.port, "/_sim/stats");
  if (r.status != 200 || !r.body.contains(op)) return 0;
  return r.body[op].value(status, int64_t{0});
}

std::string writeConfig(const test::TempDir& dir, const std::vector<std::unique_ptr<Sim>>& sims, json channel_extra) {
  json channels = json::object();
  for (const auto& s : sims) {
    json c = {{"connector", s->connector}};
    if (channel_extra.contains(s->channel)) c["connector"].update(channel_extra[s->channel]);
    channels[s->channel] = c;
  }
  json cfg = {{"channels", channels}, {"push", {{"backoff_initial_ms", 50}, {"accepted_readback_ms", 200}}}};
  std::string path = dir.file("channels.json");
  std::ofstream(path) << cfg.dump(2);
  return path;
}

bool waitAll(const std::vector<std::unique_ptr<Sim>>& sims, const std::string& sku, int64_t q, std::chrono::seconds t) {
  return test::waitFor(
      [&] {
        for (const auto& s : sims) {
          if (listed(*s, sku) != q) return false;
        }
        return true;
      },
      t, std::chrono::milliseconds(5));
}

int latency(int64_t sales, int64_t pace_ms) {
  test::TempDir dir;
  test::Broker broker;
  // Four SKUs in turn: eBay allows 250 revisions per listing per day.
  const std::vector<std::string> skus = {"BENCH-0", "BENCH-1", "BENCH-2", "BENCH-3"};
  std::vector<std::unique_ptr<Sim>> sims;
  for (const char* ch : {"shopify", "amazon", "ebay", "woocommerce"}) sims.push_back(startSim(dir, ch, skus, 0));
  std::string cfg = writeConfig(dir, sims, json::object());
  test::CoordinatorProc coord(dir, broker.url(), {}, {"--channels-config", cfg, "--log-level", "warn"});
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();
  const int64_t stock = 10'000;
  json lines = json::array();
  for (const auto& sku : skus) lines.push_back({{"sku", sku}, {"qty", stock}});
  if (till.movement({{"type", "receive"}, {"lines", lines}}).status != 201) throw std::runtime_error("receive failed");
  for (const auto& sku : skus) {
    if (!waitAll(sims, sku, stock, std::chrono::seconds(60))) throw std::runtime_error("initial stock never reached the channels");
  }

  std::map<std::string, std::vector<double>> per;
  std::vector<double> all;
  std::map<std::string, int64_t> left;
  for (const auto& s : sims) left[s->channel] = 0;
  int64_t missed = 0;
  std::map<std::string, int64_t> qty;
  for (const auto& sku : skus) qty[sku] = stock;
  for (int64_t i = 0; i < sales; ++i) {
    const std::string& sku = skus[static_cast<size_t>(i) % skus.size()];
    const int64_t expect = --qty[sku];
    auto t0 = Clock::now();
    if (till.sell(sku, 1).status != 201) throw std::runtime_error("sale failed");
    std::vector<const Sim*> waiting;
    for (const auto& s : sims) waiting.push_back(s.get());
    double slowest = 0;
    while (!waiting.empty() && msSince(t0) < 10'000) {
      for (auto it = waiting.begin(); it != waiting.end();) {
        if (listed(**it, sku) == expect) {
          double ms = msSince(t0);
          per[(*it)->channel].push_back(ms);
          slowest = std::max(slowest, ms);
          it = waiting.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (!waiting.empty()) {
      missed++;
      for (const Sim* s : waiting) left[s->channel]++;
    } else {
      all.push_back(slowest);
    }
    // Pace the sales so no channel's limit binds (this part measures latency, not throughput).
    auto next = t0 + std::chrono::milliseconds(pace_ms);
    if (Clock::now() < next) std::this_thread::sleep_until(next);
  }
  std::printf("(a) sale on a till -> new quantity visible in the simulator, %lld sales, one every %lld ms\n",
              static_cast<long long>(sales), static_cast<long long>(pace_ms));
  std::printf("    %-12s %8s %8s %8s %8s\n", "channel", "p50 ms", "p99 ms", "max ms", "missed");
  for (auto& [ch, v] : per) {
    std::vector<double> c = v;
    double p50 = percentile(c, 50), p99 = percentile(c, 99), mx = c.empty() ? 0 : c.back();
    std::printf("    %-12s %8.1f %8.1f %8.1f %8lld\n", ch.c_str(), p50, p99, mx, static_cast<long long>(left[ch]));
  }
  double p50 = percentile(all, 50), p99 = percentile(all, 99);
  std::printf("    %-12s %8.1f %8.1f %8.1f %8lld   (all four show it)\n", "all", p50, p99, all.empty() ? 0 : all.back(),
              static_cast<long long>(missed));
  std::printf("    target p99 < 250 ms: %s\n", p99 < 250 && missed == 0 ? "met" : "NOT met");
  return 0;
}

int throughput(int64_t seconds, int64_t nskus) {
  test::TempDir dir;
  test::Broker broker;
  std::vector<std::string> skus;
  for (int64_t i = 0; i < nskus; ++i) {
    char b[32];
    std::snprintf(b, sizeof b, "LOAD-%04lld", static_cast<long long>(i));
    skus.push_back(b);
  }
  std::vector<std::unique_ptr<Sim>> sims;
  sims.push_back(startSim(dir, "amazon", skus, 0, {"--apply-delay-ms", "20"}));
  // One PATCH per SKU whatever the batch (no feeds): the patch bucket is the limit measured.
  std::string cfg = writeConfig(dir, sims, {{"amazon", {{"feed_threshold", 1'000'000}}}});
  test::CoordinatorProc coord(dir, broker.url(), {}, {"--channels-config", cfg, "--log-level", "warn"});
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();
  // Let the bucket fill after start (reconciliation reads use another bucket).
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const Sim& amazon = *sims[0];
  const int64_t ok0 = statCount(amazon, "patchListingsItem", "200");
  const int64_t thr0 = statCount(amazon, "patchListingsItem", "429");
  auto t0 = Clock::now();
  int64_t changes = 0;
  // Every SKU changes about 10 times a second: far more than 5 updates/s can carry.
  while (msSince(t0) < static_cast<double>(seconds) * 1000) {
    json lines = json::array();
    for (const auto& sku : skus) lines.push_back({{"sku", sku}, {"qty", 1}});
    if (till.movement({{"type", "receive"}, {"lines", lines}}).status != 201) throw std::runtime_error("receive failed");
    changes += nskus;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double window_s = msSince(t0) / 1000.0;
  const int64_t ok = statCount(amazon, "patchListingsItem", "200") - ok0;
  const int64_t throttled = statCount(amazon, "patchListingsItem", "429") - thr0;
  // The simulator's bucket: full (burst 5) at the start, 5 tokens a second after.
  const double rate = 5.0, burst = 5.0;
  const double allowed = burst + rate * window_s;
  auto status = test::httpGet(coord.port(), "/v1/channels");
  std::printf("(b) binding limit: Amazon patchListingsItem (rate %.0f/s, burst %.0f), %lld SKUs changing, %.1f s\n", rate,
              burst, static_cast<long long>(nskus), window_s);
  std::printf("    SKU changes offered        %10lld  (%.0f/s)\n", static_cast<long long>(changes),
              static_cast<double>(changes) / window_s);
  std::printf("    updates the limit allows   %10.0f  (%.2f/s)\n", allowed, allowed / window_s);
  std::printf("    updates achieved           %10lld  (%.2f/s)\n", static_cast<long long>(ok),
              static_cast<double>(ok) / window_s);
  std::printf("    ratio achieved/allowed     %10.1f %%   (target >= 90 %%: %s)\n", 100.0 * static_cast<double>(ok) / allowed,
              static_cast<double>(ok) >= 0.9 * allowed ? "met" : "NOT met");
  std::printf("    429 QuotaExceeded answers  %10lld\n", static_cast<long long>(throttled));
  if (status.status == 200 && !status.body["channels"].empty()) {
    const json& c = status.body["channels"][0];
    std::printf("    scheduler: pushed %lld, retried %lld, calls %lld, rate learned %.2f/s from %s\n",
                static_cast<long long>(c["pushed"].get<int64_t>()), static_cast<long long>(c["retried"].get<int64_t>()),
                static_cast<long long>(c["calls"].get<int64_t>()), c["rate"]["refill_per_sec"].get<double>(),
                c["rate"]["source"].get<std::string>().c_str());
  }
  return 0;
}

}  // namespace

int benchChannels(const common::ParsedOptions& args) {
  try {
    int rc = latency(args.integer("sales"), args.integer("pace-ms"));
    if (rc != 0) return rc;
    return throughput(args.integer("seconds"), args.integer("skus"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "channels: %s\n", e.what());
    return 1;
  }
}

}  // namespace sw::bench
