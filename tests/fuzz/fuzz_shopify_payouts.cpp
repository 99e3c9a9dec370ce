// Shopify Payments answers (coordinator/channels/src/decode_settlement.cpp): the first byte picks
// what the rest is read as.
//   0 mod 3: GET shopify_payments/payouts.json through decodeShopifyPayouts;
//   1 mod 3: GET shopify_payments/balance/transactions.json through decodeShopifyBalanceTransactions;
//   2 mod 3: a Link header through shopifyNextPageInfo.
// Must never crash; every refusal says why; a line read has an id, a currency and net = amount - fee;
// a page_info is only URL-safe characters.

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "sw/coordinator/channels/settlement.h"

using namespace sw::coordinator::channels;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto p = decodeShopifyPayouts(payload);
      if (p.ok()) {
        for (const Payout& po : *p) {
          if (po.payout_id.empty() || po.currency.empty()) std::abort();
          (void)toJson(po).dump();
        }
      } else if (p.error().message.empty()) {
        std::abort();
      }
      break;
    }
    case 1: {
      auto l = decodeShopifyBalanceTransactions(payload);
      if (l.ok()) {
        for (const PayoutLine& line : *l) {
          if (line.line_id.empty() || line.currency.empty()) std::abort();
          if (line.amount.scaled() - line.fee.scaled() != line.net.scaled()) std::abort();
          if ((line.kind == PayoutLineKind::kOrder || line.kind == PayoutLineKind::kRefund) && line.order_id.empty()) std::abort();
          (void)toJson(line).dump();
        }
      } else if (l.error().message.empty()) {
        std::abort();
      }
      break;
    }
    default: {
      std::string info = shopifyNextPageInfo(payload);
      for (char c : info) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                        c == '_' || c == '.' || c == '~';
        if (!ok) std::abort();
      }
      break;
    }
  }
  return 0;
}
