#include "sw/fw/scan.h"

#include <algorithm>
#include <cstring>

#include "sw/common/card_data.h"

namespace sw::fw {

using common::Error;
using common::Result;

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool allDigits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isDigit); }

bool isGs1ElementSymbology(std::string_view sym) {
  return sym == "]C1" || sym == "]e0" || sym == "]d2" || sym == "]Q3" || sym == "]J1";
}

bool startsWithDlScheme(std::string_view d) {
  for (const char* p : {"https://", "HTTPS://", "http://", "HTTP://"}) {
    if (d.rfind(p, 0) == 0) return true;
  }
  return false;
}

// A GS1 key whose own check digit protects it (GTIN, SSCC, GLN...): not card data.
bool isCheckedGs1Key(const AiValue& v) {
  const AiSpec* spec = findAi(v.ai);
  if (!spec || spec->minLength() != spec->maxLength() || !allDigits(v.value)) return false;
  for (uint8_t i = 0; i < spec->component_count; ++i) {
    if (std::strstr(spec->components[i].linters, "csum")) return true;
  }
  return false;
}

Result<DecodedScan> eanUpc(DecodedScan scan, std::string_view digits, size_t len, const ScanDecodeOptions& options) {
  std::string_view main = digits.substr(0, std::min(len, digits.size()));
  if (!allDigits(digits)) {
    return Error::reject("bad_character", "an EAN/UPC message holds only digits");
  }
  if (digits.size() != len) {
    return Error::reject("bad_length", "this EAN/UPC message needs " + std::to_string(len) + " digits, got " +
                                           std::to_string(digits.size()));
  }
  if (!gs1CheckDigitValid(main)) {
    return Error::reject("bad_check_digit", "the EAN/UPC check digit of " + std::string(main) + " is wrong");
  }
  scan.gs1 = true;
  scan.gtin = toGtin14(main);
  scan.ais.push_back({"01", *scan.gtin});
  if (len == 13 && !options.rcn_layouts.empty()) {
    auto vm = decodeVariableMeasure(main, options.rcn_layouts);
    if (!vm) return vm.error();
    scan.variable_measure = *vm;
  }
  return scan;
}

}  // namespace

std::string safeScanText(std::string_view line) {
  if (line.size() >= 3 && line[0] == ']') return std::string(line.substr(0, 3)) + common::maskCardData(line.substr(3));
  return common::maskCardData(line);
}

Result<DecodedScan> decodeScan(std::string_view line, const ScanDecodeOptions& options, ScanFailure* failure) {
  std::string symbology;
  std::vector<std::string> refused_values;  // card-like AI values, to mask in the echo
  auto failed = [&](Error e) -> Result<DecodedScan> {
    if (failure) {
      failure->error = e;
      failure->symbology = symbology;
      // Only refused card data is masked (apart from the AIM id, whose modifier digit would
      // otherwise join the number); every other rejection echoes the input unchanged.
      std::string masked(line);
      if (e.code == "card_data_refused") {
        masked = symbology.empty() ? common::maskCardData(line) : symbology + common::maskCardData(line.substr(3));
      }
      for (const std::string& v : refused_values) {
        for (size_t at = masked.find(v); at != std::string::npos; at = masked.find(v, at + 1)) {
          masked.replace(at, v.size(), common::maskDigits(v));
        }
      }
      failure->masked_input = masked;
    }
    return e;
  };
  if (line.size() < 3 || line[0] != ']') {
    if (common::containsCardData(line)) return failed(common::cardDataRefused("the scanned data"));
    return failed(Error::reject("missing_aim_id", "a scanner message starts with an AIM symbology id such as ]C1 or ]E0"));
  }
  char code = line[1], modifier = line[2];
  if (!std::isalpha(static_cast<unsigned char>(code)) || !std::isalnum(static_cast<unsigned char>(modifier))) {
    if (common::containsCardData(line)) return failed(common::cardDataRefused("the scanned data"));
    return failed(Error::reject("bad_aim_id", "'" + std::string(line.substr(0, 3)) + "' is not an AIM symbology id"));
  }
  symbology = std::string(line.substr(0, 3));
  DecodedScan scan;
  scan.symbology = symbology;
  scan.data = std::string(line.substr(3));
  std::string_view data = line.substr(3);
  if (data.empty()) return failed(Error::reject("no_data", "no data after the symbology identifier"));

  if (isGs1ElementSymbology(symbology)) {
    auto msg = parseElementString(data, options.gs1);
    if (!msg) {
      if (common::containsCardData(data)) return failed(common::cardDataRefused("the scanned data"));
      return failed(msg.error());
    }
    for (const AiValue& v : msg->ais) {
      if (!isCheckedGs1Key(v) && common::containsCardData(v.value)) refused_values.push_back(v.value);
    }
    if (!refused_values.empty()) return failed(common::cardDataRefused("the scanned data"));
    scan.gs1 = true;
    scan.ais = std::move(msg->ais);
    scan.unchecked = std::move(msg->unchecked);
    for (const AiValue& v : scan.ais) {
      if (v.ai == "01") {
        scan.gtin = v.value;
        break;
      }
    }
    return scan;
  }
  if (code == 'E' && (modifier == '0' || modifier == '4' || modifier == '3')) {
    size_t len = modifier == '4' ? 8 : 13;
    std::string_view digits = data;
    if (modifier == '3') {
      if (data.size() != 15 && data.size() != 18) {
        return failed(Error::reject("bad_length", "an EAN-13 with add-on has 15 or 18 digits, got " + std::to_string(data.size())));
      }
      digits = data.substr(0, 13);
    }
    auto r = eanUpc(std::move(scan), digits, len, options);
    if (!r) {
      // A wrong-length "EAN" may be a card number typed or sent with a misconfigured id.
      if (data.size() != len && common::containsCardData(data)) return failed(common::cardDataRefused("the scanned data"));
      return failed(r.error());
    }
    return r;
  }
  if (code == 'I' && data.size() == 14 && allDigits(data)) {
    auto r = eanUpc(std::move(scan), data, 14, options);
    if (!r) return failed(r.error());
    return r;
  }
  if ((symbology == "]Q1" || symbology == "]d1") && startsWithDlScheme(data)) {
    auto msg = parseDigitalLink(data, options.gs1);
    if (!msg) {
      if (common::containsCardData(data)) return failed(common::cardDataRefused("the scanned data"));
      return failed(msg.error());
    }
    for (const AiValue& v : msg->ais) {
      if (!isCheckedGs1Key(v) && common::containsCardData(v.value)) refused_values.push_back(v.value);
    }
    if (!refused_values.empty()) return failed(common::cardDataRefused("the scanned data"));
    scan.gs1 = true;
    scan.ais = std::move(msg->ais);
    scan.unchecked = std::move(msg->unchecked);
    for (const AiValue& v : scan.ais) {
      if (v.ai == "01") {
        scan.gtin = v.value;
        break;
      }
    }
    return scan;
  }
  // Plain text.
  if (common::containsCardData(data)) return failed(common::cardDataRefused("the scanned data"));
  return scan;
}

}  // namespace sw::fw
