// The envelope parser on the real samples (tests/data/x12) and on a small interchange broken in
// every way: each problem found with its X12 code (TA1 note, AK9 or AK5 code, AK3/AK4 notes),
// nothing crashes, and what was tolerated is a warning.

#include <gtest/gtest.h>

#include "sw/coordinator/edi/x12.h"
#include "x12_test_data.h"

namespace sw::coordinator::edi {
namespace {

using test::goodInterchange;
using test::kIsa;
using test::readSample;
using test::replaced;

const Interchange& only(const ParsedFile& f) {
  EXPECT_EQ(f.interchanges.size(), 1u);
  return f.interchanges.front();
}

// ---- the samples ----

TEST(X12Samples, Node850IsCleanWithDelimitersFromTheIsa) {
  ParsedFile f = parseX12(readSample("850.node-x12.edi"));
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  EXPECT_TRUE(f.warnings.empty());
  const Interchange& ic = only(f);
  EXPECT_EQ(ic.separators.element, '*');
  EXPECT_EQ(ic.separators.component, '>');
  EXPECT_EQ(ic.separators.segment, '~');
  EXPECT_FALSE(ic.separators.repetition);  // 00400: ISA11 is U
  EXPECT_EQ(ic.sender_qualifier, "12");
  EXPECT_EQ(ic.sender_id, "4405197800");
  EXPECT_EQ(ic.receiver_id, "999999999");
  EXPECT_EQ(ic.control, "000003438");
  EXPECT_EQ(ic.usage, "P");
  ASSERT_EQ(ic.groups.size(), 1u);
  const FunctionalGroup& g = ic.groups[0];
  EXPECT_EQ(g.functional_id, "PO");
  EXPECT_EQ(g.control, "1421");
  EXPECT_EQ(g.version, "004010VICS");
  ASSERT_EQ(g.sets.size(), 1u);
  EXPECT_EQ(g.sets[0].id, "850");
  EXPECT_EQ(g.sets[0].control, "000000010");
  EXPECT_EQ(g.sets[0].segments.size(), 33u);
  EXPECT_EQ(g.sets[0].segments[1].id, "BEG");
  EXPECT_EQ(g.sets[0].segments[1].element(3), "08292233294");
  EXPECT_EQ(g.sets[0].segments[1].position, 2u);
}

TEST(X12Samples, Node850WithNewlineAsTerminatorReadsTheSame) {
  ParsedFile tilde = parseX12(readSample("850.node-x12.edi"));
  ParsedFile newline = parseX12(readSample("850_2.node-x12.edi"));
  ASSERT_TRUE(newline.clean()) << newline.firstProblem();
  EXPECT_TRUE(newline.warnings.empty());
  EXPECT_EQ(only(newline).separators.segment, '\n');
  const auto& a = tilde.interchanges[0].groups[0].sets[0].segments;
  const auto& b = newline.interchanges[0].groups[0].sets[0].segments;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].elements, b[i].elements) << a[i].id;
  }
}

TEST(X12Samples, Node855IsClean) {
  ParsedFile f = parseX12(readSample("855.node-x12.edi"));
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  const FunctionalGroup& g = only(f).groups.at(0);
  EXPECT_EQ(g.functional_id, "PR");
  EXPECT_EQ(g.control, "5");
  EXPECT_EQ(g.sets.at(0).id, "855");
  EXPECT_EQ(g.sets.at(0).segments.size(), 26u);
}

TEST(X12Samples, Node856TakesTheRepetitionSeparatorFromIsa11) {
  ParsedFile f = parseX12(readSample("856.node-x12.edi"));
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  const Interchange& ic = only(f);
  EXPECT_EQ(ic.version, "00406");
  ASSERT_TRUE(ic.separators.repetition);
  EXPECT_EQ(*ic.separators.repetition, '-');
  EXPECT_EQ(ic.groups.at(0).sets.at(0).id, "856");
  EXPECT_EQ(ic.groups.at(0).sets.at(0).segments.size(), 31u);
}

