#pragma once
// Turns the byte stream of a scanner in line mode into scanner messages.
// A message ends at CR or LF (CR LF gives one message), or, for scanners configured
// without a suffix, after inter_byte_timeout_ms of silence. GS (0x1D), RS, FS and EOT
// are kept (GS1 and ISO/IEC 15434 data need them); other control bytes (line noise,
// NUL on plug-in) are dropped and counted. Pure: the caller passes the time.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sw::fw {

struct ScanFramerConfig {
  int inter_byte_timeout_ms = 75;  // 0 = only a suffix ends a message
  size_t max_message = 4096;       // longer messages are dropped (a stuck line, not a barcode)
  std::string prefix;              // a configured scanner prefix, removed when present
};

class ScanFramer {
 public:
  explicit ScanFramer(ScanFramerConfig config = {}) : config_(std::move(config)) {}

  // Bytes that arrived at now_ms; returns the messages they complete.
  std::vector<std::string> feed(const uint8_t* data, size_t n, int64_t now_ms);
  // The partial message, if the line has been silent for the inter-byte timeout.
  std::optional<std::string> poll(int64_t now_ms);
  // Milliseconds until poll() could return a message; -1 when nothing is pending.
  int64_t msUntilTimeout(int64_t now_ms) const;
  void reset();

  uint64_t droppedBytes() const { return dropped_bytes_; }
  uint64_t droppedMessages() const { return dropped_messages_; }

 private:
  std::optional<std::string> finish();

  ScanFramerConfig config_;
  std::string buf_;
  bool overflow_ = false;
  int64_t last_byte_ms_ = 0;
  uint64_t dropped_bytes_ = 0;
  uint64_t dropped_messages_ = 0;
};

}  // namespace sw::fw
