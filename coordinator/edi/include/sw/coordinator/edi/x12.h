#pragma once
// ANSI X12 interchanges: the envelope parser and what it found, with the X12 codes a TA1 or a
// 997 answers with. No I/O: bytes in, a description of every interchange, group and set out.
//
// An interchange is ISA ... IEA holding functional groups GS ... GE holding transaction sets
// ST ... SE. The delimiters come from the ISA itself (a fixed-width segment of 106 characters):
// the element separator at offset 3, the component separator (ISA16) at 104, the segment
// terminator at 105, and from version 00402 on the repetition separator in ISA11.
//
// Every check has its code from the standard:
//   interchange: the TA1 interchange note code (TA105), 0 = none;
//   group:       AK905..AK909 functional group syntax error codes (X12 element 716);
//   set:         AK502..AK506 transaction set syntax error codes (718), with AK3 segment notes
//                (720) and AK4 element notes (723).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sw::coordinator::edi {

struct Separators {
  char element = '*';
  char component = '>';
  char segment = '~';
  std::optional<char> repetition;  // ISA11 from version 00402 on; none before
};

// One segment as received: its id and its data elements (element(1) is the first after the id).
struct Segment {
  std::string id;
  std::vector<std::string> elements;
  size_t position = 0;  // 1-based within its transaction set (ST = 1); within the interchange outside sets

  // The n-th data element (1-based, as X12 numbers them: BEG03 is element(3)); "" when absent.
  const std::string& element(size_t n) const;
  // Its components split on the component separator (one component when it has none).
  std::vector<std::string> components(size_t n, const Separators& separators) const;
};

// Acknowledgment codes: AK501 / AK901 / TA104.
enum class AckStatus : char { kAccepted = 'A', kAcceptedWithErrors = 'E', kPartial = 'P', kRejected = 'R' };
const char* ackStatusText(AckStatus status);  // "accepted", "accepted_with_errors", "partial", "rejected"

// TA105 interchange note codes used here (X12 element I18).
namespace ta1 {
inline constexpr int kNoError = 0;
inline constexpr int kControlNumberMismatch = 1;        // ISA13 and IEA02 differ
inline constexpr int kStandardNotSupported = 2;
inline constexpr int kVersionNotSupported = 3;
inline constexpr int kBadSegmentTerminator = 4;
inline constexpr int kBadSenderQualifier = 5;
inline constexpr int kBadSenderId = 6;
inline constexpr int kBadReceiverQualifier = 7;
inline constexpr int kBadReceiverId = 8;
inline constexpr int kBadAuthorizationQualifier = 10;
inline constexpr int kBadAuthorization = 11;
inline constexpr int kBadSecurityQualifier = 12;
inline constexpr int kBadSecurity = 13;
inline constexpr int kBadDate = 14;
inline constexpr int kBadTime = 15;
inline constexpr int kBadStandardsId = 16;              // ISA11 (U before 00402, else the repetition separator)
inline constexpr int kBadVersion = 17;
inline constexpr int kBadControlNumber = 18;
inline constexpr int kBadAckRequested = 19;
inline constexpr int kBadUsageIndicator = 20;           // ISA15 "Test Indicator"
inline constexpr int kBadGroupCount = 21;               // IEA01
inline constexpr int kBadControlStructure = 22;
inline constexpr int kPrematureEnd = 23;
inline constexpr int kBadContent = 24;
inline constexpr int kDuplicate = 25;
inline constexpr int kBadElementSeparator = 26;
inline constexpr int kBadComponentSeparator = 27;
}  // namespace ta1

// AK9 functional group syntax error codes (716).
namespace ak9 {
inline constexpr int kNotSupported = 1;
inline constexpr int kVersionNotSupported = 2;
inline constexpr int kTrailerMissing = 3;
inline constexpr int kControlNumberMismatch = 4;        // GS06 and GE02 differ
inline constexpr int kSetCountMismatch = 5;             // GE01 is not the number of sets
inline constexpr int kBadControlNumber = 6;             // GS06 violates syntax
inline constexpr int kControlNumberNotUnique = 19;      // GS06 seen before in the interchange
}  // namespace ak9

// AK5 transaction set syntax error codes (718).
namespace ak5 {
inline constexpr int kNotSupported = 1;
inline constexpr int kTrailerMissing = 2;
inline constexpr int kControlNumberMismatch = 3;        // ST02 and SE02 differ
inline constexpr int kSegmentCountMismatch = 4;         // SE01 is not the number of segments
inline constexpr int kSegmentsInError = 5;              // see the AK3 notes
inline constexpr int kBadSetId = 6;
inline constexpr int kBadControlNumber = 7;
inline constexpr int kControlNumberNotUnique = 23;      // ST02 seen before in the group
}  // namespace ak5

// AK3 segment syntax error codes (720).
namespace ak3 {
inline constexpr int kUnrecognizedSegment = 1;
inline constexpr int kUnexpectedSegment = 2;
inline constexpr int kMandatoryMissing = 3;
inline constexpr int kHasElementErrors = 8;
}  // namespace ak3