// The EDI.Net samples: refused, because their ISA is not fixed width (the delimiters at offsets
// 104 and 105 could not be trusted); the BOM and the tabs alone would have been tolerated.
TEST(X12Samples, EdiNet850IsRefusedForNoBreakSpacesInTheIsa) {
  ParsedFile f = parseX12(readSample("850a.edi-net.edi"));
  EXPECT_FALSE(f.clean());
  const Interchange& ic = only(f);
  EXPECT_EQ(ic.note, ta1::kBadAuthorization);  // ISA02, the first field out of width
  EXPECT_NE(ic.message.find("ISA02 is 15 bytes, must be 10"), std::string::npos) << ic.message;
  EXPECT_NE(ic.message.find("no-break spaces"), std::string::npos) << ic.message;
  ASSERT_GE(f.warnings.size(), 2u);
  EXPECT_NE(f.warnings[0].find("byte order mark"), std::string::npos);
  EXPECT_NE(f.warnings[1].find("blanks"), std::string::npos);
  // The rest is still read for the report: its IEA02 does not match ISA13 either.
  EXPECT_EQ(ic.control, "000000055");
  EXPECT_EQ(ic.groups.size(), 1u);
}

TEST(X12Samples, EdiNet810IsRefusedForAnUnpaddedIsa) {
  ParsedFile f = parseX12(readSample("810a.edi-net.edi"));
  EXPECT_FALSE(f.clean());
  const Interchange& ic = only(f);
  EXPECT_EQ(ic.note, ta1::kBadAuthorization);
  EXPECT_NE(ic.message.find("ISA02 is 1 bytes, must be 10 (it must be padded"), std::string::npos) << ic.message;
  EXPECT_EQ(ic.sender_id, "ABCMUSICSUPPLY");
  EXPECT_NE(f.firstProblem().find("TA1 note 011"), std::string::npos) << f.firstProblem();
}

// ---- leniency that is accepted ----

TEST(X12Parse, TheHandWrittenInterchangeIsClean) {
  ParsedFile f = parseX12(goodInterchange());
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  EXPECT_TRUE(f.warnings.empty());
  EXPECT_EQ(f.firstProblem(), "");
  EXPECT_EQ(only(f).groups.at(0).sets.at(0).segments.size(), 5u);
}

TEST(X12Parse, CrLfAfterTerminatorsIsSkippedSilently) {
  std::string crlf;
  for (char c : goodInterchange()) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  ParsedFile f = parseX12(crlf);
  EXPECT_TRUE(f.clean()) << f.firstProblem();
  EXPECT_TRUE(f.warnings.empty());
}

TEST(X12Parse, NoLineBreaksAtAllIsClean) {
  std::string flat;
  for (char c : goodInterchange()) if (c != '\n') flat += c;
  EXPECT_TRUE(parseX12(flat).clean());
}

TEST(X12Parse, AByteOrderMarkIsAcceptedWithAWarning) {
  ParsedFile f = parseX12("\xEF\xBB\xBF" + goodInterchange());
  EXPECT_TRUE(f.clean()) << f.firstProblem();
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].find("byte order mark"), std::string::npos);
}

TEST(X12Parse, TabIndentationIsAcceptedWithOneWarning) {
  std::string indented = replaced(replaced(goodInterchange(), "\nGS*", "\n\tGS*"), "\nBEG*", "\n\t\t  BEG*");
  ParsedFile f = parseX12(indented);
  EXPECT_TRUE(f.clean()) << f.firstProblem();
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].find("blanks"), std::string::npos);
}

TEST(X12Parse, OtherDelimitersAreTakenFromTheIsa) {
  std::string text = goodInterchange();
  for (char& c : text) {
    if (c == '*') c = '|';
    else if (c == '~') c = '\x1c';
  }
  text[104] = ':';
  ParsedFile f = parseX12(text);
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  EXPECT_EQ(only(f).separators.element, '|');
  EXPECT_EQ(only(f).separators.component, ':');
  EXPECT_EQ(only(f).separators.segment, '\x1c');
}

