#pragma once
// Adapter: a serial port through plain POSIX termios. Works on real tty devices and on
// pseudo-terminals. Takes an advisory flock on the device so a second opener gets
// "port_busy" instead of silently sharing the line.

#include <memory>
#include <string>

#include "sw/fw/serial_port.h"

namespace sw::fw {

class TermiosSerialPort final : public SerialPort {
 public:
  static common::Result<std::unique_ptr<SerialPort>> open(const std::string& path, const SerialSettings& settings);
  ~TermiosSerialPort() override;

  common::Result<size_t> read(uint8_t* buf, size_t max, int timeout_ms) override;
  common::Status write(const uint8_t* data, size_t len, int timeout_ms) override;
  void discardInput() override;
  const std::string& name() const override { return name_; }

 private:
  TermiosSerialPort(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  int fd_;
  std::string name_;
};

// A PortOpener that reopens `path` (e.g. a symlink an emulator or udev keeps current).
PortOpener termiosOpener(std::string path, SerialSettings settings);

}  // namespace sw::fw
