#pragma once
// Payment card data detector: Stockwire never stores, logs or sends a card number (PAN)
// or magnetic stripe track data. Input from scanners, keyboards and HTTP requests that
// looks like card data is refused before it reaches a database, a log line or MQTT.
//
// What counts as card data:
//  - A PAN: 12-19 digits (single spaces, hyphens or dots between digit groups allowed, as printed
//    or typed), not part of a longer digit run, whose issuer prefix (IIN) and length match a
//    card brand (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, Mir,
//    RuPay, Verve, Troy, Dankort, InterPayment/InstaPayment) and whose Luhn check passes.
//  - Track 2 data: [;]PAN=YYMM... and track 1 data: [%]B PAN ^NAME^ YYMM..., Luhn or not.
// GTIN rule: a 12- or 13-digit run with a valid GS1 check digit is taken as a GTIN-12/13
// (a UPC/EAN code), not a card number. Card numbers of those lengths are rare (legacy
// 13-digit Visa, some Maestro). Longer GS1 keys (GTIN-14, SSCC) are exempt only where they
// arrive as GS1 data from a barcode (see sw::fw::decodeScan); as free text they are checked.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"

namespace sw::common {

enum class CardDataKind { kPan, kTrack1, kTrack2 };

struct CardDataMatch {
  size_t begin = 0;  // byte range in the text
  size_t end = 0;
  CardDataKind kind = CardDataKind::kPan;
};

// Luhn (mod 10, doubling every second digit from the right); false unless all digits.
bool luhnValid(std::string_view digits);
// True if the digit string's length and prefix belong to a card brand and Luhn passes
// (before the GTIN rule above is applied).
bool looksLikePan(std::string_view digits);

std::vector<CardDataMatch> findCardData(std::string_view text);
bool containsCardData(std::string_view text);
// Replaces every digit of each match with '*' except a PAN's last four (track data: all of it).
std::string maskCardData(std::string_view text);
// Masks the digits of `value` except its last four.
std::string maskDigits(std::string_view value);

struct Event;
// The first free-text field of an event (sku, reason, ref, other location, scope) that holds card
// data, named as the wire names it ("lines[2].sku", "reason"); nullopt when there is none. The
// coordinator runs this at ingest: a device that skipped the check (or a forged event) is caught.
std::optional<std::string> cardDataInEvent(const Event& event);

// The one error every refusal uses; never contains the data itself.
Error cardDataRefused(std::string_view where);

}  // namespace sw::common
