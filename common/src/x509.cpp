// OpenSSL adapter for sw/common/x509.h.

#include "sw/common/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cctype>
#include <ctime>
#include <memory>

#include "sw/common/crypto.h"
#include "sw/common/event.h"

namespace sw::common::x509 {
namespace {

constexpr size_t kMaxPem = 16 * 1024;

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Req = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Crl = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Asn1Int = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1Time = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using Revoked = std::unique_ptr<X509_REVOKED, Deleter<X509_REVOKED, X509_REVOKED_free>>;
void freeCertStack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
using CertStack = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), freeCertStack>>;

// The library's error queue as text (and cleared), for messages.
std::string sslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Error reject(const std::string& code, const std::string& message) {
  std::string detail = sslErrors();
  return Error::reject(code, detail.empty() ? message : message + " (" + detail + ")");
}

Error internal(const std::string& what) { return Error::fatal("openssl_error", what + ": " + sslErrors()); }

Bio memIn(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

Result<std::string> bioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n < 0 || data == nullptr) return internal("reading a memory BIO");
  return std::string(data, static_cast<size_t>(n));
}

Result<Key> loadKey(std::string_view pem) {
  if (pem.size() > kMaxPem) return Error::reject("bad_key", "the key is too long");
  Bio in = memIn(pem);
  Key key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  if (!key) return reject("bad_key", "not a PEM private key");
  return key;
}

Result<Cert> loadCert(std::string_view pem) {
  if (pem.size() > 64 * 1024) return Error::reject("bad_cert", "the certificate text is too long");
  Bio in = memIn(pem);
  Cert cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) return reject("bad_cert", "not a PEM certificate");
  return cert;
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return "";
  return crypto::hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

Result<std::vector<Cert>> loadCerts(std::string_view pem) {
  std::vector<Cert> out;
  if (pem.size() > 256 * 1024) return Error::reject("bad_cert", "the certificate bundle is too long");
  Bio in = memIn(pem);
  for (;;) {
    Cert c(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    if (!c) break;
    out.push_back(std::move(c));
  }
  ERR_clear_error();  // the read that ends the loop leaves "no start line"
  if (out.empty()) return Error::reject("bad_cert", "no PEM certificate in the bundle");
  return out;
}

Result<std::string> certPem(X509* cert) {
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509(out.get(), cert) != 1) return internal("writing a certificate");
  return bioText(out.get());
}

Result<Asn1Time> asn1Time(int64_t ms) {
  Asn1Time t(ASN1_TIME_set(nullptr, static_cast<time_t>(ms / 1000)));
  if (!t) return internal("making a time");
  return t;
}

int64_t timeMs(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string commonName(const X509_NAME* name) {
  if (name == nullptr) return {};
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  // A second CN makes the identity ambiguous: refuse it by reporting none.
  if (X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  if (out.find('\0') != std::string::npos) return {};
  return out;
}

Status setName(X509_NAME* name, const std::string& common_name) {
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return reject("bad_cn", "cannot use '" + common_name + "' as a common name");
  }
  return {};
}

Status addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return internal(std::string("making extension ") + OBJ_nid2sn(nid) + "=" + value);
  int rc = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (rc != 1) return internal("adding an extension");
  return {};
}

Status setRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return internal("random serial");
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x40;  // and a full 16 bytes long
  Bn bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) return internal("serial");
  return {};
}

std::string serialHex(const ASN1_INTEGER* serial) {
  Bn bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return {};
  std::string out = normalizeSerial(hex);
  OPENSSL_free(hex);
  return out;
}

Status checkValidity(Validity v) {
  if (v.not_after_ms <= v.not_before_ms) {
    return Error::reject("bad_validity", "not_after must be later than not_before");
  }
  return {};
}

// A certificate for pubkey with the common parts: version 3, random serial, validity, subject,
// issuer (itself when issuer_cert is null), subject key identifier and authority key identifier.
Result<Cert> newCert(EVP_PKEY* pubkey, const std::string& common_name, X509* issuer_cert, Validity validity) {
  if (auto s = checkValidity(validity); !s) return s.error();
  Cert cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return internal("new certificate");
  if (auto s = setRandomSerial(cert.get()); !s) return s.error();
  auto nb = asn1Time(validity.not_before_ms);
  auto na = asn1Time(validity.not_after_ms);
  if (!nb) return nb.error();
  if (!na) return na.error();
  if (X509_set1_notBefore(cert.get(), nb->get()) != 1 || X509_set1_notAfter(cert.get(), na->get()) != 1) {
    return internal("validity");
  }
  if (auto s = setName(X509_get_subject_name(cert.get()), common_name); !s) return s.error();
  X509* issuer = issuer_cert ? issuer_cert : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1) return internal("issuer name");
  if (X509_set_pubkey(cert.get(), pubkey) != 1) return internal("public key");
  if (auto s = addExt(cert.get(), issuer, NID_subject_key_identifier, "hash"); !s) return s.error();
  if (auto s = addExt(cert.get(), issuer, NID_authority_key_identifier, "keyid:always"); !s) return s.error();
  return cert;
}

