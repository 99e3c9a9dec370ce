#pragma once
// What a binary was built from, as `--version` prints it: the release version (the CMake project
// version), the git commit (with "-dirty" when tracked files differed from it; "unknown" outside
// a git checkout unless the build was given SW_GIT_COMMIT), and the schema version of each
// database component the binary owns (what it migrates its files to; see SqliteSchema).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sw::common {

struct SqliteSchema;

// "0.1.0": the CMake project version.
std::string_view version();
// "c3f01b9a2b3c", "c3f01b9a2b3c-dirty" or "unknown".
std::string_view gitCommit();

struct SchemaVersion {
  std::string component;  // as in SqliteSchema::component and the table schema_versions
  int64_t version = 0;    // the number of migration steps this code knows
};
SchemaVersion schemaVersionOf(const SqliteSchema& schema);

// The text of `program --version`, three lines:
//   stockwire-agent 0.1.0
//   commit c3f01b9a2b3c
//   schemas agent_store 9, agent_receipts 1      ("schemas none" for a binary that owns no database)
std::string versionText(std::string_view program, const std::vector<SchemaVersion>& schemas);

}  // namespace sw::common
