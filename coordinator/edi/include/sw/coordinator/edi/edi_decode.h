#pragma once
// `stockwire-coordinator edi-decode FILE [--pretty]`: prints each transaction set of an X12 file,
// normalised, one JSON object per line: its interchange and group envelope, its segments, and for
// the sets we read (850, 997) the typed document. A file with any envelope, group or set error
// prints {"error":{"code","kind","message"}} on stdout (the first problem, with its X12 code), the
// message on stderr, and exits 1; what was tolerated (a BOM, indentation) is a warning on stderr.
// Exit code 2 for bad options or a file that cannot be read.

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/args.h"
#include "sw/common/result.h"
#include "sw/coordinator/edi/x12.h"

namespace sw::coordinator::edi {

// Every transaction set of a clean file as the JSON edi-decode prints (one element per set, and
// one per interchange that carries TA1 segments); the error of a typed reader that refuses a set.
common::Result<std::vector<nlohmann::json>> decodedSets(const ParsedFile& file);
// The first problem of a file that is not clean, as an error: code "x12_ta1_<note>",
// "x12_ak9_<code>" or "x12_ak5_<code>", or "x12_bad_<set>" when a typed reader refuses a set.
common::Error problemOf(const ParsedFile& file);

const common::OptionTable& ediDecodeOptions();
int ediDecode(const common::ParsedOptions& options, std::ostream& out, std::ostream& err);

inline constexpr const char* kEdiDecodeNotes =
    "FILE is an X12 interchange file (ISA ... IEA, several allowed), given bare or as --file FILE.\n"
    "Delimiters are taken from the ISA (fixed width, 106 characters). Line breaks after segment\n"
    "terminators are skipped; a UTF-8 byte order mark and blanks before segments are skipped with a\n"
    "warning on stderr. Exit 0: every interchange, group and set accepted;\n"
    "1: the first problem as {\"error\":{...}} on stdout, with its TA1 note or 997 AK9/AK5 code;\n"
    "2: bad options or an unreadable file.\n";

}  // namespace sw::coordinator::edi
