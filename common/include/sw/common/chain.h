#pragma once
// The per-device hash chain of events (issue 16): each event carries the hash of the event before
// it from the same device (Event::prev_hash), and an event's own hash is
//   SHA-256(prev hash, 32 bytes || chainBytes(event)).
// A device's first chained event links to kChainGenesis. The coordinator checks every link at apply
// and `stockwire-coordinator verify --chain` recomputes the chain from the ledger's tables, so any
// event forged, replaced or left out is a visible break.

#include <string>
#include <string_view>

#include "sw/common/event.h"

namespace sw::common {

// Hashes travel and are stored as 64 lower-case hex characters.
inline constexpr size_t kChainHashHexLength = 64;
// What a device's first chained event links to: 32 zero bytes.
inline constexpr std::string_view kChainGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

// The one canonical byte encoding of an event, covering every field the ledger keeps: device,
// seq, event id, type, device time, location, other location, reason, ref, scope and, except for
// voids (the ledger keeps a void's reversal, not its lines), each line's SKU, quantity, price and
// price check with the catalog price. Fields are length-prefixed (u32 big-endian) or fixed-width
// (i64 big-endian); UUIDs as their 16 bytes. Event::prev_hash itself is not part of it.
std::string chainBytes(const Event& event);

// SHA-256(prev || chainBytes(event)) as hex, prev being event.prev_hash (hex, must be valid).
std::string chainHash(const Event& event);
// The same from a previous hash (hex) and already encoded canonical bytes.
std::string chainHash(std::string_view prev_hex, std::string_view canonical_bytes);

// 64 lower-case hex characters.
bool isChainHash(std::string_view text);

}  // namespace sw::common
