// Storage faults on the agent with a real filesystem: a small tmpfs mounted in a private
// mount namespace (unshare -m) is the agent's disk, so it really fills up and really turns
// read-only. Needs root (or user namespaces); without either the tests are skipped, loudly.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "stack.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int runShell(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// True when this process may create a mount namespace and mount a tmpfs in it.
bool canMountTmpfs() {
  static int ok = -1;
  if (ok < 0) {
    ok = runShell("unshare -m --propagation private sh -c 'mount -t tmpfs -o size=1m tmpfs /mnt' 2>/dev/null") == 0;
  }
  return ok == 1;
}

class StorageFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!canMountTmpfs()) GTEST_SKIP() << "cannot mount a tmpfs in a mount namespace here (needs root)";
    disk_ = dir_.file("disk");
    std::filesystem::create_directory(disk_);
    port_ = test::freePort();
  }
  void TearDown() override {
    if (agent_.running()) agent_.kill(SIGTERM);
  }

  // The agent runs inside its own mount namespace with a 4 MiB tmpfs at disk_.
  void startAgent(const std::string& broker_url, int reserve_mb) {
    std::string cmd = "mount -t tmpfs -o size=4m tmpfs '" + disk_ + "' && exec '" + test::agentBinary() +
                      "' run --device-id till-1 --location store-1 --broker " + broker_url + " --db '" + disk_ +
                      "/till-1.db' --http 127.0.0.1:" + std::to_string(port_) + " --reserve-mb " +
                      std::to_string(reserve_mb) + " --ack-timeout-ms 1000";
    agent_ = test::Child::spawn({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", cmd},
                                dir_.file("agent"));
    ASSERT_EQ(agent_.waitForHttpPort(20s), port_) << agent_.stderrText();
  }
  // Runs a shell command inside the agent's mount namespace (from a script file, so the
  // command's own expansions happen in there).
  int inAgentNs(const std::string& cmd) {
    std::string script = dir_.file("ns-" + std::to_string(++scripts_) + ".sh");
    std::ofstream(script) << "set -e\n" << cmd << "\n";
    return runShell("nsenter -t " + std::to_string(agent_.pid()) + " -m -- sh " + script);
  }
  test::HttpReply sell(int i) {
    json body = {{"lines", {{{"sku", "SKU-" + std::to_string(i % 50)}, {"qty", 1}, {"unit_price", "2.00"}}}}};
    return test::httpPost(port_, "/v1/sales", body.dump());
  }
  json status() { return test::httpGet(port_, "/v1/status").body; }

  test::TempDir dir_;
  std::string disk_;
  int port_ = 0;
  int scripts_ = 0;
  test::Child agent_;
};

}  // namespace

TEST_F(StorageFaults, FullDiskRefusesSalesCleanlyKeepsWhatWasStoredAndRecovers) {
  test::Broker broker;
  test::CoordinatorProc coord(dir_, broker.url());
  coord.start();
  test::registerDevice(coord.db(), "till-1", "store-1");
  startAgent(broker.url(), /*reserve_mb=*/0);  // no reserve: let SQLite hit the real ENOSPC
  // Leave about 300 KiB free, then sell until the disk is full.
  ASSERT_EQ(inAgentNs("avail=$(df -k --output=avail " + disk_ + " | tail -1)\n"
                      "dd if=/dev/zero of=" + disk_ + "/filler bs=4k count=$(( (avail - 300) / 4 )) 2>/dev/null"),
            0);
  int acknowledged = 0;
  test::HttpReply refused;
  for (int i = 0; i < 5000; ++i) {
    auto r = sell(i);
    if (r.status == 201) {
      ++acknowledged;
      continue;
    }
    refused = r;
    break;
  }
  ASSERT_EQ(refused.status, 507) << "the disk never filled: " << acknowledged << " sales";
  EXPECT_EQ(refused.body["error"]["code"], "disk_full") << refused.body.dump();
  EXPECT_EQ(refused.body["error"]["kind"], "retry");
  json st = status();
  EXPECT_EQ(st["last_seq"], acknowledged) << "a refused sale was half-written";
  bool alerted = false;
  for (const auto& a : st["alerts"]) alerted |= a["code"] == "store_write_failing";
  EXPECT_TRUE(alerted) << st.dump();
  EXPECT_EQ(sell(1).status, 507);  // still full: still refused, still nothing written
  EXPECT_EQ(status()["last_seq"], acknowledged);

  ASSERT_EQ(inAgentNs("rm " + disk_ + "/filler"), 0);  // space returns
  auto after = sell(7);
  ASSERT_EQ(after.status, 201) << after.body.dump();
  EXPECT_EQ(after.body["seq"], acknowledged + 1);
  json recovered = status();  // named: a range-for over status()["alerts"] would read a destroyed temporary
  for (const auto& a : recovered["alerts"]) EXPECT_NE(a["code"], "store_write_failing") << recovered.dump();

  // Everything acknowledged reaches the ledger, once.
  ASSERT_TRUE(test::waitFor(
      [&] {
        json d = coord.device("till-1");
        return d.is_object() && d["last_applied_seq"] == acknowledged + 1 && status()["queue_depth"] == 0;
      },
      60s));
  auto events = test::httpGet(coord.port(), "/v1/events?device=till-1&limit=10000").body["events"];
  EXPECT_EQ(events.size(), static_cast<size_t>(acknowledged + 1));
}

