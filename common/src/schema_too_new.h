#pragma once
// The refusal of a component whose recorded version is newer than this program's steps (a
// downgrade), as SqliteDb::migrate and PgDb::migrate both give it.

#include <cstdint>
#include <string_view>

#include "sw/common/result.h"

namespace sw::common {

// Fatal "schema_too_new", naming where, the component, the version found and the version this
// program knows, and what to do: run the newer version, or restore a backup made by this one.
Error schemaTooNew(std::string_view where, std::string_view component, int64_t found, int64_t known);

}  // namespace sw::common
