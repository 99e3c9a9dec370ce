#pragma once
// How far order intake has got, per channel and per device, kept with the orders so it commits
// beside them: webhook deliveries already seen (`deliveries`), where order polling resumes
// (`cursors`), and how far the ledger's events were looked at for task confirmations
// (`ledger_scan`). Every method may be called from any thread.

#include <cstdint>
#include <string>
#include <utility>

#include "sw/common/result.h"
#include "sw/coordinator/orders/book_change.h"

namespace sw::coordinator {

class IntakeProgress {
 public:
  explicit IntakeProgress(BookStore& store) : store_(store) {}
  IntakeProgress(const IntakeProgress&) = delete;
  IntakeProgress& operator=(const IntakeProgress&) = delete;

  // Webhook dedupe: true the first time (channel, delivery id) is seen (and remembers it).
  common::Result<bool> firstDelivery(const std::string& channel, const std::string& delivery_id);
  // Order polling cursor per channel: (updated_since, page_token), both "" at first.
  common::Result<std::pair<std::string, std::string>> cursor(const std::string& channel);
  common::Status setCursor(const std::string& channel, const std::string& updated_since, const std::string& page_token);
  // The ledger seq up to which a device's events were looked at (0 at first); only moves forward.
  common::Result<uint64_t> scanned(const std::string& device);
  common::Status setScanned(const std::string& device, uint64_t seq);

 private:
  BookStore& store_;
};

}  // namespace sw::coordinator
