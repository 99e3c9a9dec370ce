#pragma once
// The MQTT transport seen by the agent and the coordinator. The real one is
// PahoTransport (paho_transport.h); tests of sync logic can supply their own.
//
// A transport keeps reconnecting on its own, with exponential backoff and full
// jitter so that a fleet coming back after an outage does not reconnect at once.
// Subscriptions are remembered and renewed after every reconnect.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sw/common/result.h"

namespace sw::common {

struct MqttWill {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = true;
};

struct MqttConfig {
  std::string broker_url;  // tcp://host:port or ssl://host:port
  std::string client_id;
  std::string username;  // optional; brokers with an acl_file match rules by it
  bool clean_start = true;
  int keepalive_s = 10;
  int connect_timeout_s = 5;
  int reconnect_min_ms = 250;
  int reconnect_max_ms = 15'000;
  std::optional<MqttWill> will;
  // Publishes handed to the client and not yet completed; publish() waits when the window is full.
  int max_inflight = 64;
  // TLS (ssl:// URLs): CA bundle, this client's certificate and key.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

class MqttTransport {
 public:
  using MessageHandler = std::function<void(std::string_view topic, std::string_view payload)>;
  // Called with true after each successful (re)connect and false on each loss.
  using ConnectionHandler = std::function<void(bool connected)>;

  virtual ~MqttTransport() = default;
  // Several components share one connection, each handling the topics it owns. Handlers are
  // added before start() and called on the transport's threads; keep them short.
  // filter is an MQTT topic filter (+ and #; a $share/<group>/ prefix is ignored).
  void addMessageHandler(std::string filter, MessageHandler handler);
  void addConnectionHandler(ConnectionHandler handler);
  virtual void start() = 0;
  // Disconnects cleanly (no will is sent) and stops reconnecting.
  virtual void stop() = 0;
  // Disconnects cleanly and connects again at once, reading the TLS files anew (a renewed
  // certificate). Connection handlers see false then true. No-op where there is nothing to reload.
  virtual void reconnect() {}
  virtual bool isConnected() const = 0;
  // Remembered and renewed on every reconnect.
  virtual Status subscribe(std::string_view filter, int qos) = 0;
  // Hands the message to the client. A retry error when disconnected or when the in-flight
  // window stays full past timeout_ms. Delivery is confirmed only by an application ack.
  virtual Status publish(std::string_view topic, std::string_view payload, int qos, bool retain,
                         int timeout_ms = 5000) = 0;
  // Number of publishes handed over and not yet completed by the broker.
  virtual int inflight() const = 0;
  // The largest packet the broker accepts, as it announced in CONNACK (MQTT 5); 0 if it did not.
  // Mosquitto drops bigger messages silently, so senders keep their batches under it.
  virtual uint32_t maxPacketSize() const { return 0; }

 protected:
  // For implementations: hand an arrived message / a connection change to the handlers.
  void dispatchMessage(std::string_view topic, std::string_view payload) const;
  void dispatchConnection(bool connected) const;

 private:
  std::vector<std::pair<std::string, MessageHandler>> message_handlers_;
  std::vector<ConnectionHandler> connection_handlers_;
};

// MQTT topic filter matching: '+' one level, '#' the rest; "$share/<group>/" is stripped.
bool topicMatches(std::string_view filter, std::string_view topic);

// Next reconnect delay: exponential from min to max with full jitter, given the attempt
// number and a random value in [0, 1).
int64_t reconnectDelayMs(int attempt, int min_ms, int max_ms, double random01);

}  // namespace sw::common
