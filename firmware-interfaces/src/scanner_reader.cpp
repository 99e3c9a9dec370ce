#include "sw/fw/scanner_reader.h"

#include <algorithm>

#include "sw/common/log.h"

namespace sw::fw {

const char* scannerStateName(ScannerState s) {
  switch (s) {
    case ScannerState::kConnecting: return "connecting";
    case ScannerState::kConnected: return "connected";
    case ScannerState::kDisconnected: return "disconnected";
    case ScannerState::kStopped: return "stopped";
  }
  return "?";
}

ScannerReader::ScannerReader(PortOpener opener, ScannerConfig config, Sink sink, const common::Clock& clock)
    : opener_(std::move(opener)), config_(config), sink_(std::move(sink)), clock_(clock), framer_(config.framing) {}

ScannerReader::~ScannerReader() { stop(); }

void ScannerReader::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  setState(ScannerState::kConnecting);
  thread_ = std::thread([this] { run(); });
}

void ScannerReader::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  setState(ScannerState::kStopped);
}

bool ScannerReader::waitStop(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
}

bool ScannerReader::handleBytes(SerialPort& port, const uint8_t* data, size_t n) {
  int64_t now = clock_.monoMs();
  if (config_.mode == ScannerMode::kLine) {
    for (std::string& msg : framer_.feed(data, n, now)) sink_({ScannerEvent::kScan, std::move(msg), ""});
    return true;
  }
  if (ssi_decoder_.pending() && now - last_ssi_byte_ms_ > config_.ssi_packet_timeout_ms) ssi_decoder_.reset();
  last_ssi_byte_ms_ = now;
  for (const auto& ev : ssi_decoder_.feed(data, n)) {
    if (ev.kind == ssi::Decoder::Event::kBadChecksum) {
      if (config_.ssi_ack_nak) {
        auto bytes = ssi::encode(ssi::nak(ssi::kNakResend));
        if (!port.write(bytes.data(), bytes.size(), 500)) return false;
      }
      continue;
    }
    const ssi::Packet& p = ev.packet;
    if (p.source != ssi::kSourceScanner) continue;                  // our own echo, or noise
    if (p.opcode == ssi::kCmdAck || p.opcode == ssi::kCmdNak) continue;  // answers to our commands
    if (config_.ssi_ack_nak) {
      auto bytes = ssi::encode(ssi::ack());
      if (!port.write(bytes.data(), bytes.size(), 500)) return false;
    }
    if (p.opcode == ssi::kDecodeData) {
      // A retransmission of a packet we already took (our ACK was lost) must not scan twice:
      // the scanner resends only the packet it had no ACK for, so a retransmitted final
      // packet with nothing assembled is a duplicate.
      if ((p.status & ssi::kStatusRetransmit) && !(p.status & ssi::kStatusContinuation) && last_was_complete_) {
        continue;
      }
      if (auto barcode = ssi_assembler_.add(p)) {
        last_was_complete_ = true;
        sink_({ScannerEvent::kScan, ssi::scanText(*barcode), ""});
      } else {
        last_was_complete_ = false;
      }
    }
  }
  return true;
}

void ScannerReader::run() {
  int delay = config_.reconnect_delay_ms;
  bool reported_down = false;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    setState(ScannerState::kConnecting);
    auto opened = opener_();
    if (!opened) {
      setState(ScannerState::kDisconnected);
      if (!reported_down) {
        sink_({ScannerEvent::kDisconnected, "", opened.error().toString()});
        reported_down = true;
      }
      if (waitStop(delay)) break;
      delay = std::min(delay * 2, config_.max_reconnect_delay_ms);
      continue;
    }
    std::unique_ptr<SerialPort> port = std::move(*opened);
    delay = config_.reconnect_delay_ms;
    reported_down = false;
    framer_.reset();
    ssi_decoder_.reset();
    ssi_assembler_.reset();
    setState(ScannerState::kConnected);
    SW_INFO("scanner") << "connected to " << port->name();
    sink_({ScannerEvent::kConnected, "", port->name()});
    if (config_.mode == ScannerMode::kSsi && config_.ssi_ack_nak) {
      auto enable = ssi::encode(ssi::Packet{ssi::kScanEnable, ssi::kSourceHost, 0, {}});
      (void)port->write(enable.data(), enable.size(), 500);
    }
    uint8_t buf[512];
    std::string why;
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) break;
      }
      int wait = config_.poll_ms;
      int64_t until = framer_.msUntilTimeout(clock_.monoMs());
      if (until >= 0) wait = static_cast<int>(std::min<int64_t>(wait, until + 1));
      auto n = port->read(buf, sizeof buf, wait);
      if (!n) {
        why = n.error().toString();
        break;
      }
      if (*n > 0) {
        if (!handleBytes(*port, buf, *n)) {
          why = "write to the scanner failed";
          break;
        }
      } else if (auto msg = framer_.poll(clock_.monoMs())) {
        sink_({ScannerEvent::kScan, std::move(*msg), ""});
      }
    }
    port.reset();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    ++reconnects_;
    setState(ScannerState::kDisconnected);
    SW_WARN("scanner") << "scanner disconnected: " << why << "; reopening";
    sink_({ScannerEvent::kDisconnected, "", why});
    reported_down = true;
    if (waitStop(config_.reconnect_delay_ms)) break;
  }
  setState(ScannerState::kStopped);
}

}  // namespace sw::fw
