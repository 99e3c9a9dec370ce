// The wholesale channel with its real parts: a SQLite ledger, order book and wholesale store in a
// temp dir, the order service, a partner's inbound, outbound and archive folders, and a clock
// moved by hand. Files are dropped into the inbound folder as the partner's gateway would, a round
// of the worker is run, and what appears in the outbound folder is read back with sw_edi as the
// partner would. Nothing sleeps or waits.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sw/common/uuid.h"
#include "sw/coordinator/edi/documents.h"
#include "sw/coordinator/edi/x12.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/coordinator/orders/order_service.h"
#include "sw/coordinator/wholesale/wholesale_service.h"
#include "schema_upgrade.h"
#include "test_support.h"

using namespace sw;
using namespace sw::coordinator;
using namespace sw::coordinator::wholesale;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A line of a partner's 850: its PO101, quantity, price and vendor item number.
struct PoLine {
  std::string line;
  int64_t quantity;
  std::string price;
  std::string vendor_item;
};

const edi::Segment* find(const std::vector<edi::Segment>& segs, const std::string& id, size_t nth = 0) {
  for (const edi::Segment& s : segs) {
    if (s.id == id && nth-- == 0) return &s;
  }
  return nullptr;
}
size_t count(const std::vector<edi::Segment>& segs, const std::string& id) {
  size_t n = 0;
  for (const edi::Segment& s : segs) n += s.id == id;
  return n;
}

class WholesaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* d : {"in", "out", "archive"}) fs::create_directories(dir_.file(d));
    auto l = SqlLedger::open({.path = dir_.file("ledger.db")});
    ASSERT_TRUE(l.ok()) << l.error().toString();
    ledger_ = std::move(*l);
    auto sales = ledger_->openSalesHistory();
    ASSERT_TRUE(sales.ok());
    sales_ = std::move(*sales);
    open();
  }
  json partnerJson() {
    return {{"id", "acme"},
            {"us", {{"qualifier", "ZZ"}, {"id", "STOCKWIRE"}}},
            {"them", {{"qualifier", "ZZ"}, {"id", "ACME"}}},
            {"line_breaks", true},
            {"folders", {{"inbound", dir_.file("in")}, {"outbound", dir_.file("out")}, {"archive", dir_.file("archive")}}},
            {"inventory", {{"interval_s", 3600}, {"cap", 5}}},
            {"items", json::array({{{"sku", "WIDGET-S"}, {"ids", {{"VN", "AB3542"}, {"UP", "012345678905"}}}},
                                   {{"sku", "WIDGET-M"}, {"ids", {{"VN", "RD5322"}}}}})},
            {"ship_from", "Stockwire DC"},
            {"carrier_scac", "UPSN"},
            {"partial_lines", partial_lines_},
            {"ship_backorders", ship_backorders_}};
  }
  // The whole stack as serve builds it; again after close() is a restart.
  void open() {
    auto b = OrderBook::open(dir_.file("ledger.db.orders"), clock_);
    ASSERT_TRUE(b.ok()) << b.error().toString();
    book_ = std::move(*b);
    auto routing = parseRoutingConfig(json::parse(R"({"locations": {"wh-1": {"lat": 52.5, "lon": 13.4, "cost": 1}}})"));
    ASSERT_TRUE(routing.ok());
    orders_ = std::make_unique<OrderService>(*book_, *ledger_, nullptr, *routing, clock_);
    auto store = WholesaleStore::open(dir_.file("ledger.db.wholesale"));
    ASSERT_TRUE(store.ok()) << store.error().toString();
    store_ = std::move(*store);
    auto cfg = parseWholesaleConfig(json{{"partners", json::array({partnerJson()})}});
    ASSERT_TRUE(cfg.ok()) << cfg.error().toString();
    service_ = std::make_unique<WholesaleService>(std::move(*cfg), *store_, *orders_, *ledger_, *sales_, book_->holds(),
                                                  clock_);
    service_->attach();
  }
  void close() {
    service_.reset();
    store_.reset();
    orders_.reset();
    book_.reset();
  }
  const Partner& partner() { return service_->config().partners.at(0); }

  void commitEvent(const std::string& loc, common::EventType type, std::vector<common::Line> lines,
                   const std::string& ref = "") {
    common::Event e;
    e.device_id = "hh-" + loc;
    e.seq = ++seq_[e.device_id];
    e.event_id = common::newUuid();
    e.type = type;
    e.occurred_at_ms = clock_.nowMs();
    e.location = loc;
    e.ref = ref;
    e.lines = std::move(lines);
    ApplyGroup g;
    g.applied_at_ms = clock_.nowMs();
    if (seq_[e.device_id] == 1) g.new_devices[e.device_id] = common::newUuid();
    g.cursors[e.device_id] = e.seq;
    g.events.push_back({e, 0});
    ASSERT_TRUE(ledger_->commit(g).ok());
  }
  void receive(const std::string& sku, int64_t qty) {
    commitEvent("wh-1", common::EventType::kReceive, {{sku, qty, std::nullopt}});
  }
  // The handheld picks every open task in full: one sale naming the task, as the agent records it.
  void pickAll() {
    auto open_tasks = book_->tasks().open();
    ASSERT_TRUE(open_tasks.ok());
    for (const PickTask& t : *open_tasks) {
      std::vector<common::Line> lines;
      for (const TaskLine& l : t.lines) lines.push_back({l.sku, l.quantity, std::nullopt});
      commitEvent(t.location, common::EventType::kSale, lines, t.task_id);
    }
  }

  // The partner's side: an 850 interchange as its translator writes it.
  std::string x12_850(uint64_t isa13, const std::string& po, const std::vector<PoLine>& lines,
                      edi::Separators separators = {'*', '>', '~', '^'}, const std::string& purpose = "00") {
    edi::PartnerConfig them;
    them.sender_id = "ACME";
    them.receiver_id = "STOCKWIRE";
    them.separators = separators;
    edi::CountingControlNumbers numbers(isa13, isa13 + 100, 1);
    edi::SetOut set{"850", {}};
    set.segments.push_back({"BEG", {purpose, "SA", po, "", "20261201"}});
    set.segments.push_back({"N1", {"ST", "XYZ RETAIL", "9", "0003947268292"}});
    set.segments.push_back({"N4", {"SOLON", "OH", "44139", "US"}});
    for (const PoLine& l : lines) {
      set.segments.push_back({"PO1", {l.line, std::to_string(l.quantity), "EA", l.price, "", "VN", l.vendor_item}});
    }
    set.segments.push_back({"CTT", {std::to_string(lines.size())}});
    auto x = edi::writeInterchange(them, numbers, edi::WriteTime::fromUnixMs(clock_.nowMs()), "PO", {set});
    EXPECT_TRUE(x.ok()) << x.error().toString();
    return x.ok() ? *x : "";
  }
  // The partner's 997 for one of our groups.
  std::string x12_997(uint64_t isa13, const std::string& functional_id, const std::string& group_control,
                      const std::vector<std::string>& sets) {
    edi::PartnerConfig them;
    them.sender_id = "ACME";
    them.receiver_id = "STOCKWIRE";
    edi::CountingControlNumbers numbers(isa13, isa13 + 100, 1);
    edi::GroupAck ack;
    ack.functional_id = functional_id;
    ack.control = group_control;
    ack.declared_sets = ack.received_sets = ack.accepted_sets = static_cast<int64_t>(sets.size());
    for (const std::string& s : sets) ack.sets.push_back({"855", s, edi::AckStatus::kAccepted, {}, {}});
    auto x = edi::write997(them, numbers, edi::WriteTime::fromUnixMs(clock_.nowMs()), {ack});
    EXPECT_TRUE(x.ok()) << x.error().toString();
    return x.ok() ? *x : "";
  }
  void drop(const std::string& name, const std::string& content) {
    std::ofstream out(dir_.file("in/" + name), std::ios::binary);
    out << content;
  }
  // Files in a folder whose names start with prefix, by name.
  std::vector<std::string> filesIn(const std::string& folder, const std::string& prefix = "") {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_.file(folder))) {
      std::string n = e.path().filename().string();
      if (n.rfind(prefix, 0) == 0) out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Every outbound file of a kind ("855"), parsed as the partner would; each must be clean.
  std::vector<edi::ParsedFile> sent(const std::string& kind) {
    std::vector<edi::ParsedFile> out;
    for (const std::string& n : filesIn("out", kind + "-")) {
      std::ifstream in(dir_.file("out/" + n), std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      edi::ParsedFile f = edi::parseX12(text);
      EXPECT_TRUE(f.clean()) << n << ": " << f.firstProblem();
      EXPECT_EQ(f.interchanges.at(0).sender_id, "STOCKWIRE");
      EXPECT_EQ(f.interchanges.at(0).receiver_id, "ACME");
      out.push_back(std::move(f));
    }
    return out;
  }
  const std::vector<edi::Segment>& setOf(const edi::ParsedFile& f) { return f.interchanges.at(0).groups.at(0).sets.at(0).segments; }
  std::optional<BookOrder> order(const std::string& po) {
    auto o = book_->order("wholesale", "acme:" + po);
    EXPECT_TRUE(o.ok());
    return o.ok() ? *o : std::nullopt;
  }
  int64_t held(const std::string& sku) {
    int64_t n = 0;
    for (const auto& [loc, q] : book_->holds().reservedByLocation(sku)) n += q;
    return n;
  }
  std::vector<ReceivedFile> log() {
    auto f = store_->files("", 100);
    EXPECT_TRUE(f.ok());
    return f.ok() ? *f : std::vector<ReceivedFile>{};
  }

  test::TempDir dir_;
  common::ManualClock clock_{1'796'000'000'000};
  std::unique_ptr<SqlLedger> ledger_;
  std::unique_ptr<SalesHistory> sales_;
  std::unique_ptr<OrderBook> book_;
  std::unique_ptr<OrderService> orders_;
  std::unique_ptr<WholesaleStore> store_;
  std::unique_ptr<WholesaleService> service_;
  std::map<std::string, uint64_t> seq_;
  bool partial_lines_ = false;
  bool ship_backorders_ = true;
};

}  // namespace

