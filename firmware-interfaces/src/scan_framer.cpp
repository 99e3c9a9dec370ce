#include "sw/fw/scan_framer.h"

namespace sw::fw {

namespace {
bool keptControl(uint8_t b) { return b == 0x1d || b == 0x1e || b == 0x1c || b == 0x04; }
}  // namespace

std::optional<std::string> ScanFramer::finish() {
  std::string msg;
  msg.swap(buf_);
  bool overflow = overflow_;
  overflow_ = false;
  if (overflow) {
    ++dropped_messages_;
    return std::nullopt;
  }
  if (!config_.prefix.empty() && msg.rfind(config_.prefix, 0) == 0) msg.erase(0, config_.prefix.size());
  if (msg.empty()) return std::nullopt;
  return msg;
}

std::vector<std::string> ScanFramer::feed(const uint8_t* data, size_t n, int64_t now_ms) {
  std::vector<std::string> out;
  // A suffix-less message followed by a new one after a pause: the pause ended the first.
  if (n > 0) {
    if (auto m = poll(now_ms)) out.push_back(std::move(*m));
  }
  for (size_t i = 0; i < n; ++i) {
    uint8_t b = data[i];
    if (b == '\r' || b == '\n') {
      if (auto m = finish()) out.push_back(std::move(*m));
      continue;
    }
    if (b < 0x20 && !keptControl(b)) {
      ++dropped_bytes_;
      continue;
    }
    if (b == 0x7f) {
      ++dropped_bytes_;
      continue;
    }
    if (buf_.size() >= config_.max_message) {
      overflow_ = true;
      continue;
    }
    buf_.push_back(static_cast<char>(b));
  }
  if (n > 0) last_byte_ms_ = now_ms;
  return out;
}

std::optional<std::string> ScanFramer::poll(int64_t now_ms) {
  if (config_.inter_byte_timeout_ms <= 0 || (buf_.empty() && !overflow_)) return std::nullopt;
  if (now_ms - last_byte_ms_ < config_.inter_byte_timeout_ms) return std::nullopt;
  return finish();
}

int64_t ScanFramer::msUntilTimeout(int64_t now_ms) const {
  if (config_.inter_byte_timeout_ms <= 0 || (buf_.empty() && !overflow_)) return -1;
  int64_t left = last_byte_ms_ + config_.inter_byte_timeout_ms - now_ms;
  return left < 0 ? 0 : left;
}

void ScanFramer::reset() {
  buf_.clear();
  overflow_ = false;
}

}  // namespace sw::fw
