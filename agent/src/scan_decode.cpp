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

int runScanDecode(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  auto parsed = common::Args::parse(args, {"rcn-country", "current-year"}, {});
  if (!parsed) {
    err << "stockwire-agent scan-decode: " << parsed.error().message << "\n";
    return 2;
  }
  fw::ScanDecodeOptions options;
  if (auto country = parsed->get("rcn-country")) {
    options.rcn_layouts = fw::rcnLayoutsForCountry(*country);
    if (options.rcn_layouts.empty()) {
      err << "stockwire-agent scan-decode: no variable-measure layouts for country '" << *country
          << "' (known: SE NO DE DK GB FI EE LV LT)\n";
      return 2;
    }
  }
  auto year = parsed->getInt("current-year", 0);
  if (!year || *year < 0 || *year > 9999) {
    err << "stockwire-agent scan-decode: --current-year must be a four-digit year\n";
    return 2;
  }
  options.gs1.current_year = static_cast<int>(*year);
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
