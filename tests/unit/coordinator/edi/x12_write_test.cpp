// Every writer round-tripped through the parser: the counts and control numbers it writes pass the
// parser's own checks, for several versions and separators; values that cannot be written are
// refused, not mangled.

#include <gtest/gtest.h>

#include "sw/coordinator/edi/documents.h"
#include "sw/coordinator/edi/x12_write.h"
#include "x12_test_data.h"

namespace sw::coordinator::edi {
namespace {

PartnerConfig us() {
  PartnerConfig c;
  c.sender_qualifier = "ZZ";
  c.sender_id = "STOCKWIRE";
  c.receiver_qualifier = "01";
  c.receiver_id = "123456789";
  c.gs_sender = "STOCKWIRE";
  c.gs_receiver = "PARTNER";
  return c;
}

const WriteTime kTime{"20261207", "1405"};

// The file parsed, clean, with one group of `sets` sets of `set_id`.
const FunctionalGroup& parsedGroup(const ParsedFile& f, const std::string& fid, size_t sets) {
  EXPECT_TRUE(f.clean()) << f.firstProblem();
  EXPECT_TRUE(f.warnings.empty());
  static const FunctionalGroup kNone;
  if (f.interchanges.size() != 1 || f.interchanges[0].groups.size() != 1) {
    ADD_FAILURE() << "not one interchange with one group";
    return kNone;
  }
  const FunctionalGroup& g = f.interchanges[0].groups[0];
  EXPECT_EQ(g.functional_id, fid);
  EXPECT_EQ(g.sets.size(), sets);
  return g;
}

const Segment* find(const TransactionSet& s, const std::string& id, size_t nth = 0) {
  for (const Segment& seg : s.segments) {
    if (seg.id == id && nth-- == 0) return &seg;
  }
  return nullptr;
}

TEST(X12Write, TheEnvelopeCarriesThePartnerConfigAndTheCallersNumbers) {
  PartnerConfig c = us();
  c.usage = 'T';
  c.request_ta1 = true;
  CountingControlNumbers numbers(41, 7, 12);
  auto text = writeInterchange(c, numbers, kTime, "IB", {SetOut{"846", {{"BIA", {"00", "SI", "R1", "20261207"}}}}});
  ASSERT_TRUE(text.ok()) << text.error().toString();
  EXPECT_EQ(text->substr(0, 106),
            "ISA*00*          *00*          *ZZ*STOCKWIRE      *01*123456789      *261207*1405*U*00401*000000041*1*T*>~");
  EXPECT_EQ(text->substr(106),
            "GS*IB*STOCKWIRE*PARTNER*20261207*1405*7*X*004010~ST*846*0012~BIA*00*SI*R1*20261207~SE*3*0012~GE*1*7~"
            "IEA*1*000000041~");
  ParsedFile f = parseX12(*text);
  parsedGroup(f, "IB", 1);
  EXPECT_EQ(f.interchanges[0].control, "000000041");
  EXPECT_EQ(f.interchanges[0].usage, "T");
  EXPECT_EQ(f.interchanges[0].ack_requested, "1");
  // The next interchange takes the next numbers.
  auto again = writeInterchange(c, numbers, kTime, "IB", {SetOut{"846", {}}});
  ASSERT_TRUE(again.ok());
  ParsedFile g = parseX12(*again);
  EXPECT_EQ(g.interchanges[0].control, "000000042");
  EXPECT_EQ(g.interchanges[0].groups[0].control, "8");
  EXPECT_EQ(g.interchanges[0].groups[0].sets[0].control, "0013");
}

TEST(X12Write, OtherVersionsAndSeparatorsRoundTrip) {
  struct Variant {
    const char* name;
    std::string version, gs_version;
    Separators sep;
    bool line_breaks;
  };
  const std::vector<Variant> variants = {
      {"4010 default", "00401", "004010", {'*', '>', '~', std::nullopt}, false},
      {"4010 with line breaks", "00401", "004010", {'*', '>', '~', std::nullopt}, true},
      {"5010 with repetition", "00501", "005010", {'*', ':', '~', '^'}, false},
      {"newline terminator", "00401", "004010VICS", {'*', '>', '\n', std::nullopt}, false},
      {"pipes and 0x1C", "00406", "004060", {'|', '\\', '\x1c', '-'}, true},
  };
  for (const Variant& v : variants) {
    PartnerConfig c = us();
    c.version = v.version;
    c.gs_version = v.gs_version;
    c.separators = v.sep;
    c.line_break_after_segment = v.line_breaks;
    CountingControlNumbers numbers;
    InventoryAdvice advice{"INV1", "20261207", "SI", {{{{"UP", "012345678905"}, {"VN", "W1"}}, 5, "33", "EA"}}};
    auto text = write846(c, numbers, kTime, advice);
    ASSERT_TRUE(text.ok()) << v.name << ": " << text.error().toString();
    ParsedFile f = parseX12(*text);
    ASSERT_TRUE(f.clean()) << v.name << ": " << f.firstProblem();
    const Interchange& ic = f.interchanges[0];
    EXPECT_EQ(ic.version, v.version) << v.name;
    EXPECT_EQ(ic.separators.element, v.sep.element) << v.name;
    EXPECT_EQ(ic.separators.component, v.sep.component) << v.name;
    EXPECT_EQ(ic.separators.segment, v.sep.segment) << v.name;
    EXPECT_EQ(ic.separators.repetition, v.version >= "00402" ? v.sep.repetition : std::nullopt) << v.name;
    EXPECT_EQ(ic.groups[0].version, v.gs_version) << v.name;
  }
}

TEST(X12Write, Writes846WithOneLinAndQtyPerItem) {
  CountingControlNumbers numbers;
  InventoryAdvice advice{"ADV-7", "20261207", "SI",
                         {{{{"SK", "SKU-1"}, {"UP", "012345678905"}}, 12, "33", "EA"}, {{{"SK", "SKU-2"}}, 0, "33", "EA"}}};
  auto text = write846(us(), numbers, kTime, advice);
  ASSERT_TRUE(text.ok()) << text.error().toString();
  ParsedFile f = parseX12(*text);
  const TransactionSet& s = parsedGroup(f, "IB", 1).sets.at(0);
  EXPECT_EQ(s.id, "846");
  ASSERT_NE(find(s, "BIA"), nullptr);
  EXPECT_EQ(find(s, "BIA")->elements, (std::vector<std::string>{"00", "SI", "ADV-7", "20261207"}));
  ASSERT_NE(find(s, "LIN", 1), nullptr);
  EXPECT_EQ(find(s, "LIN", 0)->elements, (std::vector<std::string>{"1", "SK", "SKU-1", "UP", "012345678905"}));
  EXPECT_EQ(find(s, "QTY", 0)->elements, (std::vector<std::string>{"33", "12", "EA"}));
  EXPECT_EQ(find(s, "QTY", 1)->elements, (std::vector<std::string>{"33", "0", "EA"}));
  EXPECT_EQ(find(s, "CTT")->element(1), "2");
  EXPECT_EQ(s.segments.size(), 2u + 1 + 4 + 1);  // ST, SE, BIA, 2 x (LIN, QTY), CTT
}

TEST(X12Write, Writes855WithAnAckPerLine) {
  PoAck ack{"08292233294", "20101127",
            {{"1", 120, "EA", "9.25", {{"VN", "AB3542"}}, LineAck::kAccepted, 120},
             {"2", 220, "EA", "13.79", {{"VN", "RD5322"}}, LineAck::kBackordered, 220},
             {"3", 5, "EA", "", {{"UP", "012345678905"}}, LineAck::kRejected, 5}}};
  EXPECT_EQ(ack.ackType(), "AC");
  CountingControlNumbers numbers;
  auto text = write855(us(), numbers, kTime, ack);
  ASSERT_TRUE(text.ok()) << text.error().toString();
  ParsedFile f = parseX12(*text);
  const TransactionSet& s = parsedGroup(f, "PR", 1).sets.at(0);
  EXPECT_EQ(find(s, "BAK")->elements, (std::vector<std::string>{"00", "AC", "08292233294", "20101127"}));
  EXPECT_EQ(find(s, "PO1", 0)->elements, (std::vector<std::string>{"1", "120", "EA", "9.25", "", "VN", "AB3542"}));
  EXPECT_EQ(find(s, "PO1", 2)->elements, (std::vector<std::string>{"3", "5", "EA", "", "", "UP", "012345678905"}));
  EXPECT_EQ(find(s, "ACK", 0)->elements, (std::vector<std::string>{"IA", "120", "EA"}));
  EXPECT_EQ(find(s, "ACK", 1)->element(1), "IB");
  EXPECT_EQ(find(s, "ACK", 2)->element(1), "IR");
  EXPECT_EQ(find(s, "CTT")->element(1), "3");

  PoAck all{"P", "20261207", {{"1", 1, "EA", "", {{"SK", "A"}}, LineAck::kAccepted, 1}}};
  EXPECT_EQ(all.ackType(), "AD");
  all.lines[0].status = LineAck::kRejected;
  EXPECT_EQ(all.ackType(), "RD");
}

TEST(X12Write, Writes856WithTheHlTree) {
  ShipNotice asn;
  asn.shipment_id = "SHIP-1";
  asn.date = "20261207";
  asn.time = "1405";
  asn.carrier_scac = "UPSN";
  asn.tracking = "1Z999";
  asn.ship_date = "20261207";
  asn.parties = {{"SF", "Stockwire DC", "", "", {"1 Dock Rd"}, "Solon", "OH", "44139", "US"}, {"ST", "XYZ Retail", "92", "0003", {}, "", "", "", ""}};
  asn.orders = {{"PO-1", {{{{"UP", "012345678905"}}, 24, "EA"}, {{{"VN", "W-2"}}, 6, "EA"}}}, {"PO-2", {{{{"SK", "S-9"}}, 1, "EA"}}}};
  CountingControlNumbers numbers;
  auto text = write856(us(), numbers, kTime, asn);
  ASSERT_TRUE(text.ok()) << text.error().toString();
  ParsedFile f = parseX12(*text);
  const TransactionSet& s = parsedGroup(f, "SH", 1).sets.at(0);
  EXPECT_EQ(find(s, "BSN")->elements, (std::vector<std::string>{"00", "SHIP-1", "20261207", "1405", "0002"}));
  // HL01 own id, HL02 parent, HL03 level: S, O, I, I, O, I; every parent seen before its child.
  std::vector<std::vector<std::string>> hls;
  for (const Segment& seg : s.segments) {
    if (seg.id == "HL") hls.push_back({seg.element(1), seg.element(2), seg.element(3)});
  }
  EXPECT_EQ(hls, (std::vector<std::vector<std::string>>{
                     {"1", "", "S"}, {"2", "1", "O"}, {"3", "2", "I"}, {"4", "2", "I"}, {"5", "1", "O"}, {"6", "5", "I"}}));
  EXPECT_EQ(find(s, "PRF", 1)->element(1), "PO-2");
  EXPECT_EQ(find(s, "SN1", 0)->elements, (std::vector<std::string>{"", "24", "EA"}));
  EXPECT_EQ(find(s, "TD5")->elements, (std::vector<std::string>{"", "2", "UPSN"}));
  EXPECT_EQ(find(s, "REF")->elements, (std::vector<std::string>{"CN", "1Z999"}));
  EXPECT_EQ(find(s, "N1", 0)->elements, (std::vector<std::string>{"SF", "Stockwire DC"}));
  EXPECT_EQ(find(s, "N4", 0)->elements, (std::vector<std::string>{"Solon", "OH", "44139", "US"}));
  EXPECT_EQ(find(s, "CTT")->element(1), "6");  // the number of HL segments
}

TEST(X12Write, Writes810WithTheTotalInImpliedDecimals) {
  Invoice inv{"INV-1", "20261207", "PO-1", "20261201",
              {{"1", 2, "EA", 925, {{"UP", "012345678905"}}}, {"2", 3, "EA", 1379, {{"VN", "RD5322"}}}, {"3", 1, "EA", 1000, {{"SK", "S"}}}}};
  EXPECT_EQ(inv.totalCents(), 2 * 925 + 3 * 1379 + 1000);
  CountingControlNumbers numbers;
  auto text = write810(us(), numbers, kTime, inv);
  ASSERT_TRUE(text.ok()) << text.error().toString();
  ParsedFile f = parseX12(*text);
  const TransactionSet& s = parsedGroup(f, "IN", 1).sets.at(0);
  EXPECT_EQ(find(s, "BIG")->elements, (std::vector<std::string>{"20261207", "INV-1", "20261201", "PO-1"}));
  EXPECT_EQ(find(s, "IT1", 0)->elements, (std::vector<std::string>{"1", "2", "EA", "9.25", "", "UP", "012345678905"}));
  EXPECT_EQ(find(s, "IT1", 2)->element(4), "10");
  EXPECT_EQ(find(s, "TDS")->element(1), "6987");  // 69.87
  EXPECT_EQ(find(s, "CTT")->element(1), "3");
}

TEST(X12Write, DecimalText) {
  EXPECT_EQ(decimalFromCents(925), "9.25");
  EXPECT_EQ(decimalFromCents(450), "4.5");
  EXPECT_EQ(decimalFromCents(1200), "12");
  EXPECT_EQ(decimalFromCents(5), "0.05");
  EXPECT_EQ(decimalFromCents(0), "0");
  EXPECT_EQ(decimalFromCents(-150), "-1.5");
}

TEST(X12Write, ATa1AnswersABrokenEnvelope) {
  ParsedFile broken = parseX12(test::replaced(test::goodInterchange(), "IEA*1*000000001", "IEA*1*000000002"));
  ASSERT_EQ(broken.interchanges[0].note, ta1::kControlNumberMismatch);
  PartnerConfig c = us();
  c.receiver_qualifier = "ZZ";
  c.receiver_id = "SENDER";
  CountingControlNumbers numbers(900);
  auto text = writeTa1(c, numbers, kTime, broken.interchanges[0]);
  ASSERT_TRUE(text.ok()) << text.error().toString();
  ParsedFile f = parseX12(*text);
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  const Interchange& ic = f.interchanges[0];
  EXPECT_TRUE(ic.groups.empty());
  ASSERT_EQ(ic.ta1s.size(), 1u);
  EXPECT_EQ(ic.ta1s[0].elements, (std::vector<std::string>{"000000001", "261207", "1200", "R", "001"}));
  // An unreadable ISA cannot be answered.
  ParsedFile garbage = parseX12("garbage");
  auto none = writeTa1(c, numbers, kTime, garbage.interchanges[0]);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "x12_bad_value");
}

TEST(X12Write, AValueHoldingASeparatorIsRefused) {
  CountingControlNumbers numbers;
  for (const std::string& bad : {std::string("A*B"), std::string("A~B"), std::string("A>B"), std::string("A\nB"), std::string("A\x01")}) {
    InventoryAdvice advice{"ADV", "20261207", "SI", {{{{"SK", bad}}, 1, "33", "EA"}}};
    auto text = write846(us(), numbers, kTime, advice);
    ASSERT_FALSE(text.ok()) << bad;
    EXPECT_EQ(text.error().code, "x12_bad_value");
  }
  // The repetition separator only from 00402 on.
  PartnerConfig c5 = us();
  c5.version = "00501";
  c5.separators.repetition = '^';
  InventoryAdvice caret{"ADV", "20261207", "SI", {{{{"SK", "A^B"}}, 1, "33", "EA"}}};
  EXPECT_FALSE(write846(c5, numbers, kTime, caret).ok());
  EXPECT_TRUE(write846(us(), numbers, kTime, caret).ok());
}

TEST(X12Write, ABadPartnerConfigIsRefused) {
  auto broken = [](auto change) {
    PartnerConfig c = us();
    change(c);
    return checkPartnerConfig(c);
  };
  EXPECT_TRUE(checkPartnerConfig(us()).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) { c.sender_id = ""; }).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) { c.sender_id = std::string(16, 'A'); }).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) { c.receiver_qualifier = "Z"; }).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) { c.version = "4010"; }).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) { c.usage = 'X'; }).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) { c.separators.component = '*'; }).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) { c.separators.element = 'A'; }).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) { c.separators.segment = ' '; }).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) { c.sender_id = "A*B"; }).ok());
  EXPECT_FALSE(broken([](PartnerConfig& c) {
                 c.version = "00501";
                 c.separators.repetition = std::nullopt;
               }).ok());
  CountingControlNumbers numbers;
  PartnerConfig bad = us();
  bad.sender_id = "";
  EXPECT_FALSE(write810(bad, numbers, kTime, Invoice{"I", "20261207", "P", "", {{"1", 1, "EA", 1, {{"SK", "S"}}}}}).ok());
  EXPECT_FALSE(writeInterchange(us(), numbers, WriteTime{"2026127", "14"}, "IB", {}).ok());
}

