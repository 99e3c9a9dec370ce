#include "sw/fw/scale.h"

#include <chrono>
#include <sstream>
#include <vector>

namespace sw::fw {

using common::Error;
using common::Result;

namespace {

__extension__ typedef __int128 Int128;  // exact money arithmetic (weight x unit price)

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(' ');
  return std::string(s.substr(b, e - b + 1));
}

WeightReading statusOnly(WeightStatus s, std::string unit) {
  WeightReading r;
  r.status = s;
  r.unit = std::move(unit);
  return r;
}

}  // namespace

const char* weightStatusName(WeightStatus s) {
  switch (s) {
    case WeightStatus::kStable: return "stable";
    case WeightStatus::kMotion: return "motion";
    case WeightStatus::kOverRange: return "over_range";
    case WeightStatus::kUnderZero: return "under_zero";
    case WeightStatus::kNoReading: return "no_reading";
  }
  return "?";
}

std::string WeightReading::valueText() const {
  bool neg = value < 0;
  std::string digits = std::to_string(neg ? -value : value);
  if (decimals > 0) {
    size_t d = static_cast<size_t>(decimals);
    if (digits.size() <= d) digits = std::string(d + 1 - digits.size(), '0') + digits;
    digits = digits.substr(0, digits.size() - d) + "." + digits.substr(digits.size() - d);
  }
  return neg ? "-" + digits : digits;
}

Result<ScaleProtocol> parseScaleProtocol(std::string_view name) {
  if (name == "toledo" || name == "sasi" || name == "8213") return ScaleProtocol::kToledo;
  if (name == "mt-sics" || name == "mtsics") return ScaleProtocol::kMtSics;
  if (name == "cas") return ScaleProtocol::kCas;
  return Error::reject("bad_protocol", "scale protocol must be toledo, mt-sics or cas");
}

Result<WeightReading> parseWeightNumber(std::string_view text) {
  std::string t = trim(text);
  WeightReading r;
  bool neg = false;
  size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) {
    neg = t[i] == '-';
    ++i;
  }
  while (i < t.size() && t[i] == ' ') ++i;  // "-  0.50"
  int64_t v = 0;
  int digits = 0;
  int decimals = -1;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c >= '0' && c <= '9') {
      if (digits >= 15) return Error::retry("scale_garbled", "weight has too many digits");
      v = v * 10 + (c - '0');
      ++digits;
      if (decimals >= 0) ++decimals;
    } else if (c == '.' && decimals < 0) {
      decimals = 0;
    } else {
      return Error::retry("scale_garbled", "unexpected character in weight");
    }
  }
  if (digits == 0) return Error::retry("scale_garbled", "no digits in weight");
  r.status = WeightStatus::kStable;
  r.value = neg ? -v : v;
  r.decimals = decimals < 0 ? 0 : decimals;
  if (neg) r.status = WeightStatus::kUnderZero;
  return r;
}

namespace toledo {

Result<WeightReading> parseReply(std::string_view body, const std::string& unit) {
  if (body.empty()) return Error::retry("scale_garbled", "empty reply from the scale");
  if (body[0] == '?') {
    if (body.size() < 2) return statusOnly(WeightStatus::kNoReading, unit);
    auto s = static_cast<uint8_t>(body[1]);
    // Datalogic documents letters: ?A motion, ?B over range, ?C under zero, ?D outside zero capture.
    if (s >= 'A' && s <= 'D') {
      switch (s) {
        case 'A': return statusOnly(WeightStatus::kMotion, unit);
        case 'B': return statusOnly(WeightStatus::kOverRange, unit);
        case 'C': return statusOnly(WeightStatus::kUnderZero, unit);
        default: return statusOnly(WeightStatus::kNoReading, unit);
      }
    }
    // Toledo status bits: 0 motion, 1 out of range, 2 under zero, 3 outside zero capture.
    if (s & 0x02) return statusOnly(WeightStatus::kOverRange, unit);
    if (s & 0x04) return statusOnly(WeightStatus::kUnderZero, unit);
    if (s & 0x01) return statusOnly(WeightStatus::kMotion, unit);
    return statusOnly(WeightStatus::kNoReading, unit);
  }
  auto r = parseWeightNumber(body);
  if (!r) return r;
  r->unit = unit;
  return r;
}

}  // namespace toledo

