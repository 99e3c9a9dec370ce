#pragma once
// Retail scales on a serial port: Toledo 8213 / SASI demand mode, Mettler Toledo MT-SICS
// and CAS ECR. Reply parsers are pure functions; Scale drives one request/reply exchange
// over a SerialPort with a deadline (no thread).
//
// A reading is stable, in motion, over range, under zero, or no reading. Only a stable
// reading may price goods (weighedPrice refuses the others).

#include <cstdint>
#include <string>
#include <string_view>

#include "sw/common/decimal.h"
#include "sw/common/result.h"
#include "sw/fw/serial_port.h"

namespace sw::fw {

enum class WeightStatus { kStable, kMotion, kOverRange, kUnderZero, kNoReading };
const char* weightStatusName(WeightStatus s);

struct WeightReading {
  WeightStatus status = WeightStatus::kNoReading;
  int64_t value = 0;    // scaled by 10^decimals; negative below zero
  int decimals = 0;
  std::string unit;     // "kg", "g", "lb", "oz"
  std::string valueText() const;  // "1.234"
};

enum class ScaleProtocol { kToledo, kMtSics, kCas };
common::Result<ScaleProtocol> parseScaleProtocol(std::string_view name);  // "toledo", "mt-sics", "cas"

// "01.234" / "-0.50" -> value and decimals. Rejects anything else.
common::Result<WeightReading> parseWeightNumber(std::string_view text);

namespace toledo {
inline constexpr char kStx = 0x02;
inline constexpr char kCr = 0x0d;
// The text between STX and CR of a reply to 'W': a weight ("01.234") or '?' + status byte.
// `unit` is the scale's configured unit (the reply has none).
common::Result<WeightReading> parseReply(std::string_view body, const std::string& unit);
}  // namespace toledo

namespace mtsics {
// One reply line without CR LF: "S S     100.00 g", "S D 0.50 kg", "S I", "S +", "S -", "ES" ...
common::Result<WeightReading> parseReply(std::string_view line);
}  // namespace mtsics

namespace cas {
inline constexpr char kEnq = 0x05, kAck = 0x06, kNak = 0x15, kDc1 = 0x11;
inline constexpr char kSoh = 0x01, kStx = 0x02, kEtx = 0x03, kEot = 0x04;
// XOR of STA, SIGN, weight and unit bytes.
uint8_t bcc(std::string_view sta_to_units);
// A whole frame: SOH STX STA SIGN W5..W0 U1 U2 BCC ETX EOT (15 bytes).
common::Result<WeightReading> parseFrame(std::string_view frame);
std::string buildFrame(char sta, char sign, std::string_view weight6, std::string_view unit2);
}  // namespace cas

struct ScaleOptions {
  std::string unit = "kg";   // Toledo replies carry no unit
  int timeout_ms = 1000;     // per exchange
};

class Scale {
 public:
  Scale(SerialPort& port, ScaleProtocol protocol, ScaleOptions options = {})
      : port_(port), protocol_(protocol), options_(std::move(options)) {}
  // One weight request. Timeout or garbage gives a retry error ("scale_timeout", "scale_garbled").
  common::Result<WeightReading> read();
  // Zeroes the scale (Toledo 'Z', MT-SICS "Z"); CAS has no zero command (reject).
  common::Status zero();

 private:
  common::Result<std::string> exchange(const std::string& request, char end_byte, size_t min_len = 1);

  SerialPort& port_;
  ScaleProtocol protocol_;
  ScaleOptions options_;
};

// Price of a stable weight at a unit price per `price_unit` ("kg", "g", "lb", "oz"),
// rounded half up to cents. Refuses unstable readings and mismatched unit families.
common::Result<common::Decimal> weighedPrice(const WeightReading& weight, common::Decimal unit_price,
                                             const std::string& price_unit);

}  // namespace sw::fw
