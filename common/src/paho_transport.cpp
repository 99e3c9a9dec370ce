// Paho adapter. Threads: Paho's own (callbacks) plus one connector thread owned
// here, which (re)connects with jittered backoff and renews subscriptions.

#include "sw/common/paho_transport.h"

#include <mqtt/async_client.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "sw/common/log.h"

namespace sw::common {
namespace {

constexpr std::string_view kLog = "mqtt";

class PahoTransport final : public MqttTransport, private mqtt::callback {
 public:
  explicit PahoTransport(MqttConfig config)
      : config_(std::move(config)),
        client_(config_.broker_url, config_.client_id,
                mqtt::create_options(MQTTVERSION_5, std::max(config_.max_inflight * 2, 100))),
        rng_(std::random_device{}()) {
    client_.set_callback(*this);
    // An MQTT 5 broker may end the session with a DISCONNECT packet (e.g. 0x95 packet too large);
    // Paho reports that here, not through connection_lost.
    client_.set_disconnected_handler([this](const mqtt::properties&, mqtt::ReasonCode reason) {
      connection_lost("broker sent DISCONNECT, reason " + std::to_string(static_cast<int>(reason)));
    });
  }

  ~PahoTransport() override { stop(); }

  void start() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (connector_.joinable()) return;
    stopping_ = false;
    connector_ = std::thread([this] { connectLoop(); });
  }