Result<std::string> signAndWrite(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) return internal("signing a certificate");
  return certPem(cert);
}

struct LoadedSigner {
  Cert cert;
  Key key;
};

Result<LoadedSigner> loadSigner(const Signer& s) {
  auto cert = loadCert(s.cert_pem);
  if (!cert) return cert.error();
  auto key = loadKey(s.key_pem);
  if (!key) return key.error();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    return reject("bad_key", "the signing key does not belong to the CA certificate");
  }
  if (X509_check_ca(cert->get()) == 0) return Error::reject("bad_cert", "the signer is not a CA");
  return LoadedSigner{std::move(*cert), std::move(*key)};
}

Result<Req> loadCsr(std::string_view pem) {
  if (pem.size() > kMaxPem) return Error::reject("bad_csr", "the CSR is longer than 16 KiB");
  Bio in = memIn(pem);
  Req req(PEM_read_bio_X509_REQ(in.get(), nullptr, nullptr, nullptr));
  if (!req) return reject("bad_csr", "not a PEM certificate request");
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (pub == nullptr) return reject("bad_csr", "the CSR has no usable public key");
  if (X509_REQ_verify(req.get(), pub) != 1) {
    return reject("bad_csr_signature", "the CSR's signature does not match its key");
  }
  return req;
}

bool isIpAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::string normalizeSerial(std::string_view hex) {
  std::string out;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
    if (out.empty() && c == '0') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.empty() && !hex.empty()) out = "0";
  return out;
}

bool certMatchesKey(std::string_view cert_pem, std::string_view key_pem) {
  auto cert = loadCert(cert_pem);
  auto key = loadKey(key_pem);
  if (!cert || !key) return false;
  bool match = X509_check_private_key(cert->get(), key->get()) == 1;
  ERR_clear_error();
  return match;
}

Result<std::string> generateKey() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return internal("generating an EC P-256 key");
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return internal("writing a key");
  }
  return bioText(out.get());
}

Result<std::string> makeCsr(const std::string& key_pem, const std::string& common_name) {
  if (common_name.empty()) return Error::reject("bad_cn", "the common name is empty");
  auto key = loadKey(key_pem);
  if (!key) return key.error();
  Req req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1) return internal("new CSR");
  if (auto s = setName(X509_REQ_get_subject_name(req.get()), common_name); !s) return s.error();
  if (X509_REQ_set_pubkey(req.get(), key->get()) != 1) return internal("CSR key");
  if (X509_REQ_sign(req.get(), key->get(), EVP_sha256()) <= 0) return internal("signing a CSR");
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509_REQ(out.get(), req.get()) != 1) return internal("writing a CSR");
  return bioText(out.get());
}

Result<CsrInfo> parseCsr(std::string_view csr_pem) {
  auto req = loadCsr(csr_pem);
  if (!req) return req.error();
  std::string cn = commonName(X509_REQ_get_subject_name(req->get()));
  if (cn.empty()) return Error::reject("bad_cn", "the CSR has no single common name");
  return CsrInfo{cn};
}

