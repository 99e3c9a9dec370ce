// Property tests: the ledger against a reference model.
//
// The model applies a random history in true time order, the way the shop floor lived it: sales,
// returns (also at another store), voids, receipts, adjustments, per-SKU counts, whole-location
// count sessions, and transfers received short or over. The coordinator gets the same history the
// way the network delivers it: each device's clock is off by up to a day (the device reports its
// offset with each batch), its events come in batches, and the batches of all devices arrive in a
// random order, some twice, through the Sequencer into the ledger. Whatever the order, the ledger's
// figures, transfers and count discrepancies must equal the model's exactly.
//
// In the first property events are further apart than the ledger's count tie window, so true
// order is knowable and the model is exact. The second packs events closer than the window: there
// the rule (a movement too close to a count is taken as seen by it) decides, and the ledger must
// give the same figures for every delivery order.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "sw/common/uuid.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/coordinator/ingest/sequencer.h"
#include "test_support.h"

using namespace sw;
using common::EventType;

namespace {

constexpr int64_t kTieMs = 2000;
constexpr int64_t kDay = 86'400'000;

struct Device {
  std::string id;
  std::string location;
  bool handheld = false;
  int64_t skew_ms = 0;  // device clock minus true time
  std::vector<common::Event> events;
  std::vector<size_t> sales;  // indexes into events: sales not yet voided
};

using Key = std::pair<std::string, std::string>;  // (location, sku)

struct Shipment {
  std::string from, to, sku, out_id;
  int64_t sent = 0;
  std::optional<int64_t> received;
};

struct Model {
  std::map<Key, int64_t> on_hand;
  std::map<Key, int64_t> expected_at_last_count;  // on-hand just before the latest count
  std::map<Key, int64_t> counted_at_last_count;
  std::vector<Shipment> shipments;
};

class History {
 public:
  History(uint64_t seed, int64_t min_gap_ms, int64_t max_gap_ms) : rng_(seed), min_gap_(min_gap_ms), max_gap_(max_gap_ms) {
    for (auto [id, loc, handheld] : {std::tuple{"till-1", "store-1", false}, {"till-2", "store-1", false},
                                     {"hh-1", "store-1", true}, {"hh-3", "store-1", true}, {"till-3", "store-2", false},
                                     {"hh-2", "store-2", true}}) {
      Device d;
      d.id = id;
      d.location = loc;
      d.handheld = handheld;
      d.skew_ms = pick(-kDay, kDay);
      devices_.push_back(std::move(d));
    }
  }

  void generate(int n) {
    int64_t t = 1'800'000'000'000;
    for (int i = 0; i < n; ++i) {
      t += pick(min_gap_, max_gap_);
      Device& d = devices_[static_cast<size_t>(pick(0, static_cast<int64_t>(devices_.size()) - 1))];
      step(d, t);
    }
  }

