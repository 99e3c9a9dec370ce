#include <gtest/gtest.h>

#include "sw/common/codec.h"
#include "sw/coordinator/fleet/exposure.h"

using namespace sw;
using coordinator::DeviceRow;

namespace {

constexpr int64_t kNow = 1'800'000'000'000;

DeviceRow device(bool online, uint64_t queue, int64_t age_s, int64_t seen_ago_s, int64_t disk = 1LL << 40,
                 int64_t clock_ms = 0, int64_t time_left_s = -1) {
  common::DeviceState s;
  s.online = true;
  s.session = "s";
  s.at_ms = kNow - seen_ago_s * 1000;
  s.last_seq = 100;
  s.last_acked_seq = 100 - queue;
  s.queue_depth = queue;
  s.oldest_unsynced_age_s = age_s;
  s.disk_free_bytes = disk;
  s.clock_offset_ms = clock_ms;
  s.disk_time_left_s = time_left_s;
  DeviceRow d;
  d.device_id = "till-1";
  d.online = online;
  d.last_seen_ms = kNow - seen_ago_s * 1000;
  d.last_applied_seq = 100 - queue;
  d.state_json = common::encodeDeviceState(s);
  return d;
}

std::vector<std::string> codes(const DeviceRow& d, const coordinator::ExposureLimits& l = {}) {
  std::vector<std::string> out;
  for (const auto& a : coordinator::deviceAlerts(d, kNow, l)) out.push_back(a.code + ":" + a.level);
  return out;
}

}  // namespace

TEST(Exposure, AHealthyOnlineDeviceRaisesNothing) { EXPECT_TRUE(codes(device(true, 0, 0, 1)).empty()); }

TEST(Exposure, UnsyncedAgeKeepsGrowingWhileTheDeviceIsSilent) {
  // Reported 1 h old, last heard 2 h ago, offline: the oldest event is now about 3 h old.
  auto e = coordinator::exposureOf(device(false, 40, 3600, 7200), kNow);
  EXPECT_EQ(e.queue_depth, 40u);
  EXPECT_EQ(e.oldest_unsynced_age_s, 3 * 3600);
  EXPECT_EQ(e.offline_s, 7200);
}

TEST(Exposure, WarnsAtEightyPercentAndGoesCriticalAtTheLimit) {
  coordinator::ExposureLimits l;
  l.max_offline_s = 10 * 3600;
  EXPECT_EQ(codes(device(false, 0, 0, 7 * 3600), l), std::vector<std::string>{});
  EXPECT_EQ(codes(device(false, 0, 0, 8 * 3600), l), std::vector<std::string>{"offline_long:warning"});
  auto c = codes(device(false, 5, 3600, 10 * 3600), l);
  EXPECT_NE(std::find(c.begin(), c.end(), "offline_long:critical"), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(), "unsynced_too_old:critical"), c.end());
}

TEST(Exposure, QueueDiskAndClock) {
  coordinator::ExposureLimits l;
  l.max_queue_depth = 50;
  auto c = codes(device(true, 45, 10, 1, 100LL << 20, 120'000), l);
  EXPECT_NE(std::find(c.begin(), c.end(), "queue_too_deep:warning"), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(), "disk_low:warning"), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(), "clock_skew:critical"), c.end());
}

TEST(Exposure, WhatTheLedgerAlreadyAppliedIsNotCountedAsUnsynced) {
  DeviceRow d = device(false, 30, 600, 600);
  d.last_applied_seq = 100;  // the coordinator applied everything the device reported
  auto e = coordinator::exposureOf(d, kNow);
  EXPECT_EQ(e.queue_depth, 0u);
  EXPECT_EQ(e.oldest_unsynced_age_s, 0);
}

// A store put back to an older copy reports fewer events than the ledger has from it, and (until
// its next sale conflicts) nothing else would tell IT.
TEST(Exposure, AStoreBehindTheLedgerIsFlagged) {
  DeviceRow d = device(true, 0, 0, 1);
  d.epoch = "e1";
  auto st = common::decodeDeviceState(d.state_json);
  st->epoch = "e1";
  d.state_json = common::encodeDeviceState(*st);
  EXPECT_TRUE(codes(d).empty());
  d.last_applied_seq = 130;
  EXPECT_EQ(codes(d), std::vector<std::string>{"store_behind_ledger:warning"});
  // The same report sent before the ledger applied seq 130 is only stale: the device sold since.
  d.last_applied_at_ms = kNow;
  EXPECT_TRUE(codes(d).empty());
  d.last_applied_at_ms = 0;
  d.epoch = "e2";  // renumbered since: its report is of another numbering
  EXPECT_TRUE(codes(d).empty());
}

