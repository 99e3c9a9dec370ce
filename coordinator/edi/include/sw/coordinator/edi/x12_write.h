#pragma once
// Writing X12: one trading partner's envelope (ISA/GS with its ids, version, separators and usage
// indicator) around transaction sets, with the counts and control numbers the parser checks
// (SE01, GE01, IEA01, ST02 = SE02, GS06 = GE02, ISA13 = IEA02).
//
// Control numbers come from the caller (ControlNumbers): where they are kept, and that they are
// never used twice for a partner, is the caller's. A value holding one of the separators, or a
// control number that does not fit its element, is refused (reject "x12_bad_value"); X12 has no
// escape character.

#include <cstdint>
#include <string>
#include <vector>

#include "sw/common/result.h"
#include "sw/coordinator/edi/x12.h"

namespace sw::coordinator::edi {

struct PartnerConfig {
  // Us (ISA05/ISA06, GS02) and the partner (ISA07/ISA08, GS03) as this interchange is sent.
  std::string sender_qualifier = "ZZ";
  std::string sender_id;
  std::string receiver_qualifier = "ZZ";
  std::string receiver_id;
  std::string gs_sender;    // application sender code; "" = sender_id
  std::string gs_receiver;  // "" = receiver_id
  std::string version = "00401";      // ISA12
  std::string gs_version = "004010";  // GS08
  Separators separators{'*', '>', '~', '^'};  // the repetition separator is written from 00402 on
  char usage = 'P';                           // ISA15: P production, T test
  bool request_ta1 = false;                   // ISA14
  bool line_break_after_segment = false;      // "\n" after each terminator (readable files; parsers skip it)
};
common::Status checkPartnerConfig(const PartnerConfig& config);

enum class ControlKind { kInterchange, kGroup, kSet };

// The next unused control number of a kind for this partner (1..999999999; sets 1..9999 fit 4
// digits and are written zero-padded to 4, longer up to 9).
class ControlNumbers {
 public:
  virtual ~ControlNumbers() = default;
  virtual common::Result<uint64_t> next(ControlKind kind) = 0;
};

// Counting up from given numbers, in memory: for tests and one-off files.
class CountingControlNumbers : public ControlNumbers {
 public:
  explicit CountingControlNumbers(uint64_t interchange = 1, uint64_t group = 1, uint64_t set = 1)
      : next_{interchange, group, set} {}
  common::Result<uint64_t> next(ControlKind kind) override;

 private:
  uint64_t next_[3];
};

// A segment to write: its id and its elements (trailing empty elements are left out).
struct SegmentOut {
  std::string id;
  std::vector<std::string> elements;
};
// One transaction set's body, without ST and SE (the writer adds them with their counts).
struct SetOut {
  std::string id;  // ST01: "846"
  std::vector<SegmentOut> segments;
};

// When the interchange is written (ISA09/ISA10, GS04/GS05), from the caller's clock.
struct WriteTime {
  std::string ccyymmdd;  // "20261207"
  std::string hhmm;      // "1405"
  static WriteTime fromUnixMs(int64_t ms);  // UTC
};

// One interchange holding one functional group (GS01 functional_id) holding sets.
common::Result<std::string> writeInterchange(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                                             const std::string& functional_id, const std::vector<SetOut>& sets);

// TA1 for a received interchange (the partner's ISA13/ISA09/ISA10 and our note), in an
// interchange of its own with no groups (IEA01 = 0). The config is the one we send with.
common::Result<std::string> writeTa1(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                                     const Interchange& received);

// Decimal text X12 accepts for a price ("9.25", "13.79", "4.5", "12"): from a count of 1/100.
std::string decimalFromCents(int64_t cents);

}  // namespace sw::coordinator::edi
