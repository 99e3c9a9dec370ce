#pragma once
// The one `main` dispatch for our binaries: `prog COMMAND [options]`, `--help`/`-h`/`help` (usage
// on stdout, exit 0; no arguments at all: usage on stderr, exit 2), `--version`, and an unknown
// command named as such (exit 2). A command that takes --help itself (none yet) sees it only
// after the dispatcher, which answers --help anywhere on the line first.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sw::common {

// "stockwire <version>" from the CMake project version.
std::string_view version();

struct CliCommand {
  std::string name;
  std::function<int(const std::vector<std::string>& args)> run;
};

int runCli(std::string_view program, std::string_view usage, int argc, char** argv,
           const std::vector<CliCommand>& commands);

// For binaries without commands: true when args asked for --help or --version, which have then
// been answered (*exit_code set).
bool answerHelpOrVersion(std::string_view program, std::string_view usage, const std::vector<std::string>& args,
                         int* exit_code);

}  // namespace sw::common
