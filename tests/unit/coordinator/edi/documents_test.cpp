// The typed readers: the 850 samples read as purchase orders; 997s (ours, round-tripped, and
// hand-written) read as the acknowledgment of our groups; sets lacking what a document needs
// are refused with the segment named.

#include <gtest/gtest.h>

#include "sw/coordinator/edi/documents.h"
#include "x12_test_data.h"

namespace sw::coordinator::edi {
namespace {

using test::goodInterchange;
using test::readSample;
using test::replaced;

const WriteTime kTime{"20261207", "1405"};

PartnerConfig toPartner() {
  PartnerConfig c;
  c.sender_id = "RECEIVER";
  c.receiver_id = "SENDER";
  return c;
}

TEST(X12PurchaseOrder, TheNode850SampleReadsAsAnOrder) {
  for (const char* name : {"850.node-x12.edi", "850_2.node-x12.edi"}) {
    ParsedFile f = parseX12(readSample(name));
    ASSERT_TRUE(f.clean()) << name;
    auto po = readPurchaseOrder(f.interchanges[0].groups[0].sets[0], f.interchanges[0].separators);
    ASSERT_TRUE(po.ok()) << name << ": " << po.error().toString();
    EXPECT_EQ(po->purpose, "00");
    EXPECT_EQ(po->type, "SA");
    EXPECT_EQ(po->po_number, "08292233294");
    EXPECT_EQ(po->date, "20101127");
    EXPECT_EQ(po->references.at("DP"), "038");
    EXPECT_EQ(po->dates.at("002"), "20101214");
    const Party* ship = po->shipTo();
    ASSERT_NE(ship, nullptr);
    EXPECT_EQ(ship->name, "XYZ RETAIL");
    EXPECT_EQ(ship->id_qualifier, "9");
    EXPECT_EQ(ship->id, "0003947268292");
    EXPECT_EQ(ship->address, std::vector<std::string>{"31875 SOLON RD"});
    EXPECT_EQ(ship->city, "SOLON");
    EXPECT_EQ(ship->state, "OH");
    EXPECT_EQ(ship->postal_code, "44139");
    ASSERT_EQ(po->lines.size(), 6u);
    EXPECT_EQ(po->declared_lines, 6);
    const PurchaseOrderLine& l = po->lines[0];
    EXPECT_EQ(l.line, "1");
    EXPECT_EQ(l.quantity, 120);
    EXPECT_EQ(l.unit, "EA");
    EXPECT_EQ(l.unit_price, "9.25");
    EXPECT_EQ(l.price_basis, "TE");
    EXPECT_EQ(productId(l.ids, "CB"), "065322-117");
    EXPECT_EQ(productId(l.ids, "VN"), "AB3542");
    EXPECT_EQ(productId(l.ids, "UP"), "");
    EXPECT_EQ(l.description, "SMALL WIDGET");
    EXPECT_EQ(productId(po->lines[1].ids, "VN"), "RD5322");
  }
}

TEST(X12PurchaseOrder, ProductIdsByEveryQualifier) {
  ParsedFile f = parseX12(replaced(goodInterchange(), "**UP*012345678905~",
                                   "**UP*012345678905*VN*V-1*BP*B-1*SK*S-1*IN*I-1~"));
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  auto po = readPurchaseOrder(f.interchanges[0].groups[0].sets[0], f.interchanges[0].separators);
  ASSERT_TRUE(po.ok()) << po.error().toString();
  const auto& ids = po->lines.at(0).ids;
  EXPECT_EQ(ids, (std::vector<ProductId>{{"UP", "012345678905"}, {"VN", "V-1"}, {"BP", "B-1"}, {"SK", "S-1"}, {"IN", "I-1"}}));
  EXPECT_EQ(po->lines[0].quantity, 2);
  EXPECT_EQ(po->shipTo(), nullptr);
}

TEST(X12PurchaseOrder, WhatAnOrderCannotDoWithoutIsRefused) {
  struct Case {
    const char* name;
    std::string from, to;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"no BEG", "BEG*00*SA*PO-1**20261207~", "REF*DP*1~", "no BEG"},
      {"no PO number", "BEG*00*SA*PO-1*", "BEG*00*SA**", "BEG03"},
      {"no lines", "PO1*1*2*EA*9.25**UP*012345678905~", "REF*DP*1~", "no PO1"},
      {"fractional quantity", "PO1*1*2*", "PO1*1*2.5*", "PO102"},
      {"zero quantity", "PO1*1*2*", "PO1*1*0*", "PO102"},
      {"no unit", "PO1*1*2*EA*", "PO1*1*2**", "PO103"},
      {"bad price", "*EA*9.25*", "*EA*9,25*", "PO104"},
      {"no product", "**UP*012345678905~", "~", "names no product"},
      {"CTT disagrees", "CTT*1~", "CTT*2~", "CTT01 says 2"},
  };
  for (const Case& c : cases) {
    ParsedFile f = parseX12(replaced(goodInterchange(), c.from, c.to));
    ASSERT_TRUE(f.clean()) << c.name << ": " << f.firstProblem();
    auto po = readPurchaseOrder(f.interchanges[0].groups[0].sets[0], f.interchanges[0].separators);
    ASSERT_FALSE(po.ok()) << c.name;
    EXPECT_EQ(po.error().code, "x12_bad_850") << c.name;
    EXPECT_NE(po.error().message.find(c.says), std::string::npos) << c.name << ": " << po.error().message;
  }
  // "2.0" is a whole quantity.
  ParsedFile f = parseX12(replaced(goodInterchange(), "PO1*1*2*", "PO1*1*2.0*"));
  EXPECT_EQ(readPurchaseOrder(f.interchanges[0].groups[0].sets[0], f.interchanges[0].separators)->lines[0].quantity, 2);
}

TEST(X12PurchaseOrder, ARejectedOrOtherSetIsNotRead) {
  ParsedFile bad = parseX12(replaced(goodInterchange(), "SE*5*", "SE*9*"));
  EXPECT_FALSE(readPurchaseOrder(bad.interchanges[0].groups[0].sets[0], bad.interchanges[0].separators).ok());
  ParsedFile asn = parseX12(readSample("856.node-x12.edi"));
  EXPECT_FALSE(readPurchaseOrder(asn.interchanges[0].groups[0].sets[0], asn.interchanges[0].separators).ok());
}

// ---- 997 ----

GroupAck readBack(const std::string& text) {
  ParsedFile f = parseX12(text);
  EXPECT_TRUE(f.clean()) << f.firstProblem();
  if (!f.clean()) return {};
  EXPECT_EQ(f.interchanges[0].groups.at(0).functional_id, "FA");
  auto ack = readFunctionalAck(f.interchanges[0].groups[0].sets.at(0));
  EXPECT_TRUE(ack.ok()) << (ack.ok() ? "" : ack.error().toString());
  return ack.ok() ? *ack : GroupAck{};
}

TEST(X12FunctionalAck, AnAcceptedGroupIsAcknowledgedAndReadBack) {
  ParsedFile received = parseX12(readSample("850.node-x12.edi"));
  GroupAck ack = ackFor(received.interchanges[0].groups[0]);
  EXPECT_EQ(ack.functional_id, "PO");
  EXPECT_EQ(ack.control, "1421");
  EXPECT_EQ(ack.status, AckStatus::kAccepted);
  EXPECT_EQ(ack.declared_sets, 1);
  EXPECT_EQ(ack.received_sets, 1);
  EXPECT_EQ(ack.accepted_sets, 1);
  CountingControlNumbers numbers;
  auto text = write997(toPartner(), numbers, kTime, {ack});
  ASSERT_TRUE(text.ok()) << text.error().toString();
  EXPECT_NE(text->find("ST*997*0001~AK1*PO*1421~AK2*850*000000010~AK5*A~AK9*A*1*1*1~SE*6*0001~"), std::string::npos) << *text;
  EXPECT_EQ(readBack(*text), ack);
}

TEST(X12FunctionalAck, RejectedSetsCarryTheirAk3Ak4AndAk5Codes) {
  std::string two = replaced(goodInterchange(), "GE*1*7",
                             "ST*850*0002~BEG*00*SA*" + std::string(kMaxElementLength + 1, 'X') +
                                 "**20261207~PO1*1*1*EA*1**UP*1~SE*9*0002~GE*2*7");
  ParsedFile received = parseX12(two);
  GroupAck ack = ackFor(received.interchanges[0].groups[0]);
  EXPECT_EQ(ack.status, AckStatus::kPartial);
  EXPECT_EQ(ack.accepted_sets, 1);
  ASSERT_EQ(ack.sets.size(), 2u);
  EXPECT_EQ(ack.sets[1].status, AckStatus::kRejected);
  EXPECT_EQ(ack.sets[1].codes, (std::vector<int>{ak5::kSegmentsInError, ak5::kSegmentCountMismatch}));
  CountingControlNumbers numbers;
  auto text = write997(toPartner(), numbers, kTime, {ack});
  ASSERT_TRUE(text.ok()) << text.error().toString();
  EXPECT_NE(text->find("AK2*850*0002~AK3*BEG*2**8~AK4*3**5~AK5*R*5*4~AK9*P*2*2*1~"), std::string::npos) << *text;
  EXPECT_EQ(readBack(*text), ack);
}

TEST(X12FunctionalAck, ABrokenGroupIsRejectedWhole) {
  ParsedFile received = parseX12(replaced(goodInterchange(), "GE*1*7", "GE*3*7"));
  GroupAck ack = ackFor(received.interchanges[0].groups[0]);
  EXPECT_EQ(ack.status, AckStatus::kRejected);
  EXPECT_EQ(ack.declared_sets, 3);
  EXPECT_EQ(ack.received_sets, 1);
  EXPECT_EQ(ack.accepted_sets, 0);
  EXPECT_EQ(ack.codes, std::vector<int>{ak9::kSetCountMismatch});
  EXPECT_EQ(ack.sets.at(0).status, AckStatus::kRejected);  // its set, fine on its own, goes with it
  CountingControlNumbers numbers;
  auto text = write997(toPartner(), numbers, kTime, {ack});
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("AK9*R*3*1*0*5~"), std::string::npos) << *text;
  EXPECT_EQ(readBack(*text), ack);
}

