#pragma once
// The "stock" downlink kind: each location's on-hand per SKU, so that staff can answer
// "do we have it" offline. Items: {"sku","on_hand","ver"}; meta.device_applied_seq says which
// of the asking device's own events the figures already include, so the device adds only
// its later ones to estimate local stock.
//
// Cursors: "s:<sku>" continues a snapshot (key order), "d:<ver>:<sku>" continues a run of
// changes (version order) when one version holds more rows than a page.

#include "sw/coordinator/downlink/downlink.h"
#include "sw/coordinator/ledger/ledger.h"

namespace sw::coordinator {

class StockViewProvider final : public DownlinkProvider {
 public:
  explicit StockViewProvider(Ledger& ledger) : ledger_(ledger) {}
  std::string kind() const override { return "stock"; }
  common::Result<int64_t> version(const std::string& location) override { return ledger_.stockVersion(location); }
  common::Result<common::DownPage> page(const common::DownRequest& request, const std::string& device,
                                        size_t max_items) override;

 private:
  Ledger& ledger_;
};

}  // namespace sw::coordinator