TEST_F(StorageFaults, TheReserveRefusesBeforeTheDiskIsActuallyFull) {
  startAgent("tcp://127.0.0.1:" + std::to_string(test::freePort()), /*reserve_mb=*/3);
  ASSERT_EQ(sell(1).status, 201);
  ASSERT_EQ(inAgentNs("dd if=/dev/zero of=" + disk_ + "/filler bs=1M count=2 2>/dev/null"), 0);
  auto r = sell(2);
  EXPECT_EQ(r.status, 507);
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("reserve"), std::string::npos);
  EXPECT_EQ(status()["last_seq"], 1);
}

// The kernel will not remount a filesystem read-only under open files, so a running agent's
// writes are made to fail for real with a file-size limit (prlimit): every write that grows
// the store fails with EFBIG, which SQLite reports as an I/O error.
TEST_F(StorageFaults, FailingWritesRefuseSalesAndTheAgentRecovers) {
  startAgent("tcp://127.0.0.1:" + std::to_string(test::freePort()), 0);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(sell(i).status, 201);
  ASSERT_EQ(runShell("prlimit --pid " + std::to_string(agent_.pid()) + " --fsize=1:unlimited"), 0);
  auto r = sell(10);
  EXPECT_EQ(r.status, 503) << r.body.dump();
  EXPECT_EQ(r.body["error"]["kind"], "retry");
  EXPECT_EQ(status()["last_seq"], 5);
  ASSERT_EQ(runShell("prlimit --pid " + std::to_string(agent_.pid()) + " --fsize=unlimited:unlimited"), 0);
  bool ok = test::waitFor([&] { return sell(11).status == 201; }, 10s, 200ms);
  EXPECT_TRUE(ok) << agent_.stderrText();
  EXPECT_EQ(status()["last_seq"], 6);
  EXPECT_TRUE(agent_.running());
}

// A store on a read-only filesystem at start: the agent says so and does not run half-working.
TEST_F(StorageFaults, ReadOnlyStoreAtStartIsReportedClearly) {
  {
    startAgent("tcp://127.0.0.1:" + std::to_string(test::freePort()), 0);
    ASSERT_EQ(sell(1).status, 201);
    // Keep the store: copy it out of the tmpfs before the namespace goes away.
    ASSERT_EQ(inAgentNs("cp " + disk_ + "/till-1.db* " + dir_.path() + "/"), 0);
    agent_.kill(SIGTERM);
  }
  std::string ro = dir_.file("ro");
  std::filesystem::create_directory(ro);
  std::string cmd = "mount --bind '" + dir_.path() + "' '" + ro + "' && mount -o remount,bind,ro '" + ro +
                    "' && exec '" + test::agentBinary() + "' run --device-id till-1 --location store-1 --broker " +
                    "tcp://127.0.0.1:1 --db '" + ro + "/till-1.db' --http 127.0.0.1:0";
  auto c = test::Child::spawn({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", cmd},
                              dir_.file("agent-ro"));
  auto st = c.wait(20s);
  ASSERT_TRUE(st.has_value()) << "the agent runs on a read-only store";
  EXPECT_EQ(WEXITSTATUS(*st), 3) << c.stderrText();
  EXPECT_NE(c.stderrText().find("read-only"), std::string::npos) << c.stderrText();
}

TEST(CorruptStores, EachDamagedStoreIsReportedAndLeftUntouched) {
  for (const char* name : {"truncated.db", "bad-header.db", "bad-page.db"}) {
    test::TempDir dir;
    std::string src = std::string(SW_TEST_DATA_DIR) + "/corrupt/" + name;
    std::string db = dir.file("till-1.db");
    std::filesystem::copy_file(src, db);
    std::string before = slurp(db);
    ASSERT_FALSE(before.empty()) << src;
    auto c = test::Child::spawn({test::agentBinary(), "run", "--device-id", "till-1", "--location", "store-1",
                                 "--broker", "tcp://127.0.0.1:1", "--db", db, "--http", "127.0.0.1:0"},
                                dir.file("agent"));
    auto st = c.wait(20s);
    ASSERT_TRUE(st.has_value()) << name << ": the agent started on a damaged store";
    EXPECT_EQ(WEXITSTATUS(*st), 3) << name;
    EXPECT_NE(c.stderrText().find("corrupt_database"), std::string::npos) << name << ": " << c.stderrText();
    EXPECT_EQ(slurp(db), before) << name << " was modified";
    EXPECT_FALSE(std::filesystem::exists(db + "-wal") && std::filesystem::file_size(db + "-wal") > 0) << name;
  }
}
