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

}  // namespace sw::common