TEST(X12FunctionalAck, AGroupWithoutItsControlNumberCannotBeAcknowledged) {
  // Found by fuzz_x12: GS06 missing, so AK102 would be empty and the 997 unreadable.
  ParsedFile received = parseX12(replaced(goodInterchange(), "*1200*7*X*", "*1200**X*"));
  GroupAck ack = ackFor(received.interchanges[0].groups.at(0));
  EXPECT_EQ(ack.codes, (std::vector<int>{ak9::kBadControlNumber, ak9::kControlNumberMismatch}));  // GE02 7 is not ""
  CountingControlNumbers numbers;
  auto text = write997(toPartner(), numbers, kTime, {ack});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, "x12_bad_value");
}

TEST(X12FunctionalAck, SeveralGroupsInOne997Interchange) {
  ParsedFile a = parseX12(readSample("850.node-x12.edi"));
  ParsedFile b = parseX12(readSample("855.node-x12.edi"));
  CountingControlNumbers numbers;
  auto text = write997(toPartner(), numbers, kTime, {ackFor(a.interchanges[0].groups[0]), ackFor(b.interchanges[0].groups[0])});
  ASSERT_TRUE(text.ok());
  ParsedFile f = parseX12(*text);
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  ASSERT_EQ(f.interchanges[0].groups[0].sets.size(), 2u);
  EXPECT_EQ(readFunctionalAck(f.interchanges[0].groups[0].sets[1])->functional_id, "PR");
}

