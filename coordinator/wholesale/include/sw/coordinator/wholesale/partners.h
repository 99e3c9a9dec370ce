#pragma once
// The wholesale trading partners: who each one is in X12 (ISA/GS ids and qualifiers, version,
// separators), where its files come and go (a folder pair), what it may be offered (846 rules)
// and the items it orders by. Read once from the JSON file `serve --wholesale FILE` names:
//
//   {"partners": [{
//      "id": "acme",                                     our name for it: [a-z0-9_-], 1..32
//      "us":   {"qualifier": "ZZ", "id": "STOCKWIRE", "gs_id": ""},   ISA05/06 and GS02 as we send
//      "them": {"qualifier": "ZZ", "id": "ACME", "gs_id": ""},        ISA07/08 and GS03 as we send
//      "version": "00401", "gs_version": "004010",
//      "separators": {"element": "*", "component": ">", "segment": "~", "repetition": "^"},
//      "usage": "P", "request_ta1": false, "line_breaks": true,
//      "folders": {"inbound": "/srv/edi/acme/in", "outbound": "/srv/edi/acme/out",
//                  "archive": "/srv/edi/acme/archive"},
//      "inventory": {"interval_s": 3600, "locations": ["wh-1"], "safety_stock": 0, "percent": 100, "cap": 50},
//      "items": [{"sku": "WIDGET-S", "ids": {"VN": "AB3542", "UP": "012345678905"}}],
//      "currency": "USD", "country": "US", "ship_from": "Stockwire DC", "carrier_scac": "UPSN"}]}
//
// Transport is the folder pair only: AS2, SFTP or a VAN mailbox are the partner gateway's (it
// drops what it received into `inbound` and sends what appears in `outbound`). Files we write
// appear in `outbound` by rename only, never half written; names starting with "." are ours
// while writing and are not to be sent.
//
// Everything is checked at start with a message naming the partner and the key; unknown keys
// are errors.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/result.h"
#include "sw/coordinator/edi/documents.h"
#include "sw/coordinator/edi/x12_write.h"

namespace sw::coordinator::wholesale {

// One item of a partner's assortment: our SKU and the ids the partner knows it by.
struct PartnerItem {
  std::string sku;
  std::vector<edi::ProductId> ids;  // by qualifier: VN, UP, IN, BP, ...
};

struct InventoryRules {
  int64_t interval_ms = 3'600'000;     // an 846 this often; 0: none
  std::vector<std::string> locations;  // whose stock is offered; empty: every location
  int64_t safety_stock = 0;
  double percent = 100;
  std::optional<int64_t> cap;          // most units of a SKU ever offered to this partner
};

struct Partner {
  std::string id;
  edi::PartnerConfig envelope;  // as we send: us the sender, the partner the receiver
  std::string inbound_dir, outbound_dir, archive_dir;
  InventoryRules inventory;
  std::vector<PartnerItem> items;
  std::string currency = "USD";
  std::string country = "US";   // ship-to country when the 850's N4 gives none
  std::string ship_from;        // 856 N1*SF name
  std::string carrier_scac;     // 856 TD503
  // A line short of stock is accepted for what the partner's available-to-sell covers and the rest
  // backordered (855: ACK*IA + ACK*IB), instead of the strict policy refusing the whole PO.
  bool partial_lines = false;
  // With partial_lines: the backordered units are shipped when the partner's available-to-sell
  // covers them again (each release an order of its own, with its own 856 and 810), until the
  // partner cancels the PO (BEG01 01). false: they are the partner's to order again.
  bool ship_backorders = true;

  // Our SKU for an 850 line: the item whose ids match one of the line's, else the line's VN, SK,
  // IN or BP value as it is (a partner ordering by our own item numbers). "" when none.
  std::string skuFor(const std::vector<edi::ProductId>& ids) const;
  // The ids to write for a SKU (the item's; else VN = the SKU).
  std::vector<edi::ProductId> idsFor(const std::string& sku) const;
};

struct WholesaleConfig {
  std::vector<Partner> partners;
  const Partner* find(const std::string& id) const;
};

// Reads and checks the config; creates the outbound and archive folders when missing (the
// inbound one must exist: the gateway writes there). Errors are fatal "bad_wholesale_config".
common::Result<WholesaleConfig> parseWholesaleConfig(const nlohmann::json& config);
common::Result<WholesaleConfig> loadWholesaleConfig(const std::string& path);

}  // namespace sw::coordinator::wholesale
