// stockwire-channel-sim: a local stand-in for one online sales channel's API (Shopify,
// Amazon SP-API, eBay, WooCommerce), built from the contracts in shared/contracts/.
// See tools/channel-sim/README.md.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim_core.h"
#include "sw/common/cli.h"
#include "sw/common/args.h"
#include "sw/common/http_socket.h"
#include "sw/common/process.h"

namespace {

using namespace sw::channelsim;

constexpr const char* kUsage = R"(stockwire-channel-sim: simulates one online channel's API on a local port.

Usage:
  stockwire-channel-sim --channel shopify|amazon|ebay|woocommerce [--port N] [options]

Options:
  --host H                 bind address (default 127.0.0.1)
  --port N                 port (default 0 = any free port; the line "listening http://H:P" says which)
  --seed N                 random seed for injected faults (default 1)
  --listings FILE          JSON {"listings":[{"sku":"A-1","quantity":5}]} to seed at start
Credentials (flag or environment; the simulator refuses to start without them):
  --access-token T         Shopify/Amazon/eBay token            (SW_SIM_ACCESS_TOKEN)
  --consumer-key K         WooCommerce consumer key             (SW_SIM_CONSUMER_KEY)
  --consumer-secret S      WooCommerce consumer secret          (SW_SIM_CONSUMER_SECRET)
  --webhook-secret S       Shopify app secret / Woo webhook secret (SW_SIM_WEBHOOK_SECRET)
Webhooks (Shopify, WooCommerce):
  --webhook-url URL        deliver orders/create, order.created, ... here
  --webhook-retries N      Shopify delivery attempts (default 8; WooCommerce never retries)
  --webhook-retry-ms N     first retry delay, doubling (default 1000)
Rate limits:
  --bucket-size N --restore-rate N      Shopify cost bucket (default 2000 points, 100 points/s)
  --rate-scale X                        Amazon: multiply every usage plan (default 1)
  --inventory-calls-per-day N --fulfillment-calls-per-day N   eBay (default 2000000 / 100000)
  --revisions-per-day N                 eBay revisions per listing per day (default 250)
  --batch-limit N                       WooCommerce batch items (default 100)
Amazon:
  --seller-id ID  --apply-delay-ms N (default 100)  --feed-delay-ms N (default 500)  --gzip-reports
Faults (also at runtime: POST /_sim/faults):
  --error-rate X  --hang-rate X  --hang-ms N  --slow-ms N  --throttle-for-ms N
)";

int fail(const std::string& message) {
  std::fprintf(stderr, "stockwire-channel-sim: %s\n", message.c_str());
  return 2;
}

bool number(const sw::common::Args& args, const char* name, double* out, std::string* error) {
  auto v = args.get(name);
  if (!v) return true;
  char* end = nullptr;
  double d = std::strtod(v->c_str(), &end);
  if (!end || *end != '\0' || v->empty()) {
    *error = std::string("--") + name + " must be a number";
    return false;
  }
  *out = d;
  return true;
}

std::string fromFlagOrEnv(const sw::common::Args& args, const char* flag, const char* env) {
  if (auto v = args.get(flag)) return *v;
  const char* e = std::getenv(env);
  return e ? e : "";
}

}  // namespace