TEST(X12FunctionalAck, APartnersShortForm997) {
  // The short form NOTES.md gives for the group in 850.node-x12.edi: AK1 and AK9 only.
  std::string text = test::kIsa + "GS*FA*SENDER*RECEIVER*20261207*1200*9*X*004010~"
                     "ST*997*0001~AK1*PO*1421~AK9*A*1*1*1~SE*4*0001~GE*1*9~IEA*1*000000001~";
  GroupAck ack = readBack(text);
  EXPECT_EQ(ack.functional_id, "PO");
  EXPECT_EQ(ack.control, "1421");
  EXPECT_EQ(ack.status, AckStatus::kAccepted);
  EXPECT_EQ(ack.accepted_sets, 1);
  EXPECT_TRUE(ack.sets.empty());
}

TEST(X12FunctionalAck, ABroken997IsRefused) {
  auto read = [](const std::string& body, int segments) {
    std::string text = test::kIsa + "GS*FA*SENDER*RECEIVER*20261207*1200*9*X*004010~ST*997*0001~" + body + "SE*" +
                       std::to_string(segments) + "*0001~GE*1*9~IEA*1*000000001~";
    ParsedFile f = parseX12(text);
    EXPECT_TRUE(f.clean()) << f.firstProblem();
    return readFunctionalAck(f.interchanges[0].groups[0].sets[0]);
  };
  EXPECT_TRUE(read("AK1*PO*1~AK9*A*1*1*1~", 4).ok());
  EXPECT_FALSE(read("AK9*A*1*1*1~", 3).ok());                         // no AK1
  EXPECT_FALSE(read("AK1*PO*1~", 3).ok());                            // no AK9
  EXPECT_FALSE(read("AK1*PO~AK9*A*1*1*1~", 4).ok());                  // no AK102
  EXPECT_FALSE(read("AK1*PO*1~AK9*Q*1*1*1~", 4).ok());                // AK901 unknown
  EXPECT_FALSE(read("AK1*PO*1~AK9*A*1*x*1~", 4).ok());                // counts
  EXPECT_FALSE(read("AK1*PO*1~AK9*A*1*1*2~", 4).ok());                // more accepted than received
  EXPECT_FALSE(read("AK1*PO*1~AK5*A~AK9*A*1*1*1~", 5).ok());          // AK5 without AK2
  EXPECT_FALSE(read("AK1*PO*1~AK2*850*1~AK5*Z~AK9*R*1*1*0~", 6).ok());  // AK501 unknown
  EXPECT_FALSE(read("AK1*PO*1~AK1*PO*2~AK9*A*1*1*1~", 5).ok());       // two AK1
  auto rejected = read("AK1*PO*1~AK2*850*0001~AK3*BEG*2**8~AK4*3**5*XXX~AK5*R*5~AK9*R*1*1*0~", 8);
  ASSERT_TRUE(rejected.ok()) << rejected.error().toString();
  EXPECT_EQ(rejected->status, AckStatus::kRejected);
  EXPECT_EQ(rejected->sets.at(0).notes.at(0).elements.at(0).copy, "XXX");
}

