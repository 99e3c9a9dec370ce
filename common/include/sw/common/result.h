#pragma once
// Value-or-error returned across module boundaries. The error says what the
// caller should do next: retry later, reject this one item, or give up.

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sw::common {

enum class ErrorKind {
  kRetry,   // transient: network down, broker gone, disk busy, 5xx, 429
  kReject,  // this item is bad: quarantine or answer 4xx, change nothing, move on
  kFatal,   // the process cannot go on: exit and let the supervisor restart it
};

const char* errorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kReject;
  std::string code;     // stable, machine-readable: "bad_qty", "disk_full", ...
  std::string message;  // for a person: what is wrong and, where useful, what to do

  static Error retry(std::string code, std::string message) {
    return {ErrorKind::kRetry, std::move(code), std::move(message)};
  }
  static Error reject(std::string code, std::string message) {
    return {ErrorKind::kReject, std::move(code), std::move(message)};
  }
  static Error fatal(std::string code, std::string message) {
    return {ErrorKind::kFatal, std::move(code), std::move(message)};
  }
  std::string toString() const;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}        // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(!ok()); return *e_; }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

}  // namespace sw::common
