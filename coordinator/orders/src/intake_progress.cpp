// Intake progress: the deliveries, cursors and ledger_scan tables (see intake_progress.h).

#include "sw/coordinator/orders/intake_progress.h"

#include "book_store.h"

namespace sw::coordinator {

using common::Result;
using common::Status;

Result<bool> IntakeProgress::firstDelivery(const std::string& channel, const std::string& delivery_id) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("INSERT OR IGNORE INTO deliveries (channel, delivery_id, at_ms) VALUES (?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, delivery_id).bind(3, store_.clock.nowMs());
  if (auto s = st->run(); !s) return s.error();
  return store_.db->changes() > 0;
}

Result<std::pair<std::string, std::string>> IntakeProgress::cursor(const std::string& channel) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("SELECT updated_since, page_token FROM cursors WHERE channel = ?");
  if (!st) return st.error();
  st->bind(1, channel);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return std::pair<std::string, std::string>{};
  return std::pair<std::string, std::string>{st->columnText(0), st->columnText(1)};
}

Status IntakeProgress::setCursor(const std::string& channel, const std::string& updated_since,
                                 const std::string& page_token) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached(
      "INSERT INTO cursors (channel, updated_since, page_token) VALUES (?, ?, ?)"
      " ON CONFLICT (channel) DO UPDATE SET updated_since = excluded.updated_since, page_token = excluded.page_token");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, updated_since).bind(3, page_token);
  return st->run();
}

Result<uint64_t> IntakeProgress::scanned(const std::string& device) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("SELECT seq FROM ledger_scan WHERE device = ?");
  if (!st) return st.error();
  st->bind(1, device);
  auto r = st->step();
  if (!r) return r.error();
  return *r ? static_cast<uint64_t>(st->columnInt(0)) : uint64_t{0};
}

Status IntakeProgress::setScanned(const std::string& device, uint64_t seq) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached(
      "INSERT INTO ledger_scan (device, seq) VALUES (?, ?) ON CONFLICT (device) DO UPDATE "
      " SET seq = CASE WHEN excluded.seq > ledger_scan.seq THEN excluded.seq ELSE ledger_scan.seq END");
  if (!st) return st.error();
  st->bind(1, device).bind(2, static_cast<int64_t>(seq));
  return st->run();
}

}  // namespace sw::coordinator
