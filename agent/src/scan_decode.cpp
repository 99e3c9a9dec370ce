#include "sw/agent/scan_decode.h"

#include <istream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "sw/common/args.h"

namespace sw::agent {

using ojson = nlohmann::ordered_json;

namespace {

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

}  // namespace

std::string scanDecodeJson(std::string_view line, const fw::ScanDecodeOptions& options) {
  fw::ScanFailure failure;
  auto decoded = fw::decodeScan(line, options, &failure);
  ojson j;
  if (!decoded) {
    j["input"] = failure.masked_input;
    j["valid"] = false;
    j["error"] = {{"code", failure.error.code}, {"message", failure.error.message}};
    return dump(j);
  }
  j["input"] = std::string(line);
  j["symbology"] = decoded->symbology;
  j["valid"] = true;
  if (decoded->gtin) j["gtin"] = *decoded->gtin;
  ojson ais = ojson::array();
  for (const auto& a : decoded->ais) ais.push_back({{"ai", a.ai}, {"value", a.value}});
  j["ais"] = ais;
  if (!decoded->unchecked.empty()) j["unchecked"] = decoded->unchecked;
  if (decoded->variable_measure) {
    const auto& vm = *decoded->variable_measure;
    j["variable_measure"] = {{"kind", fw::measureKindName(vm.kind)}, {"value", vm.valueText()}, {"item_code", vm.item_code}};
  }
  return dump(j);
}

const common::OptionTable& scanDecodeOptions() {
  using Kind = common::OptionSpec::Kind;
  static const common::OptionTable table({
      {"rcn-country", Kind::kText, "CC", "", 0, 0, "interpret variable-measure EAN-13 (prefix 20-29) with CC's layouts"},
      {"current-year", Kind::kInt, "YYYY", "0", 0, 9999, "the year for the YYMMDD century rule (0 = this year)"},
  });
  return table;
}

int runScanDecode(const common::ParsedOptions& parsed, std::istream& in, std::ostream& out, std::ostream& err) {
  fw::ScanDecodeOptions options;
  if (parsed.has("rcn-country")) {
    const std::string country = parsed.text("rcn-country");
    options.rcn_layouts = fw::rcnLayoutsForCountry(country);
    if (options.rcn_layouts.empty()) {
      err << "stockwire-agent scan-decode: no variable-measure layouts for country '" << country
          << "' (known: SE NO DE DK GB FI EE LV LT)\n";
      return 2;
    }
  }
  options.gs1.current_year = static_cast<int>(parsed.integer("current-year"));
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.empty()) continue;
    out << scanDecodeJson(line, options) << '\n';
    out.flush();
  }
  return 0;
}

}  // namespace sw::agent
