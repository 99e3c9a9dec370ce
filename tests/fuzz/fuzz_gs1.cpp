// Scanner messages through the whole decoder: AIM ids, GS1 element strings, Digital Link
// URIs, EAN/UPC, variable measure and the card data detector. Must never crash, and a
// refused card number must never come back in the masked input.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sw/common/card_data.h"
#include "sw/fw/gs1.h"
#include "sw/fw/scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  sw::fw::ScanDecodeOptions options;
  options.gs1.current_year = 2025;
  options.rcn_layouts = sw::fw::rcnLayoutsForCountry(size % 2 ? "DE" : "SE");
  sw::fw::ScanFailure failure;
  auto d = sw::fw::decodeScan(in, options, &failure);
  if (!d && failure.error.code == "card_data_refused") {
    for (const auto& m : sw::common::findCardData(failure.masked_input)) {
      if (m.kind == sw::common::CardDataKind::kPan) std::abort();  // a PAN survived masking
    }
  }
  (void)sw::fw::parseElementString(in, options.gs1);
  (void)sw::fw::parseDigitalLink(in, options.gs1);
  (void)sw::common::maskCardData(in);
  return 0;
}