TEST(X12Parse, TwoInterchangesInOneFile) {
  std::string second = replaced(replaced(goodInterchange(), "000000001*0*P", "000000002*0*P"), "IEA*1*000000001", "IEA*1*000000002");
  ParsedFile f = parseX12(goodInterchange() + second);
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  ASSERT_EQ(f.interchanges.size(), 2u);
  EXPECT_EQ(f.interchanges[1].control, "000000002");
}

TEST(X12Parse, Version00501TakesItsRepetitionSeparator) {
  std::string text = replaced(goodInterchange(), "*U*00401*", "*^*00501*");
  ParsedFile f = parseX12(text);
  ASSERT_TRUE(f.clean()) << f.firstProblem();
  EXPECT_EQ(only(f).separators.repetition.value_or('?'), '^');
}

TEST(X12Parse, ComponentsSplitOnIsa16) {
  ParsedFile f = parseX12(replaced(goodInterchange(), "PO1*1*2*EA*", "PO1*1*2*CA>12>EA*"));
  ASSERT_TRUE(f.clean());
  const Segment& po1 = only(f).groups[0].sets[0].segments[2];
  EXPECT_EQ(po1.components(3, only(f).separators), (std::vector<std::string>{"CA", "12", "EA"}));
  EXPECT_EQ(po1.components(9, only(f).separators), (std::vector<std::string>{""}));
  EXPECT_EQ(po1.element(99), "");
  EXPECT_EQ(po1.element(0), "");
}

// ---- envelope counts and control numbers ----

struct SetCase {
  const char* name;
  std::string from, to;
  int code;  // AK5
};

TEST(X12Parse, EverySetTrailerMismatchHasItsAk5Code) {
  const std::vector<SetCase> cases = {
      {"SE01 too high", "SE*5*0001", "SE*6*0001", ak5::kSegmentCountMismatch},
      {"SE01 too low", "SE*5*0001", "SE*4*0001", ak5::kSegmentCountMismatch},
      {"SE01 not a number", "SE*5*0001", "SE*five*0001", ak5::kSegmentCountMismatch},
      {"SE01 missing", "SE*5*0001", "SE**0001", ak5::kSegmentCountMismatch},
      {"SE02 other", "SE*5*0001", "SE*5*0002", ak5::kControlNumberMismatch},
      {"SE02 missing", "SE*5*0001", "SE*5", ak5::kControlNumberMismatch},
      {"ST02 too short", "ST*850*0001~", "ST*850*01~", ak5::kBadControlNumber},
      {"ST02 too long", "ST*850*0001~", "ST*850*0123456789~", ak5::kBadControlNumber},
      {"ST01 not a set id", "ST*850*", "ST*85X*", ak5::kBadSetId},
      {"ST01 in the wrong group", "ST*850*", "ST*810*", ak5::kBadSetId},
      {"SE missing", "SE*5*0001~\n", "", ak5::kTrailerMissing},
  };
  for (const SetCase& c : cases) {
    std::string text = replaced(goodInterchange(), c.from, c.to);
    ParsedFile f = parseX12(text);
    const Interchange& ic = only(f);
    EXPECT_TRUE(ic.accepted()) << c.name << ": " << ic.message;  // a set problem is the 997's, not a TA1's
    ASSERT_EQ(ic.groups.size(), 1u) << c.name;
    const FunctionalGroup& g = ic.groups[0];
    ASSERT_EQ(g.sets.size(), 1u) << c.name;
    const TransactionSet& s = g.sets[0];
    EXPECT_EQ(s.status, AckStatus::kRejected) << c.name;
    ASSERT_FALSE(s.codes.empty()) << c.name;
    EXPECT_EQ(s.codes.front(), c.code) << c.name << ": " << s.message;
    EXPECT_FALSE(s.message.empty()) << c.name;
    EXPECT_EQ(g.status, AckStatus::kRejected) << c.name;  // its only set rejected
    EXPECT_FALSE(f.clean()) << c.name;
    EXPECT_NE(f.firstProblem().find("AK5 code " + std::to_string(c.code)), std::string::npos) << f.firstProblem();
  }
}

