#include "sw/common/build_info.h"

#include "sw/common/git_commit.h"
#include "sw/common/sqlite.h"
#include "sw/common/version.h"

namespace sw::common {

std::string_view version() { return kStockwireVersion; }

std::string_view gitCommit() { return SW_GIT_COMMIT; }

SchemaVersion schemaVersionOf(const SqliteSchema& schema) {
  return {schema.component, static_cast<int64_t>(schema.steps.size())};
}

std::string versionText(std::string_view program, const std::vector<SchemaVersion>& schemas) {
  std::string out = std::string(program) + " " + std::string(version()) + "\ncommit " + std::string(gitCommit()) +
                    "\nschemas ";
  if (schemas.empty()) out += "none";
  for (size_t i = 0; i < schemas.size(); ++i) {
    out += (i ? ", " : "") + schemas[i].component + " " + std::to_string(schemas[i].version);
  }
  return out + "\n";
}

}  // namespace sw::common
