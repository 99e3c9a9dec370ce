#pragma once
// `stockwire-coordinator channel-decode --channel NAME [--pretty] < payload.json`: prints each
// order in the payload, normalised, as one JSON object per line; or, for a payload it cannot
// use, {"error":{"code","kind","message"}} on stdout, the message on stderr, and exit code 1.
// Exit code 2 for bad options.

#include <iosfwd>
#include <string>
#include <vector>

namespace sw::coordinator::channels {

int runChannelDecode(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace sw::coordinator::channels