// Issue 22: a partner's TA1 for one of our interchanges, as the parser keeps it at interchange
// level; the TA1 we write reads back to what it says; every malformed one is refused with a reason.
TEST(X12InterchangeAck, ATa1ReadsBackAndABrokenOneIsRefused) {
  auto ta1sOf = [](const std::string& segments) {
    ParsedFile f = parseX12(test::kIsa + segments + "IEA*0*000000001~");
    EXPECT_TRUE(f.clean()) << f.firstProblem();
    return f.interchanges.at(0).ta1s;
  };
  auto ours = ta1sOf("TA1*000000123*261207*1405*R*006~TA1*000000124*261207*1405*A*000~TA1*000000125*261207*1405*E*024~");
  ASSERT_EQ(ours.size(), 3u);
  auto rejected = readInterchangeAck(ours[0]);
  ASSERT_TRUE(rejected.ok()) << rejected.error().toString();
  EXPECT_EQ(rejected->control, "000000123");
  EXPECT_EQ(rejected->date, "261207");
  EXPECT_EQ(rejected->time, "1405");
  EXPECT_EQ(rejected->status, AckStatus::kRejected);
  EXPECT_EQ(rejected->note, 6);
  EXPECT_EQ(readInterchangeAck(ours[1])->status, AckStatus::kAccepted);
  EXPECT_EQ(readInterchangeAck(ours[2])->status, AckStatus::kAcceptedWithErrors);
  EXPECT_EQ(readInterchangeAck(ours[2])->note, 24);

  // What writeTa1 writes for a broken interchange reads back to its control number and note.
  ParsedFile broken = parseX12(replaced(goodInterchange(), "IEA*1*000000001", "IEA*1*000000002"));
  ASSERT_FALSE(broken.interchanges.at(0).accepted());
  PartnerConfig back;
  back.sender_id = "STOCKWIRE";
  back.receiver_id = "PARTNER";
  CountingControlNumbers numbers;
  auto written = writeTa1(back, numbers, {"20261207", "1405"}, broken.interchanges.at(0));
  ASSERT_TRUE(written.ok()) << written.error().toString();
  ParsedFile again = parseX12(*written);
  ASSERT_TRUE(again.clean()) << again.firstProblem();
  auto read = readInterchangeAck(again.interchanges.at(0).ta1s.at(0));
  ASSERT_TRUE(read.ok()) << read.error().toString();
  EXPECT_EQ(read->control, broken.interchanges.at(0).control);
  EXPECT_EQ(read->status, AckStatus::kRejected);
  EXPECT_EQ(read->note, broken.interchanges.at(0).note);

  for (const char* bad : {"TA1*00000012*261207*1405*A*000~",    // TA101 not 9 digits
                          "TA1*00000012X*261207*1405*A*000~",   // nor digits
                          "TA1*000000123*2612*1405*A*000~",     // TA102
                          "TA1*000000123*261207*14*A*000~",     // TA103
                          "TA1*000000123*261207*1405*P*000~",   // TA104 P is a 997 code
                          "TA1*000000123*261207*1405*A*6~",     // TA105 not 3 digits
                          "TA1*000000123*261207*1405*A*006~",   // accepted with an error note
                          "TA1*000000123*261207*1405*R*000~",   // rejected without one
                          "TA1*000000123*261207*1405*A~",       // no TA105
                          "TA1~"}) {
    auto segs = ta1sOf(bad);
    ASSERT_EQ(segs.size(), 1u) << bad;
    auto r = readInterchangeAck(segs[0]);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "x12_bad_TA1") << bad;
    EXPECT_FALSE(r.error().message.empty()) << bad;
  }
  Segment not_ta1;
  not_ta1.id = "AK1";
  EXPECT_FALSE(readInterchangeAck(not_ta1).ok());
}

}  // namespace
}  // namespace sw::coordinator::edi
