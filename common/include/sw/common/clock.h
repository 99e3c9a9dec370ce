#pragma once
// Time comes in through this interface so tests can move it by hand.

#include <atomic>
#include <cstdint>

namespace sw::common {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (the device's idea of "now").
  virtual int64_t nowMs() const = 0;
  // Monotonic milliseconds, for timeouts and ages measured inside one process.
  virtual int64_t monoMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t nowMs() const override;
  int64_t monoMs() const override;
  // Process-wide instance; it holds no state.
  static const SystemClock& instance();
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : wall_(start_ms), mono_(0) {}
  int64_t nowMs() const override { return wall_.load(); }
  int64_t monoMs() const override { return mono_.load(); }
  void advanceMs(int64_t ms) {
    wall_ += ms;
    mono_ += ms;
  }
  // Jumps the wall clock only (a device clock being set wrong); monotonic time is unaffected.
  void jumpWallMs(int64_t ms) { wall_ += ms; }

 private:
  std::atomic<int64_t> wall_;
  std::atomic<int64_t> mono_;
};

// Wall clock shifted by a fixed offset: how chaos tests give a device a wrong clock.
class SkewedClock final : public Clock {
 public:
  SkewedClock(const Clock& base, int64_t offset_ms) : base_(base), offset_(offset_ms) {}
  int64_t nowMs() const override { return base_.nowMs() + offset_.load(); }
  int64_t monoMs() const override { return base_.monoMs(); }
  void setOffsetMs(int64_t ms) { offset_ = ms; }

 private:
  const Clock& base_;
  std::atomic<int64_t> offset_;
};

}  // namespace sw::common
