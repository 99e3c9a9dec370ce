#pragma once
// The one `main` dispatch for our binaries: `prog COMMAND [SUBCOMMAND] [options]`.
//
// A program declares its commands once (CliProgram): each with a one-line summary and its
// OptionTable. From that come `prog --help` (the command list, then the program's own notes),
// `prog COMMAND --help` (the command's options with defaults and ranges), `--version` (version,
// git commit and the program's database schema versions: build_info.h), the option
// checks (an error names the option, exit 2) and the dispatch. `help` reads as `--help`; no
// arguments at all print the usage on stderr (exit 2); an unknown command is named as such
// (exit 2), and a command word that needs a sub-command lists the ones it has.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/args.h"
#include "sw/common/build_info.h"

namespace sw::common {

struct CliCommand {
  std::string name;     // "serve", or the words of a sub-command: "device add"
  std::string summary;  // one line, shown in the command list and atop the command's --help
  OptionTable options;
  std::function<int(const ParsedOptions& options)> run;
  std::string notes = "";  // more text for the command's --help (after its options)
};

struct CliProgram {
  std::string name;   // "stockwire-coordinator"
  std::string about;  // the first paragraph of --help
  std::vector<CliCommand> commands;
  std::string notes = "";  // the paragraphs after the command list (exit codes, what is where)
  std::vector<SchemaVersion> schemas = {};  // the database components it owns, for --version
};

int runCli(const CliProgram& program, int argc, char** argv);
// The texts runCli prints for --help.
std::string programHelp(const CliProgram& program);
std::string commandHelp(const CliProgram& program, const CliCommand& command);

// A binary without commands (the simulators, emulators, harnesses): its options declared once,
// `prog --help` (about, options, notes) and `--version` answered, the options checked (exit 2).
struct CliTool {
  std::string name;
  std::string about;
  OptionTable options;
  std::function<int(const ParsedOptions& options)> run;
  std::string notes = "";
  std::vector<SchemaVersion> schemas = {};
};
int runTool(const CliTool& tool, int argc, char** argv);
std::string toolHelp(const CliTool& tool);

}  // namespace sw::common
