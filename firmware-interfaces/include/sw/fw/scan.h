#pragma once
// One scanner message ("]C1010950110153000317250101") decoded: AIM symbology id,
// GS1 element string or Digital Link, the GTIN, or why it is refused.
//
// Symbologies (ISO/IEC 15424 AIM ids):
//   GS1 element strings: ]C1 ]e0 ]d2 ]Q3 ]J1   (leading FNC1 implied; later ones as GS)
//   EAN/UPC:             ]E0 (13 digits) ]E4 (EAN-8) ]E3 (EAN-13 + 2 or 5 digit add-on)
//   ITF-14:              ]I0/]I1 with exactly 14 digits is read as a GTIN-14 (check digit required)
//   Digital Link:        ]Q1 or ]d1 whose data starts with http:// or https:// (any case-consistent scheme)
//   everything else is plain text (valid, no AIs).
// Card data: plain text and the free-text AI values of GS1 data (not the check-digit
// protected GS1 keys such as 01/00/414, and never an EAN/UPC code) are checked with
// sw::common::findCardData; a hit is refused with code card_data_refused.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"
#include "sw/fw/gs1.h"
#include "sw/fw/rcn.h"

namespace sw::fw {

struct ScanDecodeOptions {
  Gs1Options gs1;
  std::vector<RcnLayout> rcn_layouts;  // empty: variable-measure numbers are not interpreted
};

struct DecodedScan {
  std::string symbology;  // "]C1"
  std::string data;       // the message after the AIM id
  bool gs1 = false;       // GS1 element string, EAN/UPC or Digital Link
  std::optional<std::string> gtin;  // always 14 digits
  std::vector<AiValue> ais;
  std::vector<std::string> unchecked;  // dictionary checks this build could not run
  std::optional<VariableMeasure> variable_measure;
};

struct ScanFailure {
  common::Error error;
  std::string symbology;       // empty when the AIM id itself was bad
  std::string masked_input;    // the input with any card number masked; safe to print or log
};

// line: one scanner message without its CR/LF suffix.
// On failure the error says why; masked_input is what may be shown.
common::Result<DecodedScan> decodeScan(std::string_view line, const ScanDecodeOptions& options,
                                       ScanFailure* failure = nullptr);

// The input with card numbers masked, for echoing a scan anywhere (JSON, logs, screens).
std::string safeScanText(std::string_view line);

// GTIN-14 from a GTIN-8/12/13/14 string (left-padded with zeros): common/gtin.h.
using common::toGtin14;

}  // namespace sw::fw
