// Adapter: POSIX termios serial port.

#include "sw/fw/termios_serial_port.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace sw::fw {

using common::Error;

namespace {

speed_t baudConstant(int baud) {
  switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    default: return 0;
  }
}

std::string errnoText(int e) { return std::strerror(e); }

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

common::Result<std::unique_ptr<SerialPort>> TermiosSerialPort::open(const std::string& path, const SerialSettings& s) {
  speed_t speed = baudConstant(s.baud);
  if (speed == 0) return Error::reject("bad_settings", "unsupported baud rate " + std::to_string(s.baud));
  if (s.data_bits != 7 && s.data_bits != 8) return Error::reject("bad_settings", "data bits must be 7 or 8");
  if (s.stop_bits != 1 && s.stop_bits != 2) return Error::reject("bad_settings", "stop bits must be 1 or 2");
  int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENXIO || e == ENODEV) {
      return Error::retry("port_not_found", path + ": no such serial port (unplugged?)");
    }
    if (e == EBUSY) return Error::retry("port_busy", path + " is in use by another process");
    if (e == EIO) return Error::retry("port_gone", path + ": the device hung up");
    return Error::reject("port_open_failed", path + ": " + errnoText(e));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Error::retry("port_busy", path + " is in use by another process");
  }
  termios tio{};
  if (tcgetattr(fd, &tio) != 0) {
    int e = errno;
    ::close(fd);
    return Error::reject("not_a_serial_port", path + " is not a serial port: " + errnoText(e));
  }
  cfmakeraw(&tio);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  tio.c_cflag |= static_cast<tcflag_t>((s.data_bits == 7 ? CS7 : CS8) | CLOCAL | CREAD);
  if (s.parity != Parity::kNone) tio.c_cflag |= PARENB;
  if (s.parity == Parity::kOdd) tio.c_cflag |= PARODD;
  if (s.stop_bits == 2) tio.c_cflag |= CSTOPB;
  if (s.rts_cts) tio.c_cflag |= CRTSCTS;
  if (s.xon_xoff) tio.c_iflag |= IXON | IXOFF;
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  cfsetispeed(&tio, speed);
  cfsetospeed(&tio, speed);
  if (tcsetattr(fd, TCSANOW, &tio) != 0) {
    int e = errno;
    ::close(fd);
    return Error::reject("bad_settings", path + ": cannot configure: " + errnoText(e));
  }
  return std::unique_ptr<SerialPort>(new TermiosSerialPort(fd, path));
}

TermiosSerialPort::~TermiosSerialPort() {
  if (fd_ >= 0) ::close(fd_);
}

common::Result<size_t> TermiosSerialPort::read(uint8_t* buf, size_t max, int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Error::retry("port_gone", name_ + ": poll failed: " + errnoText(errno));
  if (r == 0) return size_t{0};
  if (p.revents & POLLIN) {
    ssize_t n = ::read(fd_, buf, max);
    if (n > 0) return static_cast<size_t>(n);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return size_t{0};
    return Error::retry("port_gone", name_ + ": the device went away" + (n < 0 ? ": " + errnoText(errno) : ""));
  }
  if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
    return Error::retry("port_gone", name_ + ": the device hung up");
  }
  return size_t{0};
}

common::Status TermiosSerialPort::write(const uint8_t* data, size_t len, int timeout_ms) {
  int64_t deadline = nowMs() + timeout_ms;
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::write(fd_, data + done, len - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return Error::retry("port_gone", name_ + ": write failed: " + errnoText(errno));
    }
    int64_t left = deadline - nowMs();
    if (left <= 0) return Error::retry("write_timeout", name_ + ": the device did not accept data in time");
    pollfd p{fd_, POLLOUT, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
      return Error::retry("port_gone", name_ + ": the device hung up");
    }
  }
  return {};
}

void TermiosSerialPort::discardInput() { tcflush(fd_, TCIFLUSH); }

PortOpener termiosOpener(std::string path, SerialSettings settings) {
  return [path = std::move(path), settings]() { return TermiosSerialPort::open(path, settings); };
}

common::Result<SerialSettings> parseSerialSettings(const std::string& text) {
  SerialSettings s;
  size_t comma = text.find(',');
  std::string baud = text.substr(0, comma);
  try {
    s.baud = std::stoi(baud);
  } catch (...) {
    return Error::reject("bad_settings", "serial settings look like 9600,8N1; got '" + text + "'");
  }
  if (comma == std::string::npos) return s;
  std::string rest = text.substr(comma + 1);
  std::string frame = rest.substr(0, rest.find(','));
  if (frame.size() != 3 || (frame[0] != '7' && frame[0] != '8') || (frame[2] != '1' && frame[2] != '2')) {
    return Error::reject("bad_settings", "frame format looks like 8N1 or 7E1; got '" + frame + "'");
  }
  s.data_bits = frame[0] - '0';
  s.stop_bits = frame[2] - '0';
  switch (frame[1]) {
    case 'N': s.parity = Parity::kNone; break;
    case 'E': s.parity = Parity::kEven; break;
    case 'O': s.parity = Parity::kOdd; break;
    default: return Error::reject("bad_settings", "parity must be N, E or O");
  }
  if (rest.find(",rtscts") != std::string::npos) s.rts_cts = true;
  if (rest.find(",xonxoff") != std::string::npos) s.xon_xoff = true;
  return s;
}

}  // namespace sw::fw
