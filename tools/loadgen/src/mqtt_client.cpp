// Sockets, epoll and eventfd for the load generator's MQTT client.

#include "sw/loadgen/mqtt_client.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>

namespace sw::loadgen {

using common::Error;

common::Result<sockaddr_in> parseBrokerUrl(std::string_view url) {
  std::string_view rest;
  for (std::string_view scheme : {"tcp://", "mqtt://"}) {
    if (url.substr(0, scheme.size()) == scheme) rest = url.substr(scheme.size());
  }
  if (rest.empty()) {
    return Error::reject("bad_broker_url", "the broker must be tcp://HOST:PORT (TLS is not offered here)");
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Error::reject("bad_broker_url", "the broker URL needs HOST:PORT");
  }
  std::string host(rest.substr(0, colon));
  std::string_view port_text = rest.substr(colon + 1);
  int port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    return Error::reject("bad_broker_url", "the broker's port must be 1-65535");
  }
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Error::reject("bad_broker_url", "the broker's host must be an IPv4 address or localhost");
  }
  return addr;
}

// --- EventLoop

common::Result<std::unique_ptr<EventLoop>> EventLoop::create(const common::Clock& clock) {
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return Error::fatal("epoll", std::strerror(errno));
  const int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    ::close(ep);
    return Error::fatal("eventfd", std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up
  if (epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev) != 0) {
    ::close(ep);
    ::close(wake);
    return Error::fatal("epoll", std::strerror(errno));
  }
  return std::unique_ptr<EventLoop>(new EventLoop(ep, wake, clock));
}

EventLoop::EventLoop(int epoll_fd, int wake_fd, const common::Clock& clock)
    : epoll_fd_(epoll_fd), wake_fd_(wake_fd), clock_(clock) {}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void EventLoop::wait(int timeout_ms) {
  epoll_event events[kMaxEvents];
  const int n = epoll_wait(epoll_fd_, events, kMaxEvents, std::max(0, timeout_ms));
  ready_.clear();
  for (int i = 0; i < n; ++i) {
    if (events[i].data.ptr == nullptr) {
      uint64_t v;
      while (::read(wake_fd_, &v, sizeof v) > 0) {
      }
      continue;
    }
    ready_.push_back({events[i].data.ptr, events[i].events});
  }
}

void EventLoop::dispatch() {
  for (const Ready& r : ready_) static_cast<MqttConnection*>(r.ptr)->onEvents(r.events);
  ready_.clear();
}