TEST_F(WholesaleTest, An850BecomesARoutedOrderAnsweredBy997And855AndItsPickBringsAnAsnAndAnInvoice) {
  receive("WIDGET-S", 4);
  receive("WIDGET-M", 10);
  drop("po-1.edi", x12_850(7001, "PO-1", {{"1", 3, "9.25", "AB3542"}, {"2", 2, "13.79", "RD5322"}, {"3", 1, "4.35", "ZZ999"}}));
  service_->workOnce();

  // The file is archived and logged; the inbound folder is empty.
  EXPECT_TRUE(filesIn("in").empty());
  ASSERT_EQ(filesIn("archive").size(), 1u);
  auto files = log();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].state, "done");
  EXPECT_EQ(files[0].outcome, "accepted") << files[0].detail;
  EXPECT_EQ(files[0].name, "po-1.edi");
  EXPECT_TRUE(fs::exists(files[0].archived_as));

  // An order like an online one: accepted, reserved and routed to wh-1 with a pick task.
  auto o = order("PO-1");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, OrderState::kAccepted) << o->reason;
  EXPECT_EQ(held("WIDGET-S"), 3);
  EXPECT_EQ(held("WIDGET-M"), 2);
  auto tasks = book_->tasks().open();
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ(tasks->front().location, "wh-1");

  // The 997: the PO group accepted with its one set.
  auto acks = sent("997");
  ASSERT_EQ(acks.size(), 1u);
  auto fa = edi::readFunctionalAck(acks[0].interchanges[0].groups[0].sets[0]);
  ASSERT_TRUE(fa.ok()) << fa.error().toString();
  EXPECT_EQ(fa->functional_id, "PO");
  EXPECT_EQ(fa->control, "7101");
  EXPECT_EQ(fa->status, edi::AckStatus::kAccepted);
  EXPECT_EQ(fa->accepted_sets, 1);

  // The 855: accepted with changes, lines 1 and 2 accepted, line 3 (no such item) rejected.
  auto pr = sent("855");
  ASSERT_EQ(pr.size(), 1u);
  const auto& s855 = setOf(pr[0]);
  ASSERT_TRUE(find(s855, "BAK"));
  EXPECT_EQ(find(s855, "BAK")->element(2), "AC");
  EXPECT_EQ(find(s855, "BAK")->element(3), "PO-1");
  ASSERT_EQ(count(s855, "ACK"), 3u);
  EXPECT_EQ(find(s855, "ACK", 0)->element(1), "IA");
  EXPECT_EQ(find(s855, "ACK", 0)->element(2), "3");
  EXPECT_EQ(find(s855, "ACK", 1)->element(1), "IA");
  EXPECT_EQ(find(s855, "ACK", 2)->element(1), "IR");

  // The handheld picks: the task completes, and an 856 and an 810 go out.
  ASSERT_NO_FATAL_FAILURE(pickAll());
  orders_->workOnce();
  EXPECT_EQ(order("PO-1")->status, OrderState::kShipped);
  auto asns = sent("856");
  ASSERT_EQ(asns.size(), 1u);
  const auto& s856 = setOf(asns[0]);
  ASSERT_EQ(count(s856, "HL"), 4u);  // shipment > order > 2 items
  EXPECT_EQ(find(s856, "HL", 0)->element(3), "S");
  EXPECT_EQ(find(s856, "HL", 1)->element(3), "O");
  EXPECT_EQ(find(s856, "HL", 1)->element(2), "1");  // the order's parent is the shipment
  EXPECT_EQ(find(s856, "HL", 2)->element(3), "I");
  EXPECT_EQ(find(s856, "HL", 2)->element(2), "2");
  EXPECT_EQ(find(s856, "PRF")->element(1), "PO-1");
  EXPECT_EQ(find(s856, "TD5")->element(3), "UPSN");
  ASSERT_TRUE(find(s856, "REF"));
  EXPECT_EQ(find(s856, "REF")->element(1), "CN");
  EXPECT_FALSE(find(s856, "REF")->element(2).empty());
  EXPECT_EQ(find(s856, "LIN", 0)->element(3), "AB3542");
  EXPECT_EQ(find(s856, "SN1", 0)->element(2), "3");
  EXPECT_EQ(find(s856, "SN1", 1)->element(2), "2");
  auto invoices = sent("810");
  ASSERT_EQ(invoices.size(), 1u);
  const auto& s810 = setOf(invoices[0]);
  EXPECT_EQ(find(s810, "BIG")->element(4), "PO-1");
  ASSERT_EQ(count(s810, "IT1"), 2u);
  EXPECT_EQ(find(s810, "TDS")->element(1), "5533");  // 3 x 9.25 + 2 x 13.79
  // The fulfilment is reported: not tried again.
  auto f = book_->fulfilments().pending(10);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
  orders_->workOnce();
  EXPECT_EQ(sent("856").size(), 1u);
}

