#pragma once
// Adapter: real serial ports through libserialport (USB CDC/ACM scanners, USB-serial
// adapters, on-board UARTs). Enumeration reports USB vendor/product ids so a device can be
// found again after it is unplugged and comes back under another name (hot-plug by
// re-enumeration). libserialport 0.1.1 refuses pseudo-terminals: use TermiosSerialPort there.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sw/fw/serial_port.h"

namespace sw::fw {

class LibSerialPort final : public SerialPort {
 public:
  // Every serial port the system knows now.
  static common::Result<std::vector<PortInfo>> enumerate();
  static common::Result<std::unique_ptr<SerialPort>> open(const std::string& name, const SerialSettings& settings);
  ~LibSerialPort() override;

  common::Result<size_t> read(uint8_t* buf, size_t max, int timeout_ms) override;
  common::Status write(const uint8_t* data, size_t len, int timeout_ms) override;
  void discardInput() override;
  const std::string& name() const override { return name_; }

 private:
  LibSerialPort(void* port, int fd, std::string name) : port_(port), fd_(fd), name_(std::move(name)) {}
  void* port_;  // struct sp_port*
  int fd_;
  std::string name_;
};

// Which device to look for when (re)opening: a fixed name, or USB ids (and serial number).
struct PortMatch {
  std::string name;             // exact port name, if set
  int usb_vid = -1;
  int usb_pid = -1;
  std::string serial_number;    // optional, to tell two identical scanners apart
};

// The first port in `ports` matching `match`, or nullopt.
std::optional<PortInfo> findPort(const std::vector<PortInfo>& ports, const PortMatch& match);

// A PortOpener that re-enumerates on every attempt and opens the matching port.
PortOpener libSerialPortOpener(PortMatch match, SerialSettings settings);

}  // namespace sw::fw
