// Every command of every binary, as IT (or a developer) runs it: each listed by `--help` answers
// its own `--help` (exit 0, its options), and refuses an option it does not have (exit 2).

#include <gtest/gtest.h>

#include <sstream>

#include "mtls_fleet.h"

namespace sw::test {
namespace {

// The command names in a program's --help: the lines after "Commands:" up to the first blank line.
std::vector<std::string> commandsOf(const std::string& help) {
  std::vector<std::string> out;
  std::istringstream in(help.substr(help.find("Commands:\n") + 10));
  std::string line;
  while (std::getline(in, line) && !line.empty()) {
    // "  device add   summary": the name is the words before the run of two spaces.
    std::string name = line.substr(2, line.find("  ", 2) - 2);
    out.push_back(name);
  }
  return out;
}

std::vector<std::string> words(const std::string& name) {
  std::vector<std::string> out;
  std::istringstream in(name);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

TEST(Cli, EveryCommandAnswersItsHelpAndRefusesAnUnknownOption) {
  TempDir dir;
  struct Binary {
    std::string folder, name;
    size_t min_commands;  // what its --help must list at least
  };
  const std::vector<Binary> binaries = {{"agent", "stockwire-agent", 4},
                                        {"coordinator", "stockwire-coordinator", 4},
                                        {"provisioning", "stockwire-provision", 4},
                                        {"tools/benchmarks", "stockwire-bench", 4},
                                        {"tools/loadgen", "stockwire-loadgen", 2}};
  for (const auto& [folder, name, min_commands] : binaries) {
    const std::string bin = binaryPath(folder, name);
    ToolRun top = runTool({bin, "--help"}, dir.file(name));
    ASSERT_EQ(top.exit_code, 0) << name << ": " << top.err;
    std::vector<std::string> commands = commandsOf(top.out);
    EXPECT_GE(commands.size(), min_commands) << top.out;
    for (const std::string& cmd : commands) {
      std::vector<std::string> argv = {bin};
      for (const std::string& w : words(cmd)) argv.push_back(w);
      argv.push_back("--help");
      ToolRun help = runTool(argv, dir.file(name));
      EXPECT_EQ(help.exit_code, 0) << name << " " << cmd << ": " << help.err;
      EXPECT_EQ(help.out.rfind("Usage: " + name + " " + cmd + " [options]\n", 0), 0u) << help.out;
      argv.back() = "--no-such-option";
      ToolRun bad = runTool(argv, dir.file(name));
      EXPECT_EQ(bad.exit_code, 2) << name << " " << cmd;
      EXPECT_NE(bad.err.find("unknown option --no-such-option"), std::string::npos) << bad.err;
    }
    ToolRun version = runTool({bin, "--version"}, dir.file(name));
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.out.rfind(name + " ", 0), 0u) << version.out;
  }
}

// The binaries without commands: --help from their table, an unknown option refused.
TEST(Cli, EveryToolAnswersItsHelpAndRefusesAnUnknownOption) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> tools = {{"tools/channel-sim", "stockwire-channel-sim"},
                                                                  {"tools/emulators", "stockwire-device-emulator"},
                                                                  {"tools/chaos-harness", "stockwire-chaos"}};
  for (const auto& [folder, name] : tools) {
    const std::string bin = binaryPath(folder, name);
    ToolRun help = runTool({bin, "--help"}, dir.file(name));
    EXPECT_EQ(help.exit_code, 0) << name << ": " << help.err;
    EXPECT_NE(help.out.find("Usage: " + name + " [options]\n"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("Options:\n"), std::string::npos) << help.out;
    ToolRun bad = runTool({bin, "--no-such-option"}, dir.file(name));
    EXPECT_EQ(bad.exit_code, 2) << name;
    EXPECT_NE(bad.err.find("unknown option --no-such-option"), std::string::npos) << bad.err;
  }
}

}  // namespace
}  // namespace sw::test