int main(int argc, char** argv) {
  sw::common::blockTerminationSignals();
  std::vector<std::string> raw(argv + 1, argv + argc);
  if (int code = 0; sw::common::answerHelpOrVersion("stockwire-channel-sim", kUsage, raw, &code)) return code;
  auto args = sw::common::Args::parse(
      raw,
      {"channel", "host", "port", "seed", "listings", "access-token", "consumer-key", "consumer-secret", "webhook-secret",
       "webhook-url", "webhook-retries", "webhook-retry-ms", "bucket-size", "restore-rate", "rate-scale",
       "inventory-calls-per-day", "fulfillment-calls-per-day", "revisions-per-day", "batch-limit", "seller-id",
       "apply-delay-ms", "feed-delay-ms", "error-rate", "hang-rate", "hang-ms", "slow-ms", "throttle-for-ms", "shop-domain"},
      {"gzip-reports"});
  if (!args) return fail(args.error().message);
  SimOptions o;
  o.channel = args->getOr("channel", "");
  if (o.channel != "shopify" && o.channel != "amazon" && o.channel != "ebay" && o.channel != "woocommerce") {
    return fail("--channel must be shopify, amazon, ebay or woocommerce (see --help)");
  }
  o.host = args->getOr("host", o.host);
  std::string error;
  auto integer = [&](const char* name, int64_t fallback, int64_t* out) {
    auto v = args->getInt(name, fallback);
    if (!v) {
      error = v.error().message;
      return false;
    }
    *out = *v;
    return true;
  };
  int64_t port = 0, seed = 1, retries = o.webhook_retries, revisions = o.revisions_per_day, batch = o.batch_limit;
  int64_t hang_ms = o.faults.hang_ms, throttle_ms = 0;
  if (!integer("port", 0, &port) || !integer("seed", 1, &seed) || !integer("webhook-retries", retries, &retries) ||
      !integer("webhook-retry-ms", o.webhook_retry_ms, &o.webhook_retry_ms) ||
      !integer("inventory-calls-per-day", o.inventory_calls_per_day, &o.inventory_calls_per_day) ||
      !integer("fulfillment-calls-per-day", o.fulfillment_calls_per_day, &o.fulfillment_calls_per_day) ||
      !integer("revisions-per-day", revisions, &revisions) || !integer("batch-limit", batch, &batch) ||
      !integer("apply-delay-ms", o.apply_delay_ms, &o.apply_delay_ms) ||
      !integer("feed-delay-ms", o.feed_delay_ms, &o.feed_delay_ms) || !integer("hang-ms", hang_ms, &hang_ms) ||
      !integer("slow-ms", 0, &o.faults.slow_ms) || !integer("throttle-for-ms", 0, &throttle_ms)) {
    return fail(error);
  }
  if (!number(*args, "bucket-size", &o.bucket_size, &error) || !number(*args, "restore-rate", &o.restore_rate, &error) ||
      !number(*args, "rate-scale", &o.rate_scale, &error) || !number(*args, "error-rate", &o.faults.error_rate, &error) ||
      !number(*args, "hang-rate", &o.faults.hang_rate, &error)) {
    return fail(error);
  }
  if (port < 0 || port > 65535) return fail("--port must be 0..65535");
  if (o.bucket_size <= 0 || o.restore_rate <= 0 || o.rate_scale <= 0) return fail("rate settings must be positive");
  if (batch < 1 || revisions < 1 || retries < 1) return fail("--batch-limit, --revisions-per-day, --webhook-retries must be >= 1");
  o.port = static_cast<int>(port);
  o.seed = static_cast<uint64_t>(seed);
  o.webhook_retries = static_cast<int>(retries);
  o.revisions_per_day = static_cast<int>(revisions);
  o.batch_limit = static_cast<int>(batch);
  o.faults.hang_ms = hang_ms;
  o.gzip_reports = args->has("gzip-reports");
  o.seller_id = args->getOr("seller-id", o.seller_id);
  o.shop_domain = args->getOr("shop-domain", o.shop_domain);
  o.webhook_url = args->getOr("webhook-url", "");
  o.access_token = fromFlagOrEnv(*args, "access-token", "SW_SIM_ACCESS_TOKEN");
  o.consumer_key = fromFlagOrEnv(*args, "consumer-key", "SW_SIM_CONSUMER_KEY");
  o.consumer_secret = fromFlagOrEnv(*args, "consumer-secret", "SW_SIM_CONSUMER_SECRET");
  o.webhook_secret = fromFlagOrEnv(*args, "webhook-secret", "SW_SIM_WEBHOOK_SECRET");
  if (o.channel == "woocommerce") {
    if (o.consumer_key.empty() || o.consumer_secret.empty()) return fail("WooCommerce needs --consumer-key and --consumer-secret");
    if (!o.webhook_url.empty() && o.webhook_secret.empty()) return fail("--webhook-url needs --webhook-secret");
  } else if (o.access_token.empty()) {
    return fail("--access-token (or SW_SIM_ACCESS_TOKEN) is required");
  }
  if (o.channel == "shopify" && !o.webhook_url.empty() && o.webhook_secret.empty()) {
    return fail("--webhook-url needs --webhook-secret");
  }

  SimContext ctx(o);
  if (throttle_ms > 0) ctx.setFaults(json{{"throttle_for_ms", throttle_ms}}, &error);
  std::unique_ptr<ChannelSim> sim;
  if (o.channel == "shopify") sim = makeShopifySim(ctx);
  if (o.channel == "amazon") sim = makeAmazonSim(ctx);
  if (o.channel == "ebay") sim = makeEbaySim(ctx);
  if (o.channel == "woocommerce") sim = makeWooCommerceSim(ctx);

  if (auto file = args->get("listings")) {
    std::ifstream in(*file);
    std::stringstream ss;
    ss << in.rdbuf();
    json seed_body = json::parse(ss.str(), nullptr, false);
    std::vector<SeedListing> listings;
    json out;
    if (!in || seed_body.is_discarded() || !readSeedListings(seed_body, sim->seedRules(), &listings, &error) ||
        !sim->seed(listings, &out, &error)) {
      return fail("cannot seed listings from " + *file + (error.empty() ? "" : ": " + error));
    }
  }

  httplib::Server server;
  sw::common::tuneHttpServer(server);
  server.new_task_queue = [] { return new httplib::ThreadPool(32); };
  server.set_payload_max_length(64 * 1024 * 1024);
  installControl(server, ctx, *sim);
  sim->install(server);
  int bound = o.port == 0 ? server.bind_to_any_port(o.host) : (server.bind_to_port(o.host, o.port) ? o.port : -1);
  if (bound <= 0) return fail("cannot bind " + o.host + ":" + std::to_string(o.port));
  std::thread runner([&server] { server.listen_after_bind(); });
  std::printf("listening http://%s:%d\n", o.host.c_str(), bound);
  std::fflush(stdout);
  std::fprintf(stderr, "stockwire-channel-sim: %s on http://%s:%d\n", o.channel.c_str(), o.host.c_str(), bound);
  sw::common::waitForTerminationSignal();
  ctx.stop();  // wakes hung requests first
  server.stop();
  runner.join();
  return 0;
}
