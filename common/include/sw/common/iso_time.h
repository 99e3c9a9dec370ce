#pragma once
// The one ISO 8601 date-time reader and writer (RFC 3339 profile): YYYY-MM-DDTHH:MM:SS, an
// optional fraction of 1 to 9 digits (kept to the millisecond) and a zone. What a caller accepts
// beyond that is its policy:
//   kUtc      a zone of Z or +00:00 only (catalog promotion windows: a window must not depend on
//             the reader's zone);
//   kChannel  what channel APIs send: any +HH:MM / +HHMM offset, no zone meaning UTC (WooCommerce's
//             *_gmt fields), a space instead of T, a leap second 60.
// Impossible dates (30 February, month 13) are refused in both.

#include <cstdint>
#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::common {

enum class IsoPolicy { kUtc, kChannel };

// Milliseconds since 1970-01-01T00:00:00Z, or bad_date saying what was wrong.
Result<int64_t> parseIsoMs(std::string_view text, IsoPolicy policy);
// "2026-11-27T10:00:00.000Z".
std::string formatIsoMs(int64_t ms);

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d);
void civilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);

}  // namespace sw::common
