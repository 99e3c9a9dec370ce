#pragma once
// The load generator's MQTT 5 client: many connections on one epoll event loop, so one thread
// serves thousands of simulated devices and a socket costs nothing until it is ready (Paho's
// async client polls every socket of the process for every packet: tools/loadgen/README.md).
// Packets are those of mqtt_wire.h; TCP_NODELAY is on (a QoS 1 exchange stalls ~40 ms without).
//
// Not thread-safe: a loop and its connections belong to one thread, which calls
// EventLoop::run() and everything else; only EventLoop::wake() may be called from another.

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/loadgen/mqtt_wire.h"
#include "sw/loadgen/sim_device.h"

namespace sw::loadgen {

// "tcp://HOST:PORT" or "mqtt://HOST:PORT", HOST an IPv4 address or "localhost". TLS is not
// offered (a benchmark broker on loopback; the real fleet's mTLS is tested elsewhere).
common::Result<sockaddr_in> parseBrokerUrl(std::string_view url);

class MqttConnection;

class EventLoop {
 public:
  static common::Result<std::unique_ptr<EventLoop>> create(const common::Clock& clock);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  // Waits up to timeout_ms for ready sockets (or wake()); dispatch() then serves them. Apart, so
  // that the owner can take its own lock only to serve (its handlers change its state).
  void wait(int timeout_ms);
  void dispatch();
  void run(int timeout_ms) {
    wait(timeout_ms);
    dispatch();
  }
  // Makes a run() in progress return (any thread).
  void wake();
  const common::Clock& clock() const { return clock_; }

 private:
  friend class MqttConnection;
  EventLoop(int epoll_fd, int wake_fd, const common::Clock& clock);
  bool watch(int fd, MqttConnection* c, bool write);
  void rewatch(int fd, MqttConnection* c, bool write);
  void unwatch(int fd);
  int epoll_fd_;
  int wake_fd_;
  const common::Clock& clock_;
  static constexpr int kMaxEvents = 512;
  struct Ready {
    void* ptr;
    uint32_t events;
  };
  std::vector<Ready> ready_;
};

class MqttConnection final : public Publisher {
 public:
  // Called on the loop's thread, from run() (or from connect() when the socket cannot be made).
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void mqttUp() = 0;                      // CONNACK accepted; SUBSCRIBE is on its way
    virtual void mqttFailed(const std::string& why) = 0;  // a connect() that did not come up
    virtual void mqttLost(const std::string& why) = 0;    // an up connection that went down
    virtual void mqttMessage(std::string_view topic, std::string_view payload) = 0;
  };
  struct Options {
    sockaddr_in broker{};
    std::string client_id;
    int keepalive_s = 5;
    int connect_timeout_ms = 10'000;
    std::vector<std::string> subscriptions;  // QoS 1, sent after every CONNACK (clean start)
  };

  MqttConnection(EventLoop& loop, Options options, Handler& handler);
  ~MqttConnection() override;
  MqttConnection(const MqttConnection&) = delete;
  MqttConnection& operator=(const MqttConnection&) = delete;

  // Opens the socket and sends CONNECT once TCP is up; the outcome reaches the handler.
  void connect(std::optional<mqtt::Will> will);
  // Sends DISCONNECT with `reason` (kReasonDisconnectWithWill: the broker publishes the will) as
  // far as the socket takes it at once, and closes. The handler hears nothing of it.
  void drop(uint8_t reason);
  bool up() const { return state_ == State::kUp; }
  // QoS 0 or 1. False when not up, when the broker's Receive Maximum of QoS 1 messages is in
  // flight, or when the packet is over the broker's Maximum Packet Size.
  bool publish(const std::string& topic, std::string_view payload, int qos, bool retain) override;
  uint32_t maxPacketSize() const override { return max_packet_; }
  // Keepalive (PINGREQ after keepalive_s without sending; lost when it is not answered within
  // keepalive_s) and the connect timeout. Call every few milliseconds.
  void service(int64_t mono_ms);

 private:
  friend class EventLoop;
  enum class State { kClosed, kTcp, kAwaitConnack, kUp };
  void onEvents(uint32_t events);
  void onWritable();
  void onReadable();
  bool handle(const mqtt::Packet& p);
  bool send(std::string bytes);
  bool flush();
  void fail(const std::string& why);
  void close();

  EventLoop& loop_;
  Options options_;
  Handler& handler_;
  State state_ = State::kClosed;
  int fd_ = -1;
  bool want_write_ = false;
  std::optional<mqtt::Will> will_;
  std::string in_;
  std::string out_;
  size_t out_off_ = 0;
  uint16_t next_id_ = 1;
  std::vector<uint16_t> in_flight_;  // QoS 1 packet ids awaiting PUBACK
  uint16_t receive_maximum_ = 65535;
  uint32_t max_packet_ = 0;
  int64_t started_mono_ = 0;
  int64_t last_sent_mono_ = 0;
  int64_t ping_sent_mono_ = -1;
};

// The raw limit beside the fleet: `n` bare connections (no will, no subscription, no traffic but
// keepalive pings every 60 s) opened at about per_s a second on one loop, held together while
// `while_held` runs, then closed. Returns how many were up at once when it ran.
struct BareConnections {
  int64_t asked = 0;
  int64_t held = 0;
  int64_t failed = 0;
  double open_s = 0;
};
common::Result<BareConnections> holdBareConnections(const std::string& broker_url, int64_t n, double per_s,
                                                    const std::function<void()>& while_held);

}  // namespace sw::loadgen
