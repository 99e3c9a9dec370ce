// The Debian packages as an IT admin gets them (issue 21): tools/package builds them from this
// build tree once for the suite; each is then read with dpkg-deb, unpacked into a temporary root
// (dpkg-deb -x), checked with lintian when it is installed, and the agent and coordinator are run
// from that root: --version, and a start on the shipped example config until they serve; and, as
// root, installed with dpkg into an overlay over / (maintainer scripts, user, data directory,
// reinstall, purge).

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "mtls_fleet.h"
#include "sw/common/build_info.h"

namespace sw::test {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kPackages = {"stockwire-agent", "stockwire-coordinator", "stockwire-provision",
                                            "stockwire-tools"};

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One field of a package's control file.
std::string field(const std::string& deb, const std::string& name, const TempDir& dir) {
  ToolRun r = runTool({"/usr/bin/dpkg-deb", "-f", deb, name}, dir.file("dpkg-deb-f"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

// The package names a Depends field lists ("a (>= 1), b | c" -> a, b, c).
std::vector<std::string> dependedOn(const std::string& depends) {
  std::vector<std::string> out;
  const std::regex name(R"((?:^|[,|])\s*([a-z0-9][a-z0-9+.-]+))");
  for (auto it = std::sregex_iterator(depends.begin(), depends.end(), name); it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1].str());
  }
  return out;
}

class Packages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    ToolRun r = runTool({"/bin/bash", std::string(SW_SOURCE_DIR) + "/tools/package", "--build-dir", SW_BUILD_DIR,
                         "--no-build", dir_->file("out")},
                        dir_->file("package"));
    package_run_ = r;
    std::error_code ec;  // no out dir: tools/package failed, which the first test reports
    for (const std::string& p : kPackages) {
      for (const auto& e : fs::directory_iterator(dir_->file("out"), ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(p + "_", 0) == 0 && e.path().extension() == ".deb") debs_[p] = e.path().string();
      }
    }
  }
  static void TearDownTestSuite() { dir_.reset(); }

