// The fleet directory on disk (real files, real OpenSSL): CA creation, device registration from
// the command line and CSV, enrollment tokens, issued certificates, revocation into the CRL and
// the identity-bound ACL.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "sw/common/crypto.h"
#include "sw/common/files.h"
#include "sw/provision/enroll_token.h"
#include "sw/provision/fleet_dir.h"
#include "test_support.h"

using namespace sw;

namespace {

constexpr int64_t kNow = 1'780'000'000'000;
constexpr int64_t kHour = 3'600'000;

mode_t modeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

}  // namespace

TEST(FleetDir, InitMakesTwoCasAndSecretKeysOnce) {
  test::TempDir tmp;
  auto f = provision::FleetDir::init(tmp.file("fleet"), kNow);
  ASSERT_TRUE(f.ok()) << f.error().toString();
  for (const char* k : {"root.key", "issuing.key", "enroll.key"}) EXPECT_EQ(modeOf(f->path(k)), 0600u) << k;
  auto root = common::x509::certInfo(common::readFile(f->path("root.pem")).value()).value();
  auto issuing = common::x509::certInfo(common::readFile(f->path("issuing.pem")).value()).value();
  EXPECT_TRUE(root.is_ca && issuing.is_ca);
  EXPECT_EQ(issuing.issuer_common_name, root.common_name);
  EXPECT_EQ(common::readFile(f->path("enroll.key"))->size(), provision::kEnrollKeyBytes);
  EXPECT_TRUE(common::x509::crlSerials(common::readFile(f->path("crl.pem")).value())->empty());
  EXPECT_EQ(provision::FleetDir::init(tmp.file("fleet"), kNow).error().code, "fleet_exists");
  EXPECT_EQ(provision::FleetDir::open(tmp.file("nothing")).error().code, "no_fleet");
}

TEST(FleetDir, ImportChecksEveryRowAndNamesBadOnesByRowNumber) {
  test::TempDir tmp;
  auto f = provision::FleetDir::init(tmp.file("fleet"), kNow).value();
  ASSERT_TRUE(f.addDevice("store-1", "till-1", "pos", kNow).ok());
  auto r = f.importCsv(
      "store,device_id,role\n"
      "store-1,hh-1,handheld\n"
      "store-1,till 2,pos\n"
      "store-1,till-3,forklift\n"
      "store-2,till-1,pos\n"
      "store-1,till-1,pos\n"
      "store-1,hh-1,handheld\n"
      "store-1,stockwire-coordinator,pos\n"
      "store-1,x\n"
      "bad store,till-4,pos\n"
      "store-2,till-5,pos\n",
      kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->added, 2u);
  EXPECT_EQ(r->unchanged, 0u);
  std::vector<std::string> codes;
  for (const auto& e : r->errors) codes.push_back(std::to_string(e.row) + ":" + e.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"3:bad_device_id", "4:bad_role", "5:device_exists", "6:duplicate_device", "7:duplicate_device",
                                             "8:reserved_id", "9:bad_columns", "10:bad_store"}));
  EXPECT_EQ(f.devices()->size(), 3u);
  // Importing the same devices again changes nothing.
  auto again = f.importCsv("store-1,till-1,pos\nstore-1,hh-1,handheld\n", kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->added, 0u);
  EXPECT_EQ(again->unchanged, 2u);
  EXPECT_TRUE(again->errors.empty());
}