void EventLoop::wake() {
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

bool EventLoop::watch(int fd, MqttConnection* c, bool write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (write ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.ptr = c;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EventLoop::rewatch(int fd, MqttConnection* c, bool write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (write ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.ptr = c;
  (void)epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::unwatch(int fd) { (void)epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

// --- MqttConnection

MqttConnection::MqttConnection(EventLoop& loop, Options options, Handler& handler)
    : loop_(loop), options_(std::move(options)), handler_(handler) {}

MqttConnection::~MqttConnection() { close(); }

void MqttConnection::close() {
  if (fd_ >= 0) {
    loop_.unwatch(fd_);
    ::close(fd_);
  }
  fd_ = -1;
  state_ = State::kClosed;
  want_write_ = false;
  in_.clear();
  out_.clear();
  out_off_ = 0;
  in_flight_.clear();
  ping_sent_mono_ = -1;
  if (in_.capacity() > 64 * 1024) in_.shrink_to_fit();
  if (out_.capacity() > 64 * 1024) out_.shrink_to_fit();
}

void MqttConnection::fail(const std::string& why) {
  const bool was_up = state_ == State::kUp;
  close();
  if (was_up) {
    handler_.mqttLost(why);
  } else {
    handler_.mqttFailed(why);
  }
}

void MqttConnection::connect(std::optional<mqtt::Will> will) {
  close();
  will_ = std::move(will);
  receive_maximum_ = 65535;
  max_packet_ = 0;
  started_mono_ = loop_.clock().monoMs();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  (void)setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  state_ = State::kTcp;
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&options_.broker), sizeof options_.broker) != 0 &&
      errno != EINPROGRESS) {
    return fail(std::string("connect: ") + std::strerror(errno));
  }
  want_write_ = true;  // writable = TCP is up (or failed)
  if (!loop_.watch(fd_, this, true)) fail(std::string("epoll: ") + std::strerror(errno));
}

void MqttConnection::drop(uint8_t reason) {
  if (state_ == State::kUp) {
    out_ += mqtt::encodeDisconnect(reason);
    (void)flush();  // as far as it goes at once: a DISCONNECT that does not make it reads as a dead link
  }
  close();
}

bool MqttConnection::publish(const std::string& topic, std::string_view payload, int qos, bool retain) {
  if (state_ != State::kUp) return false;
  if (qos > 0 && in_flight_.size() >= receive_maximum_) return false;
  uint16_t id = 0;
  if (qos > 0) {
    // The next id not in flight (ids are 1..65535; at most receive_maximum_ are in use).
    do {
      id = next_id_++;
      if (next_id_ == 0) next_id_ = 1;
    } while (std::find(in_flight_.begin(), in_flight_.end(), id) != in_flight_.end());
  }
  std::string bytes = mqtt::encodePublish(topic, payload, qos, retain, id);
  if (max_packet_ > 0 && bytes.size() > max_packet_) return false;
  if (qos > 0) in_flight_.push_back(id);
  return send(std::move(bytes));
}

bool MqttConnection::send(std::string bytes) {
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  }
  out_ += bytes;
  last_sent_mono_ = loop_.clock().monoMs();
  if (want_write_) return true;  // waiting for the socket: flushed when it is writable
  return flush();
}

bool MqttConnection::flush() {
  while (out_off_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n > 0) {
      out_off_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!want_write_) {
        want_write_ = true;
        loop_.rewatch(fd_, this, true);
      }
      return true;
    }
    fail(std::string("send: ") + std::strerror(errno));
    return false;
  }
  out_.clear();
  out_off_ = 0;
  if (want_write_ && state_ != State::kTcp) {
    want_write_ = false;
    loop_.rewatch(fd_, this, false);
  }
  return true;
}

void MqttConnection::onEvents(uint32_t events) {
  if (fd_ < 0) return;
  if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) onWritable();
  if (fd_ >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) onReadable();
}

void MqttConnection::onWritable() {
  if (state_ == State::kTcp) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return fail(std::string("connect: ") + std::strerror(err));
    state_ = State::kAwaitConnack;
    want_write_ = false;
    loop_.rewatch(fd_, this, false);
    (void)send(mqtt::encodeConnect(options_.client_id, options_.keepalive_s, true, will_));
    return;
  }
  (void)flush();
}

void MqttConnection::onReadable() {
  char buf[16 * 1024];
  for (int reads = 0; reads < 8 && fd_ >= 0; ++reads) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return fail("the broker closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return fail(std::string("recv: ") + std::strerror(errno));
    }
    in_.append(buf, static_cast<size_t>(n));
    size_t off = 0;
    while (fd_ >= 0) {
      size_t used = 0;
      auto p = mqtt::decodePacket(std::string_view(in_).substr(off), &used);
      if (!p) return fail("protocol error from the broker: " + p.error().message);
      if (!*p) break;
      off += used;
      const int fd = fd_;
      if (!handle(**p) || fd_ != fd) return;  // failed, or the handler dropped it
    }
    if (fd_ >= 0) in_.erase(0, off);
    if (static_cast<size_t>(n) < sizeof buf) return;
  }
}

