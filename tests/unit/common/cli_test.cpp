// The one main dispatch (common/cli.h): commands, help, version, unknown commands.

#include <gtest/gtest.h>

#include "sw/common/cli.h"

using namespace sw;

namespace {

int run(std::vector<std::string> args, std::vector<std::string>* seen) {
  std::vector<char*> argv{const_cast<char*>("prog")};
  for (auto& a : args) argv.push_back(a.data());
  return common::runCli("prog", "usage\n", static_cast<int>(argv.size()), argv.data(),
                        {{"go", [seen](const std::vector<std::string>& a) {
                            *seen = a;
                            return 7;
                          }}});
}

}  // namespace

TEST(Cli, DispatchesHelpsVersionsAndRefuses) {
  std::vector<std::string> seen;
  EXPECT_EQ(run({"go", "--x", "1"}, &seen), 7);
  EXPECT_EQ(seen, (std::vector<std::string>{"--x", "1"}));
  seen.clear();
  EXPECT_EQ(run({}, &seen), 2);
  EXPECT_EQ(run({"nope"}, &seen), 2);
  EXPECT_EQ(run({"help"}, &seen), 0);
  EXPECT_EQ(run({"go", "--help"}, &seen), 0);  // answered before the command runs
  EXPECT_EQ(run({"--version"}, &seen), 0);
  EXPECT_TRUE(seen.empty());
  EXPECT_FALSE(common::version().empty());
  int code = -1;
  EXPECT_FALSE(common::answerHelpOrVersion("prog", "usage\n", {"--port", "1"}, &code));
  EXPECT_TRUE(common::answerHelpOrVersion("prog", "usage\n", {"--port", "1", "-h"}, &code));
  EXPECT_EQ(code, 0);
}