  std::vector<Device>& devices() { return devices_; }
  const Model& model() const { return model_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  std::string sku() { return "SKU-" + std::to_string(pick(1, 6)); }

  common::Event& add(Device& d, EventType type, int64_t t, std::vector<common::Line> lines) {
    common::Event e;
    e.device_id = d.id;
    e.seq = d.events.size() + 1;
    e.event_id = common::newUuidV7(t);
    e.type = type;
    e.occurred_at_ms = t + d.skew_ms;
    e.location = d.location;
    e.lines = std::move(lines);
    d.events.push_back(std::move(e));
    return d.events.back();
  }

  void move(const std::string& loc, const std::string& s, int64_t delta) { model_.on_hand[{loc, s}] += delta; }

  void count(const std::string& loc, const std::string& s, int64_t counted) {
    Key k{loc, s};
    model_.expected_at_last_count[k] = model_.on_hand[k];
    model_.counted_at_last_count[k] = counted;
    model_.on_hand[k] = counted;
  }

  void step(Device& d, int64_t t) {
    const std::string other = d.location == "store-1" ? "store-2" : "store-1";
    int64_t r = pick(0, 99);
    if (d.handheld) {
      if (r < 30) {  // receive a delivery
        std::string s = sku();
        int64_t q = pick(1, 20);
        add(d, EventType::kReceive, t, {{s, q, std::nullopt}});
        move(d.location, s, q);
      } else if (r < 55) {  // count some SKUs
        std::set<std::string> skus;
        for (int i = 0, n = static_cast<int>(pick(1, 3)); i < n; ++i) skus.insert(sku());
        std::vector<common::Line> lines;
        for (const auto& s : skus) lines.push_back({s, pick(0, 30), std::nullopt});
        add(d, EventType::kCount, t, lines);
        for (const auto& l : lines) count(d.location, l.sku, l.qty);
      } else if (r < 62) {  // a whole-location count session: what is not listed was not there
        std::vector<common::Line> lines;
        std::set<std::string> listed;
        for (int i = 0, n = static_cast<int>(pick(0, 3)); i < n; ++i) {
          std::string s = sku();
          if (listed.insert(s).second) lines.push_back({s, pick(0, 30), std::nullopt});
        }
        if (lines.empty()) lines.push_back({sku(), pick(0, 30), std::nullopt});
        listed.clear();
        for (const auto& l : lines) listed.insert(l.sku);
        common::Event& e = add(d, EventType::kCount, t, lines);
        e.scope = common::kScopeLocation;
        for (const auto& l : lines) count(d.location, l.sku, l.qty);
        for (int i = 1; i <= 6; ++i) {
          std::string s = "SKU-" + std::to_string(i);
          if (!listed.count(s)) count(d.location, s, 0);
        }
      } else if (r < 80) {  // ship to the other store
        std::string s = sku();
        int64_t q = pick(1, 8);
        common::Event& e = add(d, EventType::kTransferOut, t, {{s, q, std::nullopt}});
        e.other_location = other;
        move(d.location, s, -q);
        model_.shipments.push_back({d.location, other, s, e.event_id, q, std::nullopt});
      } else {  // receive a shipment from the other store, sometimes short or over
        Shipment* sh = nullptr;
        for (auto& x : model_.shipments) {
          if (x.to == d.location && !x.received) {
            sh = &x;
            break;
          }
        }
        if (!sh) return;
        int64_t got = std::max<int64_t>(1, sh->sent + (pick(0, 3) == 0 ? pick(-2, 2) : 0));
        common::Event& e = add(d, EventType::kTransferIn, t, {{sh->sku, got, std::nullopt}});
        e.other_location = sh->from;
        e.ref = sh->out_id;
        sh->received = got;
        move(d.location, sh->sku, got);
      }
      return;
    }
    if (r < 60) {  // a sale
      std::vector<common::Line> lines = {{sku(), pick(1, 3), common::Decimal::parse("4.99").value()}};
      if (pick(0, 3) == 0) {
        std::string s = sku();
        if (s != lines[0].sku) lines.push_back({s, 1, common::Decimal::parse("1.25").value()});
      }
      add(d, EventType::kSale, t, lines);
      for (const auto& l : lines) move(d.location, l.sku, -l.qty);
      d.sales.push_back(d.events.size() - 1);
    } else if (r < 72 && !d.sales.empty()) {  // void one of this till's sales
      size_t i = static_cast<size_t>(pick(0, static_cast<int64_t>(d.sales.size()) - 1));
      const common::Event sale = d.events[d.sales[i]];
      d.sales.erase(d.sales.begin() + static_cast<std::ptrdiff_t>(i));
      common::Event& v = add(d, EventType::kVoid, t, {});
      v.ref = sale.event_id;
      for (const auto& l : sale.lines) move(sale.location, l.sku, l.qty);
    } else if (r < 82) {  // a return, sometimes of something bought at the other store
      std::string s = sku();
      int64_t q = pick(1, 2);
      add(d, EventType::kReturn, t, {{s, q, std::nullopt}});
      move(d.location, s, q);
    } else if (r < 92) {  // an adjustment (damage, found)
      std::string s = sku();
      int64_t q = pick(0, 1) ? pick(1, 3) : -pick(1, 3);
      common::Event& e = add(d, EventType::kAdjust, t, {{s, q, std::nullopt}});
      e.reason = q < 0 ? "damaged" : "found";
      move(d.location, s, q);
    } else {  // a till receiving a small delivery
      std::string s = sku();
      int64_t q = pick(1, 5);
      add(d, EventType::kReceive, t, {{s, q, std::nullopt}});
      move(d.location, s, q);
    }
  }

  std::mt19937_64 rng_;
  int64_t min_gap_, max_gap_;
  std::vector<Device> devices_;
  Model model_;
};

// Delivers every device's events as the network would: in batches, all devices' batches in a
// random order, some twice, each through the Sequencer; the ledger commits what it releases.
void deliver(std::vector<Device>& devices, coordinator::SqlLedger& ledger, std::mt19937_64& rng) {
  std::vector<common::EventBatch> batches;
  for (const Device& d : devices) {
    std::string epoch = common::newUuid();
    for (size_t i = 0; i < d.events.size();) {
      size_t n = std::min<size_t>(d.events.size() - i, 1 + rng() % 6);
      common::EventBatch b;
      b.device_id = d.id;
      b.epoch = epoch;
      b.clock_offset_ms = -d.skew_ms;
      b.events.assign(d.events.begin() + static_cast<std::ptrdiff_t>(i),
                      d.events.begin() + static_cast<std::ptrdiff_t>(i + n));
      batches.push_back(b);
      if (rng() % 8 == 0) batches.push_back(b);  // delivered twice
      i += n;
    }
  }
  std::shuffle(batches.begin(), batches.end(), rng);
  coordinator::Sequencer seq({});
  int64_t applied_at = 1'900'000'000'000;
  for (common::EventBatch& b : batches) {
    const std::string device = b.device_id, epoch = b.epoch;
    const int64_t offset = *b.clock_offset_ms;
    coordinator::Offer offer = seq.offer(std::move(b), 0);
    ASSERT_NE(offer.verdict, coordinator::Offer::Verdict::kEpochMismatch);
    if (offer.apply.empty() && offer.verdict != coordinator::Offer::Verdict::kNewDevice) continue;
    coordinator::ApplyGroup g;
    g.applied_at_ms = ++applied_at;
    if (offer.verdict == coordinator::Offer::Verdict::kNewDevice) g.new_devices[device] = epoch;
    if (!offer.apply.empty()) g.cursors[device] = offer.apply.back().seq;
    for (common::Event& e : offer.apply) g.events.push_back({std::move(e), offset});
    auto s = ledger.commit(g);
    ASSERT_TRUE(s.ok()) << s.error().toString();
    if (!offer.apply.empty()) seq.commit(device, g.cursors[device]);
  }
  for (const Device& d : devices) ASSERT_EQ(seq.applied(d.id), d.events.size()) << d.id << " not fully applied";
}

std::map<Key, int64_t> ledgerFigures(coordinator::SqlLedger& ledger) {
  std::map<Key, int64_t> out;
  for (const char* loc : {"store-1", "store-2"}) {
    auto rows = ledger.stockForLocation(loc);
    EXPECT_TRUE(rows.ok());
    if (!rows) continue;
    for (const auto& r : *rows) out[{r.location, r.sku}] = r.on_hand;
  }
  return out;
}

std::unique_ptr<coordinator::SqlLedger> openLedger(const test::TempDir& dir, const std::string& name) {
  auto l = coordinator::SqlLedger::open({.path = dir.file(name), .count_tie_ms = kTieMs});
  EXPECT_TRUE(l.ok()) << l.error().toString();
  return l ? std::move(*l) : nullptr;
}

}  // namespace

TEST(LedgerProperty, MatchesTheTrueTimeModelWhateverTheDeliveryOrder) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    History h(seed, kTieMs + 1, 20 * kTieMs);
    h.generate(250);
    test::TempDir dir;
    auto ledger = openLedger(dir, "ledger.db");
    ASSERT_TRUE(ledger);
    deliver(h.devices(), *ledger, h.rng());
    if (HasFatalFailure()) return;

