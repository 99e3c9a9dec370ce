#include <gtest/gtest.h>

#include "sw/provision/fleet.h"

using namespace sw;

TEST(Fleet, ReadsDevicesAndReportsEveryBadRowWithoutDroppingTheGoodOnes) {
  auto f = provision::parseFleetCsv(
      "device_id,location,kind,nearby\r\n"
      "till-1,store-1,till,\r\n"
      "hh-1,store-1,handheld,store-2|dc-1\n"
      "till 2,store-1,till,\n"
      "till-1,store-9,till,\n"
      "hh-2,store-2,forklift,\n"
      "hh-3,store-2,handheld,store-2\n"
      "\"hh-4\",store-2,handheld\n"
      "hh-5,st\"ore-2,till\n"
      "a,b\n");
  ASSERT_TRUE(f.ok()) << f.error().toString();
  ASSERT_EQ(f->devices.size(), 3u);
  EXPECT_EQ(f->devices[1].nearby, (std::vector<std::string>{"store-2", "dc-1"}));
  EXPECT_EQ(f->devices[2].device_id, "hh-4");
  std::vector<std::string> codes;
  for (const auto& e : f->errors) codes.push_back(std::to_string(e.row) + ":" + e.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"3:bad_device_id", "4:duplicate_device", "5:bad_kind", "6:bad_nearby",
                                             "8:bad_quote", "9:bad_columns"}));
}

TEST(Fleet, AWrongHeaderOrAnEmptyFileIsRefused) {
  EXPECT_EQ(provision::parseFleetCsv("").error().code, "bad_header");
  EXPECT_EQ(provision::parseFleetCsv("id,loc,kind\nx,y,till\n").error().code, "bad_header");
  EXPECT_EQ(provision::parseFleetCsv("device_id,location,kind,nearby,extra\n").error().code, "bad_header");
}

TEST(Fleet, TheAclGivesEachDeviceOnlyItsOwnTopics) {
  auto f = provision::parseFleetCsv("device_id,location,kind,nearby\nhh-1,store-1,handheld,store-2\n");
  ASSERT_TRUE(f.ok());
  std::string acl = provision::mosquittoAcl(*f, "coord");
  EXPECT_NE(acl.find("user coord\ntopic readwrite sw/v1/#\n"), std::string::npos);
  EXPECT_NE(acl.find("user hh-1\ntopic write sw/v1/dev/hh-1/events\n"), std::string::npos);
  EXPECT_NE(acl.find("topic read sw/v1/loc/store-2/notice\n"), std::string::npos);
  EXPECT_EQ(acl.find("\npattern"), std::string::npos);
  EXPECT_EQ(acl.find("%c"), std::string::npos);
  EXPECT_EQ(acl.find("topic write sw/v1/dev/+"), std::string::npos);
  EXPECT_EQ(acl.find("sw/v1/dev/#"), std::string::npos);
  nlohmann::json cfg = provision::agentConfig(f->devices[0], {.broker_url = "ssl://mqtt:8883", .ca_file = "/etc/ca.pem"});
  EXPECT_EQ(cfg["device_id"], "hh-1");
  EXPECT_EQ(cfg["nearby"], "store-2");
  EXPECT_EQ(cfg["db"], "/var/lib/stockwire/hh-1.db");
  EXPECT_EQ(cfg["ca"], "/etc/ca.pem");
}