namespace mtsics {

Result<WeightReading> parseReply(std::string_view line) {
  std::istringstream ss{std::string(line)};
  std::vector<std::string> tok;
  for (std::string t; ss >> t;) tok.push_back(t);
  if (tok.empty()) return Error::retry("scale_garbled", "empty MT-SICS reply");
  if (tok[0] == "ES") return Error::reject("scale_syntax_error", "the balance did not understand the command (ES)");
  if (tok[0] == "ET") return Error::retry("scale_transmission_error", "the balance reported a transmission error (ET)");
  if (tok[0] == "EL") return Error::retry("scale_logical_error", "the balance could not run the command now (EL)");
  if ((tok[0] != "S" && tok[0] != "SI") || tok.size() < 2) return Error::retry("scale_garbled", "unexpected MT-SICS reply");
  const std::string& st = tok[1];
  if (st == "I") return statusOnly(WeightStatus::kNoReading, "");
  if (st == "+") return statusOnly(WeightStatus::kOverRange, "");
  if (st == "-") return statusOnly(WeightStatus::kUnderZero, "");
  if ((st != "S" && st != "D") || tok.size() < 4) return Error::retry("scale_garbled", "unexpected MT-SICS weight reply");
  // The value may be split from its sign: "S S -  0.50 g".
  std::string value;
  for (size_t i = 2; i + 1 < tok.size(); ++i) value += tok[i];
  auto r = parseWeightNumber(value);
  if (!r) return r;
  r->unit = tok.back();
  if (st == "D") r->status = WeightStatus::kMotion;
  return r;
}

}  // namespace mtsics

namespace cas {

uint8_t bcc(std::string_view s) {
  uint8_t x = 0;
  for (char c : s) x ^= static_cast<uint8_t>(c);
  return x;
}

std::string buildFrame(char sta, char sign, std::string_view weight6, std::string_view unit2) {
  std::string body;
  body += sta;
  body += sign;
  body += weight6;
  body += unit2;
  std::string f;
  f += kSoh;
  f += kStx;
  f += body;
  f += static_cast<char>(bcc(body));
  f += kEtx;
  f += kEot;
  return f;
}

Result<WeightReading> parseFrame(std::string_view f) {
  if (f.size() != 15 || f[0] != kSoh || f[1] != kStx || f[13] != kEtx || f[14] != kEot) {
    return Error::retry("scale_garbled", "CAS frame has the wrong shape");
  }
  std::string_view body = f.substr(2, 10);
  if (bcc(body) != static_cast<uint8_t>(f[12])) return Error::retry("scale_garbled", "CAS frame BCC mismatch");
  char sta = body[0], sign = body[1];
  std::string unit = trim(body.substr(8, 2));
  if (sign == 'F') return statusOnly(WeightStatus::kOverRange, unit);
  auto r = parseWeightNumber(body.substr(2, 6));
  if (!r) return r;
  r->unit = unit;
  if (sign == '-') {
    r->value = -r->value;
    r->status = WeightStatus::kUnderZero;
  } else if (sta == 'U') {
    r->status = WeightStatus::kMotion;
  } else if (sta != 'S') {
    return Error::retry("scale_garbled", "unknown CAS status byte");
  }
  return r;
}

}  // namespace cas

Result<std::string> Scale::exchange(const std::string& request, char end_byte, size_t min_len) {
  port_.discardInput();
  if (auto s = port_.write(request, options_.timeout_ms); !s) return s.error();
  std::string reply;
  int64_t deadline = nowMs() + options_.timeout_ms;
  uint8_t buf[64];
  while (true) {
    int64_t left = deadline - nowMs();
    if (left <= 0) return Error::retry("scale_timeout", "the scale did not answer in " + std::to_string(options_.timeout_ms) + " ms");
    auto n = port_.read(buf, sizeof buf, static_cast<int>(left));
    if (!n) return n.error();
    reply.append(reinterpret_cast<char*>(buf), *n);
    if (reply.size() > 256) return Error::retry("scale_garbled", "the scale sent too much data");
    size_t end = reply.find(end_byte);
    if (end != std::string::npos && end + 1 >= min_len) return reply.substr(0, end + 1);
  }
}

