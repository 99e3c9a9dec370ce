#pragma once
// Reads one scanner: opens its port, frames messages (line mode or Zebra SSI), answers
// SSI packets with ACK/NAK, and reopens the port after an unplug. Owns one thread.
//
// State machine:  connecting --open ok--> connected --port_gone--> disconnected
//                 disconnected --after backoff--> connecting;  any --stop()--> stopped
// Backoff after a failed open doubles from reconnect_delay_ms up to max_reconnect_delay_ms.
// Scan contents are never logged here (they may be card data); the sink decides.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "sw/common/clock.h"
#include "sw/fw/scan_framer.h"
#include "sw/fw/serial_port.h"
#include "sw/fw/ssi.h"

namespace sw::fw {

enum class ScannerMode { kLine, kSsi };
enum class ScannerState { kConnecting, kConnected, kDisconnected, kStopped };
const char* scannerStateName(ScannerState s);

struct ScannerConfig {
  ScannerMode mode = ScannerMode::kLine;
  ScanFramerConfig framing;
  bool ssi_ack_nak = true;            // answer every SSI packet (ACK, or NAK resend on a bad checksum)
  int ssi_packet_timeout_ms = 300;    // silence that abandons a partial SSI packet
  int reconnect_delay_ms = 100;
  int max_reconnect_delay_ms = 5000;
  int poll_ms = 50;
};

struct ScannerEvent {
  enum Kind { kScan, kConnected, kDisconnected } kind = kScan;
  std::string text;    // kScan: the scanner message (AIM id + data)
  std::string detail;  // kConnected: port name; kDisconnected: why
};

class ScannerReader {
 public:
  using Sink = std::function<void(const ScannerEvent&)>;
  ScannerReader(PortOpener opener, ScannerConfig config, Sink sink, const common::Clock& clock);
  ~ScannerReader();
  ScannerReader(const ScannerReader&) = delete;
  ScannerReader& operator=(const ScannerReader&) = delete;

  void start();
  void stop();
  ScannerState state() const { return state_.load(); }
  uint64_t reconnects() const { return reconnects_.load(); }

 private:
  void run();
  bool waitStop(int ms);
  void setState(ScannerState s) { state_.store(s); }
  // Handles bytes from the port; false if the port failed while answering.
  bool handleBytes(SerialPort& port, const uint8_t* data, size_t n);

  PortOpener opener_;
  ScannerConfig config_;
  Sink sink_;
  const common::Clock& clock_;
  ScanFramer framer_;
  ssi::Decoder ssi_decoder_;
  ssi::DecodeAssembler ssi_assembler_;
  int64_t last_ssi_byte_ms_ = 0;
  bool last_was_complete_ = true;  // the last DECODE_DATA packet finished a barcode

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  std::atomic<ScannerState> state_{ScannerState::kStopped};
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace sw::fw
