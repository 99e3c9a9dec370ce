#pragma once
// Field readers shared by the payout decoders (decode_settlement.cpp, decode_amazon_settlement.cpp,
// decode_ebay_finances.cpp). Internal to the channels code. Every refusal is a reject Error with
// code bad_payout naming the field.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sw/common/decimal.h"
#include "sw/common/result.h"

namespace sw::coordinator::channels::detail {

common::Error bad(const std::string& what, const std::string& message);
// A required decimal string ("12.50"); numbers are refused (a double may have lost the cents).
common::Result<common::Decimal> amountField(const nlohmann::json& j, std::string_view key, const std::string& what);
// An id (string, or integer printed exactly) of at most 64 bytes; "" when absent and not required.
common::Result<std::string> idField(const nlohmann::json& j, std::string_view key, const std::string& what, bool required);
// j[key] as an array of at most kMaxPayoutLines entries.
common::Result<const nlohmann::json*> listOf(const nlohmann::json& j, std::string_view key);
// A string of at most max bytes, or "" when absent.
common::Result<std::string> textField(const nlohmann::json& j, std::string_view key, const std::string& what, size_t max);

}  // namespace sw::coordinator::channels::detail