TEST(X12Parse, SegmentCountMessageSaysBoth) {
  ParsedFile f = parseX12(replaced(goodInterchange(), "SE*5*0001", "SE*6*0001"));
  EXPECT_EQ(f.interchanges[0].groups[0].sets[0].message,
            "SE01 says 6 segments, set 0001 has 5 (ST and SE included)");
}

TEST(X12Parse, EveryGroupTrailerMismatchHasItsAk9Code) {
  const std::vector<SetCase> cases = {
      {"GE01 too high", "GE*1*7", "GE*2*7", ak9::kSetCountMismatch},
      {"GE01 zero", "GE*1*7", "GE*0*7", ak9::kSetCountMismatch},
      {"GE01 not a number", "GE*1*7", "GE*x*7", ak9::kSetCountMismatch},
      {"GE02 other", "GE*1*7", "GE*1*8", ak9::kControlNumberMismatch},
      {"GS06 not digits", "*1200*7*X*", "*1200*A7*X*", ak9::kBadControlNumber},
      {"GS06 too long", "*1200*7*X*", "*1200*1234567890*X*", ak9::kBadControlNumber},
      {"GS01 not a code", "GS*PO*", "GS*P1*", ak9::kNotSupported},
      {"GS08 missing", "*X*004010~", "*X~", ak9::kVersionNotSupported},
      {"GE missing", "GE*1*7~\n", "", ak9::kTrailerMissing},
  };
  for (const SetCase& c : cases) {
    ParsedFile f = parseX12(replaced(goodInterchange(), c.from, c.to));
    const Interchange& ic = only(f);
    EXPECT_TRUE(ic.accepted()) << c.name << ": " << ic.message;
    ASSERT_EQ(ic.groups.size(), 1u) << c.name;
    const FunctionalGroup& g = ic.groups[0];
    ASSERT_FALSE(g.codes.empty()) << c.name;
    EXPECT_EQ(g.codes.front(), c.code) << c.name << ": " << g.message;
    EXPECT_EQ(g.status, AckStatus::kRejected) << c.name;
    EXPECT_NE(f.firstProblem().find("AK9 code " + std::to_string(c.code)), std::string::npos) << f.firstProblem();
  }
}

struct InterchangeCase {
  const char* name;
  std::string text;
  int note;
};