    // Every figure, with SKUs the ledger never saw at a location standing for 0.
    std::map<Key, int64_t> got = ledgerFigures(*ledger);
    for (const auto& [k, want] : h.model().on_hand) {
      auto it = got.find(k);
      EXPECT_EQ(it == got.end() ? 0 : it->second, want) << k.first << "/" << k.second;
    }
    for (const auto& [k, v] : got) EXPECT_TRUE(h.model().on_hand.count(k) || v == 0) << k.first << "/" << k.second;
    auto diffs = ledger->verifyOnHand();
    ASSERT_TRUE(diffs.ok());
    EXPECT_TRUE(diffs->empty()) << diffs->front();

    // The latest count of each figure against what the model held just before it.
    auto counts = ledger->countDiscrepancies("", "", 1000);
    ASSERT_TRUE(counts.ok());
    std::set<Key> seen;
    for (const auto& d : *counts) {
      Key k{d.location, d.sku};
      seen.insert(k);
      ASSERT_TRUE(h.model().counted_at_last_count.count(k)) << k.first << "/" << k.second;
      EXPECT_EQ(d.counted, h.model().counted_at_last_count.at(k)) << k.first << "/" << k.second;
      EXPECT_EQ(d.expected, h.model().expected_at_last_count.at(k)) << k.first << "/" << k.second;
      for (const auto& m : d.moves) EXPECT_FALSE(m.ambiguous);
    }
    // A count of a SKU that never moved at a location leaves no figure to explain; all others do.
    for (const auto& [k, counted] : h.model().counted_at_last_count) {
      if (!seen.count(k)) {
        EXPECT_EQ(got.count(k), 0u) << k.first << "/" << k.second << " counted but not explained";
      }
    }