TEST_F(WholesaleTest, AnOrderBeyondThePartnersCapIsRefusedWithAnRd855) {
  receive("WIDGET-S", 50);  // the partner's cap is 5
  drop("po-2.edi", x12_850(7002, "PO-2", {{"1", 6, "9.25", "AB3542"}}));
  service_->workOnce();
  auto o = order("PO-2");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, OrderState::kRejectedNoStock);
  EXPECT_EQ(held("WIDGET-S"), 0);
  auto pr = sent("855");
  ASSERT_EQ(pr.size(), 1u);
  EXPECT_EQ(find(setOf(pr[0]), "BAK")->element(2), "RD");
  EXPECT_EQ(find(setOf(pr[0]), "ACK")->element(1), "IR");
  // The order service's cancel of a refused order is the 855 already sent.
  orders_->workOnce();
  auto after = order("PO-2");
  EXPECT_EQ(after->channel_cancel, ChannelCancel::kDone) << after->channel_cancel_error;
}

TEST_F(WholesaleTest, APurchaseOrderOfNothingWeSellIsNoOrderAndItsLinesAreRejected) {
  drop("po.edi", x12_850(7022, "PO-22", {{"1", 1, "1.00", "NOT-OURS"}, {"2", 2, "1.00", "NOR-THIS"}}));
  service_->workOnce();
  EXPECT_FALSE(order("PO-22"));
  auto pr = sent("855");
  ASSERT_EQ(pr.size(), 1u);
  EXPECT_EQ(find(setOf(pr[0]), "BAK")->element(2), "RD");
  EXPECT_EQ(find(setOf(pr[0]), "ACK", 1)->element(1), "IR");
  EXPECT_EQ(log().at(0).outcome, "accepted");  // the file was fine; the 855 says no
}

TEST_F(WholesaleTest, ADuplicateInterchangeGetsTa1025AndNoSecondOrder) {
  receive("WIDGET-S", 4);
  const std::string x = x12_850(7003, "PO-3", {{"1", 1, "9.25", "AB3542"}});
  drop("a.edi", x);
  service_->workOnce();
  drop("b.edi", x);  // the gateway delivers it again
  service_->workOnce();
  auto ta1 = sent("TA1");
  ASSERT_EQ(ta1.size(), 1u);
  ASSERT_EQ(ta1[0].interchanges[0].ta1s.size(), 1u);
  const edi::Segment& t = ta1[0].interchanges[0].ta1s[0];
  EXPECT_EQ(t.element(1), "000007003");
  EXPECT_EQ(t.element(4), "R");
  EXPECT_EQ(t.element(5), "025");
  EXPECT_EQ(sent("997").size(), 1u);  // only the first was acknowledged
  EXPECT_EQ(sent("855").size(), 1u);
  EXPECT_EQ(held("WIDGET-S"), 1);
  auto files = log();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].outcome, "duplicate");  // newest first
  EXPECT_EQ(files[1].outcome, "accepted");
  EXPECT_EQ(filesIn("archive").size(), 2u);  // both kept
}

TEST_F(WholesaleTest, ABrokenSetGetsARejecting997AndNoOrder) {
  receive("WIDGET-S", 4);
  std::string x = x12_850(7004, "PO-4", {{"1", 1, "9.25", "AB3542"}});
  // SE01 says one segment more than there are.
  auto se = x.find("SE*");
  ASSERT_NE(se, std::string::npos);
  size_t star = x.find('*', se + 3);
  int n = std::stoi(x.substr(se + 3, star - se - 3));
  x.replace(se + 3, star - se - 3, std::to_string(n + 1));
  drop("broken.edi", x);
  service_->workOnce();
  EXPECT_FALSE(order("PO-4"));
  EXPECT_EQ(held("WIDGET-S"), 0);
  auto acks = sent("997");
  ASSERT_EQ(acks.size(), 1u);
  auto fa = edi::readFunctionalAck(acks[0].interchanges[0].groups[0].sets[0]);
  ASSERT_TRUE(fa.ok());
  EXPECT_EQ(fa->status, edi::AckStatus::kRejected);
  ASSERT_EQ(fa->sets.size(), 1u);
  EXPECT_EQ(fa->sets[0].status, edi::AckStatus::kRejected);
  EXPECT_EQ(fa->sets[0].codes, std::vector<int>{edi::ak5::kSegmentCountMismatch});
  EXPECT_TRUE(sent("855").empty());
  EXPECT_EQ(log().at(0).outcome, "rejected");
}

TEST_F(WholesaleTest, ASetTheReaderRefusesGetsARejecting997) {
  // An 850 without BEG passes the envelope but is no purchase order.
  edi::PartnerConfig them;
  them.sender_id = "ACME";
  them.receiver_id = "STOCKWIRE";
  edi::CountingControlNumbers numbers(7005, 7105, 1);
  edi::SetOut set{"850", {{"PO1", {"1", "1", "EA", "9.25", "", "VN", "AB3542"}}, {"CTT", {"1"}}}};
  auto x = edi::writeInterchange(them, numbers, edi::WriteTime::fromUnixMs(clock_.nowMs()), "PO", {set});
  ASSERT_TRUE(x.ok());
  drop("nobeg.edi", *x);
  service_->workOnce();
  auto acks = sent("997");
  ASSERT_EQ(acks.size(), 1u);
  auto fa = edi::readFunctionalAck(acks[0].interchanges[0].groups[0].sets[0]);
  ASSERT_TRUE(fa.ok());
  EXPECT_EQ(fa->status, edi::AckStatus::kRejected);
  EXPECT_EQ(fa->sets.at(0).status, edi::AckStatus::kRejected);
  EXPECT_EQ(fa->sets.at(0).codes, std::vector<int>{edi::ak5::kSegmentsInError});
  EXPECT_TRUE(book_->orders(std::nullopt, 10)->empty());
}

