#pragma once
// Whole-file reads and crash-safe writes: a temp file in the same directory, written, fsynced,
// given its mode before any byte is written, renamed over the target, then the directory
// fsynced. A reader sees the old file or the new one, never a part; a key file is never
// readable by others, not even for a moment.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::common {

// kReject `read_failed` if the file cannot be opened or read.
Result<std::string> readFile(const std::string& path);

// kRetry `write_failed` (disk full, permissions) with the path and errno text; the target is
// left as it was.
Status writeFileAtomic(const std::string& path, std::string_view content, mode_t mode = 0644);

// For private keys and secrets: mode 0600.
inline Status writeSecretFile(const std::string& path, std::string_view content) {
  return writeFileAtomic(path, content, 0600);
}

// An exclusive advisory lock (flock) on a file, created 0600 if missing: held until the object
// goes away or the process ends, however it ends (SIGKILL included). One process at a time owns
// what the lock names (e.g. a coordinator's SQLite files).
class FileLock {
 public:
  // kReject `in_use` when another process (or another FileLock here) holds it; kRetry
  // `write_failed` when the file cannot be created.
  static Result<FileLock> tryLock(const std::string& path);
  FileLock() = default;
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  int fd_ = -1;
};

}  // namespace sw::common
