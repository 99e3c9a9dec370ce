#pragma once
// One order model for every channel. Decoders (order_decode.h) turn each channel's own
// payloads into it; channel-decode prints it; order intake reserves stock from it.
//
// Ids are kept as the exact strings the channel uses (Shopify ids exceed 2^53 and are
// never passed through a double). Money is a common::Decimal, printed as a string.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/decimal.h"
#include "sw/common/result.h"

namespace sw::coordinator::channels {

// kWholesale: X12 EDI trading partners (coordinator/wholesale): its orders come from 850 files,
// not from a connector of the channels config, so parseChannel does not name it.
enum class ChannelKind { kShopify, kAmazon, kEbay, kWooCommerce, kWalmart, kWholesale };
const char* channelName(ChannelKind kind);
common::Result<ChannelKind> parseChannel(std::string_view name);

// Normalised order status, the same words for every channel.
//   pending: not paid/confirmed yet (Amazon Pending, Woo pending/on-hold): stock should be held
//   open: paid, nothing shipped; partially_fulfilled; fulfilled; cancelled; refunded; failed
//   unknown: the channel's status was not recognised (channel_status has the raw value)
enum class OrderStatus { kPending, kOpen, kPartiallyFulfilled, kFulfilled, kCancelled, kRefunded, kFailed, kUnknown };
const char* orderStatusName(OrderStatus status);

using Money = common::Money;  // the currency as the channel gave it

struct OrderLine {
  std::string line_id;          // the channel's line/order-item id
  std::string sku;              // empty when the channel sent none (see sku_missing)
  bool sku_missing = false;     // null, "" or absent: the line cannot be matched by SKU
  int64_t quantity = 0;         // as ordered
  std::optional<int64_t> current_quantity;  // after edits/removals/refunds, where the channel says
  std::optional<Money> unit_price;          // shop/seller currency; nullopt when not known yet (Amazon Pending)
  std::optional<Money> presentment_unit_price;  // what the buyer saw, when in another currency
  std::optional<Money> line_total;
  // The whole line's tax and discounts (all `quantity` units) as the channel gave them, never
  // negative; nullopt when the channel said nothing (or something unreadable: a warning says so).
  std::optional<Money> tax;
  std::optional<Money> discount;
  std::string title;
  std::string channel_item_id;  // product/variant/ASIN/legacy item id, to match a line without SKU
  std::string group_id;         // bundle membership (Shopify sales_line_item_group_id)
  bool cancel_requested = false;  // the buyer asked to cancel this line (not yet cancelled)
};

// Stock that a cancellation, removal or refund gives back.
struct Release {
  std::string line_id;
  std::string sku;
  int64_t quantity = 0;
  std::string reason;    // "cancelled", "removed", "refunded", "returned"
  bool restock = false;  // the channel says the units go back on the shelf (not just unreserved)
  // The channel's id of the refund this release belongs to (Shopify refunds[].id): a refund is
  // applied once whichever delivery brings it (refunds/create, orders/updated). Empty: none given.
  std::string refund_id = {};
  // The channel's id of the place restocked units went back to (Shopify refund_line_items[].location_id).
  std::string location_ref = {};
  // When >= 0: the channel counts restocks per line, not per refund (WooCommerce's
  // _restock_refunded_items), and this is that count; a restock refund puts back at most it, less
  // what earlier refunds of the line put back. -1: the refund says itself (restock).
  int64_t restock_limit = -1;
};

// Buy online, pick up in store: what the payload says about where the buyer collects.
struct Pickup {
  bool requested = false;  // the channel says this is a pickup order (Amazon IsISPU, eBay PREPARE_FOR_PICKUP, Woo pickup method)
  std::string ref;         // the channel's identifier of the pickup place (store id, location key, method code)
  std::string ref_field;   // where in the payload `ref` came from, for a person checking it
  std::string location;    // the Stockwire location `ref` maps to (channel config "channel_locations"); "" = not mapped
};

// Where the parcel goes, as far as routing needs it (no name, street or phone is kept). Each part
// is what the channel sent, trimmed; a part that is too long or holds control characters is
// dropped with a warning (addressPart in json_read.h). The country is NormalizedOrder::ship_to_country.
struct ShipToPlace {
  std::string postal_code;  // as given ("94103", "94103-1234", "SW1A 1AA")
  std::string city;
  std::string region;       // state/province as the channel gives it ("CA", "KY", sometimes a full name)
  bool empty() const { return postal_code.empty() && city.empty() && region.empty(); }
};

// A postal address in full, as the channel gave it (each part trimmed; too long or holding control
// characters: dropped with a warning). Personal data: see CustomerContact.
struct PostalAddress {
  std::vector<std::string> lines;  // street lines, company first where the channel gives one
  std::string city;
  std::string region;
  std::string postal_code;
  std::string country;  // as the channel gave it (alpha-2 on most channels)
  bool empty() const { return lines.empty() && city.empty() && region.empty() && postal_code.empty() && country.empty(); }
};

// Who bought and where the parcel goes: what fulfilment and customer service need, nothing more
// (no birth date, no payment data). Personal data: the order book does not keep it (toJson leaves
// it out); the customer book (orders/customers.h) does, for the retention configured.
struct CustomerContact {
  std::string buyer_id;  // the channel's own customer/buyer id; "" for a guest, or when withheld
  std::string name;
  std::string email;     // lowercased and trimmed; "" when absent or not an address
  std::string phone;
  PostalAddress ship_to;
  // The channel withheld the buyer's details (Amazon sends BuyerInfo and the address only with a
  // Restricted Data Token): what is here is all there is.
  bool restricted = false;
  bool empty() const { return buyer_id.empty() && name.empty() && email.empty() && phone.empty() && ship_to.empty(); }
};

struct NormalizedOrder {
  ChannelKind channel = ChannelKind::kShopify;
  std::string order_id;    // exact, as a string
  std::string order_name;  // what people call it ("#1001", Woo number, eBay legacy id)
  std::string event = "order";  // "order", "order_change" (Amazon notification), "refund"
  OrderStatus status = OrderStatus::kUnknown;
  std::string channel_status;     // the channel's own status words
  std::string created_at;         // as the channel gave it (ISO 8601)
  std::string updated_at;
  std::string currency;
  std::optional<common::Decimal> total;
  std::string ship_to_country;    // ISO 3166-1 alpha-2 where the channel gives it
  ShipToPlace ship_to;            // postal code, city, region of the shipping address
  std::string customer_country;   // billing/buyer country
  CustomerContact customer;       // personal data: not in toJson (customerJson prints it)
  std::string marketplace;        // Amazon marketplace id, eBay marketplace
  bool prices_pending = false;    // Amazon Pending orders carry no prices yet
  bool lines_complete = true;     // false when the payload had no line items (getOrders without getOrderItems)
  std::vector<OrderLine> lines;
  std::vector<Release> releases;
  Pickup pickup;
  std::vector<std::string> warnings;  // everything a person should look at (lines without SKU, ...)
  std::string delivery_id;            // webhook delivery / notification id, when it came from one
};

// The order without its personal data (`customer`): what the order book keeps and order reads show.
nlohmann::ordered_json toJson(const NormalizedOrder& order);
// The customer's contact and address as JSON (customer records and tests; channel-decode does not print it).
nlohmann::ordered_json customerJson(const CustomerContact& customer);

// Maps the order's pickup reference to a Stockwire location with a channel's "channel_locations"
// map ({"<channel's id>": "store-1"}). Shopify says pickup only through the shipping line the
// merchant set up, so there a mapped shipping code is what makes the order a pickup. A pickup
// whose place is not in the map gets a warning and stays a shipment.
void resolvePickup(NormalizedOrder& order, const std::map<std::string, std::string>& channel_locations);

// channels.<name>.channel_locations of a channels config (channel_service.h): the channel's own
// ids of stores/locations/pickup methods -> Stockwire locations. Empty when not given.
common::Result<std::map<std::string, std::string>> channelLocations(const nlohmann::json& channels_config, ChannelKind kind);

}  // namespace sw::coordinator::channels
