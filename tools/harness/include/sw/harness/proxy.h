#pragma once
// A fault-injecting TCP proxy for tests and the chaos harness: put it between a client
// and the broker to cut connections, black-hole traffic (a partition without resets)
// or add latency. One accept thread plus one thread per connection, all owned here.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sw::test {

class TcpProxy {
 public:
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  // The MQTT URL of the broker through this proxy.
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  // Every chunk is held this long before it is forwarded (both directions).
  void setLatencyMs(int ms) { latency_ms_ = ms; }
  // Closes every connection and refuses new ones until heal().
  void cut();
  // Stops forwarding without closing anything: keepalives time out as in a real partition.
  void blackhole();
  void heal();
  uint64_t accepted() const { return accepted_; }

 private:
  void acceptLoop();
  void pump(int client, int upstream, uint64_t generation);

  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::atomic<bool> blackhole_{false};
  std::atomic<int> latency_ms_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> generation_{0};  // bumped by cut(): pumps of older generations close
  std::thread acceptor_;
  std::mutex threads_mu_;
  std::vector<std::thread> pumps_;
};

}  // namespace sw::test