  void stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!connector_.joinable()) return;
      stopping_ = true;
    }
    cv_.notify_all();
    connector_.join();
    try {
      if (client_.is_connected()) client_.disconnect(std::chrono::milliseconds(1000))->wait_for(2000);
    } catch (const mqtt::exception& ex) {
      SW_DEBUG(kLog) << config_.client_id << ": disconnect: " << ex.what();
    }
    connected_ = false;
    std::lock_guard<std::mutex> lock(mu_);
    connector_ = std::thread();
  }

  bool isConnected() const override { return connected_.load(); }

  void reconnect() override {
    try {
      if (client_.is_connected()) client_.disconnect(std::chrono::milliseconds(500))->wait_for(1500);
    } catch (const mqtt::exception& ex) {
      SW_DEBUG(kLog) << config_.client_id << ": disconnect: " << ex.what();
    }
    connection_lost("reconnecting with new credentials");
  }

  Status subscribe(std::string_view filter, int qos) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      subscriptions_.emplace_back(std::string(filter), qos);
    }
    if (!connected_) return {};  // renewed on connect
    try {
      client_.subscribe(std::string(filter), qos)->wait_for(std::chrono::seconds(5));
    } catch (const mqtt::exception& ex) {
      return Error::retry("mqtt_subscribe", ex.what());
    }
    return {};
  }

  Status publish(std::string_view topic, std::string_view payload, int qos, bool retain,
                 int timeout_ms) override {
    if (!connected_) return Error::retry("mqtt_disconnected", "not connected to the broker");
    {
      std::unique_lock<std::mutex> lock(window_mu_);
      bool room = window_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                      [&] { return inflight_ < config_.max_inflight || !connected_; });
      if (!connected_) return Error::retry("mqtt_disconnected", "connection lost while waiting to publish");
      if (!room) return Error::retry("mqtt_window_full", "in-flight publish window stayed full");
      ++inflight_;
    }
    try {
      auto msg = mqtt::make_message(std::string(topic), payload.data(), payload.size(), qos, retain);
      client_.publish(msg, nullptr, listener_);
    } catch (const mqtt::exception& ex) {
      complete();
      return Error::retry("mqtt_publish", ex.what());
    }
    return {};
  }

  int inflight() const override {
    std::lock_guard<std::mutex> lock(window_mu_);
    return inflight_;
  }

  uint32_t maxPacketSize() const override { return max_packet_size_.load(); }

 private:
  class Listener final : public mqtt::iaction_listener {
   public:
    explicit Listener(PahoTransport* owner) : owner_(owner) {}
    void on_failure(const mqtt::token&) override { owner_->complete(); }
    void on_success(const mqtt::token&) override { owner_->complete(); }

   private:
    PahoTransport* owner_;
  };

  void complete() {
    {
      std::lock_guard<std::mutex> lock(window_mu_);
      if (inflight_ > 0) --inflight_;
    }
    window_cv_.notify_all();
  }

  mqtt::connect_options connectOptions() {
    auto b = mqtt::connect_options_builder()
                 .mqtt_version(MQTTVERSION_5)
                 .clean_start(config_.clean_start)
                 .keep_alive_interval(std::chrono::seconds(config_.keepalive_s))
                 .connect_timeout(std::chrono::seconds(config_.connect_timeout_s))
                 .automatic_reconnect(false);
    if (!config_.clean_start) {
      b.properties({{mqtt::property::SESSION_EXPIRY_INTERVAL, 7 * 24 * 3600}});
    }
    if (!config_.username.empty()) b.user_name(config_.username);
    if (config_.will) {
      b.will(mqtt::message(config_.will->topic, config_.will->payload, config_.will->qos, config_.will->retained));
    }
    if (config_.broker_url.rfind("ssl://", 0) == 0 || config_.broker_url.rfind("mqtts://", 0) == 0) {
      auto ssl = mqtt::ssl_options_builder()
                     .trust_store(config_.ca_file)
                     .key_store(config_.cert_file)
                     .private_key(config_.key_file)
                     .enable_server_cert_auth(true)
                     .verify(true)
                     .finalize();
      b.ssl(ssl);
    }
    return b.finalize();
  }

  void connectLoop() {
    int attempt = 0;
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      if (connected_) {
        cv_.wait(lock, [&] { return stopping_ || !connected_; });
        continue;
      }
      lock.unlock();
      bool ok = tryConnect();
      lock.lock();
      if (ok) {
        attempt = 0;
        continue;
      }
      int64_t delay = reconnectDelayMs(attempt++, config_.reconnect_min_ms, config_.reconnect_max_ms, uni(rng_));
      cv_.wait_for(lock, std::chrono::milliseconds(delay), [&] { return stopping_.load(); });
    }
  }

  bool tryConnect() {
    try {
      auto tok = client_.connect(connectOptions());
      if (!tok->wait_for(std::chrono::seconds(config_.connect_timeout_s + 1))) {
        SW_DEBUG(kLog) << config_.client_id << ": connect timed out";
        return false;
      }
      const mqtt::connect_response rsp = tok->get_connect_response();  // by value: keep it alive
      const mqtt::properties& props = rsp.get_properties();
      max_packet_size_ = props.contains(mqtt::property::MAXIMUM_PACKET_SIZE)
                             ? mqtt::get<uint32_t>(props, mqtt::property::MAXIMUM_PACKET_SIZE)
                             : 0;
      if (max_packet_size_ > 0) {
        SW_INFO(kLog) << config_.client_id << ": broker accepts packets up to " << max_packet_size_ << " bytes";
      }
      std::vector<std::pair<std::string, int>> subs;
      {
        std::lock_guard<std::mutex> lock(mu_);
        subs = subscriptions_;
      }
      for (const auto& [filter, qos] : subs) {
        client_.subscribe(filter, qos)->wait_for(std::chrono::seconds(5));
      }
    } catch (const mqtt::exception& ex) {
      SW_DEBUG(kLog) << config_.client_id << ": connect to " << config_.broker_url << " failed: " << ex.what();
      try {
        if (client_.is_connected()) client_.disconnect()->wait_for(1000);
      } catch (const mqtt::exception&) {
      }
      return false;
    }
    connected_ = true;
    SW_INFO(kLog) << config_.client_id << ": connected to " << config_.broker_url;
    dispatchConnection(true);
    return true;
  }

  // mqtt::callback
  void connection_lost(const std::string& cause) override {
    bool was = connected_.exchange(false);
    window_cv_.notify_all();
    {
      // Completions for lost publishes may never come; the window restarts empty.
      std::lock_guard<std::mutex> lock(window_mu_);
      inflight_ = 0;
    }
    if (was) {
      SW_WARN(kLog) << config_.client_id << ": connection lost" << (cause.empty() ? "" : ": ") << cause;
      dispatchConnection(false);
    }
    cv_.notify_all();
  }

  void message_arrived(mqtt::const_message_ptr msg) override {
    const auto& payload = msg->get_payload_ref();
    dispatchMessage(msg->get_topic(), std::string_view(payload.data(), payload.size()));
  }

  void delivery_complete(mqtt::delivery_token_ptr) override {}

  MqttConfig config_;
  mqtt::async_client client_;
  Listener listener_{this};

  std::mutex mu_;
  std::condition_variable cv_;
  std::thread connector_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<uint32_t> max_packet_size_{0};
  std::vector<std::pair<std::string, int>> subscriptions_;
  std::mt19937_64 rng_;

  mutable std::mutex window_mu_;
  std::condition_variable window_cv_;
  int inflight_ = 0;
};

}  // namespace

std::unique_ptr<MqttTransport> makePahoTransport(const MqttConfig& config) {
  return std::make_unique<PahoTransport>(config);
}

}  // namespace sw::common