TEST(X12Parse, EveryInterchangeProblemHasItsTa1Note) {
  const std::string good = goodInterchange();
  auto isaWith = [&](size_t offset, char c) {
    std::string t = good;
    t[offset] = c;
    return t;
  };
  const std::vector<InterchangeCase> cases = {
      {"IEA01 too high", replaced(good, "IEA*1*", "IEA*2*"), ta1::kBadGroupCount},
      {"IEA01 zero", replaced(good, "IEA*1*", "IEA*0*"), ta1::kBadGroupCount},
      {"IEA01 not a number", replaced(good, "IEA*1*", "IEA*one*"), ta1::kBadGroupCount},
      {"IEA02 other", replaced(good, "IEA*1*000000001", "IEA*1*000000002"), ta1::kControlNumberMismatch},
      {"IEA02 unpadded", replaced(good, "IEA*1*000000001", "IEA*1*1"), ta1::kControlNumberMismatch},
      {"IEA missing", replaced(good, "IEA*1*000000001~\n", ""), ta1::kPrematureEnd},
      {"cut inside a set", good.substr(0, good.find("CTT")), ta1::kPrematureEnd},
      {"cut inside a segment", good.substr(0, good.find("CTT") + 4), ta1::kPrematureEnd},
      {"cut after the GE", good.substr(0, good.find("IEA")), ta1::kPrematureEnd},
      {"cut inside the ISA", good.substr(0, 50), ta1::kPrematureEnd},
      {"cut before ISA16", good.substr(0, 104), ta1::kPrematureEnd},
      {"element separator a letter", isaWith(3, 'A'), ta1::kBadElementSeparator},
      {"element separator a space", isaWith(3, ' '), ta1::kBadElementSeparator},
      {"component separator a digit", isaWith(104, '5'), ta1::kBadComponentSeparator},
      {"component separator = element", isaWith(104, '*'), ta1::kBadComponentSeparator},
      {"terminator a letter", isaWith(105, 'X'), ta1::kBadSegmentTerminator},
      {"terminator = component", isaWith(105, '>'), ta1::kBadSegmentTerminator},
      {"ISA01 letters", replaced(good, "ISA*00*", "ISA*AB*"), ta1::kBadAuthorizationQualifier},
      {"ISA03 other", replaced(good, "          *00*", "          *02*"), ta1::kBadSecurityQualifier},
      {"ISA05 lowercase", replaced(good, "*ZZ*SENDER", "*zz*SENDER"), ta1::kBadSenderQualifier},
      {"ISA06 blank", replaced(good, "SENDER         ", "               "), ta1::kBadSenderId},
      {"ISA06 unpadded", replaced(good, "SENDER         ", "SENDER"), ta1::kBadSenderId},
      {"ISA08 too long", replaced(good, "RECEIVER       ", "RECEIVER        "), ta1::kBadReceiverId},
      {"ISA07 short", replaced(good, "*ZZ*RECEIVER", "*Z*RECEIVER"), ta1::kBadReceiverQualifier},
      {"ISA09 month 13", replaced(good, "*261207*", "*261307*"), ta1::kBadDate},
      {"ISA10 25 o'clock", replaced(good, "*1200*U*", "*2500*U*"), ta1::kBadTime},
      {"ISA11 not U in 00401", replaced(good, "*U*00401*", "*^*00401*"), ta1::kBadStandardsId},
      {"ISA11 a letter in 00501", replaced(good, "*U*00401*", "*U*00501*"), ta1::kBadStandardsId},
      {"ISA12 letters", replaced(good, "*00401*", "*0040A*"), ta1::kBadVersion},
      {"ISA13 letters", replaced(good, "*000000001*0*P", "*00000000A*0*P"), ta1::kBadControlNumber},
      {"ISA14 2", replaced(good, "*000000001*0*P", "*000000001*2*P"), ta1::kBadAckRequested},
      {"ISA15 X", replaced(good, "*0*P*>", "*0*X*>"), ta1::kBadUsageIndicator},
      {"ST outside a group", replaced(good, "GS*PO*SENDER*RECEIVER*20261207*1200*7*X*004010~\n", ""), ta1::kBadControlStructure},
      {"segment outside a set", replaced(good, "ST*850*0001~\n", ""), ta1::kBadControlStructure},
      {"GE without GS", replaced(good, "IEA*", "GE*0*8~IEA*"), ta1::kBadControlStructure},
      {"another ISA before IEA", replaced(good, "IEA*1*000000001~\n", "") + good, ta1::kBadControlStructure},
      {"garbage after IEA", good + "\x01\x02garbage", ta1::kBadControlStructure},
      {"garbage segment between groups", replaced(good, "IEA*", "%%%~IEA*"), ta1::kBadContent},
  };
  for (const InterchangeCase& c : cases) {
    ParsedFile f = parseX12(c.text);
    ASSERT_FALSE(f.interchanges.empty()) << c.name;
    const Interchange* bad = nullptr;
    for (const Interchange& ic : f.interchanges) {
      if (!ic.accepted()) {
        bad = &ic;
        break;
      }
    }
    ASSERT_NE(bad, nullptr) << c.name;
    EXPECT_EQ(bad->note, c.note) << c.name << ": " << bad->message;
    EXPECT_FALSE(bad->message.empty()) << c.name;
    EXPECT_FALSE(f.clean()) << c.name;
  }
}