TEST_F(WholesaleTest, ABrokenEnvelopeGetsATa1AndNothingIsTakenIn) {
  receive("WIDGET-S", 4);
  std::string x = x12_850(7006, "PO-6", {{"1", 1, "9.25", "AB3542"}});
  auto iea = x.find("IEA*1*000007006");
  ASSERT_NE(iea, std::string::npos);
  x.replace(iea, 15, "IEA*1*000007999");
  drop("env.edi", x);
  service_->workOnce();
  auto ta1 = sent("TA1");
  ASSERT_EQ(ta1.size(), 1u);
  EXPECT_EQ(ta1[0].interchanges[0].ta1s.at(0).element(5), "001");
  EXPECT_TRUE(sent("997").empty());
  EXPECT_FALSE(order("PO-6"));
  EXPECT_EQ(log().at(0).outcome, "envelope_rejected");
  // An interchange from someone else in this partner's folder is refused too (TA1 006).
  std::string other = x12_850(7007, "PO-7", {{"1", 1, "9.25", "AB3542"}});
  auto acme = other.find("ACME           ");
  ASSERT_NE(acme, std::string::npos);
  other.replace(acme, 15, "EVILCO         ");
  drop("other.edi", other);
  service_->workOnce();
  EXPECT_EQ(sent("TA1").size(), 2u);
  EXPECT_FALSE(order("PO-7"));
  EXPECT_NE(log().at(0).detail.find("not partner acme"), std::string::npos) << log().at(0).detail;
}

// The partner separates elements with '|', and its PO number holds our '*': X12 has no escape, so
// our 855 cannot carry it. The order is taken, the file is done with the reason, and the next file
// of the folder is not held up.
TEST_F(WholesaleTest, AnAnswerThatCannotBeWrittenIsNotedAndDoesNotBlockTheFolder) {
  receive("WIDGET-S", 10);
  drop("a.edi", x12_850(7020, "PO*20", {{"1", 1, "9.25", "AB3542"}}, {'|', '>', '~', '^'}));
  drop("b.edi", x12_850(7021, "PO-21", {{"1", 1, "9.25", "AB3542"}}));
  service_->workOnce();
  auto files = log();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].name, "a.edi");
  EXPECT_EQ(files[1].state, "done");
  EXPECT_NE(files[1].detail.find("the 855 of PO PO*20 could not be written"), std::string::npos) << files[1].detail;
  EXPECT_TRUE(order("PO*20"));
  EXPECT_EQ(files[0].outcome, "accepted");
  EXPECT_EQ(sent("855").size(), 1u);
  EXPECT_EQ(sent("997").size(), 2u);
}

TEST_F(WholesaleTest, ARestartKeepsControlNumbersTheFileLogAndTheSeenInterchanges) {
  receive("WIDGET-S", 4);
  const std::string first = x12_850(7008, "PO-8", {{"1", 1, "9.25", "AB3542"}});
  drop("a.edi", first);
  service_->workOnce();
  auto before = store_->sentFiles("acme", 100);
  ASSERT_TRUE(before.ok());
  ASSERT_FALSE(before->empty());
  std::set<std::string> interchanges, groups;
  for (const SentFile& f : *before) {
    interchanges.insert(f.interchange);
    groups.insert(f.group_control);
  }
  close();
  open();
  drop("b.edi", x12_850(7009, "PO-9", {{"1", 1, "9.25", "AB3542"}}));
  drop("c.edi", first);  // and the first again: still a duplicate after the restart
  service_->workOnce();
  auto after = store_->sentFiles("acme", 100);
  ASSERT_TRUE(after.ok());
  EXPECT_GT(after->size(), before->size());
  for (const SentFile& f : *after) {
    if (f.id <= before->front().id) continue;
    EXPECT_FALSE(interchanges.count(f.interchange)) << "ISA13 " << f.interchange << " used twice";
    if (!f.group_control.empty()) {
      EXPECT_FALSE(groups.count(f.group_control)) << "GS06 " << f.group_control;
    }
  }
  auto files = log();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[2].name, "a.edi");
  EXPECT_EQ(files[1].name, "b.edi");
  EXPECT_EQ(files[1].outcome, "accepted");
  EXPECT_EQ(files[0].outcome, "duplicate");
  EXPECT_TRUE(order("PO-9"));
}

TEST_F(WholesaleTest, The846ReflectsAvailableStockAndTheCapOnItsSchedule) {
  receive("WIDGET-S", 10);
  receive("WIDGET-M", 3);
  service_->workOnce();
  auto first = sent("846");
  ASSERT_EQ(first.size(), 1u);
  const auto& s = setOf(first[0]);
  ASSERT_EQ(count(s, "LIN"), 2u);
  // The item's ids from the partners file (by qualifier): UP and VN.
  EXPECT_EQ(find(s, "LIN", 0)->element(2), "UP");
  EXPECT_EQ(find(s, "LIN", 0)->element(3), "012345678905");
  EXPECT_EQ(find(s, "LIN", 0)->element(5), "AB3542");
  EXPECT_EQ(find(s, "QTY", 0)->element(1), "33");
  EXPECT_EQ(find(s, "QTY", 0)->element(2), "5");  // 10 on hand, capped at 5
  EXPECT_EQ(find(s, "QTY", 1)->element(2), "3");

  // Not again before the interval.
  clock_.advanceMs(3'599'000);
  service_->workOnce();
  EXPECT_EQ(sent("846").size(), 1u);

  // An order holds 2 of WIDGET-M: the next 846 offers what is left.
  drop("po.edi", x12_850(7010, "PO-10", {{"1", 2, "13.79", "RD5322"}}));
  service_->workOnce();
  ASSERT_EQ(order("PO-10")->status, OrderState::kAccepted);
  clock_.advanceMs(1'000);
  service_->workOnce();
  auto all = sent("846");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(find(setOf(all[1]), "QTY", 1)->element(2), "1");
  auto ats = service_->availableToSell(partner(), "WIDGET-M");
  ASSERT_TRUE(ats.ok());
  EXPECT_EQ(*ats, 1);
}

TEST_F(WholesaleTest, APartners997ForOur855MarksItAcknowledged) {
  receive("WIDGET-S", 4);
  drop("po.edi", x12_850(7011, "PO-11", {{"1", 1, "9.25", "AB3542"}}));
  service_->workOnce();
  auto unacked = store_->unacknowledged("acme");
  ASSERT_TRUE(unacked.ok());
  const SentFile* ours = nullptr;
  for (const SentFile& f : *unacked) {
    if (f.kind == "855") ours = &f;
    EXPECT_NE(f.kind, "997");  // an acknowledgment is not acknowledged
  }
  ASSERT_TRUE(ours);
  const SentFile our855 = *ours;
  drop("ack.edi", x12_997(7012, "PR", our855.group_control, our855.sets));
  service_->workOnce();
  unacked = store_->unacknowledged("acme");
  ASSERT_TRUE(unacked.ok());
  for (const SentFile& f : *unacked) EXPECT_NE(f.kind, "855");
  auto acked = store_->sent("acme", "855", "po:PO-11");
  ASSERT_TRUE(acked.ok() && *acked);
  EXPECT_EQ((*acked)->ack_status, "accepted");
  EXPECT_EQ(log().at(0).outcome, "accepted");
  EXPECT_EQ(sent("997").size(), 1u);  // the partner's 997 got no 997 back
}

// Issue 22, partial_lines: a line short of stock is accepted for what the partner's available-to-sell
// covers and backordered for the rest (855: ACK*IA with the available units, then ACK*IB with the
// remainder); a line with nothing available is backordered whole; only the accepted units are held.
TEST_F(WholesaleTest, APartialLineIsAcceptedForWhatIsAvailableAndBackorderedForTheRest) {
  close();
  partial_lines_ = true;
  open();
  receive("WIDGET-S", 3);
  drop("po.edi", x12_850(7041, "PO-41", {{"1", 5, "9.25", "AB3542"}, {"2", 2, "4.00", "RD5322"}}));
  service_->workOnce();
  auto o = order("PO-41");
  ASSERT_TRUE(o) << log().at(0).detail;
  EXPECT_EQ(o->status, OrderState::kAccepted) << o->reason;
  ASSERT_EQ(o->lines.size(), 1u) << "nothing of line 2 is available: it is not in the order";
  EXPECT_EQ(o->lines[0].line_id, "1");
  EXPECT_EQ(o->lines[0].quantity, 3);
  EXPECT_EQ(held("WIDGET-S"), 3);
  auto acks = sent("855");
  ASSERT_EQ(acks.size(), 1u);
  std::vector<std::string> got;
  for (const edi::Segment& seg : setOf(acks[0])) {
    if (seg.id == "BAK") got.push_back("BAK " + seg.element(2));
    if (seg.id == "PO1") got.push_back("PO1 " + seg.element(1) + " " + seg.element(2));
    if (seg.id == "ACK") got.push_back("ACK " + seg.element(1) + " " + seg.element(2));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"BAK AC", "PO1 1 5", "ACK IA 3", "ACK IB 2", "PO1 2 2", "ACK IB 2"}));

  // Nothing of a PO available at all: no order, every line backordered.
  drop("po2.edi", x12_850(7042, "PO-42", {{"1", 4, "9.25", "AB3542"}}));
  service_->workOnce();
  EXPECT_FALSE(order("PO-42"));
  acks = sent("855");
  ASSERT_EQ(acks.size(), 2u);
  got.clear();
  for (const edi::Segment& seg : setOf(acks[1])) {
    if (seg.id == "ACK" || seg.id == "BAK") got.push_back(seg.id + " " + seg.element(seg.id == "BAK" ? 3 : 1));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"BAK PO-42", "ACK IB"}));
}

