#pragma once
// Careful reading of JSON from outside: nothing here throws, wrong types read as absent.
// Internal to the channels code.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/decimal.h"
#include "sw/coordinator/channels/order.h"

namespace sw::coordinator::channels::detail {

// The most lines (items, refund lines) any decoder takes from one order: more is refused as
// too_many_lines, never cut short.
inline constexpr size_t kMaxLines = 5000;


using nlohmann::json;

// The member of an object; nullptr when j is not an object, or the key is absent or null.
const json* get(const json& j, std::string_view key);
// Follows object keys; nullptr as soon as one is missing.
const json* getPath(const json& j, std::initializer_list<std::string_view> path);
// A string member, or "" when absent, null or not a string.
std::string str(const json& j, std::string_view key);
std::string strPath(const json& j, std::initializer_list<std::string_view> path);
// The array member, or nullptr.
const json* arr(const json& j, std::string_view key);
// An id: a string as is (non-empty), an integer printed exactly; otherwise nullopt.
std::optional<std::string> idText(const json* v);
// A whole number from an integer, a float without fraction, or a string of digits.
std::optional<int64_t> wholeNumber(const json* v);
// Money from a string ("12.50", "-10.00") or a number; more than 4 decimals are rounded half-even.
std::optional<common::Decimal> money(const json* v);
std::optional<common::Decimal> moneyText(std::string_view text);
// total / qty to 4 decimals, half-even; *exact tells whether anything was lost.
common::Decimal divide(common::Decimal total, int64_t qty, bool* exact);

// Adds `part` to a line's running charge (its tax, its discounts): the first part sets it. A part
// that is negative, in another currency, or that would overflow is not added; false says so (the
// decoder warns and leaves the charge unknown).
bool addCharge(std::optional<Money>& total, const Money& part);

// One part of a postal address (postal code, city, region) from v: a string, trimmed of spaces;
// "" when absent or not a string. A part longer than max_len bytes, or holding a control
// character, is refused: "" and a warning naming `what` in *warnings.
std::string addressPart(const json* v, size_t max_len, std::string_view what, std::vector<std::string>* warnings);

// The postal code, city and region of an address object, under the channel's own key names
// (each through addressPart: postal code at most 16 bytes, city 80, region 64).
ShipToPlace shipToPlace(const json* address, std::string_view postal_key, std::string_view city_key,
                        std::string_view region_key, std::vector<std::string>* warnings);

// The customer's contact and full address (CustomerContact), read as addressPart reads (a part
// too long or with a control character is dropped with a warning saying it is not kept).
// contactText: a name (at most 200 bytes) or phone (at most 40); warnings null: dropped silently.
std::string contactText(const json* v, size_t max_len, std::string_view what, std::vector<std::string>* warnings);
// An email address: trimmed and lowercased; one '@' with text either side and no spaces, at most
// 254 bytes, else "" and a warning.
std::string contactEmail(const json* v, std::vector<std::string>* warnings);
// The channel's key names of an address object; a line key whose value is absent or empty is skipped.
struct AddressKeys {
  std::initializer_list<std::string_view> lines;
  std::string_view city, region, postal_code, country;
};
// City, region and postal code are dropped without a warning (shipToPlace warns about the same
// parts with the same limits); lines and country warn.
PostalAddress postalAddress(const json* address, const AddressKeys& keys, std::vector<std::string>* warnings);
// First and last name (Shopify, WooCommerce) joined by a space; either may be missing.
std::string fullName(const json* object, std::string_view first_key, std::string_view last_key,
                     std::vector<std::string>* warnings);

// ISO 8601 with optional fraction and zone (Z, +hh:mm, -hhmm; none = UTC) to Unix ms.
std::optional<int64_t> parseIsoMs(std::string_view text);
// "2024-05-15T08:25:43.511Z"
std::string formatIsoMs(int64_t ms);

}  // namespace sw::coordinator::channels::detail