    // Transfers: what is still in transit, and every receipt that differs from its shipment.
    auto transfers = ledger->transfers("", "", false, 100'000);
    ASSERT_TRUE(transfers.ok());
    ASSERT_EQ(transfers->size(), h.model().shipments.size());
    std::map<std::string, std::string> want_status, got_status;
    int64_t want_transit = 0, got_transit = 0;
    for (const Shipment& s : h.model().shipments) {
      std::string st = !s.received ? "in_transit" : *s.received < s.sent ? "short" : *s.received > s.sent ? "over" : "received";
      want_status[s.from + ">" + s.to + ":" + s.sku + ":" + std::to_string(s.sent) + ":" +
                  (s.received ? std::to_string(*s.received) : "-")] += st + ";";
      if (!s.received) want_transit += s.sent;
    }
    for (const auto& t : *transfers) {
      got_status[t.from_location + ">" + t.to_location + ":" + t.sku + ":" + std::to_string(t.sent.value_or(-1)) + ":" +
                 (t.received ? std::to_string(*t.received) : "-")] += t.status() + ";";
      if (t.sent && !t.received) got_transit += *t.sent;
    }
    for (auto& [k, v] : want_status) std::sort(v.begin(), v.end());
    for (auto& [k, v] : got_status) std::sort(v.begin(), v.end());
    EXPECT_EQ(got_status, want_status);
    EXPECT_EQ(got_transit, want_transit);
  }
}

TEST(LedgerProperty, EventsTooCloseToOrderGiveTheSameFiguresInEveryDeliveryOrder) {
  for (uint64_t seed = 100; seed < 108; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    History h(seed, 0, kTieMs);  // many movements within the tie window of a count
    h.generate(200);
    test::TempDir dir;
    std::map<Key, int64_t> first;
    for (int order = 0; order < 3; ++order) {
      auto ledger = openLedger(dir, "ledger-" + std::to_string(order) + ".db");
      ASSERT_TRUE(ledger);
      std::mt19937_64 rng(seed * 31 + static_cast<uint64_t>(order));
      deliver(h.devices(), *ledger, rng);
      if (HasFatalFailure()) return;
      auto diffs = ledger->verifyOnHand();
      ASSERT_TRUE(diffs.ok());
      EXPECT_TRUE(diffs->empty()) << diffs->front();
      auto figures = ledgerFigures(*ledger);
      if (order == 0) {
        first = figures;
      } else {
        EXPECT_EQ(figures, first) << "delivery order " << order << " changed the figures";
      }
    }
  }
}

TEST(LedgerProperty, TheTieRuleNeverCountsAMovementTwice) {
  // A till sells 1 at t (true time) and a handheld counts the shelf 500 ms later, after the sale:
  // the count saw it. Its own clock is a day off, corrected by the offset it reports; if the
  // correction were off by a second, the sale could look later than the count. Within the tie
  // window the sale is taken as seen by the count, so on-hand is the count, not count - 1.
  test::TempDir dir;
  auto ledger = openLedger(dir, "ledger.db");
  ASSERT_TRUE(ledger);
  const int64_t t = 1'800'000'000'000;
  auto ev = [](const std::string& dev, uint64_t seq, EventType type, int64_t at, int64_t qty) {
    common::Event e;
    e.device_id = dev;
    e.seq = seq;
    e.event_id = common::newUuidV7(at);
    e.type = type;
    e.occurred_at_ms = at;
    e.location = "store-1";
    e.lines = {{"SKU-1", qty, std::nullopt}};
    return e;
  };
  coordinator::ApplyGroup g;
  g.applied_at_ms = t + 10'000;
  g.new_devices = {{"hh-1", common::newUuid()}, {"till-1", common::newUuid()}};
  g.cursors = {{"hh-1", 2}, {"till-1", 1}};
  g.events.push_back({ev("hh-1", 1, EventType::kReceive, t - 60'000, 10), 0});
  g.events.push_back({ev("hh-1", 2, EventType::kCount, t + 500 - kDay, 9), kDay});
  g.events.push_back({ev("till-1", 1, EventType::kSale, t + 1200, 1), 0});  // clock 1.2 s fast, uncorrected
  ASSERT_TRUE(ledger->commit(g).ok());
  auto rows = ledger->stockForSku("SKU-1");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].on_hand, 9);
  auto counts = ledger->countDiscrepancies("store-1", "SKU-1", 10);
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].expected, 9);  // 10 received, 1 sold before the count (as far as can be told)
  ASSERT_EQ((*counts)[0].moves.size(), 2u);
  EXPECT_TRUE((*counts)[0].moves[1].ambiguous);
}
