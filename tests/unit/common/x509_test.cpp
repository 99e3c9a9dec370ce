// The certificate adapter on real OpenSSL: a fleet's root and issuing CA, client and server
// certificates, CRLs, and what it refuses (garbage, forged CSR signatures, wrong names, other
// CAs, expiry, revocation). Key files are written 0600.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "sw/common/files.h"
#include "sw/common/x509.h"
#include "test_support.h"

using namespace sw::common;

namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kNow = 1'780'000'000'000;  // a fixed moment (2026)

struct Fleet {
  x509::Signer root;
  x509::Signer issuing;
  std::string chain;
};

Fleet makeFleet(const std::string& name = "fleet") {
  Fleet f;
  f.root.key_pem = x509::generateKey().value();
  f.root.cert_pem = x509::makeRootCa(f.root.key_pem, name + " root", {kNow - 365 * kDay, kNow + 3650 * kDay}).value();
  f.issuing.key_pem = x509::generateKey().value();
  f.issuing.cert_pem =
      x509::makeIssuingCa(f.root, f.issuing.key_pem, name + " issuing", {kNow - 365 * kDay, kNow + 1825 * kDay}).value();
  f.chain = f.issuing.cert_pem + f.root.cert_pem;
  return f;
}

std::string clientCert(const Fleet& f, const std::string& cn, x509::Validity v = {kNow - kDay, kNow + 30 * kDay}) {
  std::string key = x509::generateKey().value();
  std::string csr = x509::makeCsr(key, cn).value();
  auto cert = x509::signClientCsr(f.issuing, csr, {v, cn});
  EXPECT_TRUE(cert.ok()) << (cert.ok() ? "" : cert.error().toString());
  return cert.ok() ? cert.value() : "";
}

x509::VerifyOptions at(int64_t ms, std::string crl = "") {
  x509::VerifyOptions o;
  o.at_ms = ms;
  o.crl_pem = std::move(crl);
  o.purpose = x509::Purpose::kClient;
  return o;
}

}  // namespace

TEST(X509, ClientCertificateCarriesTheCsrNameAndVerifiesAgainstTheChain) {
  Fleet f = makeFleet();
  std::string cert = clientCert(f, "till-0001");
  auto info = x509::certInfo(cert);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "till-0001");
  EXPECT_EQ(info->issuer_common_name, "fleet issuing");
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->not_after_ms, kNow + 30 * kDay);
  EXPECT_GE(info->serial_hex.size(), 31u);  // 128 random bits, top bit clear
  EXPECT_EQ(info->serial_hex, x509::normalizeSerial(info->serial_hex));
  EXPECT_TRUE(x509::verify(cert, f.chain, at(kNow)).ok());
  // Two certificates never share a serial.
  EXPECT_NE(x509::certInfo(clientCert(f, "till-0001"))->serial_hex, info->serial_hex);
  // A client certificate is no server certificate, and it cannot sign.
  x509::VerifyOptions server = at(kNow);
  server.purpose = x509::Purpose::kServer;
  EXPECT_FALSE(x509::verify(cert, f.chain, server).ok());
  EXPECT_FALSE(x509::signClientCsr({cert, ""}, x509::makeCsr(x509::generateKey().value(), "x").value(), {}).ok());
}

TEST(X509, CasAreCasAndTheRootIsNotNeededToIssue) {
  Fleet f = makeFleet();
  EXPECT_TRUE(x509::certInfo(f.root.cert_pem)->is_ca);
  EXPECT_TRUE(x509::certInfo(f.issuing.cert_pem)->is_ca);
  EXPECT_EQ(x509::certInfo(f.issuing.cert_pem)->issuer_common_name, "fleet root");
  // Issuing needs only the issuing CA's key; the chain then needs the root's certificate only.
  std::string cert = clientCert(f, "hh-1");
  EXPECT_TRUE(x509::verify(cert, f.chain, at(kNow)).ok());
  // Without the root as anchor the chain does not verify.
  EXPECT_EQ(x509::verify(cert, f.issuing.cert_pem, at(kNow)).error().code, "cert_untrusted");
}

