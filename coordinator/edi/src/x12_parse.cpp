// The X12 envelope parser (x12.h): the ISA read at fixed offsets, then segment after segment
// through one small state machine (interchange -> group -> set), each check with its X12 code.

#include <algorithm>
#include <array>
#include <cstdio>

#include "sw/coordinator/edi/x12.h"

namespace sw::coordinator::edi {

namespace {

bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlnum(char c) { return isUpper(c) || isDigit(c) || (c >= 'a' && c <= 'z'); }
bool isBlank(char c) { return c == ' ' || c == '\t'; }
bool isLineEnd(char c) { return c == '\r' || c == '\n'; }

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isDigit);
}
bool allPrintable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string trimRight(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// A byte as a person reads it in a message: '*' or 0x0A.
std::string shown(char c) {
  if (c > 0x20 && c < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned char>(c));
  return buf;
}

// At most 40 printable characters of a value, for messages.
std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

std::string pad2(size_t n) { return n < 10 ? "0" + std::to_string(n) : std::to_string(n); }

bool validSegmentId(std::string_view id) {
  if (id.size() < 2 || id.size() > 3 || !isUpper(id[0])) return false;
  return std::all_of(id.begin() + 1, id.end(), [](char c) { return isUpper(c) || isDigit(c); });
}

void fail(Interchange& ic, int note, const std::string& message) {
  if (ic.note != ta1::kNoError) return;  // the first problem is the one answered
  ic.note = note;
  ic.message = message;
}

void fail(FunctionalGroup& g, int code, const std::string& message) {
  if (std::find(g.codes.begin(), g.codes.end(), code) == g.codes.end()) g.codes.push_back(code);
  if (g.message.empty()) g.message = message;
}

void fail(TransactionSet& s, int code, const std::string& message) {
  if (std::find(s.codes.begin(), s.codes.end(), code) == s.codes.end()) s.codes.push_back(code);
  if (s.message.empty()) s.message = message;
}

// ISA01..ISA15 widths, and the TA1 note code for a bad value in each.
constexpr std::array<size_t, 16> kIsaWidth = {0, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1};
constexpr std::array<int, 16> kIsaNote = {0,
                                          ta1::kBadAuthorizationQualifier,
                                          ta1::kBadAuthorization,
                                          ta1::kBadSecurityQualifier,
                                          ta1::kBadSecurity,
                                          ta1::kBadSenderQualifier,
                                          ta1::kBadSenderId,
                                          ta1::kBadReceiverQualifier,
                                          ta1::kBadReceiverId,
                                          ta1::kBadDate,
                                          ta1::kBadTime,
                                          ta1::kBadStandardsId,
                                          ta1::kBadVersion,
                                          ta1::kBadControlNumber,
                                          ta1::kBadAckRequested,
                                          ta1::kBadUsageIndicator};
constexpr size_t kIsaLength = 106;

bool validQualifier(std::string_view q) {
  return q.size() == 2 && std::all_of(q.begin(), q.end(), [](char c) { return isUpper(c) || isDigit(c); });
}

bool validYymmdd(std::string_view d) {
  if (d.size() != 6 || !allDigits(d)) return false;
  int month = (d[2] - '0') * 10 + (d[3] - '0');
  int day = (d[4] - '0') * 10 + (d[5] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool validHhmm(std::string_view t) {
  if (t.size() != 4 || !allDigits(t)) return false;
  return (t[0] - '0') * 10 + (t[1] - '0') < 24 && (t[2] - '0') * 10 + (t[3] - '0') < 60;
}

// Reads the ISA at data[0..]: the separators from it, its fields into ic. Returns how many bytes
// it took (through its terminator), or 0 when it cannot be read far enough to go on.
size_t readIsa(std::string_view data, Interchange& ic) {
  if (data.size() < 3 || data.substr(0, 3) != "ISA") {
    fail(ic, ta1::kBadControlStructure, "no ISA segment where an interchange must start (found '" + excerpt(data.substr(0, 3)) + "')");
    return 0;
  }
  if (data.size() < 4) {
    fail(ic, ta1::kPrematureEnd, "the file ends inside the ISA segment");
    return 0;
  }
  const char es = data[3];
  // Delimiters may be punctuation or control characters (0x1C..0x1F are common), never letters,
  // digits or a space; line ends only as the segment terminator.
  if (isAlnum(es) || es == ' ' || isLineEnd(es)) {
    fail(ic, ta1::kBadElementSeparator,
         "the element separator (ISA offset 3) is " + shown(es) + ", which cannot be a delimiter");
    return 0;
  }
  std::array<std::string_view, 16> field;
  size_t cursor = 4;
  for (size_t i = 1; i <= 15; ++i) {
    size_t end = data.find(es, cursor);
    if (end == std::string_view::npos) {
      fail(ic, ta1::kPrematureEnd, "the file ends inside the ISA segment (at ISA" + pad2(i) + ")");
      return 0;
    }
    field[i] = data.substr(cursor, end - cursor);
    cursor = end + 1;
  }
  if (cursor + 2 > data.size()) {
    fail(ic, ta1::kPrematureEnd, "the file ends inside the ISA segment (at ISA16 or its terminator)");
    return 0;
  }
  const char cs = data[cursor];
  const char ts = data[cursor + 1];
  const size_t taken = cursor + 2;

  ic.header_read = true;
  ic.authorization_qualifier = std::string(field[1]);
  ic.authorization = std::string(field[2]);
  ic.security_qualifier = std::string(field[3]);
  ic.security = std::string(field[4]);
  ic.sender_qualifier = std::string(field[5]);
  ic.sender_id = trimRight(field[6]);
  ic.receiver_qualifier = std::string(field[7]);
  ic.receiver_id = trimRight(field[8]);
  ic.date = std::string(field[9]);
  ic.time = std::string(field[10]);
  ic.standards_id = std::string(field[11]);
  ic.version = std::string(field[12]);
  ic.control = std::string(field[13]);
  ic.ack_requested = std::string(field[14]);
  ic.usage = std::string(field[15]);
  ic.separators.element = es;
  ic.separators.component = cs;
  ic.separators.segment = ts;

  bool delimiters_ok = true;
  if (isAlnum(cs) || cs == ' ' || isLineEnd(cs) || cs == es) {
    fail(ic, ta1::kBadComponentSeparator,
         "the component separator (ISA16) is " + shown(cs) + ", which cannot be a delimiter");
    delimiters_ok = false;
  }
  if (isAlnum(ts) || ts == ' ' || ts == es || ts == cs) {
    fail(ic, ta1::kBadSegmentTerminator,
         "the segment terminator (after ISA16) is " + shown(ts) + ", which cannot be a delimiter");
    delimiters_ok = false;
  }
  for (size_t i = 1; i <= 15; ++i) {
    if (field[i].size() != kIsaWidth[i]) {
      std::string why;
      if (field[i].find("\xC2\xA0") != std::string_view::npos) {
        why = ", padded with no-break spaces (U+00A0, bytes C2 A0) where X12 needs ASCII spaces";
      } else if (std::any_of(field[i].begin(), field[i].end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
        why = ", with bytes that are not ASCII";
      } else if (i == 6 || i == 8 || i == 2 || i == 4) {
        why = " (it must be padded with spaces to its full width)";
      }
      fail(ic, kIsaNote[i],
           "ISA" + pad2(i) + " is " + std::to_string(field[i].size()) + " bytes, must be " +
               std::to_string(kIsaWidth[i]) + why + ": the ISA is fixed width, " + std::to_string(kIsaLength) +
               " characters");
    }
  }
  if (!allDigits(field[1])) fail(ic, ta1::kBadAuthorizationQualifier, "ISA01 '" + excerpt(field[1]) + "' is not a qualifier code");
  if (!allPrintable(field[2])) fail(ic, ta1::kBadAuthorization, "ISA02 holds a byte that is not printable ASCII");
  if (field[3] != "00" && field[3] != "01") fail(ic, ta1::kBadSecurityQualifier, "ISA03 '" + excerpt(field[3]) + "' must be 00 or 01");
  if (!allPrintable(field[4])) fail(ic, ta1::kBadSecurity, "ISA04 holds a byte that is not printable ASCII");
  if (!validQualifier(field[5])) fail(ic, ta1::kBadSenderQualifier, "ISA05 '" + excerpt(field[5]) + "' is not an id qualifier");
  if (!allPrintable(field[6]) || ic.sender_id.empty()) fail(ic, ta1::kBadSenderId, "ISA06 (sender id) is blank or not printable ASCII");
  if (!validQualifier(field[7])) fail(ic, ta1::kBadReceiverQualifier, "ISA07 '" + excerpt(field[7]) + "' is not an id qualifier");
  if (!allPrintable(field[8]) || ic.receiver_id.empty()) fail(ic, ta1::kBadReceiverId, "ISA08 (receiver id) is blank or not printable ASCII");
  if (!validYymmdd(field[9])) fail(ic, ta1::kBadDate, "ISA09 '" + excerpt(field[9]) + "' is not a date YYMMDD");
  if (!validHhmm(field[10])) fail(ic, ta1::kBadTime, "ISA10 '" + excerpt(field[10]) + "' is not a time HHMM");
  if (!allDigits(field[12])) fail(ic, ta1::kBadVersion, "ISA12 '" + excerpt(field[12]) + "' is not a version number");
  if (field[12].size() == 5 && allDigits(field[12]) && field[12] >= "00402") {
    // From 00402 on, ISA11 is the repetition separator.
    char rs = field[11].empty() ? 'U' : field[11][0];
    if (field[11].size() != 1 || isAlnum(rs) || rs == ' ' || isLineEnd(rs) || rs == es || rs == cs || rs == ts) {
      fail(ic, ta1::kBadStandardsId, "ISA11 '" + excerpt(field[11]) + "' must be a repetition separator from version 00402 on");
    } else {
      ic.separators.repetition = rs;
    }
  } else if (field[11] != "U") {
    fail(ic, ta1::kBadStandardsId, "ISA11 '" + excerpt(field[11]) + "' must be U before version 00402");
  }
  if (!allDigits(field[13])) fail(ic, ta1::kBadControlNumber, "ISA13 '" + excerpt(field[13]) + "' is not a 9-digit control number");
  if (field[14] != "0" && field[14] != "1") fail(ic, ta1::kBadAckRequested, "ISA14 '" + excerpt(field[14]) + "' must be 0 or 1");
  if (field[15] != "P" && field[15] != "T") fail(ic, ta1::kBadUsageIndicator, "ISA15 '" + excerpt(field[15]) + "' must be P or T");
  return delimiters_ok ? taken : 0;
}

// Segment after segment from data, delimiters from the ISA.
class SegmentReader {
 public:
  SegmentReader(std::string_view data, size_t pos, const Separators& sep, std::vector<std::string>& warnings,
                bool& warned_indent)
      : data_(data), pos_(pos), sep_(sep), warnings_(warnings), warned_indent_(warned_indent) {}

  struct Raw {
    std::string_view text;
    size_t offset = 0;
    bool terminated = true;
  };

  // The next segment, or none at the end of the data. Line ends before a segment are skipped;
  // blanks (indentation) too, with one warning per file.
  std::optional<Raw> next() {
    skipSpace();
    if (pos_ >= data_.size()) return std::nullopt;
    Raw raw;
    raw.offset = pos_;
    size_t end = data_.find(sep_.segment, pos_);
    if (end == std::string_view::npos) {
      raw.text = data_.substr(pos_);
      raw.terminated = false;
      pos_ = data_.size();
    } else {
      raw.text = data_.substr(pos_, end - pos_);
      pos_ = end + 1;
    }
    if (sep_.segment == '\n' && !raw.text.empty() && raw.text.back() == '\r') raw.text.remove_suffix(1);
    return raw;
  }

  size_t pos() const { return pos_; }
  void rewindTo(size_t pos) { pos_ = pos; }

 private:
  void skipSpace() {
    while (pos_ < data_.size()) {
      char c = data_[pos_];
      if (isLineEnd(c) && c != sep_.element) {
        ++pos_;
      } else if (isBlank(c) && c != sep_.element && c != sep_.segment) {
        if (!warned_indent_) {
          warnings_.push_back("blanks (spaces or tabs) before segments were skipped; X12 has none");
          warned_indent_ = true;
        }
        ++pos_;
      } else {
        break;
      }
    }
  }

  std::string_view data_;
  size_t pos_;
  Separators sep_;
  std::vector<std::string>& warnings_;
  bool& warned_indent_;
};

Segment split(std::string_view text, char es) {
  Segment s;
  size_t end = text.find(es);
  s.id = std::string(text.substr(0, end));
  while (end != std::string_view::npos) {
    size_t start = end + 1;
    end = text.find(es, start);
    s.elements.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
  }
  return s;
}

// AK4 notes for the elements of a segment inside a set: too long, or bytes no X12 character set has.
std::vector<ElementNote> elementNotes(const Segment& s) {
  std::vector<ElementNote> notes;
  for (size_t i = 0; i < s.elements.size(); ++i) {
    const std::string& e = s.elements[i];
    if (e.size() > kMaxElementLength) {
      notes.push_back({i + 1, ak4::kTooLong, e.substr(0, 99)});
    } else if (std::any_of(e.begin(), e.end(), [](char c) { return (c >= 0 && c < 0x20) || c == 0x7f; })) {
      notes.push_back({i + 1, ak4::kInvalidCharacter, excerpt(e)});
    }
  }
  return notes;
}

void finishSet(TransactionSet& s) { s.status = s.codes.empty() ? AckStatus::kAccepted : AckStatus::kRejected; }

void finishGroup(FunctionalGroup& g) {
  if (!g.codes.empty()) {
    g.status = AckStatus::kRejected;
    return;
  }
  size_t accepted = g.acceptedSets();
  if (accepted == g.sets.size()) {
    g.status = AckStatus::kAccepted;
  } else if (accepted == 0) {
    g.status = AckStatus::kRejected;
  } else {
    g.status = AckStatus::kPartial;
  }
}

// One interchange from data[start..] (an ISA there). Returns where the next one may start.
size_t readInterchange(std::string_view data, size_t start, Interchange& ic, std::vector<std::string>& warnings,
                       bool& warned_indent) {
  size_t isa_len = readIsa(data.substr(start), ic);
  if (isa_len == 0) return data.size();  // nothing after an unreadable ISA can be trusted
  const Separators sep = ic.separators;
  SegmentReader reader(data, start + isa_len, sep, warnings, warned_indent);

  FunctionalGroup* group = nullptr;
  TransactionSet* set = nullptr;
  TransactionSet stray;  // a set outside any group: read to its end, reported, kept nowhere
  std::set<std::string> group_controls;
  std::set<std::string> set_controls;
  size_t outside_position = 1;  // segments outside sets, ISA = 1

  auto closeSet = [&](const std::string& why) {
    if (!set) return;
    fail(*set, ak5::kTrailerMissing, "transaction set " + set->control + " has no SE: " + why);
    finishSet(*set);
    set = nullptr;
  };
  auto closeGroup = [&](const std::string& why) {
    if (!group) return;
    fail(*group, ak9::kTrailerMissing, "functional group " + group->control + " has no GE: " + why);
    finishGroup(*group);
    group = nullptr;
  };

  while (true) {
    auto raw = reader.next();
    if (!raw) {
      closeSet("the file ends first");
      closeGroup("the file ends first");
      fail(ic, ta1::kPrematureEnd, "the file ends before the IEA of interchange " + ic.control);
      return data.size();
    }
    if (!raw->terminated) {
      closeSet("the file ends inside a segment");
      closeGroup("the file ends inside a segment");
      fail(ic, ta1::kPrematureEnd,
           "the last segment '" + excerpt(raw->text) + "' has no segment terminator " + shown(sep.segment) +
               " (the file is cut short)");
      return data.size();
    }
    Segment seg = split(raw->text, sep.element);
    if (set) seg.position = set->segments.size() + 1;
    else seg.position = ++outside_position;

    if (!validSegmentId(seg.id)) {
      if (set) {
        SegmentNote note{excerpt(seg.id), seg.position, ak3::kUnrecognizedSegment, {},
                         "segment " + std::to_string(seg.position) + " '" + excerpt(raw->text) + "' has no valid segment id"};
        fail(*set, ak5::kSegmentsInError, note.message);
        set->notes.push_back(std::move(note));
        set->segments.push_back(std::move(seg));
      } else {
        fail(ic, ta1::kBadContent,
             "'" + excerpt(raw->text) + "' at byte " + std::to_string(raw->offset) + " is not a segment");
      }
      continue;
    }

    if (seg.id == "ISA") {
      closeSet("another ISA starts");
      closeGroup("another ISA starts");
      fail(ic, ta1::kBadControlStructure, "interchange " + ic.control + " has no IEA before the next ISA");
      return raw->offset;
    }
    if (seg.id == "IEA") {
      closeSet("the IEA comes first");
      closeGroup("the IEA comes first");
      const std::string& count = seg.element(1);
      if (!allDigits(count) || count.size() > 5) {
        fail(ic, ta1::kBadGroupCount, "IEA01 '" + excerpt(count) + "' is not a group count");
      } else if (std::stoul(count) != ic.groups.size()) {
        fail(ic, ta1::kBadGroupCount,
             "IEA01 says " + count + " functional groups, the interchange has " + std::to_string(ic.groups.size()));
      }
      if (seg.element(2) != ic.control) {
        fail(ic, ta1::kControlNumberMismatch,
             "IEA02 '" + excerpt(seg.element(2)) + "' is not the ISA13 control number " + ic.control);
      }
      if (seg.elements.size() > 2) fail(ic, ta1::kBadControlStructure, "IEA has more than 2 elements");
      return reader.pos();
    }
    if (seg.id == "GS") {
      closeSet("a GS starts");
      closeGroup("another GS starts");
      FunctionalGroup& g = ic.groups.emplace_back();
      group = &g;
      set_controls.clear();
      g.functional_id = seg.element(1);
      g.sender = seg.element(2);
      g.receiver = seg.element(3);
      g.date = seg.element(4);
      g.time = seg.element(5);
      g.control = seg.element(6);
      g.agency = seg.element(7);
      g.version = seg.element(8);
      if (g.functional_id.size() != 2 || !isUpper(g.functional_id[0]) || !isUpper(g.functional_id[1])) {
        fail(g, ak9::kNotSupported, "GS01 '" + excerpt(g.functional_id) + "' is not a functional id code");
      }
      if (g.version.empty() || g.version.size() > 12) {
        fail(g, ak9::kVersionNotSupported, "GS08 (version) is missing or too long");
      }
      if (!allDigits(g.control) || g.control.size() > 9) {
        fail(g, ak9::kBadControlNumber, "GS06 '" + excerpt(g.control) + "' is not a group control number of 1 to 9 digits");
      } else if (!group_controls.insert(g.control).second) {
        fail(g, ak9::kControlNumberNotUnique, "GS06 " + g.control + " is used by another group of this interchange");
      }
      continue;
    }
    if (seg.id == "GE") {
      closeSet("the GE comes first");
      if (!group) {
        fail(ic, ta1::kBadControlStructure, "GE at segment " + std::to_string(seg.position) + " closes no GS");
        continue;
      }
      FunctionalGroup& g = *group;
      g.declared_sets = seg.element(1);
      if (!allDigits(seg.element(1)) || seg.element(1).size() > 6) {
        fail(g, ak9::kSetCountMismatch, "GE01 '" + excerpt(seg.element(1)) + "' is not a set count");
      } else if (std::stoul(seg.element(1)) != g.sets.size()) {
        fail(g, ak9::kSetCountMismatch,
             "GE01 says " + seg.element(1) + " transaction sets, group " + g.control + " has " + std::to_string(g.sets.size()));
      }
      if (seg.element(2) != g.control) {
        fail(g, ak9::kControlNumberMismatch, "GE02 '" + excerpt(seg.element(2)) + "' is not the GS06 control number " + g.control);
      }
      finishGroup(g);
      group = nullptr;
      continue;
    }
    if (seg.id == "ST") {
      closeSet("another ST starts");
      if (!group) {
        fail(ic, ta1::kBadControlStructure, "ST at segment " + std::to_string(seg.position) + " is outside any functional group");
        stray = TransactionSet{};
        set = &stray;
      } else {
        set = &group->sets.emplace_back();
      }
      TransactionSet& s = *set;
      s.id = seg.element(1);
      s.control = seg.element(2);
      seg.position = 1;
      if (s.id.size() != 3 || !allDigits(s.id)) {
        fail(s, ak5::kBadSetId, "ST01 '" + excerpt(s.id) + "' is not a transaction set id");
      } else if (group && !functionalIdFor(s.id).empty() && functionalIdFor(s.id) != group->functional_id) {
        fail(s, ak5::kBadSetId, "a " + s.id + " belongs in a " + functionalIdFor(s.id) + " group, not " + group->functional_id);
      }
      if (s.control.size() < 4 || s.control.size() > 9 || !std::all_of(s.control.begin(), s.control.end(), isAlnum)) {
        fail(s, ak5::kBadControlNumber, "ST02 '" + excerpt(s.control) + "' is not a set control number of 4 to 9 characters");
      } else if (group && !set_controls.insert(s.control).second) {
        fail(s, ak5::kControlNumberNotUnique, "ST02 " + s.control + " is used by another set of group " + group->control);
      }
      s.segments.push_back(std::move(seg));
      continue;
    }
    if (seg.id == "SE") {
      if (!set) {
        fail(ic, ta1::kBadControlStructure, "SE at segment " + std::to_string(seg.position) + " closes no ST");
        continue;
      }
      TransactionSet& s = *set;
      s.segments.push_back(seg);
      const std::string& count = seg.element(1);
      if (!allDigits(count) || count.size() > 10) {
        fail(s, ak5::kSegmentCountMismatch, "SE01 '" + excerpt(count) + "' is not a segment count");
      } else if (std::stoull(count) != s.segments.size()) {
        fail(s, ak5::kSegmentCountMismatch,
             "SE01 says " + count + " segments, set " + s.control + " has " + std::to_string(s.segments.size()) +
                 " (ST and SE included)");
      }
      if (seg.element(2) != s.control) {
        fail(s, ak5::kControlNumberMismatch, "SE02 '" + excerpt(seg.element(2)) + "' is not the ST02 control number " + s.control);
      }
      finishSet(s);
      set = nullptr;
      continue;
    }
    if (!set) {
      if (seg.id == "TA1" && !group) {
        ic.ta1s.push_back(std::move(seg));
      } else {
        fail(ic, ta1::kBadControlStructure,
             "segment " + seg.id + " at byte " + std::to_string(raw->offset) + " is outside any transaction set");
      }
      continue;
    }
    auto notes = elementNotes(seg);
    if (!notes.empty()) {
      std::string what = notes.front().code == ak4::kTooLong
                             ? " is longer than " + std::to_string(kMaxElementLength) + " characters"
                             : " holds a control character";
      SegmentNote note{seg.id, seg.position, ak3::kHasElementErrors, std::move(notes), ""};
      note.message = seg.id + pad2(note.elements.front().position) + " (segment " + std::to_string(seg.position) + ")" + what;
      fail(*set, ak5::kSegmentsInError, note.message);
      set->notes.push_back(std::move(note));
    }
    set->segments.push_back(std::move(seg));
  }
}

}  // namespace

const std::string& Segment::element(size_t n) const {
  static const std::string kEmpty;
  return n >= 1 && n <= elements.size() ? elements[n - 1] : kEmpty;
}

std::vector<std::string> Segment::components(size_t n, const Separators& separators) const {
  std::vector<std::string> out;
  const std::string& e = element(n);
  size_t start = 0;
  while (true) {
    size_t end = e.find(separators.component, start);
    out.push_back(e.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

const char* ackStatusText(AckStatus status) {
  switch (status) {
    case AckStatus::kAccepted: return "accepted";
    case AckStatus::kAcceptedWithErrors: return "accepted_with_errors";
    case AckStatus::kPartial: return "partial";
    case AckStatus::kRejected: return "rejected";
  }
  return "rejected";
}

size_t FunctionalGroup::acceptedSets() const {
  return static_cast<size_t>(std::count_if(sets.begin(), sets.end(), [](const TransactionSet& s) {
    return s.status == AckStatus::kAccepted || s.status == AckStatus::kAcceptedWithErrors;
  }));
}

bool ParsedFile::clean() const {
  for (const Interchange& ic : interchanges) {
    if (!ic.accepted()) return false;
    for (const FunctionalGroup& g : ic.groups) {
      if (g.status != AckStatus::kAccepted) return false;
    }
  }
  return !interchanges.empty();
}

std::string ParsedFile::firstProblem() const {
  auto note3 = [](int code) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%03d", code);
    return std::string(buf);
  };
  for (const Interchange& ic : interchanges) {
    std::string where = ic.header_read ? "interchange " + ic.control : "interchange";
    if (!ic.accepted()) return where + ": TA1 note " + note3(ic.note) + ": " + ic.message;
    for (const FunctionalGroup& g : ic.groups) {
      if (!g.codes.empty()) return where + ", group " + g.control + ": AK9 code " + std::to_string(g.codes.front()) + ": " + g.message;
      for (const TransactionSet& s : g.sets) {
        if (!s.codes.empty()) {
          return where + ", group " + g.control + ", set " + s.control + ": AK5 code " + std::to_string(s.codes.front()) + ": " +
                 s.message;
        }
      }
    }
  }
  return "";
}

ParsedFile parseX12(std::string_view data) {
  ParsedFile file;
  bool warned_indent = false;
  if (data.substr(0, 3) == "\xEF\xBB\xBF") {
    file.warnings.push_back("a UTF-8 byte order mark before the ISA was skipped");
    data.remove_prefix(3);
  }
  size_t pos = 0;
  while (true) {
    while (pos < data.size() && (isLineEnd(data[pos]) || isBlank(data[pos]))) {
      if (isBlank(data[pos]) && !warned_indent) {
        file.warnings.push_back("blanks (spaces or tabs) before segments were skipped; X12 has none");
        warned_indent = true;
      }
      ++pos;
    }
    if (pos >= data.size()) break;
    Interchange& ic = file.interchanges.emplace_back();
    pos = readInterchange(data, pos, ic, file.warnings, warned_indent);
  }
  if (file.interchanges.empty()) {
    Interchange& ic = file.interchanges.emplace_back();
    fail(ic, ta1::kPrematureEnd, "the file is empty: no ISA segment");
  }
  return file;
}

InterchangeKey keyOf(const Interchange& interchange) {
  return {interchange.sender_qualifier, interchange.sender_id, interchange.control};
}

bool isDuplicate(const std::set<InterchangeKey>& seen, const Interchange& interchange) {
  return interchange.header_read && seen.count(keyOf(interchange)) > 0;
}

bool rejectIfDuplicate(const std::set<InterchangeKey>& seen, Interchange& interchange) {
  if (!isDuplicate(seen, interchange)) return false;
  interchange.note = ta1::kDuplicate;
  interchange.message = "interchange " + interchange.control + " from " + interchange.sender_qualifier + "/" +
                        interchange.sender_id + " was received before (duplicate ISA13)";
  return true;
}

std::string functionalIdFor(std::string_view set_id) {
  static const std::pair<std::string_view, std::string_view> kIds[] = {
      {"846", "IB"}, {"850", "PO"}, {"855", "PR"}, {"856", "SH"}, {"810", "IN"}, {"997", "FA"}, {"860", "PC"}, {"865", "CA"}};
  for (const auto& [set, fid] : kIds) {
    if (set == set_id) return std::string(fid);
  }
  return "";
}

}  // namespace sw::coordinator::edi