// Issue 22, partial_lines with ship_backorders (the default): the backordered units are owed. When
// stock arrives they are released as an order of their own, reserved, routed and picked like the
// first part, and shipped with a further 856 and 810 under the PO's number and lines; a PO nothing
// of which was available at first ships the same way. Once every unit is released nothing more goes.
TEST_F(WholesaleTest, BackorderedUnitsShipWhenStockArrivesWithAFurtherAsnAndInvoice) {
  close();
  partial_lines_ = true;
  open();
  receive("WIDGET-S", 3);
  drop("po.edi", x12_850(7051, "PO-51", {{"1", 5, "9.25", "AB3542"}}));
  drop("po2.edi", x12_850(7052, "PO-52", {{"1", 2, "4.00", "RD5322"}}));
  service_->workOnce();
  ASSERT_TRUE(order("PO-51"));
  EXPECT_EQ(order("PO-51")->lines.at(0).quantity, 3);
  EXPECT_FALSE(order("PO-52")) << "nothing of PO-52 is available: no order yet";
  ASSERT_NO_FATAL_FAILURE(pickAll());
  orders_->workOnce();
  ASSERT_EQ(sent("856").size(), 1u);

  // Nothing arrived: nothing is released.
  service_->workOnce();
  EXPECT_FALSE(book_->order("wholesale", "acme:PO-51/backorder-1")->has_value());

  // Stock arrives: 4 WIDGET-S (2 are owed to PO-51) and 5 WIDGET-M (2 owed to PO-52).
  receive("WIDGET-S", 4);
  receive("WIDGET-M", 5);
  service_->workOnce();
  auto b1 = book_->order("wholesale", "acme:PO-51/backorder-1");
  ASSERT_TRUE(b1.ok() && *b1);
  EXPECT_EQ((*b1)->status, OrderState::kAccepted) << (*b1)->reason;
  ASSERT_EQ((*b1)->lines.size(), 1u);
  EXPECT_EQ((*b1)->lines[0].line_id, "1");
  EXPECT_EQ((*b1)->lines[0].quantity, 2);
  auto b2 = book_->order("wholesale", "acme:PO-52/backorder-1");
  ASSERT_TRUE(b2.ok() && *b2);
  EXPECT_EQ((*b2)->lines.at(0).quantity, 2);
  EXPECT_EQ(held("WIDGET-S"), 2);
  EXPECT_EQ(held("WIDGET-M"), 2);
  EXPECT_EQ(sent("855").size(), 2u) << "the 855s already said backordered: no new one";

  ASSERT_NO_FATAL_FAILURE(pickAll());
  orders_->workOnce();
  auto asns = sent("856");
  auto invoices = sent("810");
  ASSERT_EQ(asns.size(), 3u);
  ASSERT_EQ(invoices.size(), 3u);
  std::map<std::string, std::vector<std::string>> shipped;  // PO -> SN1 quantities, in every ASN
  for (const edi::ParsedFile& f : asns) {
    const auto& segs = setOf(f);
    ASSERT_TRUE(find(segs, "PRF"));
    for (const edi::Segment& seg : segs) {
      if (seg.id == "SN1") shipped[find(segs, "PRF")->element(1)].push_back(seg.element(2));
    }
  }
  EXPECT_EQ(shipped["PO-51"], (std::vector<std::string>{"3", "2"}));
  EXPECT_EQ(shipped["PO-52"], (std::vector<std::string>{"2"}));
  std::map<std::string, std::vector<std::string>> invoiced;  // PO -> "line qty price"
  for (const edi::ParsedFile& f : invoices) {
    const auto& segs = setOf(f);
    for (const edi::Segment& seg : segs) {
      if (seg.id == "IT1") {
        invoiced[find(segs, "BIG")->element(4)].push_back(seg.element(1) + " " + seg.element(2) + " " + seg.element(4));
      }
    }
  }
  EXPECT_EQ(invoiced["PO-51"], (std::vector<std::string>{"1 3 9.25", "1 2 9.25"}));
  EXPECT_EQ(invoiced["PO-52"], (std::vector<std::string>{"1 2 4"}));

  // All released: more stock releases nothing more.
  receive("WIDGET-S", 10);
  service_->workOnce();
  EXPECT_FALSE(book_->order("wholesale", "acme:PO-51/backorder-2")->has_value());
  EXPECT_TRUE(store_->backorderedPurchaseOrders("acme")->empty());
}