TEST(X12Parse, AnEmptyOrBlankFileIsAPrematureEnd) {
  for (const std::string& text : {std::string(), std::string("\r\n\r\n"), std::string("\xEF\xBB\xBF")}) {
    ParsedFile f = parseX12(text);
    ASSERT_EQ(f.interchanges.size(), 1u);
    EXPECT_FALSE(f.interchanges[0].header_read);
    EXPECT_EQ(f.interchanges[0].note, ta1::kPrematureEnd);
    EXPECT_NE(f.firstProblem().find("empty"), std::string::npos) << f.firstProblem();
  }
}

TEST(X12Parse, GarbageIsRefusedWithoutAHeader) {
  for (const std::string& text : {std::string("hello world"), std::string("\x00\xff\x13\x37", 4), std::string("IS"),
                                 std::string("{\"json\":true}")}) {
    ParsedFile f = parseX12(text);
    ASSERT_EQ(f.interchanges.size(), 1u);
    EXPECT_FALSE(f.interchanges[0].header_read);
    EXPECT_FALSE(f.interchanges[0].accepted());
    EXPECT_FALSE(f.clean());
  }
}

TEST(X12Parse, TheFirstProblemIsTheOneAnswered) {
  // IEA01 and IEA02 both wrong: IEA01 is checked first.
  ParsedFile f = parseX12(replaced(goodInterchange(), "IEA*1*000000001", "IEA*3*000000009"));
  EXPECT_EQ(f.interchanges[0].note, ta1::kBadGroupCount);
}

// ---- segments and elements inside a set ----

TEST(X12Parse, AnOversizeElementIsAnAk4TooLong) {
  std::string big(kMaxElementLength + 1, 'A');
  ParsedFile f = parseX12(replaced(goodInterchange(), "PO-1", big));
  const TransactionSet& s = f.interchanges[0].groups[0].sets[0];
  EXPECT_EQ(s.status, AckStatus::kRejected);
  EXPECT_EQ(s.codes, std::vector<int>{ak5::kSegmentsInError});
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].segment_id, "BEG");
  EXPECT_EQ(s.notes[0].position, 2u);
  EXPECT_EQ(s.notes[0].code, ak3::kHasElementErrors);
  ASSERT_EQ(s.notes[0].elements.size(), 1u);
  EXPECT_EQ(s.notes[0].elements[0].position, 3u);
  EXPECT_EQ(s.notes[0].elements[0].code, ak4::kTooLong);
  EXPECT_EQ(s.notes[0].elements[0].copy.size(), 99u);
  // As long as allowed is fine.
  EXPECT_TRUE(parseX12(replaced(goodInterchange(), "PO-1", std::string(kMaxElementLength, 'A'))).clean());
}

TEST(X12Parse, ControlBytesInAnElementAreAnAk4InvalidCharacter) {
  ParsedFile f = parseX12(replaced(goodInterchange(), "PO-1", std::string("PO\x01\x00-1", 6)));
  const TransactionSet& s = f.interchanges[0].groups[0].sets[0];
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].elements.at(0).code, ak4::kInvalidCharacter);
  EXPECT_EQ(s.codes, std::vector<int>{ak5::kSegmentsInError});
}

TEST(X12Parse, AGarbageSegmentInASetIsAnAk3Unrecognized) {
  ParsedFile f = parseX12(replaced(replaced(goodInterchange(), "CTT*1~", "CTT*1~\x7f\x80?!~"), "SE*5*", "SE*6*"));
  const TransactionSet& s = f.interchanges[0].groups[0].sets[0];
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].code, ak3::kUnrecognizedSegment);
  EXPECT_EQ(s.notes[0].position, 5u);
  EXPECT_EQ(s.codes, std::vector<int>{ak5::kSegmentsInError});  // counted: SE01 6 is right
  EXPECT_TRUE(f.interchanges[0].accepted());
}

TEST(X12Parse, ABodyWithOtherSeparatorsThanTheIsaIsBadContent) {
  // The ISA says '*' and '~'; a body written with '|' reads as one unrecognised segment per line.
  std::string body = goodInterchange().substr(106);
  std::string text = kIsa;
  for (char c : body) text += c == '*' ? '|' : c;
  ParsedFile f = parseX12(text);
  EXPECT_FALSE(f.clean());
  EXPECT_EQ(f.interchanges[0].note, ta1::kBadContent);
}

