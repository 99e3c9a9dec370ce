#pragma once
// `stockwire-agent handheld`: line-mode workflows for a person with a scanner, talking to
// the running agent's local HTTP API (so every step is an event in the agent's outbox and
// works offline). Workflows: receive (optionally against an expected delivery or transfer),
// cycle count, transfer out, transfer in, pick a task sent down by the coordinator.
//
// Session state machine:
//   idle --receive/count/transfer-out/transfer-in/pick ID--> in session
//   in session --scan / qty N / undo / review--> in session
//   in session --done--> submit --ok--> idle     (--failed--> in session, same idempotency key)
//   in session --cancel--> idle
//
// Endpoints used:
//   POST /v1/movements                  {"type":..,"lines":[{"sku","qty"|"counted"}],"idempotency_key"}
//   GET  /v1/tasks                      {"tasks":[{"task_id","order_id","lines":[{"sku","qty"}]}]}   (agent tasks.h)
//   POST /v1/tasks/{id}/confirm         {"lines":[{"sku","picked"}]} + Idempotency-Key       (agent tasks.h)
//   GET  /v1/items/{code}               {"sku":..}  code = GTIN-14 or scanned text           (catalog.h; 404 -> fallback)
// When GET /v1/items answers 404 (not in the local catalog, or an older agent), a scanned GTIN is used as the SKU in
// its 14-digit form (a GTIN-14 with a leading 0 can never look like a card number).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/args.h"
#include "sw/common/result.h"
#include "sw/fw/scan.h"

namespace sw::agent {

// The agent's local API as the handheld sees it; an adapter over cpp-httplib in production.
class AgentClient {
 public:
  virtual ~AgentClient() = default;
  // 2xx -> the JSON body; 4xx -> reject with the API's error code; 5xx or no answer -> retry.
  virtual common::Result<nlohmann::json> get(const std::string& path) = 0;
  virtual common::Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body,
                                              const std::string& idempotency_key) = 0;
};

// base_url like "http://127.0.0.1:8700".
common::Result<std::unique_ptr<AgentClient>> makeHttpAgentClient(const std::string& base_url);

// Maps a scanned code (GTIN-14 or plain text) to a SKU. The seam for the catalog lookup.
class ItemLookup {
 public:
  virtual ~ItemLookup() = default;
  // nullopt: no catalog entry; the caller falls back to the code itself.
  virtual common::Result<std::optional<std::string>> skuFor(const std::string& code) = 0;
};

// GET /v1/items/{code} on the agent; 404 (or an agent without the endpoint) means "not in catalog".
class AgentItemLookup final : public ItemLookup {
 public:
  explicit AgentItemLookup(AgentClient& client) : client_(client) {}
  common::Result<std::optional<std::string>> skuFor(const std::string& code) override;

 private:
  AgentClient& client_;
};

struct HandheldOptions {
  fw::ScanDecodeOptions scan;
  std::function<std::string()> new_id;  // idempotency keys; a UUID generator in production
};

class HandheldSession {
 public:
  using Output = std::function<void(const std::string&)>;
  HandheldSession(AgentClient& client, ItemLookup& lookup, Output out, HandheldOptions options);

  // One line typed (a command, or a code typed by hand). False after "quit".
  bool handleLine(const std::string& line);
  // One scanner message (AIM id first).
  void handleScan(const std::string& message);

  enum class Mode { kIdle, kReceive, kCount, kTransferOut, kTransferIn, kPick };
  Mode mode() const { return mode_; }
  // sku -> quantity in the current session (for tests and review)
  const std::map<std::string, int64_t>& tally() const { return tally_; }

 private:
  struct Expected {
    std::string id;  // delivery, transfer or task id
    std::map<std::string, int64_t> lines;
  };
  void help();
  void start(Mode mode, const std::string& other_location, std::optional<Expected> expected);
  void addCode(const std::string& code, int64_t qty);
  void review();
  void submit();
  void listTasks();
  void startPick(const std::string& task_id);
  common::Result<Expected> loadExpected(const std::string& path);
  std::string modeName() const;
  void say(const std::string& s) { out_(s); }

  AgentClient& client_;
  ItemLookup& lookup_;
  Output out_;
  HandheldOptions options_;
  Mode mode_ = Mode::kIdle;
  std::string other_location_;
  bool count_location_ = false;  // "count all": a whole-location session
  std::optional<Expected> expected_;
  std::map<std::string, int64_t> tally_;
  std::vector<std::string> order_;  // scan order, for undo
  std::string session_key_;
};

// The subcommand: stdin lines, plus a serial scanner with --scanner. Returns the exit code.
const common::OptionTable& handheldOptions();
int runHandheld(const common::ParsedOptions& options);

}  // namespace sw::agent