Result<std::string> makeRootCa(const std::string& key_pem, const std::string& common_name, Validity validity) {
  auto key = loadKey(key_pem);
  if (!key) return key.error();
  auto cert = newCert(key->get(), common_name, nullptr, validity);
  if (!cert) return cert.error();
  if (auto s = addExt(cert->get(), cert->get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:1"); !s) return s.error();
  if (auto s = addExt(cert->get(), cert->get(), NID_key_usage, "critical,keyCertSign,cRLSign"); !s) return s.error();
  return signAndWrite(cert->get(), key->get());
}

Result<std::string> makeIssuingCa(const Signer& root, const std::string& subject_key_pem,
                                  const std::string& common_name, Validity validity) {
  auto signer = loadSigner(root);
  if (!signer) return signer.error();
  auto key = loadKey(subject_key_pem);
  if (!key) return key.error();
  auto cert = newCert(key->get(), common_name, signer->cert.get(), validity);
  if (!cert) return cert.error();
  if (auto s = addExt(cert->get(), signer->cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"); !s) {
    return s.error();
  }
  if (auto s = addExt(cert->get(), signer->cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"); !s) {
    return s.error();
  }
  return signAndWrite(cert->get(), signer->key.get());
}

Result<std::string> signClientCsr(const Signer& issuer, std::string_view csr_pem, const ClientCertOptions& options) {
  auto req = loadCsr(csr_pem);
  if (!req) return req.error();
  std::string cn = commonName(X509_REQ_get_subject_name(req->get()));
  if (cn.empty()) return Error::reject("bad_cn", "the CSR has no single common name");
  if (!isValidId(cn)) return Error::reject("bad_cn", "the CSR's common name is not a valid device id");
  if (!options.expected_common_name.empty() && cn != options.expected_common_name) {
    return Error::reject("csr_cn_mismatch",
                         "the CSR is for '" + cn + "', expected '" + options.expected_common_name + "'");
  }
  auto signer = loadSigner(issuer);
  if (!signer) return signer.error();
  auto cert = newCert(X509_REQ_get0_pubkey(req->get()), cn, signer->cert.get(), options.validity);
  if (!cert) return cert.error();
  X509* ca = signer->cert.get();
  if (auto s = addExt(cert->get(), ca, NID_basic_constraints, "critical,CA:FALSE"); !s) return s.error();
  if (auto s = addExt(cert->get(), ca, NID_key_usage, "critical,digitalSignature"); !s) return s.error();
  if (auto s = addExt(cert->get(), ca, NID_ext_key_usage, "clientAuth"); !s) return s.error();
  return signAndWrite(cert->get(), signer->key.get());
}

Result<std::string> makeServerCert(const Signer& issuer, const std::string& key_pem, const std::string& common_name,
                                   const std::vector<std::string>& hosts, Validity validity) {
  if (hosts.empty()) return Error::reject("bad_hosts", "a server certificate needs at least one host name");
  std::string san;
  for (const auto& h : hosts) {
    bool ip = isIpAddress(h);
    bool dns = !h.empty() && h.size() <= 253 &&
               h.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == std::string::npos;
    if (!ip && !dns) return Error::reject("bad_hosts", "'" + h + "' is not a host name or address");
    san += (san.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + h;
  }
  auto signer = loadSigner(issuer);
  if (!signer) return signer.error();
  auto key = loadKey(key_pem);
  if (!key) return key.error();
  auto cert = newCert(key->get(), common_name, signer->cert.get(), validity);
  if (!cert) return cert.error();
  X509* ca = signer->cert.get();
  if (auto s = addExt(cert->get(), ca, NID_basic_constraints, "critical,CA:FALSE"); !s) return s.error();
  if (auto s = addExt(cert->get(), ca, NID_key_usage, "critical,digitalSignature"); !s) return s.error();
  if (auto s = addExt(cert->get(), ca, NID_ext_key_usage, "serverAuth"); !s) return s.error();
  if (auto s = addExt(cert->get(), ca, NID_subject_alt_name, san.c_str()); !s) return s.error();
  return signAndWrite(cert->get(), signer->key.get());
}

Result<std::string> makeCrl(const Signer& issuer, const std::vector<std::string>& serials_hex, int64_t this_update_ms,
                            int64_t next_update_ms) {
  if (next_update_ms <= this_update_ms) return Error::reject("bad_validity", "next_update must be after this_update");
  auto signer = loadSigner(issuer);
  if (!signer) return signer.error();
  Crl crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), 1) != 1) return internal("new CRL");
  if (X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(signer->cert.get())) != 1) return internal("CRL issuer");
  auto tu = asn1Time(this_update_ms);
  auto nu = asn1Time(next_update_ms);
  if (!tu) return tu.error();
  if (!nu) return nu.error();
  if (X509_CRL_set1_lastUpdate(crl.get(), tu->get()) != 1 || X509_CRL_set1_nextUpdate(crl.get(), nu->get()) != 1) {
    return internal("CRL times");
  }
  for (const auto& hex : serials_hex) {
    std::string norm = normalizeSerial(hex);
    if (norm.empty()) return Error::reject("bad_serial", "'" + hex + "' is not a hex serial");
    BIGNUM* raw = nullptr;
    if (BN_hex2bn(&raw, norm.c_str()) == 0) return Error::reject("bad_serial", "'" + hex + "' is not a hex serial");
    Bn bn(raw);
    Asn1Int serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    Revoked rev(X509_REVOKED_new());
    if (!serial || !rev || X509_REVOKED_set_serialNumber(rev.get(), serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(rev.get(), tu->get()) != 1) {
      return internal("CRL entry");
    }
    if (X509_CRL_add0_revoked(crl.get(), rev.get()) != 1) return internal("CRL entry");
    (void)rev.release();  // owned by the CRL now
  }
  if (X509_CRL_sort(crl.get()) != 1) return internal("sorting the CRL");
  // CRL number: the second it was made, so a newer CRL always has a larger number.
  Asn1Int number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_int64(number.get(), this_update_ms / 1000) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
    return internal("CRL number");
  }
  if (X509_CRL_sign(crl.get(), signer->key.get(), EVP_sha256()) <= 0) return internal("signing the CRL");
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509_CRL(out.get(), crl.get()) != 1) return internal("writing the CRL");
  return bioText(out.get());
}

