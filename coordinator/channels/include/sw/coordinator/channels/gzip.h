#pragma once
// gzip/zlib inflation (the zlib adapter, src/gzip_zlib.cpp): Amazon's compressed feed reports, and
// the coordinator's postal-code data file (coordinator/orders/data).

#include <cstddef>
#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::coordinator::channels {

// gzip/zlib-compressed bytes to plain; a retry error if not valid, cut off or larger than max_out.
common::Result<std::string> gunzip(std::string_view data, size_t max_out);

}  // namespace sw::coordinator::channels
