// Adapter: libserialport 0.1.1.

#include "sw/fw/libserialport_port.h"

#include <errno.h>
#include <libserialport.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>

namespace sw::fw {

using common::Error;

namespace {

sp_port* P(void* p) { return static_cast<sp_port*>(p); }

std::string lastError() {
  char* msg = sp_last_error_message();
  std::string out = msg ? msg : "unknown error";
  sp_free_error_message(msg);
  return out;
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

common::Result<std::vector<PortInfo>> LibSerialPort::enumerate() {
  sp_port** list = nullptr;
  if (sp_list_ports(&list) != SP_OK) return Error::retry("enumeration_failed", "cannot list serial ports: " + lastError());
  std::vector<PortInfo> out;
  for (sp_port** p = list; *p; ++p) {
    PortInfo info;
    const char* n = sp_get_port_name(*p);
    info.name = n ? n : "";
    const char* d = sp_get_port_description(*p);
    info.description = d ? d : "";
    if (sp_get_port_transport(*p) == SP_TRANSPORT_USB) {
      int vid = -1, pid = -1;
      if (sp_get_port_usb_vid_pid(*p, &vid, &pid) == SP_OK) {
        info.usb_vid = vid;
        info.usb_pid = pid;
      }
      const char* sn = sp_get_port_usb_serial(*p);
      info.serial_number = sn ? sn : "";
    }
    out.push_back(std::move(info));
  }
  sp_free_port_list(list);
  return out;
}

common::Result<std::unique_ptr<SerialPort>> LibSerialPort::open(const std::string& name, const SerialSettings& s) {
  struct stat st {};
  if (::stat(name.c_str(), &st) != 0) {
    return Error::retry("port_not_found", name + ": no such serial port (unplugged?)");
  }
  sp_port* port = nullptr;
  if (sp_get_port_by_name(name.c_str(), &port) != SP_OK) {
    return Error::reject("not_a_serial_port", name + " is not a serial port libserialport can use: " + lastError());
  }
  if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
    std::string why = lastError();
    sp_free_port(port);
    if (why.find("busy") != std::string::npos || why.find("Device or resource busy") != std::string::npos) {
      return Error::retry("port_busy", name + " is in use by another process");
    }
    return Error::reject("not_a_serial_port", name + ": cannot open with libserialport: " + why);
  }
  int fd = -1;
  sp_get_port_handle(port, &fd);
  if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
    sp_close(port);
    sp_free_port(port);
    return Error::retry("port_busy", name + " is in use by another process");
  }
  sp_parity parity = s.parity == Parity::kEven ? SP_PARITY_EVEN : s.parity == Parity::kOdd ? SP_PARITY_ODD : SP_PARITY_NONE;
  sp_flowcontrol flow = s.rts_cts ? SP_FLOWCONTROL_RTSCTS : s.xon_xoff ? SP_FLOWCONTROL_XONXOFF : SP_FLOWCONTROL_NONE;
  if (sp_set_baudrate(port, s.baud) != SP_OK || sp_set_bits(port, s.data_bits) != SP_OK ||
      sp_set_parity(port, parity) != SP_OK || sp_set_stopbits(port, s.stop_bits) != SP_OK ||
      sp_set_flowcontrol(port, flow) != SP_OK) {
    std::string why = lastError();
    sp_close(port);
    sp_free_port(port);
    return Error::reject("bad_settings", name + ": cannot configure: " + why);
  }
  return std::unique_ptr<SerialPort>(new LibSerialPort(port, fd, name));
}

LibSerialPort::~LibSerialPort() {
  sp_close(P(port_));
  sp_free_port(P(port_));
}

common::Result<size_t> LibSerialPort::read(uint8_t* buf, size_t max, int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return size_t{0};
  if (r < 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
    return Error::retry("port_gone", name_ + ": the device went away");
  }
  int n = sp_nonblocking_read(P(port_), buf, max);
  if (n < 0) return Error::retry("port_gone", name_ + ": read failed: " + lastError());
  if (n == 0) return Error::retry("port_gone", name_ + ": the device went away");  // readable but no data: EOF
  return static_cast<size_t>(n);
}

common::Status LibSerialPort::write(const uint8_t* data, size_t len, int timeout_ms) {
  int64_t deadline = nowMs() + timeout_ms;
  size_t done = 0;
  while (done < len) {
    int64_t left = deadline - nowMs();
    if (left <= 0) return Error::retry("write_timeout", name_ + ": the device did not accept data in time");
    int n = sp_blocking_write(P(port_), data + done, len - done, static_cast<unsigned>(left));
    if (n < 0) return Error::retry("port_gone", name_ + ": write failed: " + lastError());
    done += static_cast<size_t>(n);
  }
  return {};
}

void LibSerialPort::discardInput() { sp_flush(P(port_), SP_BUF_INPUT); }

std::optional<PortInfo> findPort(const std::vector<PortInfo>& ports, const PortMatch& m) {
  for (const PortInfo& p : ports) {
    if (!m.name.empty() && p.name != m.name) continue;
    if (m.usb_vid >= 0 && p.usb_vid != m.usb_vid) continue;
    if (m.usb_pid >= 0 && p.usb_pid != m.usb_pid) continue;
    if (!m.serial_number.empty() && p.serial_number != m.serial_number) continue;
    return p;
  }
  return std::nullopt;
}

PortOpener libSerialPortOpener(PortMatch match, SerialSettings settings) {
  return [match = std::move(match), settings]() -> common::Result<std::unique_ptr<SerialPort>> {
    if (match.usb_vid < 0 && match.usb_pid < 0 && match.serial_number.empty()) {
      return LibSerialPort::open(match.name, settings);
    }
    auto ports = LibSerialPort::enumerate();
    if (!ports) return ports.error();
    auto found = findPort(*ports, match);
    if (!found) return Error::retry("port_not_found", "no serial port with the configured USB ids is plugged in");
    return LibSerialPort::open(found->name, settings);
  };
}

}  // namespace sw::fw
