#pragma once
// The channel simulator as a child process (stockwire-channel-sim on a free port, with
// credentials made up per test), and a local webhook receiver that records deliveries.

#include <httplib.h>

#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/http_server.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/channels/http_client.h"
#include "sw/coordinator/channels/webhook.h"
#include "sw/harness/stack.h"
#include "test_support.h"

namespace sw::test {

class ChannelSim {
 public:
  // channel: shopify|amazon|ebay|woocommerce|walmart; extra: more flags. WooCommerce's consumer key and
  // secret double as Walmart's client id and secret.
  ChannelSim(const std::string& channel, std::vector<std::string> extra = {})
      : channel_(channel), token_(common::newUuid()), key_("ck_" + common::newUuid()), secret_("cs_" + common::newUuid()) {
    std::vector<std::string> argv = {binaryPath("tools/channel-sim", "stockwire-channel-sim"), "--channel", channel, "--port", "0"};
    if (channel == "woocommerce") {
      argv.insert(argv.end(), {"--consumer-key", key_, "--consumer-secret", secret_});
    } else if (channel == "walmart") {
      argv.insert(argv.end(), {"--client-id", key_, "--client-secret", secret_});
    } else {
      argv.insert(argv.end(), {"--access-token", token_});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    child_ = Child::spawn(argv, dir_.file("sim"));
    port_ = child_.waitForHttpPort(std::chrono::seconds(10));
    if (port_ <= 0) throw std::runtime_error("channel simulator did not start: " + child_.stderrText());
  }
  ~ChannelSim() { child_.kill(SIGTERM); }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& token() const { return token_; }
  const std::string& consumerKey() const { return key_; }
  const std::string& consumerSecret() const { return secret_; }
  std::string logs() const { return child_.stderrText(); }

  // The one way tests write this simulator into a channels file: the `connector` block with its URL
  // and credentials, the ids seed() answered (Shopify location_id, Amazon seller_id), and for
  // Shopify and WooCommerce the webhook secret order intake checks (when given).
  nlohmann::json connectorConfig(const nlohmann::json& seeded, const std::string& webhook_secret = "") const {
    nlohmann::json conn = {{"channel", channel_}, {"base_url", url()}};
    if (channel_ == "woocommerce") {
      conn.update({{"consumer_key", key_}, {"consumer_secret", secret_}});
    } else if (channel_ == "walmart") {
      conn.update({{"client_id", key_}, {"client_secret", secret_}});
    } else {
      conn["access_token"] = token_;
    }
    if (channel_ == "shopify") conn["location_id"] = seeded.at("location_id");
    if (channel_ == "amazon") conn["seller_id"] = seeded.at("seller_id");
    if (!webhook_secret.empty() && (channel_ == "shopify" || channel_ == "woocommerce")) {
      conn["webhook_secret"] = webhook_secret;
    }
    return conn;
  }

  nlohmann::json seed(const nlohmann::json& listings) {
    auto r = httpPost(port_, "/_sim/listings", nlohmann::json{{"listings", listings}}.dump());
    if (r.status != 200) throw std::runtime_error("seeding failed: " + r.body.dump());
    return r.body;
  }
  nlohmann::json listing(const std::string& sku) { return httpGet(port_, "/_sim/listings/" + sku).body; }
  nlohmann::json order(const nlohmann::json& spec) {
    auto r = httpPost(port_, "/_sim/orders", spec.dump());
    if (r.status != 201) throw std::runtime_error("order failed: " + r.body.dump());
    return r.body;
  }
  HttpReply faults(const nlohmann::json& patch) { return httpPost(port_, "/_sim/faults", patch.dump()); }

  std::unique_ptr<coordinator::channels::HttpClient> client(int64_t read_timeout_ms = 5'000) const {
    auto c = coordinator::channels::makeHttplibClient({url(), 1'000, read_timeout_ms});
    if (!c) throw std::runtime_error(c.error().toString());
    return std::move(*c);
  }

 private:
  TempDir dir_;
  std::string channel_;
  std::string token_;
  std::string key_;
  std::string secret_;
  Child child_;
  int port_ = -1;
};

// Answers POST /hook with `status` and keeps what arrived.
class WebhookReceiver {
 public:
  struct Delivery {
    coordinator::channels::HeaderList headers;
    std::string body;
  };
  WebhookReceiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      Delivery d;
      for (const auto& [k, v] : req.headers) d.headers.emplace_back(k, v);
      d.body = req.body;
      deliveries_.push_back(std::move(d));
      res.status = status_;
    });
    if (!runner_.start("127.0.0.1", 0)) throw std::runtime_error("webhook receiver did not start");
  }
  // The server stops before the members its handler writes are destroyed (ThreadSanitizer saw a
  // delivery land in a vector being destroyed).
  ~WebhookReceiver() { runner_.stop(); }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(runner_.port()) + "/hook"; }
  void answerWith(int status) {
    std::lock_guard lock(mu_);
    status_ = status;
  }
  std::vector<Delivery> deliveries() {
    std::lock_guard lock(mu_);
    return deliveries_;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return deliveries_.size();
  }

 private:
  httplib::Server server_;
  common::HttpServerRunner runner_{server_};
  std::mutex mu_;
  std::vector<Delivery> deliveries_;
  int status_ = 200;
};

}  // namespace sw::test