TEST(X509, ServerCertificateHasTheHostsAsSans) {
  Fleet f = makeFleet();
  std::string key = x509::generateKey().value();
  auto cert = x509::makeServerCert(f.issuing, key, "broker", {"127.0.0.1", "localhost", "::1"}, {kNow - kDay, kNow + kDay});
  ASSERT_TRUE(cert.ok()) << cert.error().toString();
  x509::VerifyOptions o = at(kNow);
  o.purpose = x509::Purpose::kServer;
  EXPECT_TRUE(x509::verify(*cert, f.chain, o).ok());
  EXPECT_EQ(x509::makeServerCert(f.issuing, key, "broker", {"bad host,DNS:evil"}, {kNow, kNow + kDay}).error().code,
            "bad_hosts");
  EXPECT_EQ(x509::makeServerCert(f.issuing, key, "broker", {}, {kNow, kNow + kDay}).error().code, "bad_hosts");
}

TEST(X509, ExpiredAndNotYetValidAreRefused) {
  Fleet f = makeFleet();
  std::string cert = clientCert(f, "till-1", {kNow - 10 * kDay, kNow - kDay});
  EXPECT_EQ(x509::verify(cert, f.chain, at(kNow)).error().code, "cert_expired");
  EXPECT_EQ(x509::verify(cert, f.chain, at(kNow - 11 * kDay)).error().code, "cert_not_yet_valid");
  EXPECT_TRUE(x509::verify(cert, f.chain, at(kNow - 5 * kDay)).ok());
  EXPECT_EQ(x509::signClientCsr(f.issuing, x509::makeCsr(x509::generateKey().value(), "a").value(), {{kNow, kNow}, ""})
                .error()
                .code,
            "bad_validity");
}

TEST(X509, AnotherFleetsCertificateIsUntrusted) {
  Fleet mine = makeFleet("mine");
  Fleet other = makeFleet("other");
  std::string cert = clientCert(other, "till-1");
  EXPECT_EQ(x509::verify(cert, mine.chain, at(kNow)).error().code, "cert_untrusted");
  // A CA with the same names but another key is another CA.
  Fleet twin = makeFleet("mine");
  EXPECT_EQ(x509::verify(clientCert(twin, "till-1"), mine.chain, at(kNow)).error().code, "cert_untrusted");
}

TEST(X509, CrlRevokesListedSerialsOnly) {
  Fleet f = makeFleet();
  std::string a = clientCert(f, "till-a");
  std::string b = clientCert(f, "till-b");
  std::string serial_a = x509::certInfo(a)->serial_hex;
  auto crl = x509::makeCrl(f.issuing, {serial_a}, kNow, kNow + 7 * kDay);
  ASSERT_TRUE(crl.ok()) << crl.error().toString();
  EXPECT_EQ(x509::crlSerials(*crl).value(), std::vector<std::string>{serial_a});
  EXPECT_EQ(x509::verify(a, f.chain, at(kNow + 1000, *crl)).error().code, "cert_revoked");
  EXPECT_TRUE(x509::verify(b, f.chain, at(kNow + 1000, *crl)).ok());
  // Serials compare whatever their case and leading zeros.
  auto upper = x509::makeCrl(f.issuing, {"00" + std::string(1, 'A') + serial_a.substr(1)}, kNow, kNow + kDay);
  ASSERT_TRUE(upper.ok());
  // A CRL signed by another CA does not count: the check fails closed.
  Fleet other = makeFleet("other");
  auto foreign = x509::makeCrl(other.issuing, {}, kNow, kNow + kDay);
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(x509::verify(b, f.chain, at(kNow + 1000, *foreign)).error().code, "crl_missing");
  EXPECT_EQ(x509::makeCrl(f.issuing, {"xyz"}, kNow, kNow + kDay).error().code, "bad_serial");
  EXPECT_EQ(x509::crlSerials("garbage").error().code, "bad_crl");
}

