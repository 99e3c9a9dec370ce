#pragma once
// `stockwire-agent scan-decode`: scanner messages on stdin (one per line, AIM id first,
// CR/LF stripped), one JSON object per line on stdout:
//   {"input":"]C1...","symbology":"]C1","valid":true,"gtin":"0950...","ais":[{"ai":"01","value":"..."}]}
//   {"input":"...","valid":false,"error":{"code":"bad_check_digit","message":"..."}}
// "gtin" is present only when the message carries one. "unchecked" (a list) appears only
// when the dictionary names a check this build cannot run; "variable_measure" only with
// --rcn-country. The GS separator (0x1D) stays a raw byte in "input" and in AI values, so
// it is written as the JSON escape \u001d; card numbers in "input" are masked (****...1111).

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/args.h"

#include "sw/fw/scan.h"

namespace sw::agent {

// One output line (without the newline) for one input line.
std::string scanDecodeJson(std::string_view line, const fw::ScanDecodeOptions& options);

// The subcommand: parses args (--rcn-country CC, --current-year YYYY), then decodes every
// line of `in`. Returns the exit code: 0, or 2 on bad options.
const common::OptionTable& scanDecodeOptions();
int runScanDecode(const common::ParsedOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace sw::agent
