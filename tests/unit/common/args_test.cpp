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

namespace {

using Kind = OptionSpec::Kind;

const OptionTable& table() {
  static const OptionTable t({
      {"config", Kind::kText, "FILE", "", 0, 0, "a JSON file of these options"},
      {"db", Kind::kText, "PATH", "", 0, 0, "the file", true},
      {"workers", Kind::kInt, "N", "256", 1, 1000, "how many"},
      {"limit", Kind::kInt, "N", "5", 0, INT64_MAX, "at most"},
      {"name", Kind::kText, "NAME", "till", 0, 0, "what it is called\nover two lines"},
      {"pretty", Kind::kFlag, "", "", 0, 0, "indent"},
  });
  return t;
}

}  // namespace

// One table gives the defaults every reader sees, the range checks and the help text.
TEST(OptionTable, DefaultsRangesAndRequiredOptionsComeFromTheTable) {
  auto o = table().parse({"--db", "x.db"});
  ASSERT_TRUE(o.ok()) << o.error().toString();
  EXPECT_EQ(o->text("db"), "x.db");
  EXPECT_EQ(o->integer("workers"), 256);
  EXPECT_EQ(o->text("name"), "till");
  EXPECT_FALSE(o->has("workers"));
  EXPECT_FALSE(o->flag("pretty"));
  o = table().parse({"--db", "x.db", "--workers=7", "--pretty", "--limit", "0"});
  ASSERT_TRUE(o.ok()) << o.error().toString();
  EXPECT_EQ(o->integer("workers"), 7);
  EXPECT_EQ(o->integer("limit"), 0);
  EXPECT_TRUE(o->flag("pretty"));

  auto missing = table().parse({"--workers", "7"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "--db is required");
  auto low = table().parse({"--db", "x", "--workers", "0"});
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error().message, "--workers must be from 1 to 1000, got 0");
  auto negative = table().parse({"--db", "x", "--limit", "-1"});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().message, "--limit must be at least 0, got -1");
  for (const char* bad : {"10abc", "+1", "1e3", ""}) {
    auto r = table().parse({"--db", "x", "--workers", bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_option") << bad;
  }
  EXPECT_EQ(table().parse({"--db", "x", "--pretty=yes"}).error().code, "bad_option");
  EXPECT_EQ(table().parse({"--db", "x", "--wrokers", "3"}).error().code, "bad_option");
}

TEST(OptionTable, AConfigFileIsCheckedLikeTheCommandLine) {
  sw::test::TempDir dir;
  std::string path = dir.file("c.json");
  std::ofstream(path) << R"({"db": "from-file.db", "workers": 2000})";
  auto r = table().parse({"--config", path});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "--workers must be from 1 to 1000, got 2000");
  auto o = table().parse({"--config", path, "--workers", "3"});  // the command line wins
  ASSERT_TRUE(o.ok()) << o.error().toString();
  EXPECT_EQ(o->text("db"), "from-file.db");
  EXPECT_EQ(o->integer("workers"), 3);
}

TEST(OptionTable, HelpListsEveryOptionWithItsDefault) {
  std::string help = table().help();
  EXPECT_NE(help.find("  --db PATH                the file (required)\n"), std::string::npos) << help;
  EXPECT_NE(help.find("  --workers N              how many (default 256)\n"), std::string::npos) << help;
  EXPECT_NE(help.find("what it is called\n                           over two lines (default till)\n"),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("  --pretty                 indent\n"), std::string::npos) << help;
}

TEST(OptionTable, ADefaultThatIsNoNumberIsAnErrorInTheTable) {
  OptionTable t({{"n", Kind::kInt, "N", "lots", 0, 10, "a number"}});
  auto r = t.parse({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_option_table");
}

// An option declared positional may be given alone, without its name; once, and not both ways.
// Other bare arguments stay errors, and options without the mark never take one.
TEST(OptionTable, APositionalOptionMayBeGivenWithoutItsName) {
  using Kind = OptionSpec::Kind;
  OptionTable t({{"file", Kind::kText, "FILE", "", 0, 0, "the file", true, true},
                 {"pretty", Kind::kFlag, "", "", 0, 0, "indent"}});
  auto bare = t.parse({"--pretty", "a.edi"});
  ASSERT_TRUE(bare.ok()) << bare.error().toString();
  EXPECT_EQ(bare->text("file"), "a.edi");
  EXPECT_TRUE(bare->has("file"));
  EXPECT_EQ(t.parse({"--file", "b.edi"})->text("file"), "b.edi");
  auto both = t.parse({"--file", "b.edi", "a.edi"});
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().message, "unexpected argument 'a.edi' (see --help)");
  EXPECT_FALSE(t.parse({"a.edi", "b.edi"}).ok());
  EXPECT_EQ(t.parse({}).error().message, "--file is required");
  EXPECT_EQ(table().parse({"--db", "x", "stray"}).error().code, "bad_option");
}