// A release is recorded before its intake: a stop between the two takes it in at the next round,
// once, under the same order id. Part of what is owed released at a time, oldest PO first.
TEST_F(WholesaleTest, ABackorderReleaseRecordedBeforeAStopIsTakenInOnce) {
  close();
  partial_lines_ = true;
  open();
  drop("po.edi", x12_850(7061, "PO-61", {{"1", 4, "9.25", "AB3542"}}));
  service_->workOnce();
  EXPECT_FALSE(order("PO-61"));
  receive("WIDGET-S", 3);
  // As the round would have done, stopped after the record.
  BackorderRelease r;
  r.order_id = "acme:PO-61/backorder-1";
  r.partner = "acme";
  r.po_number = "PO-61";
  r.release = 1;
  r.lines = {{"1", 3}};
  ASSERT_TRUE(store_->recordRelease(r).ok());
  close();
  open();
  service_->workOnce();
  auto b1 = book_->order("wholesale", "acme:PO-61/backorder-1");
  ASSERT_TRUE(b1.ok() && *b1);
  EXPECT_EQ((*b1)->lines.at(0).quantity, 3);
  EXPECT_EQ(held("WIDGET-S"), 3);
  EXPECT_FALSE(book_->order("wholesale", "acme:PO-61/backorder-2")->has_value()) << "nothing more is available";
  receive("WIDGET-S", 1);
  service_->workOnce();
  auto b2 = book_->order("wholesale", "acme:PO-61/backorder-2");
  ASSERT_TRUE(b2.ok() && *b2);
  EXPECT_EQ((*b2)->lines.at(0).quantity, 1);
  service_->workOnce();
  EXPECT_TRUE(store_->backorderedPurchaseOrders("acme")->empty());
}

// The partner cancels the PO (BEG01 01): nothing more of it is released, and a release not shipped
// yet is cancelled. With "ship_backorders": false the backordered units are never released.
TEST_F(WholesaleTest, ACancelledPoOrShipBackordersOffReleasesNothing) {
  close();
  partial_lines_ = true;
  open();
  receive("WIDGET-S", 1);
  drop("po.edi", x12_850(7071, "PO-71", {{"1", 4, "9.25", "AB3542"}}));
  service_->workOnce();
  ASSERT_TRUE(order("PO-71"));
  receive("WIDGET-S", 1);
  service_->workOnce();
  auto b1 = book_->order("wholesale", "acme:PO-71/backorder-1");
  ASSERT_TRUE(b1.ok() && *b1);
  drop("cancel.edi", x12_850(7072, "PO-71", {{"1", 4, "9.25", "AB3542"}}, {'*', '>', '~', '^'}, "01"));
  service_->workOnce();
  EXPECT_EQ(order("PO-71")->status, OrderState::kCancelled);
  EXPECT_EQ((*book_->order("wholesale", "acme:PO-71/backorder-1"))->status, OrderState::kCancelled);
  EXPECT_EQ(held("WIDGET-S"), 0);
  receive("WIDGET-S", 10);
  service_->workOnce();
  EXPECT_FALSE(book_->order("wholesale", "acme:PO-71/backorder-2")->has_value());

  close();
  ship_backorders_ = false;
  open();
  drop("po2.edi", x12_850(7073, "PO-73", {{"1", 20, "9.25", "AB3542"}}));
  service_->workOnce();
  ASSERT_TRUE(order("PO-73"));
  EXPECT_EQ(order("PO-73")->lines.at(0).quantity, 5) << "the partner's cap";
  receive("WIDGET-S", 10);
  service_->workOnce();
  EXPECT_FALSE(book_->order("wholesale", "acme:PO-73/backorder-1")->has_value());
}

// Issue 22, a restore: the received-file log, the seen interchanges and the POs are the backup's,
// but the archive folder is not restored. A file archived after the backup (unknown to the
// restored log) is read again at the first round, so the PO it held becomes an order again and is
// answered again (997, 855, with new control numbers); files the backup knew are not read again.
TEST_F(WholesaleTest, APoReceivedAfterTheBackupIsReadAgainFromTheArchiveAfterARestore) {
  receive("WIDGET-S", 10);
  drop("a-po-81.edi", x12_850(7081, "PO-81", {{"1", 1, "9.25", "AB3542"}}));
  service_->workOnce();
  ASSERT_TRUE(order("PO-81"));
  close();
  for (const char* f : {"ledger.db.orders", "ledger.db.wholesale"}) {
    ASSERT_TRUE(common::sqliteCopy(dir_.file(f), dir_.file(std::string("backup-") + f)).ok());
  }
  open();
  drop("b-po-82.edi", x12_850(7082, "PO-82", {{"1", 2, "9.25", "AB3542"}}));
  service_->workOnce();
  ASSERT_TRUE(order("PO-82"));
  const uint64_t last_isa13 = std::stoull(sent("855").back().interchanges.at(0).control);
  close();
  for (const char* f : {"ledger.db.orders", "ledger.db.wholesale"}) {
    ASSERT_TRUE(common::removeSqliteFiles(dir_.file(f)).ok());
    ASSERT_TRUE(common::sqliteCopy(dir_.file(std::string("backup-") + f), dir_.file(f)).ok());
  }
  open();
  EXPECT_FALSE(order("PO-82")) << "the restored order book is the backup's";
  // The control numbers as restore leaves them (carryControlNumbersForward): ahead of the backup's.
  {
    auto raw = common::SqliteDb::open({.path = dir_.file("ledger.db.wholesale")});
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw->exec("UPDATE control_numbers SET last = 50 WHERE kind = 'interchange'").ok());
  }
  const size_t archived = filesIn("archive").size();
  service_->workOnce();
  auto o = order("PO-82");
  ASSERT_TRUE(o) << "the PO received after the backup is read again from the archive";
  EXPECT_EQ(o->status, OrderState::kAccepted) << o->reason;
  EXPECT_EQ(held("WIDGET-S"), 3);
  EXPECT_EQ(filesIn("archive").size(), archived) << "read where it is, not copied";
  auto files = log();
  ASSERT_EQ(files.size(), 2u) << "PO-81's file, which the backup knew, is not read again";
  EXPECT_EQ(files[0].name, "b-po-82.edi");
  EXPECT_EQ(files[0].outcome, "accepted") << files[0].detail;
  EXPECT_NE(files[0].detail.find("read again from the archive"), std::string::npos) << files[0].detail;
  auto pr = sent("855");
  ASSERT_EQ(pr.size(), 3u) << "PO-82's 855 is sent again";
  EXPECT_EQ(find(setOf(pr.back()), "BAK")->element(3), "PO-82");
  EXPECT_GT(std::stoull(pr.back().interchanges.at(0).control), last_isa13);
  // A second start reads nothing again.
  close();
  open();
  service_->workOnce();
  EXPECT_EQ(log().size(), 2u);
  EXPECT_EQ(sent("855").size(), 3u);
}