TEST(X12Write, ControlNumbersThatDoNotFitAreRefused) {
  CountingControlNumbers exhausted(999999999);
  EXPECT_TRUE(write846(us(), exhausted, kTime, InventoryAdvice{"A", "20261207", "SI", {}}).ok());
  auto next = write846(us(), exhausted, kTime, InventoryAdvice{"A", "20261207", "SI", {}});
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, "control_numbers_exhausted");
  CountingControlNumbers zero(0);
  EXPECT_FALSE(write846(us(), zero, kTime, InventoryAdvice{"A", "20261207", "SI", {}}).ok());
}

TEST(X12Write, DocumentsMissingWhatTheyNeedAreRefused) {
  CountingControlNumbers n;
  EXPECT_FALSE(write846(us(), n, kTime, InventoryAdvice{"", "20261207", "SI", {}}).ok());
  EXPECT_FALSE(write846(us(), n, kTime, InventoryAdvice{"A", "20261207", "SI", {{{}, 1, "33", "EA"}}}).ok());
  EXPECT_FALSE(write855(us(), n, kTime, PoAck{"P", "20261207", {}}).ok());
  EXPECT_FALSE(write856(us(), n, kTime, ShipNotice{}).ok());
  EXPECT_FALSE(write810(us(), n, kTime, Invoice{"I", "20261207", "P", "", {}}).ok());
  EXPECT_FALSE(write810(us(), n, kTime, Invoice{"I", "20261207", "P", "", {{"1", INT64_MAX / 2, "EA", 100, {{"SK", "S"}}}}}).ok());
}

TEST(X12Write, WriteTimeFromTheCallersClock) {
  WriteTime t = WriteTime::fromUnixMs(1796652300000);  // 2026-12-07 14:05:00 UTC
  EXPECT_EQ(t.ccyymmdd, "20261207");
  EXPECT_EQ(t.hhmm, "1405");
}

}  // namespace
}  // namespace sw::coordinator::edi