bool MqttConnection::handle(const mqtt::Packet& p) {
  switch (p.type) {
    case mqtt::PacketType::kConnack:
      if (state_ != State::kAwaitConnack) {
        fail("a CONNACK out of turn");
        return false;
      }
      if (p.reason >= 0x80) {
        fail("the broker refused the connection, reason 0x" + std::to_string(p.reason));
        return false;
      }
      state_ = State::kUp;
      receive_maximum_ = p.receive_maximum;
      max_packet_ = p.maximum_packet_size;
      ping_sent_mono_ = -1;
      if (!options_.subscriptions.empty()) {
        if (!send(mqtt::encodeSubscribe(next_id_++, options_.subscriptions, 1))) return false;
        if (next_id_ == 0) next_id_ = 1;
      }
      handler_.mqttUp();
      return true;
    case mqtt::PacketType::kPublish:
      if (state_ != State::kUp) {
        fail("a PUBLISH before CONNACK");
        return false;
      }
      if (p.qos == 1 && !send(mqtt::encodePuback(p.packet_id))) return false;
      handler_.mqttMessage(p.topic, p.payload);
      return true;
    case mqtt::PacketType::kPuback: {
      auto it = std::find(in_flight_.begin(), in_flight_.end(), p.packet_id);
      if (it != in_flight_.end()) in_flight_.erase(it);
      return true;
    }
    case mqtt::PacketType::kSuback:
      if (p.reason >= 0x80) {
        fail("the broker refused a subscription, reason " + std::to_string(p.reason));
        return false;
      }
      return true;
    case mqtt::PacketType::kPingresp:
      ping_sent_mono_ = -1;
      return true;
    case mqtt::PacketType::kDisconnect:
      fail("the broker sent DISCONNECT, reason " + std::to_string(p.reason));
      return false;
    default:
      fail("an unexpected packet");
      return false;
  }
}

void MqttConnection::service(int64_t mono) {
  if (state_ == State::kTcp || state_ == State::kAwaitConnack) {
    if (mono - started_mono_ > options_.connect_timeout_ms) fail("connect timed out");
    return;
  }
  if (state_ != State::kUp || options_.keepalive_s <= 0) return;
  const int64_t keepalive_ms = static_cast<int64_t>(options_.keepalive_s) * 1000;
  if (ping_sent_mono_ >= 0 && mono - ping_sent_mono_ > keepalive_ms) return fail("keepalive: no PINGRESP");
  if (ping_sent_mono_ < 0 && mono - last_sent_mono_ >= keepalive_ms) {
    ping_sent_mono_ = mono;
    (void)send(mqtt::encodePingreq());
  }
}

// --- bare connections, the raw limit

namespace {

class CountingHandler final : public MqttConnection::Handler {
 public:
  int64_t up = 0, failed = 0, lost = 0;
  void mqttUp() override { ++up; }
  void mqttFailed(const std::string&) override { ++failed; }
  void mqttLost(const std::string&) override {
    ++lost;
    --up;
  }
  void mqttMessage(std::string_view, std::string_view) override {}
};

}  // namespace

common::Result<BareConnections> holdBareConnections(const std::string& broker_url, int64_t n, double per_s,
                                                    const std::function<void()>& while_held) {
  auto addr = parseBrokerUrl(broker_url);
  if (!addr) return addr.error();
  const common::Clock& clock = common::SystemClock::instance();
  auto loop = EventLoop::create(clock);
  if (!loop) return loop.error();
  CountingHandler counts;
  std::vector<std::unique_ptr<MqttConnection>> conns;
  conns.reserve(static_cast<size_t>(n));
  const int64_t t0 = clock.monoMs();
  BareConnections r;
  r.asked = n;
  int64_t opened = 0;
  while (counts.up + counts.failed < n && clock.monoMs() - t0 < 300'000) {
    // Paced: as many as per_s allows by now.
    const auto due = std::min<int64_t>(n, static_cast<int64_t>(static_cast<double>(clock.monoMs() - t0) * per_s / 1000) + 1);
    for (; opened < due; ++opened) {
      MqttConnection::Options o;
      o.broker = *addr;
      o.client_id = "raw-conn-" + std::to_string(opened);
      o.keepalive_s = 60;
      o.connect_timeout_ms = 30'000;
      conns.push_back(std::make_unique<MqttConnection>(**loop, o, counts));
      conns.back()->connect(std::nullopt);
    }
    (*loop)->run(5);
    const int64_t mono = clock.monoMs();
    for (auto& c : conns) c->service(mono);
  }
  r.open_s = static_cast<double>(clock.monoMs() - t0) / 1000.0;
  r.held = counts.up;
  r.failed = counts.failed;
  if (while_held) while_held();
  for (auto& c : conns) c->drop(mqtt::kReasonNormal);
  return r;
}

}  // namespace sw::loadgen