TEST(X12Parse, OneBadSetOfTwoMakesThePartialGroup) {
  std::string two = replaced(goodInterchange(), "GE*1*7",
                             "ST*850*0002~BEG*00*SA*PO-2**20261207~PO1*1*1*EA*1**UP*1~SE*9*0002~GE*2*7");
  ParsedFile f = parseX12(two);
  const FunctionalGroup& g = f.interchanges[0].groups[0];
  ASSERT_EQ(g.sets.size(), 2u);
  EXPECT_EQ(g.sets[0].status, AckStatus::kAccepted);
  EXPECT_EQ(g.sets[1].status, AckStatus::kRejected);
  EXPECT_EQ(g.status, AckStatus::kPartial);
  EXPECT_EQ(g.acceptedSets(), 1u);
  EXPECT_TRUE(g.codes.empty());
}

TEST(X12Parse, ControlNumbersMustBeUnique) {
  std::string sets = replaced(goodInterchange(), "GE*1*7",
                              "ST*850*0001~BEG*00*SA*PO-2**20261207~SE*3*0001~GE*2*7");
  const TransactionSet& dup = parseX12(sets).interchanges[0].groups[0].sets.at(1);
  EXPECT_EQ(dup.codes, std::vector<int>{ak5::kControlNumberNotUnique});

  std::string group = goodInterchange().substr(107, goodInterchange().find("IEA") - 107);
  std::string groups = replaced(goodInterchange(), "IEA*1*", group + "IEA*2*");
  ParsedFile f = parseX12(groups);
  ASSERT_EQ(f.interchanges[0].groups.size(), 2u);
  EXPECT_TRUE(f.interchanges[0].groups[0].codes.empty());
  EXPECT_EQ(f.interchanges[0].groups[1].codes, std::vector<int>{ak9::kControlNumberNotUnique});
}

// ---- duplicates ----

TEST(X12Duplicates, TheSameSenderAndIsa13IsADuplicate) {
  ParsedFile first = parseX12(goodInterchange());
  std::set<InterchangeKey> seen;
  EXPECT_FALSE(isDuplicate(seen, first.interchanges[0]));
  seen.insert(keyOf(first.interchanges[0]));
  EXPECT_EQ(keyOf(first.interchanges[0]), (InterchangeKey{"ZZ", "SENDER", "000000001"}));

  ParsedFile again = parseX12(goodInterchange());
  EXPECT_TRUE(rejectIfDuplicate(seen, again.interchanges[0]));
  EXPECT_EQ(again.interchanges[0].note, ta1::kDuplicate);
  EXPECT_FALSE(again.clean());

  // Another control number, or the same one from another sender, is not.
  ParsedFile next = parseX12(replaced(replaced(goodInterchange(), "000000001*0*P", "000000002*0*P"), "IEA*1*000000001", "IEA*1*000000002"));
  EXPECT_FALSE(rejectIfDuplicate(seen, next.interchanges[0]));
  ParsedFile other = parseX12(replaced(goodInterchange(), "SENDER         ", "OTHER          "));
  EXPECT_FALSE(isDuplicate(seen, other.interchanges[0]));
  // Without a header there is nothing to compare.
  ParsedFile empty = parseX12("");
  EXPECT_FALSE(isDuplicate(seen, empty.interchanges[0]));
}

TEST(X12Parse, FunctionalIds) {
  EXPECT_EQ(functionalIdFor("846"), "IB");
  EXPECT_EQ(functionalIdFor("850"), "PO");
  EXPECT_EQ(functionalIdFor("855"), "PR");
  EXPECT_EQ(functionalIdFor("856"), "SH");
  EXPECT_EQ(functionalIdFor("810"), "IN");
  EXPECT_EQ(functionalIdFor("997"), "FA");
  EXPECT_EQ(functionalIdFor("999"), "");
}

}  // namespace
}  // namespace sw::coordinator::edi
