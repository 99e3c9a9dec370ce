// `verify --chain`: every device's hash chain recomputed from the ledger's own tables.
//
// Each event is rebuilt from its events row, its movement lines (a void's lines are its reversal,
// which the chain does not cover), its price flags and whether it began a whole-location count;
// an event applied without its full rows (chain_kept) is taken from its kept canonical bytes.

#include <map>

#include "sw/common/chain.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/ledger/sql_ledger.h"

namespace sw::coordinator {

using common::Error;
using common::Result;

namespace {

struct Chained {
  std::string prev;
  std::string body;  // canonical bytes
};

}  // namespace

Result<std::vector<ChainCheck>> SqlLedger::verifyChain(const std::string& only_device) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto devs = reader_->prepare("SELECT id, device_id, chain_head FROM devices WHERE internal = 0 AND (?1 = '' OR device_id = ?1)"
                              " ORDER BY device_id");
  if (!devs) return devs.error();
  auto evs = reader_->prepare(
      "SELECT e.seq, e.event_id, e.type, l.name, COALESCE(o.name, ''), COALESCE(e.reason, ''), e.ref, e.device_at_ms,"
      " COALESCE(e.prev_hash, ''), EXISTS (SELECT 1 FROM location_counts c WHERE c.dev = e.dev AND c.seq = e.seq)"
      " FROM events e JOIN locations l ON l.id = e.loc LEFT JOIN locations o ON o.id = e.other_loc"
      " WHERE e.dev = ? ORDER BY e.seq");
  if (!evs) return evs.error();
  auto moves = reader_->prepare(
      "SELECT s.sku, m.qty, m.price_units FROM movements m JOIN skus s ON s.id = m.sku WHERE m.dev = ? AND m.seq = ?"
      " ORDER BY m.line");
  if (!moves) return moves.error();
  auto flags = reader_->prepare("SELECT line, check_code, list_units FROM price_flags WHERE dev = ? AND seq = ? ORDER BY line");
  if (!flags) return flags.error();
  auto kept = reader_->prepare("SELECT seq, prev_hash, body FROM chain_kept WHERE dev = ? ORDER BY seq");
  if (!kept) return kept.error();
  auto txn = common::SqlReadTxn::begin(*reader_);
  if (!txn) return txn.error();

  std::vector<ChainCheck> out;
  devs->bind(1, only_device);
  while (true) {
    auto r = devs->step();
    if (!r) return r.error();
    if (!*r) break;
    const int64_t dev = devs->columnInt(0);
    ChainCheck check;
    check.device_id = devs->columnText(1);
    const std::string head = devs->columnText(2);

    std::map<uint64_t, Chained> chain;
    kept->bind(1, dev);
    while (true) {
      auto k = kept->step();
      if (!k) return k.error();
      if (!*k) break;
      chain[static_cast<uint64_t>(kept->columnInt(0))] = {kept->columnText(1), kept->columnText(2)};
    }
    kept->reset();
    evs->bind(1, dev);
    while (true) {
      auto e = evs->step();
      if (!e) return e.error();
      if (!*e) break;
      const auto seq = static_cast<uint64_t>(evs->columnInt(0));
      if (chain.count(seq)) continue;  // its kept bytes are what was chained
      common::Event ev;
      ev.device_id = check.device_id;
      ev.seq = seq;
      ev.event_id = common::uuidFromBytes(evs->columnView(1));
      auto type = common::parseEventType(evs->columnView(2));
      if (!type) return Error::fatal("corrupt_database", "event type " + evs->columnText(2));
      ev.type = *type;
      ev.location = evs->columnText(3);
      ev.other_location = evs->columnText(4);
      ev.reason = evs->columnText(5);
      if (!evs->columnIsNull(6)) ev.ref = common::uuidFromBytes(evs->columnView(6));
      ev.occurred_at_ms = evs->columnInt(7);
      ev.prev_hash = evs->columnText(8);
      if (evs->columnInt(9) != 0) ev.scope = common::kScopeLocation;
      if (ev.type != common::EventType::kVoid) {
        moves->bind(1, dev).bind(2, static_cast<int64_t>(seq));
        while (true) {
          auto m = moves->step();
          if (!m) return m.error();
          if (!*m) break;
          common::Line l{moves->columnText(0), moves->columnInt(1), std::nullopt};
          if (!moves->columnIsNull(2)) l.unit_price = common::Decimal::fromUnits(moves->columnInt(2));
          ev.lines.push_back(std::move(l));
        }
        moves->reset();
        flags->bind(1, dev).bind(2, static_cast<int64_t>(seq));
        while (true) {
          auto f = flags->step();
          if (!f) return f.error();
          if (!*f) break;
          auto c = common::parsePriceCheck(flags->columnView(1));
          if (!c) return Error::fatal("corrupt_database", "price check " + flags->columnText(1));
          common::PriceFlag pf{static_cast<uint32_t>(flags->columnInt(0)), *c, std::nullopt};
          if (!flags->columnIsNull(2)) pf.list_price = common::Decimal::fromUnits(flags->columnInt(2));
          ev.price_flags.push_back(std::move(pf));
        }
        flags->reset();
      }
      chain[seq] = {ev.prev_hash, common::chainBytes(ev)};
    }
    evs->reset();

    // Walk in seq order: unchained events first (from before the chain), then every link.
    std::string expect;
    uint64_t last = 0;
    auto broken = [&](uint64_t seq, std::string why) {
      check.ok = false;
      check.break_seq = seq;
      check.message = std::move(why);
    };
    for (const auto& [seq, c] : chain) {
      if (expect.empty()) {
        if (c.prev.empty()) {
          last = seq;
          continue;
        }
        check.chained_from = seq;
        if (c.prev != common::kChainGenesis) {
          broken(seq, "the first chained event links to " + c.prev + ", not to the genesis hash");
          break;
        }
        expect = std::string(common::kChainGenesis);
      } else if (seq != last + 1) {
        broken(last + 1, "seq " + std::to_string(last + 1) + " is missing from the ledger (next is " +
                             std::to_string(seq) + ")");
        break;
      } else if (c.prev != expect) {
        broken(seq, c.prev.empty() ? "an unchained event after the chain started"
                                   : "links to " + c.prev + ", but the ledger's event at seq " +
                                         std::to_string(last) + " hashes to " + expect +
                                         " (that event is not the one chained)");
        break;
      }
      expect = common::chainHash(c.prev, c.body);
      last = seq;
      ++check.events_checked;
    }
    if (check.ok && expect != head) {
      broken(last, head.empty() ? "the device has chained events but no chain head"
                                : "the last event hashes to " + expect + ", but the device's chain head is " + head +
                                      " (the last event is not the one chained)");
    }
    check.head = head;
    out.push_back(std::move(check));
  }
  devs->reset();
  return out;
}

}  // namespace sw::coordinator
