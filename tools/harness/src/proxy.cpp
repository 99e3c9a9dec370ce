#include "sw/harness/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <stdexcept>
#include <string>

namespace sw::test {
namespace {

int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

int connectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

struct Chunk {
  int64_t due;
  std::string bytes;
};

}  // namespace

TcpProxy::TcpProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 128) != 0) {
    throw std::runtime_error("proxy: cannot listen");
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  acceptor_.join();
  close(listen_fd_);
  std::lock_guard<std::mutex> lock(threads_mu_);
  for (auto& t : pumps_) t.join();
}

void TcpProxy::cut() {
  cut_ = true;
  ++generation_;
}

void TcpProxy::blackhole() { blackhole_ = true; }

void TcpProxy::heal() {
  cut_ = false;
  blackhole_ = false;
  latency_ms_ = 0;
}

void TcpProxy::acceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    // Read before cut_ (cut() sets cut_, then bumps the generation): a cut() from here on
    // closes this connection too, even before its pump has started.
    uint64_t gen = generation_;
    if (cut_) {
      linger lg{1, 0};  // reset, like a dead route
      setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close(client);
      continue;
    }
    int upstream = connectLoopback(upstream_port_);
    if (upstream < 0) {
      close(client);
      continue;
    }
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++accepted_;
    std::lock_guard<std::mutex> lock(threads_mu_);
    pumps_.emplace_back([this, client, upstream, gen] { pump(client, upstream, gen); });
  }
}

void TcpProxy::pump(int client, int upstream, uint64_t gen) {
  std::deque<Chunk> to_up, to_client;
  char buf[16384];
  bool open = true;
  auto flush = [&](std::deque<Chunk>& q, int fd) {
    int64_t now = nowMs();
    while (!q.empty() && q.front().due <= now) {
      std::string& b = q.front().bytes;
      ssize_t n = send(fd, b.data(), b.size(), MSG_NOSIGNAL);
      if (n < 0) return false;
      if (static_cast<size_t>(n) < b.size()) {
        b.erase(0, static_cast<size_t>(n));
        return true;
      }
      q.pop_front();
    }
    return true;
  };
  while (open && !stop_ && generation_ == gen) {
    if (blackhole_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    pollfd p[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    int r = poll(p, 2, 5);
    if (r < 0) break;
    int64_t due = nowMs() + latency_ms_;
    for (int i = 0; i < 2 && open; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
      if (n <= 0) {
        open = false;
        break;
      }
      (i == 0 ? to_up : to_client).push_back({due, std::string(buf, static_cast<size_t>(n))});
    }
    if (!flush(to_up, upstream) || !flush(to_client, client)) open = false;
  }
  if (generation_ != gen) {
    linger lg{1, 0};
    setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    setsockopt(upstream, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  close(client);
  close(upstream);
}

}  // namespace sw::test
