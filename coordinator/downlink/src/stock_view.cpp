#include "sw/coordinator/downlink/stock_view.h"

#include <charconv>

namespace sw::coordinator {

common::Result<common::DownPage> StockViewProvider::page(const common::DownRequest& req, const std::string& device,
                                                        size_t max_items) {
  common::DownPage out;
  out.kind = kind();
  out.location = req.location;
  const std::string& c = req.cursor;
  bool snapshot = req.have == 0 || c.rfind("s:", 0) == 0;
  common::Result<StockViewPage> rows = common::Error::reject("bad_cursor", "unreadable cursor");
  if (snapshot) {
    rows = ledger_.stockSnapshot(req.location, device, c.empty() ? "" : c.substr(2), max_items);
  } else {
    int64_t after_ver = req.have;
    std::string after_sku;
    if (c.rfind("d:", 0) == 0) {
      size_t colon = c.find(':', 2);
      if (colon == std::string::npos) return common::Error::reject("bad_cursor", "unreadable cursor");
      auto [p, ec] = std::from_chars(c.data() + 2, c.data() + colon, after_ver);
      if (ec != std::errc() || p != c.data() + colon) return common::Error::reject("bad_cursor", "unreadable cursor");
      after_sku = c.substr(colon + 1);
    } else if (!c.empty()) {
      return common::Error::reject("bad_cursor", "unreadable cursor");
    }
    rows = ledger_.stockChanges(req.location, device, after_ver, after_sku, max_items);
  }
  if (!rows) return rows.error();
  out.snapshot = snapshot;
  out.more = rows->more;
  for (const StockViewRow& r : rows->rows) out.items.push_back({{"sku", r.sku}, {"on_hand", r.on_hand}, {"ver", r.version}});
  out.meta = {{"device_applied_seq", rows->device_applied_seq}};
  if (snapshot) {
    // Every page of a snapshot carries the version it started from; later changes follow as deltas.
    out.version = c.empty() ? rows->version : req.have;
    if (out.more) out.cursor = "s:" + rows->rows.back().sku;
  } else if (out.more) {
    out.version = req.have;  // not there yet: the cursor carries the position
    out.cursor = "d:" + std::to_string(rows->rows.back().version) + ":" + rows->rows.back().sku;
  } else {
    out.version = std::max(req.have, rows->version);
  }
  return out;
}

}  // namespace sw::coordinator
