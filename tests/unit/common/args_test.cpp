#include <gtest/gtest.h>

#include <fstream>

#include "sw/common/args.h"
#include "test_support.h"

using namespace sw::common;

TEST(Args, ParsesValuesFlagsAndPositionals) {
  auto a = Args::parse({"--db", "x.db", "--http=127.0.0.1:0", "--verbose", "pos"}, {"db", "http"}, {"verbose"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a->get("db"), "x.db");
  EXPECT_EQ(*a->get("http"), "127.0.0.1:0");
  EXPECT_TRUE(a->has("verbose"));
  EXPECT_EQ(a->positional(), std::vector<std::string>{"pos"});
}

TEST(Args, RejectsUnknownOptionsAndMissingValues) {
  EXPECT_EQ(Args::parse({"--dbb", "x"}, {"db"}, {}).error().code, "bad_option");
  EXPECT_EQ(Args::parse({"--db"}, {"db"}, {}).error().code, "bad_option");
  auto a = Args::parse({"--n", "12x"}, {"n"}, {});
  EXPECT_FALSE(a->getInt("n", 0).ok());
}

TEST(Args, ConfigFileFillsWhatTheCommandLineDoesNotGive) {
  sw::test::TempDir dir;
  std::string path = dir.file("c.json");
  std::ofstream(path) << R"({"device_id":"till-9","db":"from-file.db","max_batch":50})";
  auto merged = mergeConfigFile({"--config", path, "--db", "cli.db"}, {"config", "device-id", "db", "max-batch"});
  ASSERT_TRUE(merged.ok()) << merged.error().toString();
  auto a = Args::parse(*merged, {"config", "device-id", "db", "max-batch"}, {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a->get("db"), "cli.db");
  EXPECT_EQ(*a->get("device-id"), "till-9");
  EXPECT_EQ(*a->getInt("max-batch", 0), 50);
  std::ofstream(path) << R"({"nonsense":1})";
  EXPECT_EQ(mergeConfigFile({"--config", path}, {"config", "db"}).error().code, "bad_config");
}

TEST(Args, HostPort) {
  auto hp = parseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "127.0.0.1");
  EXPECT_EQ(hp->second, 8080);
  EXPECT_FALSE(parseHostPort("localhost").ok());
  EXPECT_FALSE(parseHostPort("h:99999").ok());
}