TEST(FleetDir, TokensAreBoundToTheDeviceAndRefusedWhenForgedAlteredOrExpired) {
  test::TempDir tmp;
  auto f = provision::FleetDir::init(tmp.file("fleet"), kNow).value();
  ASSERT_TRUE(f.addDevice("store-1", "till-1", "pos", kNow).ok());
  std::string key = f.enrollKey().value();
  auto token = f.issueToken("till-1", kNow, 24 * kHour);
  ASSERT_TRUE(token.ok()) << token.error().toString();
  auto t = provision::verifyEnrollToken(key, *token, kNow + kHour);
  ASSERT_TRUE(t.ok()) << t.error().toString();
  EXPECT_EQ(t->device_id, "till-1");
  EXPECT_EQ(t->store, "store-1");
  EXPECT_EQ(t->role, "pos");
  EXPECT_EQ(t->token_id.size(), 32u);
  EXPECT_NE(provision::verifyEnrollToken(key, f.issueToken("till-1", kNow, kHour).value(), kNow)->token_id, t->token_id);

  EXPECT_EQ(provision::verifyEnrollToken(key, *token, kNow + 24 * kHour).error().code, "token_expired");
  // Another fleet's key: forged.
  EXPECT_EQ(provision::verifyEnrollToken(std::string(32, 'k'), *token, kNow).error().code, "token_forged");
  // Claims swapped for another device's, MAC kept: forged.
  std::string claims = R"({"dev":"till-9","exp":1890000000000,"id":"00000000000000000000000000000000","role":"pos","store":"store-1"})";
  std::string altered = "swe1." + common::crypto::base64UrlEncode(claims) + token->substr(token->rfind('.'));
  EXPECT_EQ(provision::verifyEnrollToken(key, altered, kNow).error().code, "token_forged");
  for (std::string bad : {std::string(""), std::string("swe1."), std::string("swe1.abc"), std::string("swe2.a.b"),
                          std::string("swe1.!!!.???"), std::string(2000, 'a')}) {
    EXPECT_EQ(provision::verifyEnrollToken(key, bad, kNow).error().code, "token_malformed") << bad;
  }
  EXPECT_EQ(f.issueToken("nobody", kNow, kHour).error().code, "unknown_device");
}

TEST(FleetDir, RevokingListsTheDevicesSerialsInTheCrlAndDropsItFromTheAcl) {
  test::TempDir tmp;
  auto f = provision::FleetDir::init(tmp.file("fleet"), kNow).value();
  ASSERT_TRUE(f.addDevice("store-1", "till-1", "pos", kNow).ok());
  ASSERT_TRUE(f.addDevice("store-1", "till-2", "pos", kNow).ok());
  ASSERT_TRUE(f.recordIssued({"till-1", "0A1B", kNow + kHour, kNow}).ok());
  ASSERT_TRUE(f.recordIssued({"till-1", "ff02", kNow + kHour, kNow}).ok());
  ASSERT_TRUE(f.recordIssued({"till-2", "cc03", kNow + kHour, kNow}).ok());
  EXPECT_NE(f.acl()->find("user till-1\n"), std::string::npos);
  ASSERT_TRUE(f.revoke("till-1", kNow).ok());
  ASSERT_TRUE(f.revoke("till-1", kNow + 1).ok());  // idempotent
  auto serials = common::x509::crlSerials(common::readFile(f.path("crl.pem")).value()).value();
  std::sort(serials.begin(), serials.end());
  EXPECT_EQ(serials, (std::vector<std::string>{"a1b", "ff02"}));
  std::string acl = f.acl().value();
  EXPECT_EQ(acl.find("till-1"), std::string::npos);
  EXPECT_NE(acl.find("user till-2\ntopic write sw/v1/dev/till-2/events\n"), std::string::npos);
  EXPECT_NE(acl.find("topic write sw/v1/dev/till-2/csr\n"), std::string::npos);
  EXPECT_EQ(f.issueToken("till-1", kNow, kHour).error().code, "device_revoked");
  EXPECT_EQ(f.addDevice("store-1", "till-1", "pos", kNow).error().code, "device_revoked");
  EXPECT_EQ(f.revoke("nobody", kNow).error().code, "unknown_device");
}

TEST(FleetDir, CoordinatorCertificateIsAClientIdentityRecordedAsIssued) {
  test::TempDir tmp;
  auto f = provision::FleetDir::init(tmp.file("fleet"), kNow).value();
  ASSERT_TRUE(f.writeCoordinatorCert(tmp.file("coord"), kNow).ok());
  EXPECT_EQ(modeOf(tmp.file("coord/coordinator.key")), 0600u);
  std::string cert = common::readFile(tmp.file("coord/coordinator.pem")).value();
  EXPECT_EQ(common::x509::certInfo(cert)->common_name, provision::kCoordinatorIdentity);
  common::x509::VerifyOptions o;
  o.at_ms = kNow;
  o.purpose = common::x509::Purpose::kClient;
  o.crl_pem = common::readFile(f.path("crl.pem")).value();
  EXPECT_TRUE(common::x509::verify(cert, f.chainPem().value(), o).ok());
  ASSERT_EQ(f.issued()->size(), 1u);
  EXPECT_EQ(f.issued()->at(0).subject, provision::kCoordinatorIdentity);
}