// Issue 15 item 2: what IT sees while a device is told to renumber, and for a day after.
TEST(Exposure, ASeqConflictIsCriticalUntilRenumberedThenAWarningForADay) {
  DeviceRow d = device(true, 0, 0, 1);
  d.resequencing = 42;
  d.seq_conflicts = 1;
  d.last_conflict = "seq 42 ...";
  d.last_conflict_at_ms = kNow - 1000;
  EXPECT_EQ(codes(d), std::vector<std::string>{"seq_conflict:critical"});
  d.resequencing = 0;
  EXPECT_EQ(codes(d), std::vector<std::string>{"seq_conflict:warning"});
  d.last_conflict_at_ms = kNow - 25LL * 3600 * 1000;
  EXPECT_TRUE(codes(d).empty());
}

// Time left on the disk counts down while the device is silent, and raises an alert only while
// events stay unsynced there (synced ones are pruned, so a connected device's disk does not fill).
TEST(Exposure, DiskTimeLeftCountsDownWhileOfflineAndAlertsOnlyWhenEventsWait) {
  const int64_t day = 24 * 3600;
  auto online = coordinator::exposureOf(device(true, 0, 0, 60, 1LL << 40, 0, 10 * 3600), kNow);
  EXPECT_EQ(online.disk_time_left_s, 10 * 3600);
  EXPECT_TRUE(codes(device(true, 0, 0, 60, 1LL << 40, 0, 10 * 3600)).empty());
  // Offline for 2 h after saying 10 h: 8 h left, under the 24 h mark.
  auto off = device(false, 30, 60, 2 * 3600, 1LL << 40, 0, 10 * 3600);
  EXPECT_EQ(coordinator::exposureOf(off, kNow).disk_time_left_s, 8 * 3600);
  auto c = codes(off);
  EXPECT_NE(std::find(c.begin(), c.end(), "disk_filling:warning"), c.end());
  // Under a quarter of the mark: critical; never below zero.
  auto late = device(false, 30, 60, 20 * 3600, 1LL << 40, 0, 10 * 3600);
  EXPECT_EQ(coordinator::exposureOf(late, kNow).disk_time_left_s, 0);
  c = codes(late);
  EXPECT_NE(std::find(c.begin(), c.end(), "disk_filling:critical"), c.end());
  // Unknown (an older agent, or nothing recorded lately): no figure and no alert.
  EXPECT_EQ(coordinator::exposureOf(device(false, 30, 60, 3600), kNow).disk_time_left_s, -1);
  c = codes(device(false, 30, 60, 3600));
  EXPECT_EQ(std::find(c.begin(), c.end(), "disk_filling:warning"), c.end());
  // Plenty left: nothing.
  c = codes(device(false, 30, 60, 3600, 1LL << 40, 0, 30 * day));
  EXPECT_EQ(std::find(c.begin(), c.end(), "disk_filling:warning"), c.end());
}

// The registry's certificate: a warning in its last week, critical once expired, nothing for a
// revoked device (it may not come back) or one without a recorded certificate.
TEST(Exposure, ACertificateNearItsEndWarnsAndAnExpiredOneIsCritical) {
  coordinator::RegisteredDevice reg;
  reg.device_id = "till-1";
  auto levels = [&](int64_t left_s) {
    reg.cert_not_after_ms = kNow + left_s * 1000;
    std::vector<std::string> out;
    for (const auto& a : coordinator::certificateAlerts(reg, kNow)) out.push_back(a.code + ":" + a.level);
    return out;
  };
  EXPECT_TRUE(levels(30 * 86400).empty());
  EXPECT_EQ(levels(6 * 86400), std::vector<std::string>{"cert_expiring:warning"});
  EXPECT_EQ(levels(-3600), std::vector<std::string>{"cert_expired:critical"});
  reg.revoked = true;
  EXPECT_TRUE(levels(-3600).empty());
  reg.revoked = false;
  reg.cert_not_after_ms = 0;
  EXPECT_TRUE(coordinator::certificateAlerts(reg, kNow).empty());
}