// Issue 22: a partner's TA1 (its interchange acknowledgment) is matched to the interchange we sent
// (TA101 = our ISA13): an accepted one is recorded on it, a rejected one lists the interchange as
// refused beside the unacknowledged groups; a TA1 for an interchange we never sent, or one that is
// not well formed, is noted in the file's detail and changes nothing. A TA1 is not answered.
TEST_F(WholesaleTest, APartnersTa1IsMatchedToOurInterchangeAndARejectedOneIsListed) {
  receive("WIDGET-S", 4);
  drop("po1.edi", x12_850(7021, "PO-21", {{"1", 1, "9.25", "AB3542"}}));
  drop("po2.edi", x12_850(7022, "PO-22", {{"1", 1, "9.25", "AB3542"}}));
  service_->workOnce();
  auto a = store_->sent("acme", "855", "po:PO-21");
  auto b = store_->sent("acme", "855", "po:PO-22");
  ASSERT_TRUE(a.ok() && *a && b.ok() && *b);
  const SentFile first = **a, second = **b;
  const size_t answers_before = filesIn("out").size();
  // The partner's translator: an interchange carrying TA1s and no group (its ISA as writeTa1 writes
  // one, the TA1 segments ours, IEA01 = 0).
  auto ta1s = [&](uint64_t isa13, const std::vector<std::vector<std::string>>& segments) {
    edi::PartnerConfig them;
    them.sender_id = "ACME";
    them.receiver_id = "STOCKWIRE";
    edi::CountingControlNumbers numbers(isa13, isa13 + 1, 1);
    const edi::Interchange any = edi::parseX12(x12_850(1, "X", {})).interchanges.at(0);
    auto written = edi::writeTa1(them, numbers, edi::WriteTime::fromUnixMs(clock_.nowMs()), any);
    EXPECT_TRUE(written.ok());
    std::string out = written.ok() ? written->substr(0, written->find("TA1*")) : "";
    for (const auto& seg : segments) {
      out += "TA1";
      for (const std::string& e : seg) out += "*" + e;
      out += "~";
    }
    char ctl[16];
    std::snprintf(ctl, sizeof ctl, "%09llu", static_cast<unsigned long long>(isa13));
    return out + "IEA*0*" + ctl + "~";
  };
  drop("ta1.edi", ta1s(7030, {{first.interchange, "261201", "1200", "A", "000"},
                              {second.interchange, "261201", "1200", "R", "006"},
                              {"000099999", "261201", "1200", "R", "001"}}));
  drop("ta1-bad.edi", ta1s(7031, {{first.interchange, "261201", "1200", "P", "000"}, {"12", "261201", "1200", "A", "000"}}));
  service_->workOnce();

  auto after_a = store_->sent("acme", "855", "po:PO-21");
  auto after_b = store_->sent("acme", "855", "po:PO-22");
  ASSERT_TRUE(after_a.ok() && *after_a && after_b.ok() && *after_b);
  EXPECT_EQ((*after_a)->ta1_status, "accepted");
  EXPECT_EQ((*after_a)->ta1_note, 0);
  EXPECT_EQ((*after_b)->ta1_status, "rejected");
  EXPECT_EQ((*after_b)->ta1_note, 6);
  EXPECT_NE((*after_b)->ta1_detail.find("note 006"), std::string::npos) << (*after_b)->ta1_detail;
  auto refused = store_->refusedInterchanges("acme");
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ(refused->at(0).ref, "po:PO-22");
  EXPECT_EQ(toJson(refused->at(0))["ta1"]["status"], "rejected");
  auto unacked = store_->unacknowledged("acme");
  ASSERT_TRUE(unacked.ok());
  bool listed = false;
  for (const SentFile& f : *unacked) listed = listed || f.ref == "po:PO-22";
  EXPECT_TRUE(listed) << "its group got no 997 either";
  EXPECT_EQ(service_->stats().interchanges_refused, 1u);

  std::map<std::string, ReceivedFile> by;
  for (const ReceivedFile& f : log()) by[f.name] = f;
  EXPECT_EQ(by["ta1.edi"].outcome, "accepted");
  EXPECT_NE(by["ta1.edi"].detail.find("000099999: rejected note 001 (no such interchange was sent)"), std::string::npos)
      << by["ta1.edi"].detail;
  EXPECT_NE(by["ta1-bad.edi"].detail.find("TA104 'P' is not A, E or R"), std::string::npos) << by["ta1-bad.edi"].detail;
  EXPECT_NE(by["ta1-bad.edi"].detail.find("TA101"), std::string::npos) << by["ta1-bad.edi"].detail;
  EXPECT_EQ(filesIn("out").size(), answers_before) << "a TA1 is not answered (no group, no TA1 asked for)";
}

// The rule: a file is recorded (received) before it is moved to the archive, and done after it
// was handled. Each crash leaves it where the next round finds it, and handling it again takes
// nothing twice.
TEST_F(WholesaleTest, AFileIsNeverLostWhereverACrashStopsIt) {
  receive("WIDGET-S", 10);
  // Crash after recording, before the move: the file is still in the inbound folder.
  drop("one.edi", x12_850(7013, "PO-13", {{"1", 1, "9.25", "AB3542"}}));
  const std::string archived1 = dir_.file("archive/crashed-one.edi");
  ASSERT_TRUE(store_->beginFile("acme", "one.edi", 10, archived1, clock_.nowMs()).ok());
  // Crash after the move, before it was handled.
  const std::string archived2 = dir_.file("archive/crashed-two.edi");
  {
    std::ofstream out(archived2, std::ios::binary);
    out << x12_850(7014, "PO-14", {{"1", 1, "9.25", "AB3542"}});
  }
  ASSERT_TRUE(store_->beginFile("acme", "two.edi", 10, archived2, clock_.nowMs()).ok());
  close();
  open();
  service_->workOnce();
  EXPECT_TRUE(filesIn("in").empty());
  EXPECT_TRUE(fs::exists(archived1));
  EXPECT_TRUE(fs::exists(archived2));
  EXPECT_TRUE(order("PO-13"));
  EXPECT_TRUE(order("PO-14"));
  auto files = log();
  ASSERT_EQ(files.size(), 2u);
  for (const ReceivedFile& f : files) EXPECT_EQ(f.outcome, "accepted") << f.name << ": " << f.detail;

  // Crash after handling, before it was recorded done: handled again, nothing taken or sent twice.
  const size_t out_before = filesIn("out").size();
  {
    auto raw = common::SqliteDb::open({.path = dir_.file("ledger.db.wholesale")});
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw->exec("UPDATE received_files SET state = 'received' WHERE name = 'one.edi';"
                          "DELETE FROM interchanges_seen WHERE control = '000007013'")
                    .ok());
  }
  close();
  open();
  service_->workOnce();
  EXPECT_EQ(filesIn("out").size(), out_before + 0u);
  EXPECT_EQ(held("WIDGET-S"), 2);
  EXPECT_EQ(log().size(), 2u);
  EXPECT_EQ(log().at(1).state, "done");
}

TEST_F(WholesaleTest, AFileHalfWrittenToOutboundIsSentOnceOrNotAtAll) {
  // A crash after the file was recorded and before its rename: renamed at the next round.
  SentFile f;
  f.partner = "acme";
  f.kind = "846";
  f.ref = "inventory:1";
  f.name = "846-000000900.x12";
  f.interchange = "000000900";
  f.group_control = "900";
  f.functional_id = "IB";
  ASSERT_TRUE(store_->recordSent(f).ok());
  { std::ofstream(dir_.file("out/.846-000000900.x12.pending")) << "ISA"; }
  // One not recorded: removed (what it was for is written again when next due).
  { std::ofstream(dir_.file("out/.855-000000901.x12.pending")) << "ISA"; }
  service_->workOnce();
  auto names = filesIn("out");
  EXPECT_TRUE(std::find(names.begin(), names.end(), "846-000000900.x12") != names.end());
  for (const std::string& n : names) EXPECT_NE(n[0], '.') << n;
  EXPECT_TRUE(std::find(names.begin(), names.end(), "855-000000901.x12") == names.end());
}

