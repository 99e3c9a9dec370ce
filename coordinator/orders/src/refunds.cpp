// The order book's refunds and the restocks they cause (see order_book.h).

#include <algorithm>

#include "book_store.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/orders/order_book.h"

namespace sw::coordinator {

using common::Result;
using common::SqlStmt;
using common::Status;

Result<RefundResult> OrderBook::applyRefund(const std::string& channel, const std::string& order_id,
                                            const std::string& refund_id, const std::string& line_id, int64_t quantity,
                                            bool restock, const std::string& location, int64_t restock_limit) {
  RefundResult out;
  if (quantity <= 0) return out;
  const OrderRef ref{channel, order_id};
  Status s = write([&]() -> Status {
    auto seen = store_->db->cached("SELECT 1 FROM refunds WHERE channel = ? AND refund_id = ? AND line_id = ?");
    if (!seen) return seen.error();
    seen->bind(1, channel).bind(2, refund_id).bind(3, line_id);
    auto sr = seen->step();
    if (!sr) return sr.error();
    if (*sr) {
      out.duplicate = true;
      return {};
    }
    seen->reset();
    auto allocs = holds_->ofOrderLocked(ref);
    if (!allocs) return allocs.error();
    std::vector<BookAllocation> held;
    std::map<std::string, int64_t> shipped_at;  // location -> shipped units of this line
    std::string sku;
    for (const BookAllocation& a : *allocs) {
      if (a.line_id != line_id) continue;
      sku = a.sku;
      if (isHeld(a.state)) held.push_back(a);
      if (a.state == AllocationState::kShipped) shipped_at[a.location] += a.quantity;
    }
    auto rank = [](const BookAllocation& a) { return a.location.empty() ? 0 : a.state == AllocationState::kReserved ? 1 : 2; };
    std::stable_sort(held.begin(), held.end(), [&](const auto& x, const auto& y) { return rank(x) < rank(y); });
    int64_t held_units = 0;
    for (const BookAllocation& a : held) held_units += a.quantity;
    // The line still needs what was wanted at intake less every refund (this one included) and what
    // has shipped; only held units beyond that are released. So a refund whose units an order update
    // already released (Shopify GraphQL polling sees a refund only as a lower current quantity,
    // without its id) releases nothing more, and a refund of shipped units does not take held ones.
    auto ln = store_->db->cached(
        "SELECT l.quantity, l.released, (SELECT COALESCE(SUM(f.quantity), 0) FROM refunds f"
        "  WHERE f.channel = l.channel AND f.order_id = l.order_id AND f.line_id = l.line_id)"
        " FROM order_lines l WHERE l.channel = ? AND l.order_id = ? AND l.line_id = ?");
    if (!ln) return ln.error();
    ln->bind(1, channel).bind(2, order_id).bind(3, line_id);
    auto lr = ln->step();
    if (!lr) return lr.error();
    int64_t wanted = *lr ? ln->columnInt(0) : held_units;
    int64_t released_by_updates = *lr ? ln->columnInt(1) : 0;
    int64_t refunded = *lr ? ln->columnInt(2) + quantity : quantity;
    ln->reset();
    int64_t shipped_units = 0;
    for (const auto& [loc, n] : shipped_at) shipped_units += n;
    int64_t need = std::max<int64_t>(0, wanted - refunded - shipped_units);
    out.released = std::clamp<int64_t>(held_units - need, 0, quantity);
    auto change = releaseLocked(held, out.released);
    if (!change) return change.error();
    out.change = std::move(*change);
    // Units updates released for the lower quantity that this refund explains move from the line's
    // count to the refund's: order updates release what a line lost less what refunds account for,
    // minus the line's count, so no unit is counted on both sides.
    if (int64_t covered = std::min(released_by_updates, quantity - out.released); covered > 0) {
      auto ul = store_->db->cached("UPDATE order_lines SET released = released - ? WHERE channel = ? AND order_id = ? AND line_id = ?");
      if (!ul) return ul.error();
      ul->bind(1, covered).bind(2, channel).bind(3, order_id).bind(4, line_id);
      if (auto r = ul->run(); !r) return r;
    }
    int64_t left = quantity - out.released;
    if (restock && left > 0 && !sku.empty()) {
      auto done = store_->db->cached("SELECT COALESCE(SUM(quantity), 0) FROM restocks WHERE channel = ? AND order_id = ? AND line_id = ?"
          " AND substr(refund_id, 1, 10) <> 'late_pick:'");  // kLatePickRef: not a refund's
      if (!done) return done.error();
      done->bind(1, channel).bind(2, order_id).bind(3, line_id);
      auto dr = done->step();
      if (!dr) return dr.error();
      int64_t already = done->columnInt(0);
      done->reset();
      int64_t may = shipped_units;
      if (restock_limit >= 0) {
        // The channel's count also holds units it restocked that never left here (refunded before
        // shipping: released from holds, not restocked). Counted as accounted for, which may
        // restock too little (a released refund the channel did not restock), never too much.
        auto rel = store_->db->cached("SELECT COALESCE(SUM(released), 0) FROM refunds WHERE channel = ? AND order_id = ? AND line_id = ?");
        if (!rel) return rel.error();
        rel->bind(1, channel).bind(2, order_id).bind(3, line_id);
        auto rr = rel->step();
        if (!rr) return rr.error();
        int64_t released_before = rel->columnInt(0);
        rel->reset();
        may = std::min(shipped_units, restock_limit - released_before);
      }
      out.restocked = std::clamp<int64_t>(may - already, 0, left);
      out.location = location;
      if (out.location.empty()) {
        // Where the units shipped from (most units first): they come back there.
        int64_t best = -1;
        for (const auto& [loc, n] : shipped_at) {
          if (n > best) {
            best = n;
            out.location = loc;
          }
        }
      }
      if (out.restocked > 0 && !out.location.empty()) {
        auto ins = store_->db->cached(
            "INSERT INTO restocks (seq, event_id, channel, order_id, refund_id, line_id, sku, location, quantity, state,"
            " created_at_ms) SELECT COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ? FROM restocks");
        if (!ins) return ins.error();
        ins->bind(1, common::newUuid()).bind(2, channel).bind(3, order_id).bind(4, refund_id).bind(5, line_id).bind(6, sku)
            .bind(7, out.location).bind(8, out.restocked).bind(9, store_->clock.nowMs());
        if (auto r = ins->run(); !r) return r;
      } else {
        out.restocked = 0;
      }
    }
    auto rec = store_->db->cached(
        "INSERT INTO refunds (channel, refund_id, line_id, order_id, quantity, released, restocked, at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!rec) return rec.error();
    rec->bind(1, channel).bind(2, refund_id).bind(3, line_id).bind(4, order_id).bind(5, quantity).bind(6, out.released)
        .bind(7, out.restocked).bind(8, store_->clock.nowMs());
    if (auto r = rec->run(); !r) return r;
    return updateOrderStatusLocked(ref);
  });
  if (!s) return s.error();
  return out;
}

Result<std::map<std::string, int64_t>> OrderBook::refundedUnits(const std::string& channel, const std::string& order_id) {
  std::lock_guard<std::mutex> lock(store_->mu);
  auto st = store_->db->cached("SELECT line_id, SUM(quantity) FROM refunds WHERE channel = ? AND order_id = ? GROUP BY line_id");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, order_id);
  std::map<std::string, int64_t> out;
  if (auto each_ok = st->eachRow([&](const common::SqlStmt&) {
    out[st->columnText(0)] = st->columnInt(1);
  }); !each_ok) return each_ok.error();
  return out;
}

Result<std::vector<Restock>> OrderBook::pendingRestocks(int64_t limit) {
  std::lock_guard<std::mutex> lock(store_->mu);
  auto st = store_->db->cached(
      "SELECT seq, event_id, channel, order_id, refund_id, line_id, sku, location, quantity, created_at_ms"
      " FROM restocks WHERE state = 'pending' ORDER BY seq LIMIT ?");
  if (!st) return st.error();
  st->bind(1, limit);
  std::vector<Restock> out;
  if (auto each_ok = st->eachRow([&](const common::SqlStmt&) {
    Restock x;
    x.seq = st->columnInt(0);
    x.event_id = st->columnText(1);
    x.channel = st->columnText(2);
    x.order_id = st->columnText(3);
    x.refund_id = st->columnText(4);
    x.line_id = st->columnText(5);
    x.sku = st->columnText(6);
    x.location = st->columnText(7);
    x.quantity = st->columnInt(8);
    x.state = RestockState::kPending;
    x.created_at_ms = st->columnInt(9);
    out.push_back(std::move(x));
  }); !each_ok) return each_ok.error();
  return out;
}

Status OrderBook::restocksApplied(int64_t up_to_seq) {
  std::lock_guard<std::mutex> lock(store_->mu);
  auto st = store_->db->cached("UPDATE restocks SET state = 'applied', applied_at_ms = ? WHERE state = 'pending' AND seq <= ?");
  if (!st) return st.error();
  st->bind(1, store_->clock.nowMs()).bind(2, up_to_seq);
  return st->run();
}

// The order's restocks and applied refund lines.
Status OrderBook::readRefundsLocked(BookOrder& o) {
  std::string bad;
  auto rs = store_->db->cached(
      "SELECT seq, event_id, refund_id, line_id, sku, location, quantity, state, created_at_ms, applied_at_ms"
      " FROM restocks WHERE channel = ? AND order_id = ? ORDER BY seq");
  if (!rs) return rs.error();
  rs->bind(1, o.channel).bind(2, o.order_id);
  if (auto each_ok = rs->eachRow([&](const common::SqlStmt&) {
    Restock x;
    x.seq = rs->columnInt(0);
    x.event_id = rs->columnText(1);
    x.channel = o.channel;
    x.order_id = o.order_id;
    x.refund_id = rs->columnText(2);
    x.line_id = rs->columnText(3);
    x.sku = rs->columnText(4);
    x.location = rs->columnText(5);
    x.quantity = rs->columnInt(6);
    x.state = stateColumn(*rs, 7, parseRestockState, "restocks.state", bad);
    x.created_at_ms = rs->columnInt(8);
    x.applied_at_ms = rs->columnInt(9);
    o.restocks.push_back(std::move(x));
  }); !each_ok) return each_ok;
  auto rf = store_->db->cached(
      "SELECT refund_id, line_id, quantity, released, restocked, at_ms FROM refunds WHERE channel = ? AND order_id = ?"
      " ORDER BY rowid");
  if (!rf) return rf.error();
  rf->bind(1, o.channel).bind(2, o.order_id);
  if (auto each_ok = rf->eachRow([&](const common::SqlStmt&) {
    o.refunds.push_back({rf->columnText(0), rf->columnText(1), rf->columnInt(2), rf->columnInt(3), rf->columnInt(4),
                         rf->columnInt(5)});
  }); !each_ok) return each_ok;
  if (!bad.empty()) return badState(bad);
  return {};
}

}  // namespace sw::coordinator
