// The one main dispatch (common/cli.h): commands, help, version, unknown commands; tools without commands.

#include <gtest/gtest.h>

#include <regex>

#include "sw/common/cli.h"
#include "sw/common/sqlite.h"

using namespace sw;

namespace {

// A program declared the way the binaries are: sub-commands, options with ranges, defaults.
common::CliProgram declared(std::string* seen) {
  using Kind = common::OptionSpec::Kind;
  return {"prog",
          "prog: does things.",
          {{"serve", "run it",
            common::OptionTable({{"db", Kind::kText, "PATH", "", 0, 0, "the file", true},
                                 {"workers", Kind::kInt, "N", "4", 1, 64, "how many"}}),
            [seen](const common::ParsedOptions& o) {
              *seen = "serve " + o.text("db") + " " + std::to_string(o.integer("workers"));
              return 0;
            }},
           {"device add", "add one",
            common::OptionTable({{"host", Kind::kList, "NAME", "", 0, 0, "a name"}}),
            [seen](const common::ParsedOptions& o) {
              *seen = "add";
              for (const auto& h : o.list("host")) *seen += " " + h;
              return 5;
            }},
           {"device list", "list them", common::OptionTable(std::vector<common::OptionSpec>{}),
            [seen](const common::ParsedOptions&) {
              *seen = "list";
              return 0;
            }}},
          "Exit codes: none to speak of.\n"};
}

int runDeclared(std::vector<std::string> args, std::string* seen) {
  std::vector<char*> argv{const_cast<char*>("prog")};
  for (auto& a : args) argv.push_back(a.data());
  return common::runCli(declared(seen), static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST(Cli, DeclaredCommandsParseTheirOwnOptionsAndAnswerTheirOwnHelp) {
  std::string seen;
  EXPECT_EQ(runDeclared({"serve", "--db", "x.db"}, &seen), 0);
  EXPECT_EQ(seen, "serve x.db 4");  // the default from the table
  EXPECT_EQ(runDeclared({"device", "add", "--host", "a", "--host=b"}, &seen), 5);
  EXPECT_EQ(seen, "add a b");  // a list option keeps every value, in order
  EXPECT_EQ(runDeclared({"device", "list"}, &seen), 0);
  EXPECT_EQ(seen, "list");
  seen.clear();
  // Refused before anything runs: exit 2.
  EXPECT_EQ(runDeclared({"serve"}, &seen), 2);                                  // --db is required
  EXPECT_EQ(runDeclared({"serve", "--db", "x", "--workers", "65"}, &seen), 2);  // out of range
  EXPECT_EQ(runDeclared({"serve", "--db", "x", "stray"}, &seen), 2);            // not an option
  EXPECT_EQ(runDeclared({"device"}, &seen), 2);                                 // needs add or list
  EXPECT_EQ(runDeclared({"device", "remove"}, &seen), 2);
  EXPECT_EQ(runDeclared({"nope"}, &seen), 2);
  EXPECT_EQ(runDeclared({}, &seen), 2);
  EXPECT_EQ(runDeclared({"device", "add", "--help"}, &seen), 0);
  EXPECT_EQ(runDeclared({"--version"}, &seen), 0);
  EXPECT_TRUE(seen.empty());

  std::string noop;
  common::CliProgram p = declared(&noop);
  std::string help = common::programHelp(p);
  EXPECT_NE(help.find("  device add   add one\n"), std::string::npos) << help;
  EXPECT_NE(help.find("Exit codes: none to speak of.\n"), std::string::npos) << help;
  std::string serve = common::commandHelp(p, p.commands[0]);
  EXPECT_NE(serve.find("Usage: prog serve [options]\nrun it\n"), std::string::npos) << serve;
  EXPECT_NE(serve.find("--workers N              how many (default 4)"), std::string::npos) << serve;
  EXPECT_NE(common::commandHelp(p, p.commands[1]).find("--host NAME ..."), std::string::npos);
}

TEST(Cli, AToolWithoutCommandsChecksItsOptionsAndAnswersHelpAndVersion) {
  using Kind = common::OptionSpec::Kind;
  double seen = -1;
  common::CliTool tool{"tool", "tool: one job.",
                       common::OptionTable({{"rate", Kind::kNumber, "X", "0.5", 0, 1, "a share"}}),
                       [&seen](const common::ParsedOptions& o) {
                         seen = o.number("rate");
                         return 0;
                       },
                       "More words.\n"};
  auto run = [&tool](std::vector<std::string> args) {
    std::vector<char*> argv{const_cast<char*>("tool")};
    for (auto& a : args) argv.push_back(a.data());
    return common::runTool(tool, static_cast<int>(argv.size()), argv.data());
  };
  EXPECT_EQ(run({}), 0);
  EXPECT_EQ(seen, 0.5);  // the default
  EXPECT_EQ(run({"--rate", "0.25"}), 0);
  EXPECT_EQ(seen, 0.25);
  seen = -1;
  EXPECT_EQ(run({"--rate", "2"}), 2);      // out of range
  EXPECT_EQ(run({"--rate", "lots"}), 2);   // not a number
  EXPECT_EQ(run({"--rate", "nan"}), 2);    // not finite
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_EQ(run({"--version"}), 0);
  EXPECT_EQ(seen, -1);
  std::string help = common::toolHelp(tool);
  EXPECT_EQ(help.rfind("tool: one job.\n\nUsage: tool [options]\n", 0), 0u) << help;
  EXPECT_NE(help.find("--rate X"), std::string::npos) << help;
  EXPECT_NE(help.find("More words.\n"), std::string::npos) << help;
}

TEST(Cli, VersionTextNamesTheVersionTheCommitAndEachSchema) {
  common::SqliteSchema ledger{"ledger", {"CREATE TABLE a (x);", "CREATE TABLE b (y);"}, ""};
  std::string text = common::versionText("prog", {common::schemaVersionOf(ledger), {"orders", 7}});
  EXPECT_EQ(text, "prog " + std::string(common::version()) + "\ncommit " + std::string(common::gitCommit()) +
                      "\nschemas ledger 2, orders 7\n");
  EXPECT_EQ(common::versionText("tool", {}), "tool " + std::string(common::version()) + "\ncommit " +
                                                 std::string(common::gitCommit()) + "\nschemas none\n");
  // Built from this checkout: a 12-digit commit, "-dirty" when tracked files differed.
  const std::string commit(common::gitCommit());
  EXPECT_TRUE(std::regex_match(commit, std::regex("[0-9a-f]{12}(-dirty)?|unknown"))) << commit;
}
