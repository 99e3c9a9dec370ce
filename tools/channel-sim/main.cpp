// stockwire-channel-sim: a local stand-in for one online sales channel's API (Shopify,
// Amazon SP-API, eBay, WooCommerce, Walmart Marketplace), built from the contracts in shared/contracts/.
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

using Kind = sw::common::OptionSpec::Kind;

// Every option, declared once: parsing, ranges, defaults and --help come from here.
std::vector<sw::common::OptionSpec> simOptions() {
  const SimOptions d;
  auto text = [](const char* name, const char* value, const char* help, std::string fallback = "") {
    return sw::common::OptionSpec{name, Kind::kText, value, std::move(fallback), 0, 0, help};
  };
  auto whole = [](const char* name, int64_t fallback, int64_t min, int64_t max, const char* help) {
    return sw::common::OptionSpec{name, Kind::kInt, "N", std::to_string(fallback), min, max, help};
  };
  auto number = [](const char* name, const char* fallback, int64_t min, int64_t max, const char* help) {
    return sw::common::OptionSpec{name, Kind::kNumber, "X", fallback, min, max, help};
  };
  return {
      {"channel", Kind::kText, "NAME", "", 0, 0, "shopify, amazon, ebay, woocommerce or walmart", true},
      text("host", "H", "bind address", d.host),
      whole("port", 0, 0, 65535, "port (0 = any free port; the line \"listening http://H:P\" says which)"),
      whole("seed", 1, 0, INT64_MAX, "random seed for injected faults"),
      text("listings", "FILE", "JSON {\"listings\":[{\"sku\":\"A-1\",\"quantity\":5}]} to seed at start"),
      text("access-token", "T", "Shopify/Amazon/eBay token (or SW_SIM_ACCESS_TOKEN); required for those"),
      text("client-id", "ID", "Walmart client id (or SW_SIM_CLIENT_ID); required for it"),
      text("client-secret", "S", "Walmart client secret (or SW_SIM_CLIENT_SECRET); required for it"),
      whole("token-life-s", d.walmart_token_life_s, 1, 86'400, "Walmart: seconds an access token lives"),
      whole("api-calls", d.walmart_api_calls, 1, 1'000'000'000, "Walmart: each API's allotment per --api-window-ms"),
      whole("api-window-ms", d.walmart_api_window_ms, 1, 86'400'000, "Walmart: the allotment's window (refilled gradually)"),
      whole("feed-max-bytes", d.walmart_feed_max_bytes, 1, 1'000'000'000, "Walmart: a bigger feed file is 413"),
      text("consumer-key", "K", "WooCommerce consumer key (or SW_SIM_CONSUMER_KEY); required for it"),
      text("consumer-secret", "S", "WooCommerce consumer secret (or SW_SIM_CONSUMER_SECRET)"),
      text("webhook-secret", "S", "Shopify app secret / WooCommerce webhook secret (or SW_SIM_WEBHOOK_SECRET)"),
      text("webhook-url", "URL", "deliver orders/create, order.created, ... here (needs the webhook secret)"),
      whole("webhook-retries", d.webhook_retries, 1, 100, "Shopify delivery attempts (WooCommerce never retries)"),
      whole("webhook-retry-ms", d.webhook_retry_ms, 0, 3'600'000, "first retry delay, doubling"),
      number("bucket-size", "2000", 1, 1'000'000'000, "Shopify cost bucket, points"),
      number("restore-rate", "100", 1, 1'000'000'000, "Shopify bucket restore rate, points/s"),
      number("rate-scale", "1", 0, 1'000'000, "Amazon: multiply every usage plan's rate and burst (> 0)"),
      whole("inventory-calls-per-day", d.inventory_calls_per_day, 1, INT64_MAX, "eBay inventory call quota"),
      whole("fulfillment-calls-per-day", d.fulfillment_calls_per_day, 1, INT64_MAX, "eBay fulfillment call quota"),
      whole("revisions-per-day", d.revisions_per_day, 1, 1'000'000, "eBay revisions per listing per UTC day"),
      whole("batch-limit", d.batch_limit, 1, 1'000'000, "WooCommerce items per products/batch"),
      text("seller-id", "ID", "Amazon seller id in paths and feed headers", d.seller_id),
      text("shop-domain", "D", "Shopify X-Shopify-Shop-Domain", d.shop_domain),
      whole("apply-delay-ms", d.apply_delay_ms, 0, 3'600'000, "Amazon: an ACCEPTED listings PATCH becomes visible after this"),
      whole("feed-delay-ms", d.feed_delay_ms, 0, 3'600'000, "Amazon/Walmart: feeds are processed over this"),
      {"gzip-reports", Kind::kFlag, "", "", 0, 0, "Amazon: processing reports GZIP-compressed"},
      number("error-rate", "0", 0, 1, "share of API requests answered with a 5xx"),
      number("hang-rate", "0", 0, 1, "share of API requests that hang for --hang-ms, then 504"),
      whole("hang-ms", d.faults.hang_ms, 0, 3'600'000, "how long a hung request hangs"),
      whole("slow-ms", 0, 0, 3'600'000, "added to every API request"),
      whole("throttle-for-ms", 0, 0, 86'400'000, "a throttling storm from the start, this long"),
  };
}

constexpr const char* kNotes =
    "Faults can also be set at runtime: POST /_sim/faults (see tools/channel-sim/README.md, which lists\n"
    "the control API).\n";

int fail(const std::string& message) {
  std::fprintf(stderr, "stockwire-channel-sim: %s\n", message.c_str());
  return 2;
}

std::string fromFlagOrEnv(const sw::common::ParsedOptions& args, const char* flag, const char* env) {
  if (args.has(flag)) return args.text(flag);
  const char* e = std::getenv(env);
  return e ? e : "";
}

int runSim(const sw::common::ParsedOptions& args) {
  SimOptions o;
  o.channel = args.text("channel");
  if (o.channel != "shopify" && o.channel != "amazon" && o.channel != "ebay" && o.channel != "woocommerce" &&
      o.channel != "walmart") {
    return fail("--channel must be shopify, amazon, ebay, woocommerce or walmart (see --help)");
  }
  o.host = args.text("host");
  o.port = static_cast<int>(args.integer("port"));
  o.seed = static_cast<uint64_t>(args.integer("seed"));
  o.webhook_retries = static_cast<int>(args.integer("webhook-retries"));
  o.webhook_retry_ms = args.integer("webhook-retry-ms");
  o.bucket_size = args.number("bucket-size");
  o.restore_rate = args.number("restore-rate");
  o.rate_scale = args.number("rate-scale");
  if (o.rate_scale <= 0) return fail("--rate-scale must be more than 0");
  o.inventory_calls_per_day = args.integer("inventory-calls-per-day");
  o.fulfillment_calls_per_day = args.integer("fulfillment-calls-per-day");
  o.revisions_per_day = static_cast<int>(args.integer("revisions-per-day"));
  o.batch_limit = static_cast<int>(args.integer("batch-limit"));
  o.apply_delay_ms = args.integer("apply-delay-ms");
  o.feed_delay_ms = args.integer("feed-delay-ms");
  o.faults.error_rate = args.number("error-rate");
  o.faults.hang_rate = args.number("hang-rate");
  o.faults.hang_ms = args.integer("hang-ms");
  o.faults.slow_ms = args.integer("slow-ms");
  const int64_t throttle_ms = args.integer("throttle-for-ms");
  o.gzip_reports = args.flag("gzip-reports");
  o.seller_id = args.text("seller-id");
  o.shop_domain = args.text("shop-domain");
  o.webhook_url = args.text("webhook-url");
  o.access_token = fromFlagOrEnv(args, "access-token", "SW_SIM_ACCESS_TOKEN");
  o.client_id = fromFlagOrEnv(args, "client-id", "SW_SIM_CLIENT_ID");
  o.client_secret = fromFlagOrEnv(args, "client-secret", "SW_SIM_CLIENT_SECRET");
  o.walmart_token_life_s = args.integer("token-life-s");
  o.walmart_api_calls = args.integer("api-calls");
  o.walmart_api_window_ms = args.integer("api-window-ms");
  o.walmart_feed_max_bytes = args.integer("feed-max-bytes");
  o.consumer_key = fromFlagOrEnv(args, "consumer-key", "SW_SIM_CONSUMER_KEY");
  o.consumer_secret = fromFlagOrEnv(args, "consumer-secret", "SW_SIM_CONSUMER_SECRET");
  o.webhook_secret = fromFlagOrEnv(args, "webhook-secret", "SW_SIM_WEBHOOK_SECRET");
  if (o.channel == "woocommerce") {
    if (o.consumer_key.empty() || o.consumer_secret.empty()) return fail("WooCommerce needs --consumer-key and --consumer-secret");
    if (!o.webhook_url.empty() && o.webhook_secret.empty()) return fail("--webhook-url needs --webhook-secret");
  } else if (o.channel == "walmart") {
    if (o.client_id.empty() || o.client_secret.empty()) return fail("Walmart needs --client-id and --client-secret");
  } else if (o.access_token.empty()) {
    return fail("--access-token (or SW_SIM_ACCESS_TOKEN) is required");
  }
  if (o.channel == "shopify" && !o.webhook_url.empty() && o.webhook_secret.empty()) {
    return fail("--webhook-url needs --webhook-secret");
  }
  std::string error;
  SimContext ctx(o);
  if (throttle_ms > 0) ctx.setFaults(json{{"throttle_for_ms", throttle_ms}}, &error);
  std::unique_ptr<ChannelSim> sim;
  if (o.channel == "shopify") sim = makeShopifySim(ctx);
  if (o.channel == "amazon") sim = makeAmazonSim(ctx);
  if (o.channel == "ebay") sim = makeEbaySim(ctx);
  if (o.channel == "woocommerce") sim = makeWooCommerceSim(ctx);
  if (o.channel == "walmart") sim = makeWalmartSim(ctx);

  if (args.has("listings")) {
    const std::string file = args.text("listings");
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    json seed_body = json::parse(ss.str(), nullptr, false);
    std::vector<SeedListing> listings;
    json out;
    if (!in || seed_body.is_discarded() || !readSeedListings(seed_body, sim->seedRules(), &listings, &error) ||
        !sim->seed(listings, &out, &error)) {
      return fail("cannot seed listings from " + file + (error.empty() ? "" : ": " + error));
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

}  // namespace

int main(int argc, char** argv) {
  sw::common::blockTerminationSignals();
  return sw::common::runTool({"stockwire-channel-sim", "stockwire-channel-sim: simulates one online channel's API on a local port.",
                              sw::common::OptionTable(simOptions()), runSim, kNotes},
                             argc, argv);
}