Result<std::vector<std::string>> crlSerials(std::string_view crl_pem) {
  if (crl_pem.size() > 4 * 1024 * 1024) return Error::reject("bad_crl", "the CRL is too long");
  Bio in = memIn(crl_pem);
  Crl crl(PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr));
  if (!crl) return reject("bad_crl", "not a PEM CRL");
  std::vector<std::string> out;
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; revoked != nullptr && i < sk_X509_REVOKED_num(revoked); ++i) {
    out.push_back(serialHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
  }
  return out;
}

Result<CertInfo> certInfo(std::string_view cert_pem) {
  auto cert = loadCert(cert_pem);
  if (!cert) return cert.error();
  CertInfo info;
  info.common_name = commonName(X509_get_subject_name(cert->get()));
  info.issuer_common_name = commonName(X509_get_issuer_name(cert->get()));
  info.serial_hex = serialHex(X509_get0_serialNumber(cert->get()));
  info.not_before_ms = timeMs(X509_get0_notBefore(cert->get()));
  info.not_after_ms = timeMs(X509_get0_notAfter(cert->get()));
  info.is_ca = X509_check_ca(cert->get()) != 0;
  info.sha256_hex = fingerprint(cert->get());
  return info;
}

Status verify(std::string_view cert_pem, std::string_view chain_pem, const VerifyOptions& options) {
  auto leaf = loadCert(cert_pem);
  if (!leaf) return leaf.error();
  auto chain = loadCerts(chain_pem);
  if (!chain) return chain.error();
  Store store(X509_STORE_new());
  CertStack untrusted(sk_X509_new_null());
  if (!store || !untrusted) return internal("new store");
  bool anchor_found = false;
  for (auto& c : *chain) {
    if (X509_self_signed(c.get(), 0) == 1) {
      if (!options.anchor_sha256.empty()) {
        if (fingerprint(c.get()) != options.anchor_sha256) {
          return Error::reject("cert_untrusted", "the CA chain holds a root other than the one pinned");
        }
        anchor_found = true;
      }
      if (X509_STORE_add_cert(store.get(), c.get()) != 1) return internal("adding a trust anchor");
    } else {
      if (sk_X509_push(untrusted.get(), c.get()) == 0) return internal("adding an intermediate");
      (void)c.release();
    }
  }
  if (!options.anchor_sha256.empty() && !anchor_found) {
    return Error::reject("cert_untrusted", "the CA chain does not hold the pinned root");
  }
  unsigned long flags = 0;
  if (!options.crl_pem.empty()) {
    Bio in = memIn(options.crl_pem);
    Crl crl(PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr));
    if (!crl) return reject("bad_crl", "not a PEM CRL");
    if (X509_STORE_add_crl(store.get(), crl.get()) != 1) return internal("adding the CRL");
    flags |= X509_V_FLAG_CRL_CHECK;
  }
  StoreCtx ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf->get(), untrusted.get()) != 1) {
    return internal("verify context");
  }
  if (flags) X509_STORE_CTX_set_flags(ctx.get(), flags);
  time_t at = static_cast<time_t>((options.at_ms ? options.at_ms : static_cast<int64_t>(std::time(nullptr)) * 1000) / 1000);
  X509_STORE_CTX_set_time(ctx.get(), 0, at);
  if (options.purpose == Purpose::kClient) X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (options.purpose == Purpose::kServer) X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  if (X509_verify_cert(ctx.get()) == 1) return {};
  int err = X509_STORE_CTX_get_error(ctx.get());
  std::string why = X509_verify_cert_error_string(err);
  ERR_clear_error();
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return Error::reject("cert_expired", "the certificate has expired");
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Error::reject("cert_not_yet_valid", "the certificate is not valid yet");
    case X509_V_ERR_CERT_REVOKED:
      return Error::reject("cert_revoked", "the certificate is revoked");
    case X509_V_ERR_UNABLE_TO_GET_CRL:
      return Error::reject("crl_missing", "no CRL from the certificate's issuer");
    default:
      return Error::reject("cert_untrusted", "the certificate does not verify: " + why);
  }
}

}  // namespace sw::common::x509
