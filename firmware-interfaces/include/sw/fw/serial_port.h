#pragma once
// One serial-port interface for every device protocol. Implementations:
//   LibSerialPort     (libserialport_port.h) real ports: enumeration with USB ids, hot-plug
//   TermiosSerialPort (termios_serial_port.h) plain termios: pseudo-terminals (emulators,
//                     tests), serial over network or Bluetooth (rfcomm) in the field
// Debian's libserialport 0.1.1 cannot open a pseudo-terminal, hence two.
//
// Errors: kRetry "port_gone" when the device was unplugged or hung up (reopen it later),
// kRetry "port_busy" when another process holds it, kReject "port_not_found" /
// "not_a_serial_port" / "bad_settings" for configuration mistakes.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sw/common/result.h"

namespace sw::fw {

enum class Parity { kNone, kEven, kOdd };

struct SerialSettings {
  int baud = 9600;
  int data_bits = 8;  // 7 or 8
  Parity parity = Parity::kNone;
  int stop_bits = 1;  // 1 or 2
  bool rts_cts = false;
  bool xon_xoff = false;
};

// "9600,8N1", "9600,7E1", "115200,8N1,rtscts"
common::Result<SerialSettings> parseSerialSettings(const std::string& text);

class SerialPort {
 public:
  virtual ~SerialPort() = default;
  // Reads what is available, waiting up to timeout_ms for the first byte.
  // Returns 0 bytes on timeout; "port_gone" (retry) when the device went away.
  virtual common::Result<size_t> read(uint8_t* buf, size_t max, int timeout_ms) = 0;
  // Writes all bytes or fails; waits up to timeout_ms for the port to accept them.
  virtual common::Status write(const uint8_t* data, size_t len, int timeout_ms) = 0;
  // Drops unread input (stale replies before a new request).
  virtual void discardInput() = 0;
  virtual const std::string& name() const = 0;

  common::Status write(const std::string& bytes, int timeout_ms) {
    return write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), timeout_ms);
  }
};

// Opens a port by name; how devices are (re)opened after an unplug.
using PortOpener = std::function<common::Result<std::unique_ptr<SerialPort>>()>;

struct PortInfo {
  std::string name;          // "/dev/ttyACM0"
  std::string description;
  int usb_vid = -1;          // -1 when not a USB device
  int usb_pid = -1;
  std::string serial_number;
};

}  // namespace sw::fw