TEST(WholesaleConfigTest, BadConfigsAreRefusedWithTheKeyNamed) {
  test::TempDir dir;
  fs::create_directories(dir.file("in"));
  json good = {{"id", "acme"},
               {"us", {{"id", "STOCKWIRE"}}},
               {"them", {{"id", "ACME"}}},
               {"folders", {{"inbound", dir.file("in")}, {"outbound", dir.file("out")}, {"archive", dir.file("arc")}}},
               {"items", json::array({{{"sku", "A"}}})}};
  ASSERT_TRUE(parseWholesaleConfig(json{{"partners", json::array({good})}}).ok());
  EXPECT_TRUE(fs::is_directory(dir.file("out")));
  auto refused = [&](json p, const std::string& words) {
    auto r = parseWholesaleConfig(json{{"partners", json::array({p})}});
    if (r.ok()) return ::testing::AssertionFailure() << "accepted: " << p.dump();
    if (r.error().code != "bad_wholesale_config" || r.error().message.find(words) == std::string::npos) {
      return ::testing::AssertionFailure() << r.error().toString();
    }
    return ::testing::AssertionSuccess();
  };
  json p = good;
  p["colour"] = "red";
  EXPECT_TRUE(refused(p, "unknown key \"colour\""));
  p = good;
  p.erase("folders");
  EXPECT_TRUE(refused(p, "\"folders\" is required"));
  p = good;
  p["id"] = "Acme Corp";
  EXPECT_TRUE(refused(p, "\"id\" must be"));
  p = good;
  p["usage"] = "X";
  EXPECT_TRUE(refused(p, "\"usage\" must be P"));
  p = good;
  p["folders"]["inbound"] = dir.file("nowhere");
  EXPECT_TRUE(refused(p, "does not exist"));
  p = good;
  p["folders"]["outbound"] = dir.file("in");
  EXPECT_TRUE(refused(p, "three different folders"));
  p = good;
  p["us"]["id"] = "THIS-ID-IS-FAR-TOO-LONG";
  EXPECT_TRUE(refused(p, "partner acme"));
  p = good;
  p["items"] = json::array();
  EXPECT_TRUE(refused(p, "\"items\""));
  p = good;
  p["inventory"] = {{"percent", 120}};
  EXPECT_TRUE(refused(p, "\"percent\""));
  p = good;
  p["ship_backorders"] = "yes";
  EXPECT_TRUE(refused(p, "\"ship_backorders\" must be true or false"));
  auto twice = parseWholesaleConfig(json{{"partners", json::array({good, good})}});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("listed twice"), std::string::npos);
}

// Version 2 added the partner's TA1 to sent_files: a version 1 file opens with every row kept, its
// sent files without a TA1, and takes one.
TEST(WholesaleSchema, AStoreOfEachEarlierSchemaKeepsItsRowsAndTakesATa1) {
  test::TempDir dir;
  const std::string scratch = dir.file("scratch.wholesale");
  {
    auto s = WholesaleStore::open(scratch);
    ASSERT_TRUE(s.ok()) << s.error().toString();
    auto id = (*s)->beginFile("acme", "a.edi", 10, "/x/a.edi", 1);
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE((*s)->finishFile(*id, "accepted", "PO 1", {{"ZZ", "ACME", "000000001"}}, 2).ok());
    ASSERT_TRUE((*s)->nextControl("acme", edi::ControlKind::kInterchange).ok());
    SentFile f;
    f.partner = "acme";
    f.kind = "855";
    f.ref = "po:PO-1";
    f.name = "855-000000001.x12";
    f.interchange = "000000001";
    f.group_control = "1";
    f.functional_id = "PR";
    f.sets = {"0001"};
    f.sent_at_ms = 3;
    ASSERT_TRUE((*s)->recordSent(f).ok());
  }
  const auto& steps = WholesaleStore::schemaSteps();
  ASSERT_GE(steps.size(), 2u);
  const common::SqliteSchema schema{"wholesale", steps, ""};
  for (const test::EarlierSchema& e : test::earlierSchemas(steps.size(), 0)) {
    SCOPED_TRACE(e.describe());
    const std::string path = dir.file("v" + std::to_string(e.version) + ".wholesale");
    test::EarlierFile built;
    ASSERT_NO_FATAL_FAILURE(test::buildEarlierSchema(path, schema, e, scratch, &built));
    auto opened = WholesaleStore::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().toString();
    auto& s = **opened;
    test::expectRowsKept(built, path);
    EXPECT_EQ(test::versionsOf(path, "wholesale").first, static_cast<int64_t>(steps.size()));
    auto sent = s.sent("acme", "855", "po:PO-1");
    ASSERT_TRUE(sent.ok() && *sent);
    EXPECT_EQ((*sent)->ta1_status, "");
    auto seen = s.seen("acme", {"ZZ", "ACME", "000000001"});
    ASSERT_TRUE(seen.ok());
    EXPECT_TRUE(*seen);
    EXPECT_EQ(*s.acknowledgeInterchange("acme", "000000001", "rejected", 6, "TA1 rejected note 006", 4), 1);
    auto refused = s.refusedInterchanges("acme");
    ASSERT_TRUE(refused.ok());
    ASSERT_EQ(refused->size(), 1u);
    EXPECT_EQ(*s.nextControl("acme", edi::ControlKind::kInterchange), 2u) << "the numbers go on";
  }
}

TEST(WholesaleSchema, AStoreOfANewerSchemaIsRefusedAndLeftAsItWas) {
  test::TempDir dir;
  const std::string path = dir.file("ledger.db.wholesale");
  {
    auto s = WholesaleStore::open(path);
    ASSERT_TRUE(s.ok()) << s.error().toString();
    ASSERT_TRUE((*s)->beginFile("acme", "a.edi", 1, "/x/a.edi", 1).ok());
    ASSERT_TRUE((*s)->nextControl("acme", edi::ControlKind::kInterchange).ok());
  }
  const auto known = static_cast<int64_t>(WholesaleStore::schemaSteps().size());
  EXPECT_EQ(test::versionsOf(path, "wholesale").first, known);
  ASSERT_NO_FATAL_FAILURE(test::setSchemaVersion(path, "wholesale", known + 1));
  const std::string before = test::contentsOf(path);
  ASSERT_NE(before.find("received_files 1|'acme'|'a.edi'"), std::string::npos) << before;
  auto refusal = WholesaleStore::open(path);
  ASSERT_FALSE(refusal.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refusal.error(), "wholesale", known + 1, known));
  EXPECT_EQ(test::contentsOf(path), before);
}

TEST(WholesaleSchema, ControlNumbersAreNeverGivenTwiceAcrossReopens) {
  test::TempDir dir;
  const std::string path = dir.file("w.db");
  std::set<uint64_t> seen;
  for (int round = 0; round < 3; ++round) {
    auto s = WholesaleStore::open(path);
    ASSERT_TRUE(s.ok());
    for (int i = 0; i < 5; ++i) {
      auto n = (*s)->nextControl("acme", edi::ControlKind::kInterchange);
      ASSERT_TRUE(n.ok());
      EXPECT_TRUE(seen.insert(*n).second) << *n;
    }
    // Another partner counts on its own.
    EXPECT_EQ(*(*s)->nextControl("other-" + std::to_string(round), edi::ControlKind::kInterchange), 1u);
  }
}
