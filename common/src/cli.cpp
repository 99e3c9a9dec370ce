#include "sw/common/cli.h"

#include <cstdio>

#include "sw/common/version.h"

namespace sw::common {

std::string_view version() { return kStockwireVersion; }

bool answerHelpOrVersion(std::string_view program, std::string_view usage, const std::vector<std::string>& args,
                         int* exit_code) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fwrite(usage.data(), 1, usage.size(), stdout);
      *exit_code = 0;
      return true;
    }
    if (a == "--version") {
      std::printf("%.*s %.*s\n", static_cast<int>(program.size()), program.data(), static_cast<int>(version().size()),
                  version().data());
      *exit_code = 0;
      return true;
    }
  }
  return false;
}

int runCli(std::string_view program, std::string_view usage, int argc, char** argv,
           const std::vector<CliCommand>& commands) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fwrite(usage.data(), 1, usage.size(), stderr);
    return 2;
  }
  if (args[0] == "help") args[0] = "--help";
  if (int code = 0; answerHelpOrVersion(program, usage, args, &code)) return code;
  const std::string cmd = args[0];
  args.erase(args.begin());
  for (const CliCommand& c : commands) {
    if (c.name == cmd) return c.run(args);
  }
  std::fprintf(stderr, "%.*s: unknown command '%s' (see --help)\n", static_cast<int>(program.size()), program.data(),
               cmd.c_str());
  return 2;
}

}  // namespace sw::common