  // The package unpacked (once) into its own root.
  static std::string unpacked(const std::string& package) {
    const std::string root = dir_->file("root-" + package);
    if (!fs::exists(root)) {
      ToolRun r = runTool({"/usr/bin/dpkg-deb", "-x", debs_.at(package), root}, dir_->file("unpack"));
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    return root;
  }
  static std::string control(const std::string& package) {
    const std::string ctrl = dir_->file("control-" + package);
    if (!fs::exists(ctrl)) {
      ToolRun r = runTool({"/usr/bin/dpkg-deb", "-e", debs_.at(package), ctrl}, dir_->file("control"));
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    return ctrl;
  }

  static std::unique_ptr<TempDir> dir_;
  static ToolRun package_run_;
  static std::map<std::string, std::string> debs_;
};
std::unique_ptr<TempDir> Packages::dir_;
ToolRun Packages::package_run_;
std::map<std::string, std::string> Packages::debs_;

TEST_F(Packages, ToolsPackageBuildsTheFourPackages) {
  ASSERT_EQ(package_run_.exit_code, 0) << package_run_.out << package_run_.err;
  for (const std::string& p : kPackages) {
    ASSERT_TRUE(debs_.count(p)) << p << " missing; tools/package printed: " << package_run_.out;
    EXPECT_EQ(field(debs_[p], "Package", *dir_), p);
    EXPECT_EQ(field(debs_[p], "Version", *dir_), std::string(common::version()));
  }
}

// Depends as dpkg-shlibdeps computed it: versioned Debian libraries, every one a package this
// machine has installed (the binaries were linked against them here), plus adduser for the
// daemons' maintainer scripts.
TEST_F(Packages, DependsNameTheDebianLibrariesTheBinariesLink) {
  ASSERT_EQ(debs_.size(), kPackages.size());
  const std::map<std::string, std::vector<std::string>> must = {
      {"stockwire-agent", {"libc6", "libstdc++6", "libsqlite3-0", "libpaho-mqttpp3-1", "libserialport0", "adduser"}},
      {"stockwire-coordinator", {"libc6", "libstdc++6", "libsqlite3-0", "libpaho-mqttpp3-1", "libssl3", "adduser"}},
      {"stockwire-provision", {"libc6", "libssl3"}},
      {"stockwire-tools", {"libc6", "libstdc++6"}}};
  for (const std::string& p : kPackages) {
    const std::string depends = field(debs_[p], "Depends", *dir_);
    ASSERT_FALSE(depends.empty()) << p;
    EXPECT_NE(depends.find("libc6 (>= "), std::string::npos) << p << ": " << depends;  // versioned
    const std::vector<std::string> names = dependedOn(depends);
    const std::set<std::string> set(names.begin(), names.end());
    for (const std::string& m : must.at(p)) EXPECT_TRUE(set.count(m)) << p << " lacks " << m << ": " << depends;
    for (const std::string& n : names) {
      ToolRun q = runTool({"/usr/bin/dpkg-query", "-W", "-f=${Status}", n}, dir_->file("dpkg-query"));
      EXPECT_NE(q.out.find("install ok installed"), std::string::npos) << p << " depends on " << n << ", unknown here";
    }
  }
}

TEST_F(Packages, TheDaemonsShipTheirConfigAsConffilesAndMakeTheirUser) {
  ASSERT_EQ(debs_.size(), kPackages.size());
  for (const std::string name : {"agent", "coordinator"}) {
    const std::string p = "stockwire-" + name;
    const std::string ctrl = control(p);
    EXPECT_EQ(readText(ctrl + "/conffiles"), "/etc/stockwire/" + name + ".json\n") << p;
    for (const char* script : {"postinst", "prerm", "postrm"}) {
      struct stat st {};
      ASSERT_EQ(stat((ctrl + "/" + script).c_str(), &st), 0) << p << " " << script;
      EXPECT_EQ(st.st_mode & 0777, 0755u) << p << " " << script;
    }
    const std::string postinst = readText(ctrl + "/postinst");
    EXPECT_NE(postinst.find("adduser --quiet --system --group --home /var/lib/stockwire"), std::string::npos);
    EXPECT_NE(postinst.find("chmod 0700 /var/lib/stockwire"), std::string::npos);
    // The maintainer scripts are valid shell.
    for (const char* script : {"postinst", "prerm", "postrm"}) {
      ToolRun sh = runTool({"/bin/sh", "-n", ctrl + "/" + script}, dir_->file("sh-n"));
      EXPECT_EQ(sh.exit_code, 0) << p << " " << script << ": " << sh.err;
    }
    const std::string root = unpacked(p);
    EXPECT_TRUE(fs::exists(root + "/usr/bin/" + p)) << p;
    EXPECT_TRUE(fs::exists(root + "/etc/stockwire/" + name + ".json")) << p;
    EXPECT_TRUE(fs::exists(root + "/lib/systemd/system/" + p + ".service")) << p;
    EXPECT_TRUE(fs::exists(root + "/usr/share/doc/" + p + "/copyright")) << p;
    EXPECT_TRUE(fs::exists(root + "/usr/share/doc/" + p + "/changelog.gz")) << p;
    EXPECT_TRUE(fs::exists(root + "/usr/share/man/man1/" + p + ".1.gz")) << p;
  }
  // The others have no config and no scripts.
  for (const std::string p : {"stockwire-provision", "stockwire-tools"}) {
    EXPECT_FALSE(fs::exists(control(p) + "/conffiles")) << p;
    EXPECT_FALSE(fs::exists(control(p) + "/postinst")) << p;
  }
  for (const char* tool : {"stockwire-loadgen", "stockwire-channel-sim", "stockwire-device-emulator"}) {
    EXPECT_TRUE(fs::exists(unpacked("stockwire-tools") + "/usr/bin/" + tool)) << tool;
    EXPECT_TRUE(fs::exists(unpacked("stockwire-tools") + "/usr/share/man/man1/" + tool + ".1.gz")) << tool;
  }
  EXPECT_TRUE(fs::exists(unpacked("stockwire-provision") + "/usr/bin/stockwire-provision"));
}

// lintian, Debian's package checker, when installed (tools/install-deps installs it): no errors.
// Its warnings are printed for whoever reads the log (today there are none).
TEST_F(Packages, LintianFindsNoErrors) {
  if (!fs::exists("/usr/bin/lintian")) GTEST_SKIP() << "lintian is not installed (tools/install-deps installs it)";
  ASSERT_EQ(debs_.size(), kPackages.size());
  std::vector<std::string> argv = {"/usr/bin/lintian", "--tag-display-limit", "0"};
  for (const auto& [p, deb] : debs_) argv.push_back(deb);
  ToolRun r = runTool(argv, dir_->file("lintian"));
  std::cout << "lintian:\n" << r.out << r.err;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_NE(line.rfind("E: ", 0), 0u) << line;
  }
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2) << "lintian failed to run: " << r.err;
}

