// Every command of every binary, as IT (or a developer) runs it: each listed by `--help` answers
// its own `--help` (exit 0, its options), and refuses an option it does not have (exit 2); every
// binary's `--version` names its version, commit and the schemas its running files record.

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "mtls_fleet.h"
#include "sw/common/build_info.h"
#include "sw/common/sqlite.h"

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

// `--version` of a binary: its three lines, and the schemas as component -> version.
struct VersionInfo {
  bool ok = false;
  std::map<std::string, int64_t> schemas;
};

VersionInfo checkVersion(const std::string& bin, const std::string& name, const TempDir& dir) {
  VersionInfo info;
  ToolRun run = runTool({bin, "--version"}, dir.file(name + "-version"));
  EXPECT_EQ(run.exit_code, 0) << name << ": " << run.err;
  std::smatch m;
  const std::regex shape(name + " ([0-9]+\\.[0-9]+\\.[0-9]+)\ncommit ([0-9a-f]{12}(-dirty)?|unknown)\nschemas (.*)\n");
  if (!std::regex_match(run.out, m, shape)) {
    ADD_FAILURE() << name << " --version: " << run.out;
    return info;
  }
  EXPECT_EQ(m[1].str(), std::string(common::version())) << name;
  if (!std::getenv("SW_BIN_DIR")) {  // built with this test, from the same commit
    EXPECT_EQ(m[2].str(), std::string(common::gitCommit())) << name;
  }
  if (m[4].str() != "none") {
    std::istringstream in(m[4].str());
    for (std::string item; std::getline(in, item, ',');) {
      std::istringstream words(item);
      std::string component;
      int64_t version = 0;
      EXPECT_TRUE(words >> component >> version) << name << ": " << item;
      info.schemas[component] = version;
    }
  }
  info.ok = true;
  return info;
}

TEST(Cli, EveryBinaryPrintsItsVersionCommitAndSchemas) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> owners = {{"agent", "stockwire-agent"},
                                                                   {"coordinator", "stockwire-coordinator"}};
  for (const auto& [folder, name] : owners) {
    VersionInfo v = checkVersion(binaryPath(folder, name), name, dir);
    EXPECT_GE(v.schemas.size(), 4u) << name;
    for (const auto& [component, version] : v.schemas) EXPECT_GE(version, 1) << name << " " << component;
  }
  // These own no database of their own.
  const std::vector<std::pair<std::string, std::string>> others = {
      {"provisioning", "stockwire-provision"},     {"tools/benchmarks", "stockwire-bench"},
      {"tools/loadgen", "stockwire-loadgen"},      {"tools/channel-sim", "stockwire-channel-sim"},
      {"tools/emulators", "stockwire-device-emulator"}, {"tools/chaos-harness", "stockwire-chaos"}};
  for (const auto& [folder, name] : others) {
    VersionInfo v = checkVersion(binaryPath(folder, name), name, dir);
    EXPECT_TRUE(v.ok) << name;
    EXPECT_TRUE(v.schemas.empty()) << name;
  }
}

// What a file's schema_versions table holds (component -> version); empty if the file is missing.
std::map<std::string, int64_t> recordedSchemas(const std::string& path) {
  std::map<std::string, int64_t> out;
  if (!std::filesystem::exists(path)) return out;
  auto db = common::SqliteDb::open({.path = path, .create = false});
  EXPECT_TRUE(db) << path << ": " << db.error().toString();
  if (!db) return out;
  auto st = db->prepare("SELECT component, version FROM schema_versions");
  EXPECT_TRUE(st) << path;
  if (!st) return out;
  EXPECT_TRUE(st->eachRow([&](common::SqliteStmt& row) { out[row.columnText(0)] = row.columnInt(1); }));
  return out;
}

// The schemas --version prints are what the running binaries write into their files: every
// component a file records is listed with that version (nothing missing, nothing stale).
TEST(Cli, VersionSchemasAreWhatTheRunningBinariesRecord) {
  TempDir dir;
  Broker broker;
  CoordinatorProc coord(dir, broker.url());
  coord.start();
  AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();
  const VersionInfo agent = checkVersion(agentBinary(), "stockwire-agent", dir);
  const VersionInfo coordinator = checkVersion(coordinatorBinary(), "stockwire-coordinator", dir);

  std::map<std::string, int64_t> coord_files;
  for (const char* suffix : {"", ".orders", ".channels", ".wholesale"}) {
    for (const auto& [c, v] : recordedSchemas(coord.db() + suffix)) coord_files[c] = v;
  }
  ASSERT_FALSE(coord_files.empty());
  for (const auto& [component, version] : coord_files) {
    ASSERT_TRUE(coordinator.schemas.count(component)) << "coordinator --version lacks " << component;
    EXPECT_EQ(coordinator.schemas.at(component), version) << component;
  }
  // The ledger file and the order book are always made; the dead letters only with channels.
  for (const char* c : {"ledger", "registry", "catalog", "access", "kpi_history", "orders"}) {
    EXPECT_TRUE(coord_files.count(c)) << c;
  }
  const auto agent_file = recordedSchemas(till.db());
  for (const auto& [component, version] : agent_file) {
    ASSERT_TRUE(agent.schemas.count(component)) << "agent --version lacks " << component;
    EXPECT_EQ(agent.schemas.at(component), version) << component;
  }
  for (const char* c : {"agent_store", "agent_tasks", "agent_catalog"}) EXPECT_TRUE(agent_file.count(c)) << c;
}

}  // namespace
}  // namespace sw::test