// AK4 data element syntax error codes (723).
namespace ak4 {
inline constexpr int kMandatoryMissing = 1;
inline constexpr int kTooShort = 4;
inline constexpr int kTooLong = 5;
inline constexpr int kInvalidCharacter = 6;
inline constexpr int kInvalidCode = 7;
inline constexpr int kInvalidDate = 8;
}  // namespace ak4

// Limits of what is read at all (beyond them the input is refused, not truncated).
inline constexpr size_t kMaxElementLength = 512;      // longer than any X12 4010 data element we read
inline constexpr size_t kMaxFileBytes = 64u << 20;

struct ElementNote {  // one AK4
  size_t position = 0;  // AK401: the element's position in its segment (1-based)
  int code = 0;         // AK403 (723)
  std::string copy;     // AK404: the bad value, cut to 99 characters ("" when missing)
};

struct SegmentNote {  // one AK3
  std::string segment_id;  // AK301
  size_t position = 0;     // AK302: position in the set, ST = 1
  int code = 0;            // AK304 (720)
  std::vector<ElementNote> elements;
  std::string message;     // for a person
};

struct TransactionSet {
  std::string id;       // ST01
  std::string control;  // ST02
  std::vector<Segment> segments;  // ST ... SE (or as far as it went)
  AckStatus status = AckStatus::kAccepted;
  std::vector<int> codes;          // AK502.. (718)
  std::vector<SegmentNote> notes;  // AK3/AK4
  std::string message;             // the first problem, for a person ("" when accepted)
};

struct FunctionalGroup {
  std::string functional_id;  // GS01
  std::string sender;         // GS02
  std::string receiver;       // GS03
  std::string date;           // GS04
  std::string time;           // GS05
  std::string control;        // GS06
  std::string agency;         // GS07
  std::string version;        // GS08
  std::optional<std::string> declared_sets;  // GE01 as written (none when GE is missing)
  std::vector<TransactionSet> sets;
  AckStatus status = AckStatus::kAccepted;  // group-level: kRejected when one of codes is set
  std::vector<int> codes;  // AK905.. (716)
  std::string message;

  size_t acceptedSets() const;  // sets with status A or E
};

struct Interchange {
  bool header_read = false;  // false: no ISA could be read at all (a TA1 cannot be addressed)
  Separators separators;
  std::string authorization_qualifier, authorization;  // ISA01, ISA02
  std::string security_qualifier, security;            // ISA03, ISA04
  std::string sender_qualifier, sender_id;              // ISA05, ISA06 (trailing spaces removed)
  std::string receiver_qualifier, receiver_id;          // ISA07, ISA08 (trailing spaces removed)
  std::string date, time;                               // ISA09 YYMMDD, ISA10 HHMM
  std::string standards_id;                             // ISA11 as written
  std::string version;                                  // ISA12
  std::string control;                                  // ISA13
  std::string ack_requested;                            // ISA14
  std::string usage;                                    // ISA15: P or T
  std::vector<FunctionalGroup> groups;
  std::vector<Segment> ta1s;  // TA1 segments carried at interchange level (an interchange acknowledgment)
  int note = ta1::kNoError;   // TA105 for this interchange
  std::string message;        // the reason, for a person ("" when accepted)

  bool accepted() const { return note == ta1::kNoError; }
};

struct ParsedFile {
  std::vector<Interchange> interchanges;  // at least one: an empty or unreadable file gives one without a header
  std::vector<std::string> warnings;      // what was tolerated (a UTF-8 BOM, indentation)

  // Every interchange accepted and every group and set in them accepted.
  bool clean() const;
  // The first problem, for a person: "interchange 000000001: TA1 note 001: ..." ("" when clean).
  std::string firstProblem() const;
};

// Reads every interchange in data. Never throws and never refuses to answer: the result says
// what is wrong and where, with its code.
ParsedFile parseX12(std::string_view data);

// Duplicate interchanges: the same sender (ISA05/ISA06) sending the same ISA13 again.
// A pure check over what the caller has seen; keeping that set across restarts is the caller's.
struct InterchangeKey {
  std::string sender_qualifier, sender_id, control;
  auto operator<=>(const InterchangeKey&) const = default;
};
InterchangeKey keyOf(const Interchange& interchange);
bool isDuplicate(const std::set<InterchangeKey>& seen, const Interchange& interchange);
// Marks an interchange already seen as rejected with TA1 note 025, in place of any other note (a
// duplicate is refused whatever else is wrong with it); its groups are left as read, and nothing in
// it is to be taken in. Returns whether it was a duplicate.
bool rejectIfDuplicate(const std::set<InterchangeKey>& seen, Interchange& interchange);

// The functional id code (GS01) a transaction set belongs in: "850" -> "PO". "" for one we do not know.
std::string functionalIdFor(std::string_view set_id);

}  // namespace sw::coordinator::edi
