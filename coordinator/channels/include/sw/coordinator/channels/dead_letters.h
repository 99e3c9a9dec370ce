#pragma once
// Items a channel refused for good (ItemOutcome::kRejected, or compare-and-set refused too
// often), kept for a person to look at and replay (GET /v1/channels/dead-letters, POST
// .../replay). They live in their own SQLite file ("<ledger path>.channels"), not in the ledger:
// the ledger's schema is versioned on its own and this list is operational state, not stock
// history.
//
// Threads: every method may be called from any thread (one mutex around the connection).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/build_info.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"

namespace sw::coordinator::channels {

struct DeadLetter {
  int64_t id = 0;
  std::string channel;
  std::string sku;
  int64_t quantity = 0;
  std::string code;
  std::string message;
  int64_t attempts = 0;
  int64_t created_at_ms = 0;
  std::optional<int64_t> replayed_at_ms;
};
nlohmann::json toJson(const DeadLetter& d);

class DeadLetterStore {
 public:
  static common::Result<std::unique_ptr<DeadLetterStore>> open(const std::string& path);
  // The schema version open() brings its tables to (for --version).
  static common::SchemaVersion schemaVersion();
  // The steps of its schema, in order: step i takes version i to i+1 (tests build a file of each
  // earlier version from them).
  static const std::vector<std::string>& schemaSteps();
  common::Result<int64_t> add(const DeadLetter& d);
  // Newest first.
  common::Result<std::vector<DeadLetter>> list(bool include_replayed, int64_t limit);
  // Reject "not_found" or "already_replayed".
  common::Result<DeadLetter> markReplayed(int64_t id, int64_t now_ms);
  common::Result<int64_t> openCount();

 private:
  DeadLetterStore() = default;
  std::mutex mu_;
  common::SqliteDb db_;
};

}  // namespace sw::coordinator::channels