Result<WeightReading> Scale::read() {
  switch (protocol_) {
    case ScaleProtocol::kToledo: {
      auto reply = exchange("W", toledo::kCr);
      if (!reply) return reply.error();
      size_t stx = reply->rfind(toledo::kStx);
      if (stx == std::string::npos) return Error::retry("scale_garbled", "Toledo reply without STX");
      return toledo::parseReply(std::string_view(*reply).substr(stx + 1, reply->size() - stx - 2), options_.unit);
    }
    case ScaleProtocol::kMtSics: {
      auto reply = exchange("SI\r\n", '\n');
      if (!reply) return reply.error();
      std::string line = *reply;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      return mtsics::parseReply(line);
    }
    case ScaleProtocol::kCas: {
      auto ack = exchange(std::string(1, cas::kEnq), cas::kAck);
      if (!ack) return ack.error();
      auto frame = exchange(std::string(1, cas::kDc1), cas::kEot, 15);
      if (!frame) return frame.error();
      size_t soh = frame->rfind(cas::kSoh);
      if (soh == std::string::npos) return Error::retry("scale_garbled", "CAS reply without SOH");
      return cas::parseFrame(std::string_view(*frame).substr(soh));
    }
  }
  return Error::fatal("bad_protocol", "unknown scale protocol");
}

common::Status Scale::zero() {
  switch (protocol_) {
    case ScaleProtocol::kToledo: {
      auto reply = exchange("Z", toledo::kCr);
      if (!reply) return reply.error();
      return {};
    }
    case ScaleProtocol::kMtSics: {
      auto reply = exchange("Z\r\n", '\n');
      if (!reply) return reply.error();
      if (reply->rfind("Z A", 0) == 0) return {};
      return Error::retry("scale_zero_failed", "the balance did not zero (" + trim(reply->substr(0, reply->find('\r'))) + ")");
    }
    case ScaleProtocol::kCas:
      return Error::reject("not_supported", "CAS ECR protocol has no zero command");
  }
  return {};
}

Result<common::Decimal> weighedPrice(const WeightReading& w, common::Decimal unit_price, const std::string& price_unit) {
  if (w.status != WeightStatus::kStable) {
    return Error::retry("weight_not_stable", std::string("cannot price a weight that is ") + weightStatusName(w.status));
  }
  if (w.value <= 0) return Error::reject("no_weight", "nothing on the scale");
  // Convert the weight into the price unit: factor = num/den.
  int64_t num = 1, den = 1;
  if (w.unit == price_unit) {
  } else if (w.unit == "g" && price_unit == "kg") {
    den = 1000;
  } else if (w.unit == "kg" && price_unit == "g") {
    num = 1000;
  } else if (w.unit == "oz" && price_unit == "lb") {
    den = 16;
  } else if (w.unit == "lb" && price_unit == "oz") {
    num = 16;
  } else {
    return Error::reject("unit_mismatch", "scale weighs in " + w.unit + " but the price is per " + price_unit);
  }
  // price = value / 10^d * num / den * unit_price ; unit_price scaled by 10^4; result in cents.
  Int128 scaled = static_cast<Int128>(w.value) * unit_price.scaled() * num;  // scale 10^(d+4)
  Int128 div = den;
  for (int i = 0; i < w.decimals; ++i) div *= 10;
  div *= 100;  // to cents: 10^(d+4) -> 10^2 needs / 10^(d+2); with *num/den
  Int128 cents = (scaled + div / 2) / div;
  return common::Decimal::fromUnits(static_cast<int64_t>(cents * 100));
}

}  // namespace sw::fw