// The units as installed, with systemd's own checker: in a root holding both packages (so
// ExecStart's binary exists) and this machine's targets and slices (what the units are ordered
// against). An unknown key or bad value is a warning naming the unit: that fails too.
TEST_F(Packages, TheUnitsPassSystemdAnalyzeVerify) {
  if (!fs::exists("/usr/bin/systemd-analyze")) GTEST_SKIP() << "systemd-analyze is not installed (Debian systemd)";
  ASSERT_EQ(debs_.size(), kPackages.size());
  const std::string root = dir_->file("verify-root");
  const std::string units = root + "/lib/systemd/system";
  fs::create_directories(units);
  for (const auto& e : fs::directory_iterator("/lib/systemd/system")) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".target" || ext == ".slice")) fs::copy_file(e.path(), units + "/" + e.path().filename().string());
  }
  std::vector<std::string> argv = {"/usr/bin/systemd-analyze", "verify", "--man=no", "--root=" + root};
  for (const std::string p : {"stockwire-agent", "stockwire-coordinator"}) {
    fs::copy(unpacked(p), root, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    argv.push_back(units + "/" + p + ".service");
  }
  ToolRun r = runTool(argv, dir_->file("verify"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err.find(".service:"), std::string::npos) << r.err;
}

// The binaries as installed, from the unpacked root: --version, then a start on the example
// config the package ships (broker, store and address given on the command line, as they win).
TEST_F(Packages, TheUnpackedAgentAndCoordinatorRunFromTheirConfig) {
  ASSERT_EQ(debs_.size(), kPackages.size());
  TempDir run;
  Broker broker;
  for (const std::string name : {"coordinator", "agent"}) {
    const std::string p = "stockwire-" + name;
    const std::string root = unpacked(p);
    const std::string bin = root + "/usr/bin/" + p;
    ToolRun v = runTool({bin, "--version"}, run.file(p + "-version"));
    EXPECT_EQ(v.exit_code, 0) << v.err;
    EXPECT_EQ(v.out.rfind(p + " " + std::string(common::version()) + "\ncommit ", 0), 0u) << v.out;
    EXPECT_NE(v.out.find("\nschemas "), std::string::npos) << v.out;
    const std::string command = name == "agent" ? "run" : "serve";
    Child c = Child::spawn({bin, command, "--config", root + "/etc/stockwire/" + name + ".json", "--broker",
                            broker.url(), "--db", run.file(name + ".db"), "--http", "127.0.0.1:0"},
                           run.file(p));
    EXPECT_GT(c.waitForHttpPort(std::chrono::seconds(30)), 0) << p << ": " << c.stderrText();
    const int status = c.kill(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << p << " status " << status << ": " << c.stderrText();
  }
}

// As an admin installs them: dpkg -i of all four into an overlay over / in a private mount
// namespace (tests/package/install_in_overlay.sh; this machine is untouched), so the maintainer
// scripts really run: the stockwire user and /var/lib/stockwire 0700, the conffiles registered,
// both daemons started as that user on their packaged config, a reinstall keeping an edited
// config, an upgrade from an earlier version with sales waiting unsent, and a purge keeping the
// data. Needs root and overlayfs.
TEST_F(Packages, InstallRunReinstallUpgradeAndPurgeAsAnAdminWould) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (a private mount namespace with an overlay over /)";
  if (!fs::exists("/usr/bin/unshare")) GTEST_SKIP() << "needs unshare (util-linux)";
  ASSERT_EQ(debs_.size(), kPackages.size());
  Broker broker;
  std::vector<std::string> argv = {"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh",
                                   std::string(SW_SOURCE_DIR) + "/tests/package/install_in_overlay.sh",
                                   dir_->file("overlay"), broker.url()};
  for (const auto& [p, deb] : debs_) argv.push_back(deb);
  ToolRun r = runTool(argv, dir_->file("overlay-run"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::map<std::string, std::string> facts;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (size_t eq = line.find('='); eq != std::string::npos) facts[line.substr(0, eq)] = line.substr(eq + 1);
  }
  if (facts["overlay"] == "unavailable") {
    GTEST_SKIP() << "no overlayfs here: " << readText(dir_->file("overlay/mount.log"));
  }
  ASSERT_EQ(facts["install"], "ok") << readText(dir_->file("overlay/install.log"));
  EXPECT_EQ(facts["user"], "stockwire:/var/lib/stockwire:/usr/sbin/nologin");
  EXPECT_EQ(facts["group"], "stockwire");
  EXPECT_EQ(facts["datadir"], "700 stockwire stockwire");
  EXPECT_EQ(facts["conffiles"], "/etc/stockwire/agent.json /etc/stockwire/coordinator.json ");
  EXPECT_EQ(facts["coordinator"], "listening") << readText(dir_->file("overlay/coordinator.err"));
  EXPECT_EQ(facts["coordinator_exit"], "0");
  EXPECT_EQ(facts["agent"], "listening") << readText(dir_->file("overlay/agent.err"));
  EXPECT_EQ(facts["agent_exit"], "0");
  // Made by the daemons, as the stockwire user. (Outside systemd the ledger gets the caller's
  // umask; the units set UMask=0077. The agent's store is 0600 whatever the umask.)
  EXPECT_EQ(facts["ledger"].substr(facts["ledger"].find(' ') + 1), "stockwire") << facts["ledger"];
  EXPECT_EQ(facts["store"], "600 stockwire");
  EXPECT_EQ(facts["reinstall"], "ok") << readText(dir_->file("overlay/reinstall.log"));
  EXPECT_EQ(facts["edited_config"], "1");
  EXPECT_EQ(facts["datadir_after_reinstall"], "700 stockwire");
  // Installed over an earlier version of the packages (install=ok above is that upgrade) with
  // five sales waiting unsent: all five reach the ledger once, after it.
  EXPECT_EQ(facts["prev_install"], "ok") << readText(dir_->file("overlay/prev-install.log"));
  EXPECT_NE(facts["prev_version"].find("~prev"), std::string::npos) << facts["prev_version"];
  EXPECT_EQ(facts["device_add"], "") << readText(dir_->file("overlay/device-add.log"));
  EXPECT_EQ(facts["sold_before_upgrade"], "5") << readText(dir_->file("overlay/agent-prev.err"));
  EXPECT_EQ(facts["upgraded_to"], "new");
  EXPECT_EQ(facts["synced_after_upgrade"], "5") << readText(dir_->file("overlay/coordinator-up.err"))
                                                 << readText(dir_->file("overlay/agent-up.err"));
  EXPECT_EQ(facts["purge"], "ok") << readText(dir_->file("overlay/purge.log"));
  EXPECT_EQ(facts["binary_after_purge"], "gone");
  EXPECT_EQ(facts["config_after_purge"], "gone");
  EXPECT_EQ(facts["ledger_after_purge"], "kept");
}

}  // namespace
}  // namespace sw::test
