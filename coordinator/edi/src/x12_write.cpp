// Envelopes for what we send (x12_write.h): ISA/GS around the sets, counts and control numbers
// written so the parser's own checks pass, every value checked against the separators.

#include "sw/coordinator/edi/x12_write.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace sw::coordinator::edi {

using common::Error;
using common::Result;

namespace {

bool isAlnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string zeroPadded(uint64_t n, size_t width) {
  std::string s = std::to_string(n);
  return s.size() >= width ? s : std::string(width - s.size(), '0') + s;
}

std::string spacePadded(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

Error badValue(const std::string& message) { return Error::reject("x12_bad_value", message); }

// Writes segments with one partner's separators, refusing a value that holds one of them.
class SegmentWriter {
 public:
  explicit SegmentWriter(const PartnerConfig& c) : c_(c) {}

  common::Status add(const SegmentOut& s) {
    size_t last = s.elements.size();
    while (last > 0 && s.elements[last - 1].empty()) --last;  // no trailing empty elements
    std::string text = s.id;
    for (size_t i = 0; i < last; ++i) {
      const std::string& e = s.elements[i];
      if (auto bad = badChar(e)) {
        return badValue(s.id + (i + 1 < 10 ? "0" : "") + std::to_string(i + 1) + " '" + e + "' holds " + *bad);
      }
      if (e.size() > kMaxElementLength) return badValue(s.id + " element " + std::to_string(i + 1) + " is too long");
      text += c_.separators.element;
      text += e;
    }
    out_ += text;
    out_ += c_.separators.segment;
    if (c_.line_break_after_segment && c_.separators.segment != '\n') out_ += '\n';
    ++count_;
    return {};
  }
  void addRaw(const std::string& text) {  // the ISA, built to its fixed width
    out_ += text;
    out_ += c_.separators.segment;
    if (c_.line_break_after_segment && c_.separators.segment != '\n') out_ += '\n';
  }

  size_t count() const { return count_; }
  void resetCount() { count_ = 0; }
  std::string take() { return std::move(out_); }

 private:
  std::optional<std::string> badChar(const std::string& e) const {
    const Separators& s = c_.separators;
    for (char ch : e) {
      if (ch == s.element || ch == s.component || ch == s.segment || (s.repetition && ch == *s.repetition && repeats())) {
        return std::string("a separator character '") + ch + "'";
      }
      if ((ch >= 0 && ch < 0x20) || ch == 0x7f) return std::string("a control character");
    }
    return std::nullopt;
  }
  bool repeats() const { return c_.version >= "00402"; }

  const PartnerConfig& c_;
  std::string out_;
  size_t count_ = 0;
};

std::string isaText(const PartnerConfig& c, const WriteTime& t, const std::string& control) {
  const char es = c.separators.element;
  std::string standards = c.version >= "00402" ? std::string(1, c.separators.repetition.value_or('^')) : "U";
  std::string isa = "ISA";
  for (const std::string& f :
       {std::string("00"), std::string(10, ' '), std::string("00"), std::string(10, ' '), c.sender_qualifier,
        spacePadded(c.sender_id, 15), c.receiver_qualifier, spacePadded(c.receiver_id, 15), t.ccyymmdd.substr(2),
        t.hhmm, standards, c.version, control, std::string(c.request_ta1 ? "1" : "0"), std::string(1, c.usage),
        std::string(1, c.separators.component)}) {
    isa += es;
    isa += f;
  }
  return isa;
}

Result<std::string> controlNumber(ControlNumbers& numbers, ControlKind kind, size_t width, const char* what) {
  auto n = numbers.next(kind);
  if (!n) return n.error();
  if (*n == 0 || *n > 999999999) return badValue(std::string(what) + " control number " + std::to_string(*n) + " is not 1..999999999");
  return zeroPadded(*n, width);
}

common::Status checkTime(const WriteTime& t) {
  auto digits = [](const std::string& s) { return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (t.ccyymmdd.size() != 8 || !digits(t.ccyymmdd) || t.hhmm.size() != 4 || !digits(t.hhmm)) {
    return badValue("the write time must be CCYYMMDD and HHMM");
  }
  return {};
}

}  // namespace

common::Status checkPartnerConfig(const PartnerConfig& c) {
  auto qualifier = [](const std::string& q) { return q.size() == 2 && isAlnum(q[0]) && isAlnum(q[1]); };
  auto id = [](const std::string& s) {
    return !s.empty() && s.size() <= 15 && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; });
  };
  if (!qualifier(c.sender_qualifier) || !qualifier(c.receiver_qualifier)) return badValue("ISA id qualifiers must be 2 letters or digits");
  if (!id(c.sender_id) || !id(c.receiver_id)) return badValue("ISA sender and receiver ids must be 1 to 15 printable characters");
  if (c.version.size() != 5 || !std::all_of(c.version.begin(), c.version.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return badValue("version (ISA12) must be 5 digits, e.g. 00401");
  }
  if (c.gs_version.empty() || c.gs_version.size() > 12) return badValue("gs_version (GS08) must be 1 to 12 characters, e.g. 004010");
  if (c.usage != 'P' && c.usage != 'T') return badValue("usage (ISA15) must be P or T");
  const Separators& s = c.separators;
  std::vector<char> seps = {s.element, s.component, s.segment};
  if (c.version >= "00402") {
    if (!s.repetition) return badValue("from version 00402 on a repetition separator (ISA11) is needed");
    seps.push_back(*s.repetition);
  }
  for (size_t i = 0; i < seps.size(); ++i) {
    char ch = seps[i];
    bool line_end = ch == '\n' || ch == '\r';
    if (isAlnum(ch) || ch == ' ' || ch == '\0' || (line_end && i != 2)) {
      return badValue("separator " + std::to_string(static_cast<int>(static_cast<unsigned char>(ch))) + " cannot be a delimiter");
    }
    for (size_t j = 0; j < i; ++j) {
      if (seps[j] == ch) return badValue("the separators must all differ");
    }
  }
  for (const std::string& v : {c.sender_id, c.receiver_id, c.gs_sender, c.gs_receiver}) {
    for (char ch : seps) {
      if (v.find(ch) != std::string::npos) return badValue("id '" + v + "' holds a separator");
    }
  }
  return {};
}

Result<uint64_t> CountingControlNumbers::next(ControlKind kind) {
  uint64_t& n = next_[static_cast<int>(kind)];
  if (n > 999999999) return Error::reject("control_numbers_exhausted", "no control number left (999999999 used)");
  return n++;
}

WriteTime WriteTime::fromUnixMs(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[32], time[32];
  std::snprintf(date, sizeof date, "%04d%02d%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday);
  std::snprintf(time, sizeof time, "%02d%02d", tm.tm_hour, tm.tm_min);
  return {date, time};
}

Result<std::string> writeInterchange(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                                     const std::string& functional_id, const std::vector<SetOut>& sets) {
  if (auto ok = checkPartnerConfig(config); !ok) return ok.error();
  if (auto ok = checkTime(time); !ok) return ok.error();
  auto isa13 = controlNumber(numbers, ControlKind::kInterchange, 9, "interchange");
  if (!isa13) return isa13.error();
  auto gs06 = controlNumber(numbers, ControlKind::kGroup, 1, "group");
  if (!gs06) return gs06.error();

  SegmentWriter w(config);
  w.addRaw(isaText(config, time, *isa13));
  if (auto ok = w.add({"GS",
                       {functional_id, config.gs_sender.empty() ? config.sender_id : config.gs_sender,
                        config.gs_receiver.empty() ? config.receiver_id : config.gs_receiver, time.ccyymmdd, time.hhmm,
                        *gs06, "X", config.gs_version}});
      !ok) {
    return ok.error();
  }
  for (const SetOut& set : sets) {
    auto st02 = controlNumber(numbers, ControlKind::kSet, 4, "set");
    if (!st02) return st02.error();
    w.resetCount();
    if (auto ok = w.add({"ST", {set.id, *st02}}); !ok) return ok.error();
    for (const SegmentOut& s : set.segments) {
      if (auto ok = w.add(s); !ok) return ok.error();
    }
    if (auto ok = w.add({"SE", {std::to_string(w.count() + 1), *st02}}); !ok) return ok.error();
  }
  if (auto ok = w.add({"GE", {std::to_string(sets.size()), *gs06}}); !ok) return ok.error();
  if (auto ok = w.add({"IEA", {"1", *isa13}}); !ok) return ok.error();
  return w.take();
}

Result<std::string> writeTa1(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                             const Interchange& received) {
  if (!received.header_read) return badValue("a TA1 needs the received ISA (ISA13, ISA09, ISA10); it could not be read");
  if (auto ok = checkPartnerConfig(config); !ok) return ok.error();
  if (auto ok = checkTime(time); !ok) return ok.error();
  auto isa13 = controlNumber(numbers, ControlKind::kInterchange, 9, "interchange");
  if (!isa13) return isa13.error();
  char note[8];
  std::snprintf(note, sizeof note, "%03d", received.note);
  const char* status = received.accepted() ? "A" : "R";
  SegmentWriter w(config);
  w.addRaw(isaText(config, time, *isa13));
  if (auto ok = w.add({"TA1", {received.control, received.date, received.time, status, note}}); !ok) return ok.error();
  if (auto ok = w.add({"IEA", {"0", *isa13}}); !ok) return ok.error();
  return w.take();
}

std::string decimalFromCents(int64_t cents) {
  bool negative = cents < 0;
  uint64_t v = negative ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  std::string out = std::to_string(v / 100);
  uint64_t frac = v % 100;
  if (frac != 0) {
    out += '.';
    out += static_cast<char>('0' + frac / 10);
    if (frac % 10 != 0) out += static_cast<char>('0' + frac % 10);
  }
  return negative ? "-" + out : out;
}

}  // namespace sw::coordinator::edi