TEST(X509, GarbageIsRefusedWithClearCodes) {
  Fleet f = makeFleet();
  for (std::string junk : {std::string(""), std::string("garbage"),
                           std::string("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
                           std::string(20000, 'A')}) {
    EXPECT_EQ(x509::parseCsr(junk).error().code, "bad_csr") << junk.substr(0, 40);
    EXPECT_EQ(x509::signClientCsr(f.issuing, junk, {}).error().code, "bad_csr");
    EXPECT_EQ(x509::certInfo(junk).error().code, "bad_cert");
    EXPECT_EQ(x509::makeCsr(junk, "x").error().code, "bad_key");
    EXPECT_FALSE(x509::verify(junk, f.chain, at(kNow)).ok());
  }
  // A certificate is not a CSR, nor a key.
  EXPECT_EQ(x509::parseCsr(f.root.cert_pem).error().code, "bad_csr");
  EXPECT_EQ(x509::makeCsr(f.root.cert_pem, "x").error().code, "bad_key");
  // The issuing CA's certificate with the root's key is not a signer.
  EXPECT_EQ(x509::signClientCsr({f.issuing.cert_pem, f.root.key_pem},
                                x509::makeCsr(x509::generateKey().value(), "x").value(), {})
                .error()
                .code,
            "bad_key");
}

TEST(X509, CsrWithABadSignatureIsRefused) {
  std::string key = x509::generateKey().value();
  std::string csr = x509::makeCsr(key, "till-1").value();
  ASSERT_EQ(x509::parseCsr(csr)->common_name, "till-1");
  // Flip one character inside the base64 body near the end (the signature).
  size_t end = csr.find("-----END");
  ASSERT_NE(end, std::string::npos);
  std::string forged = csr;
  size_t pos = end - 10;
  while (forged[pos] == '\n' || forged[pos] == '=') --pos;
  forged[pos] = forged[pos] == 'A' ? 'B' : 'A';
  auto r = x509::parseCsr(forged);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_csr_signature") << r.error().message;
  Fleet f = makeFleet();
  EXPECT_FALSE(x509::signClientCsr(f.issuing, forged, {}).ok());
}

TEST(X509, CsrNameMustMatchAndBeAValidDeviceId) {
  Fleet f = makeFleet();
  std::string key = x509::generateKey().value();
  x509::ClientCertOptions o{{kNow, kNow + kDay}, "till-A"};
  EXPECT_EQ(x509::signClientCsr(f.issuing, x509::makeCsr(key, "till-B").value(), o).error().code, "csr_cn_mismatch");
  // A name that would break out of an ACL line is no device id.
  o.expected_common_name.clear();
  EXPECT_EQ(x509::signClientCsr(f.issuing, x509::makeCsr(key, "x\ntopic readwrite #").value(), o).error().code,
            "bad_cn");
  EXPECT_EQ(x509::signClientCsr(f.issuing, x509::makeCsr(key, "a b").value(), o).error().code, "bad_cn");
  EXPECT_EQ(x509::makeCsr(key, "").error().code, "bad_cn");
}

TEST(X509, CertificateMatchesOnlyItsOwnKey) {
  Fleet f = makeFleet();
  std::string key = x509::generateKey().value();
  std::string cert = x509::signClientCsr(f.issuing, x509::makeCsr(key, "till-1").value(), {{kNow, kNow + kDay}, ""}).value();
  EXPECT_TRUE(x509::certMatchesKey(cert, key));
  EXPECT_FALSE(x509::certMatchesKey(cert, x509::generateKey().value()));
  EXPECT_FALSE(x509::certMatchesKey("garbage", key));
}

TEST(X509, SecretFilesAre0600AndReplacedWhole) {
  sw::test::TempDir dir;
  std::string path = dir.file("device.key");
  ASSERT_TRUE(writeSecretFile(path, "one").ok());
  ASSERT_TRUE(writeSecretFile(path, x509::generateKey().value()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(readFile(path)->find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(writeSecretFile(dir.file("no/such/dir/key"), "x").error().code, "write_failed");
  EXPECT_EQ(readFile(dir.file("missing")).error().code, "read_failed");
}

TEST(X509, APinnedRootIsTheOnlyAnchor) {
  Fleet mine = makeFleet("mine");
  Fleet other = makeFleet("other");
  const std::string pin = x509::certInfo(mine.root.cert_pem)->sha256_hex;
  ASSERT_EQ(pin.size(), 64u);
  EXPECT_NE(pin, x509::certInfo(other.root.cert_pem)->sha256_hex);
  x509::VerifyOptions o = at(kNow);
  o.anchor_sha256 = pin;
  EXPECT_TRUE(x509::verify(clientCert(mine, "till-1"), mine.chain, o).ok());
  // Another fleet's chain, even if its certificate verifies against it, is refused.
  EXPECT_EQ(x509::verify(clientCert(other, "till-1"), other.chain, o).error().code, "cert_untrusted");
  // The pinned root with a second root beside it (a man in the middle adding his own) is refused.
  EXPECT_EQ(x509::verify(clientCert(other, "till-1"), mine.chain + other.chain, o).error().code, "cert_untrusted");
  EXPECT_EQ(x509::verify(clientCert(mine, "till-1"), mine.chain + other.root.cert_pem, o).error().code,
            "cert_untrusted");
  // A chain without any root is refused when a root is pinned.
  EXPECT_EQ(x509::verify(clientCert(mine, "till-1"), mine.issuing.cert_pem, o).error().code, "cert_untrusted");
}
