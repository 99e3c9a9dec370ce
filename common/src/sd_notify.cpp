#include "sw/common/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace sw::common {

namespace {

// A whole decimal number, or -1.
int64_t parseWhole(const char* text) {
  if (!text || !*text) return -1;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < 0) return -1;
  return v;
}

}  // namespace

ServiceNotifier ServiceNotifier::fromEnvironment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (!socket || !*socket) return {};
  int64_t usec = parseWhole(std::getenv("WATCHDOG_USEC"));
  const char* pid_text = std::getenv("WATCHDOG_PID");
  if (pid_text && *pid_text && parseWhole(pid_text) != static_cast<int64_t>(getpid())) usec = 0;
  return ServiceNotifier(socket, usec > 0 ? usec : 0);
}

Status ServiceNotifier::notify(std::string_view state) const {
  if (!enabled()) return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // Only absolute paths and abstract names ("@...") are valid, as sd_notify(3) has it.
  if ((socket_[0] != '/' && socket_[0] != '@') || socket_.size() >= sizeof addr.sun_path) {
    return Error::fatal("bad_notify_socket", "NOTIFY_SOCKET is neither an absolute path nor @name: " + socket_);
  }
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  if (socket_[0] == '@') addr.sun_path[0] = '\0';
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() + (socket_[0] == '/' ? 1 : 0));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::retry("notify_socket", std::string("socket: ") + std::strerror(errno));
  ssize_t sent = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (sent < 0) return Error::retry("notify_socket", "sending to " + socket_ + ": " + std::strerror(err));
  return {};
}

std::chrono::milliseconds ServiceNotifier::watchdogPing() const {
  if (watchdog_usec_ <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(std::max<int64_t>(1, watchdog_usec_ / 2000));
}

}  // namespace sw::common
