#pragma once
// The fleet's certificates, on the OpenSSL 3 C API (src/x509.cpp is the only file that includes
// OpenSSL headers). Everything goes in and out as PEM text; keys are EC P-256, signatures
// ECDSA-SHA256.
//
// The fleet has two CAs: a self-signed root (its key can be kept offline once the issuing CA
// exists) and an issuing CA signed by the root, which signs device and server certificates and
// the CRL. A chain file ("CA bundle") is the issuing CA's certificate followed by the root's.
//
// Errors are kReject with a stable code (bad input: the caller answers 4xx or refuses), except
// `openssl_error` (kFatal: the library failed on input it had accepted).
//   bad_key, bad_cert, bad_csr, bad_csr_signature, bad_cn, csr_cn_mismatch, bad_crl,
//   bad_serial, bad_validity, cert_untrusted, cert_expired, cert_not_yet_valid, cert_revoked,
//   crl_missing, openssl_error

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"

namespace sw::common::x509 {

// A new EC P-256 private key, PKCS#8 PEM (write it with writeSecretFile).
Result<std::string> generateKey();

// A certificate signing request for key_pem with subject CN = common_name, self-signed with the key.
Result<std::string> makeCsr(const std::string& key_pem, const std::string& common_name);

struct CsrInfo {
  std::string common_name;
};
// Parses a CSR and checks its signature (proof that the sender holds the key). Accepts one
// PEM block, at most 16 KiB.
Result<CsrInfo> parseCsr(std::string_view csr_pem);

struct Validity {
  int64_t not_before_ms = 0;
  int64_t not_after_ms = 0;
};

// A CA and the key it signs with.
struct Signer {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed root CA (basicConstraints CA:TRUE, pathlen 1; keyCertSign, cRLSign).
Result<std::string> makeRootCa(const std::string& key_pem, const std::string& common_name, Validity validity);
// An issuing CA for subject_key_pem, signed by the root (CA:TRUE, pathlen 0).
Result<std::string> makeIssuingCa(const Signer& root, const std::string& subject_key_pem,
                                  const std::string& common_name, Validity validity);

struct ClientCertOptions {
  Validity validity;
  // When not empty, the CSR's CN must equal it (kReject csr_cn_mismatch).
  std::string expected_common_name;
};
// Signs a CSR as a TLS client certificate: subject CN from the CSR (it must be a valid id, see
// common/event.h isValidId, since brokers use it as the user name), random 128-bit serial,
// basicConstraints CA:FALSE, keyUsage digitalSignature, extendedKeyUsage clientAuth.
Result<std::string> signClientCsr(const Signer& issuer, std::string_view csr_pem, const ClientCertOptions& options);

// A TLS server certificate for key_pem: CN, subjectAltName with every entry of hosts (an IPv4 or
// IPv6 address becomes IP:, anything else DNS:), extendedKeyUsage serverAuth.
Result<std::string> makeServerCert(const Signer& issuer, const std::string& key_pem, const std::string& common_name,
                                   const std::vector<std::string>& hosts, Validity validity);

// A CRL by the issuer listing serials_hex (as certInfo reports them), valid from this_update to next_update.
Result<std::string> makeCrl(const Signer& issuer, const std::vector<std::string>& serials_hex, int64_t this_update_ms,
                            int64_t next_update_ms);
// The serials a CRL lists (lower-case hex); the CRL's signature is not checked here (verify does).
Result<std::vector<std::string>> crlSerials(std::string_view crl_pem);

struct CertInfo {
  std::string common_name;
  std::string serial_hex;  // lower-case, no leading zeros
  std::string issuer_common_name;
  int64_t not_before_ms = 0;
  int64_t not_after_ms = 0;
  bool is_ca = false;
  std::string sha256_hex;  // SHA-256 of the certificate's DER encoding, lower-case hex
};
// The first certificate of a PEM text.
Result<CertInfo> certInfo(std::string_view cert_pem);

enum class Purpose { kAny, kClient, kServer };
struct VerifyOptions {
  int64_t at_ms = 0;     // 0 = now
  std::string crl_pem;   // when set, the leaf is checked against it (it must be the issuer's)
  Purpose purpose = Purpose::kAny;
  // When set, the one trust anchor: chain_pem must hold a self-signed certificate with this
  // SHA-256 (CertInfo::sha256_hex) and no other self-signed one.
  std::string anchor_sha256;
};
// Verifies the first certificate of cert_pem against chain_pem (self-signed certificates in it
// are the trust anchors, the others intermediates).
Status verify(std::string_view cert_pem, std::string_view chain_pem, const VerifyOptions& options);

// True when the certificate's public key is key_pem's (a renewed certificate is for the key
// the device made for it).
bool certMatchesKey(std::string_view cert_pem, std::string_view key_pem);

// Lower-cases hex and strips leading zeros, so serials from different tools compare equal;
// empty if the text is not hex.
std::string normalizeSerial(std::string_view hex);

}  // namespace sw::common::x509
