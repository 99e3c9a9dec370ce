// The enrollment endpoint's parsers of outside input (common/src/x509.cpp): a CSR sent by a
// device, and certificate/CRL PEM text. Any bytes must give a value or a clean error; a CSR that
// parses must have a name and that name must survive a round trip through a new certificate.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sw/common/x509.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto csr = sw::common::x509::parseCsr(text);
  if (csr.ok() && csr->common_name.empty()) std::abort();
  if (!csr.ok() && csr.error().code.empty()) std::abort();
  auto cert = sw::common::x509::certInfo(text);
  if (!cert.ok() && cert.error().code != "bad_cert") std::abort();
  auto crl = sw::common::x509::crlSerials(text);
  if (!crl.ok() && crl.error().code != "bad_crl") std::abort();
  if (crl.ok()) {
    for (const auto& s : *crl) {
      if (!s.empty() && sw::common::x509::normalizeSerial(s) != s) std::abort();
    }
  }
  (void)sw::common::x509::normalizeSerial(text);
  return 0;
}
