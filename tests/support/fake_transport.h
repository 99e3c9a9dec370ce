#pragma once
// An in-memory MqttTransport for unit tests of sync logic: records what is published and
// lets the test deliver messages and connection changes by hand. Thread-safe.

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "sw/common/mqtt.h"

namespace sw::test {

class FakeTransport final : public common::MqttTransport {
 public:
  struct Published {
    std::string topic;
    std::string payload;
    bool retain = false;
  };

  void start() override {}
  void stop() override { connected_ = false; }
  bool isConnected() const override { return connected_; }
  // Counts reconnects (a renewed certificate); the connection stays up.
  void reconnect() override { ++reconnects_; }
  int reconnects() const { return reconnects_.load(); }
  common::Status subscribe(std::string_view filter, int) override {
    std::lock_guard<std::mutex> lock(mu_);
    subscriptions_.emplace_back(filter);
    return {};
  }
  common::Status publish(std::string_view topic, std::string_view payload, int, bool retain, int) override {
    if (!connected_) return common::Error::retry("mqtt_disconnected", "fake is disconnected");
    std::lock_guard<std::mutex> lock(mu_);
    published_.push_back({std::string(topic), std::string(payload), retain});
    return {};
  }
  int inflight() const override { return 0; }

  void setConnected(bool c) {
    connected_ = c;
    dispatchConnection(c);
  }
  // Connected, but the connection handlers not told yet: Paho raises its flag and delivers the
  // retained messages of its subscriptions before the handlers run. notifyConnected() tells them.
  void connectQuietly() { connected_ = true; }
  void notifyConnected() { dispatchConnection(true); }
  void deliver(const std::string& topic, const std::string& payload) { dispatchMessage(topic, payload); }
  std::vector<Published> published() {
    std::lock_guard<std::mutex> lock(mu_);
    return published_;
  }
  std::vector<Published> take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Published> out;
    out.swap(published_);
    return out;
  }
  std::vector<std::string> subscriptions() {
    std::lock_guard<std::mutex> lock(mu_);
    return subscriptions_;
  }

 private:
  std::mutex mu_;
  std::atomic<bool> connected_{false};
  std::atomic<int> reconnects_{0};
  std::vector<Published> published_;
  std::vector<std::string> subscriptions_;
};

}  // namespace sw::test
