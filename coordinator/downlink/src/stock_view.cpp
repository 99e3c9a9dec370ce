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
    auto cursor = common::parseDeltaCursor(c, true);
    if (!cursor) return cursor.error();
    int64_t after_ver = *cursor ? (*cursor)->version : req.have;
    std::string after_sku = *cursor ? (*cursor)->key : "";
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
    out.cursor = common::deltaCursor(rows->rows.back().version, rows->rows.back().sku);
  } else {
    out.version = std::max(req.have, rows->version);
  }
  return out;
}

}  // namespace sw::coordinator
