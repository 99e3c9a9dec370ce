#include "restore_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <tuple>

#include "sw/common/crash_point.h"
#include "sw/common/files.h"
#include "sw/common/sqlite.h"
#include "sw/coordinator/wholesale/wholesale_store.h"

namespace sw::coordinator {
namespace {

using common::Error;

constexpr const char* kStagedSuffix = ".restore-new";
constexpr const char* kJournalSuffix = ".restore-journal";

std::string journalPath(const std::string& db) { return db + kJournalSuffix; }

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

void fsyncDirOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// One file of a backup: a database that passes quick_check, whose components this program knows.
common::Status checkFile(const std::string& path, bool main_file, const std::vector<common::SchemaVersion>& known) {
  auto db = common::SqliteDb::open({.path = path, .create = false, .read_only = true, .quick_check = true});
  if (!db) return db.error();
  if (main_file) {
    auto tables = db->queryInt(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'schema_versions')");
    if (!tables) return tables.error();
    if (*tables == 0) return Error::reject("not_a_ledger", path + " holds no Stockwire coordinator tables");
  }
  auto has_versions = db->queryInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'");
  if (!has_versions) return has_versions.error();
  if (*has_versions == 0) return {};  // a release from before schema_versions: every component older
  auto rows = db->prepare("SELECT component, version FROM schema_versions ORDER BY component");
  if (!rows) return rows.error();
  while (true) {
    auto more = rows->step();
    if (!more) return more.error();
    if (!*more) break;
    const std::string component = rows->columnText(0);
    const int64_t version = rows->columnInt(1);
    const common::SchemaVersion* mine = nullptr;
    for (const auto& k : known) {
      if (k.component == component) mine = &k;
    }
    if (mine == nullptr || version > mine->version) {
      return Error::reject("schema_too_new", path + " holds " + component + " at schema version " +
                                                 std::to_string(version) + "; this program knows " +
                                                 (mine ? "version " + std::to_string(mine->version) : "no such component") +
                                                 ": restore it with the release that made it");
    }
  }
  return {};
}

std::string readJournal(const std::string& db, std::vector<std::pair<std::string, std::string>>* steps) {
  auto text = common::readFile(journalPath(db));
  if (!text) return text.error().message;
  std::istringstream in(*text);
  std::string verb, suffix, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream words(line);
    words >> verb;
    std::getline(words >> std::ws, suffix);
    if (verb != "put" && verb != "remove" && verb != "end") return "bad journal line: " + line;
    steps->emplace_back(verb, verb == "end" ? "" : suffix == "-" ? "" : suffix);
  }
  if (steps->empty() || steps->back().first != "end") return "journal without its end line";
  steps->pop_back();
  return "";
}

// Step 3, from the journal's steps: done again after a crash, so each step may already be done.
common::Result<std::vector<std::string>> swap(const std::string& db,
                                              const std::vector<std::pair<std::string, std::string>>& steps) {
  std::vector<std::string> done;
  for (const auto& [verb, suffix] : steps) {
    const std::string target = db + suffix, staged = target + kStagedSuffix;
    if (verb == "remove") {
      if (auto s = common::removeSqliteFiles(target); !s) return s.error();
      done.push_back(target + " removed (not in the backup)");
      continue;
    }
    if (exists(staged)) {
      // Sidecars first: the new file must never meet the old file's WAL, which SQLite would replay.
      if (auto s = common::removeSqliteFiles(target, /*sidecars_only=*/true); !s) return s.error();
      common::crashPoint("coordinator.restore_mid_swap");
      if (::rename(staged.c_str(), target.c_str()) != 0) {
        return Error::retry("write_failed", "cannot rename " + staged + " to " + target + ": " + std::strerror(errno));
      }
    }  // else put in place before a crash
    done.push_back(target + " put in place");
  }
  fsyncDirOf(db);
  if (::unlink(journalPath(db).c_str()) != 0 && errno != ENOENT) {
    return Error::retry("write_failed", "cannot remove " + journalPath(db) + ": " + std::strerror(errno));
  }
  fsyncDirOf(db);
  return done;
}

}  // namespace

common::Status checkBackup(const std::string& from, const std::string& db,
                           const std::vector<common::SchemaVersion>& known) {
  if (!exists(from)) return Error::reject("not_found", "no backup file " + from);
  std::error_code ec;
  if (exists(db) && std::filesystem::equivalent(from, db, ec)) {
    return Error::reject("same_file", from + " is the coordinator's own ledger file, not a backup");
  }
  for (const char* suffix : kCoordinatorFileSuffixes) {
    const std::string file = from + suffix;
    if (suffix[0] != '\0' && !exists(file)) continue;
    if (auto s = checkFile(file, suffix[0] == '\0', known); !s) return s;
  }
  return {};
}

common::Status stageBackup(const std::string& from, const std::string& db) {
  dropStagedBackup(db);
  for (const char* suffix : kCoordinatorFileSuffixes) {
    const std::string src = from + suffix;
    if (suffix[0] != '\0' && !exists(src)) continue;
    if (auto s = common::sqliteCopy(src, db + suffix + kStagedSuffix); !s) {
      dropStagedBackup(db);
      return s;
    }
  }
  return {};
}

void dropStagedBackup(const std::string& db) {
  for (const char* suffix : kCoordinatorFileSuffixes) {
    (void)common::removeSqliteFiles(db + suffix + kStagedSuffix);
    (void)common::removeSqliteFiles(db + suffix + kStagedSuffix + ".tmp");
  }
}

common::Status carryControlNumbersForward(const std::string& db) {
  const std::string live = db + ".wholesale";
  const std::string staged = live + kStagedSuffix;
  if (!exists(live)) return {};
  std::vector<std::tuple<std::string, std::string, int64_t>> numbers;
  {
    auto from = common::SqliteDb::open({.path = live, .read_only = true});
    if (!from) return from.error();
    auto st = from->prepare("SELECT partner, kind, last FROM control_numbers");
    if (!st) return st.error();
    if (auto s = st->eachRow([&](const common::SqliteStmt& r) {
          numbers.emplace_back(r.columnText(0), r.columnText(1), r.columnInt(2));
        });
        !s) {
      return s;
    }
  }
  if (numbers.empty()) return {};
  // A backup from before the wholesale channel has no such file: one is made, holding only these.
  if (!exists(staged)) {
    auto made = wholesale::WholesaleStore::open(staged);
    if (!made) return made.error();
  }
  auto to = common::SqliteDb::open({.path = staged});
  if (!to) return to.error();
  auto txn = common::SqliteTxn::begin(*to);
  if (!txn) return txn.error();
  auto up = to->prepare("INSERT INTO control_numbers (partner, kind, last) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT (partner, kind) DO UPDATE SET last = MAX(last, excluded.last)");
  if (!up) return up.error();
  for (const auto& [partner, kind, last] : numbers) {
    if (auto s = up->bind(1, partner).bind(2, kind).bind(3, last).run(); !s) return s;
  }
  if (auto s = txn->commit(); !s) return s;
  return {};
}

common::Result<std::vector<std::string>> commitStagedBackup(const std::string& db) {
  if (!exists(db + kStagedSuffix)) return Error::reject("not_staged", "no staged backup beside " + db);
  // Before the commit point, so a crash before it leaves the old files and the staged ones alike.
  if (auto s = carryControlNumbersForward(db); !s) {
    return Error::fatal(s.error().code, "keeping the wholesale control numbers ahead: " + s.error().message);
  }
  std::vector<std::pair<std::string, std::string>> steps;
  std::string journal;
  for (const char* suffix : kCoordinatorFileSuffixes) {
    const std::string s = suffix;
    const bool staged = exists(db + s + kStagedSuffix);
    steps.emplace_back(staged ? "put" : "remove", s);
    journal += (staged ? "put " : "remove ") + (s.empty() ? std::string("-") : s) + "\n";
  }
  journal += "end\n";
  // The commit point: written whole or not at all.
  if (auto s = common::writeFileAtomic(journalPath(db), journal, 0600); !s) return s.error();
  common::crashPoint("coordinator.restore_after_journal");
  return swap(db, steps);
}

common::Result<bool> finishInterruptedRestore(const std::string& db) {
  if (!restorePending(db)) {
    dropStagedBackup(db);  // staged but never committed: the old files stand
    return false;
  }
  std::vector<std::pair<std::string, std::string>> steps;
  if (std::string bad = readJournal(db, &steps); !bad.empty()) {
    return Error::fatal("bad_restore_journal", journalPath(db) + ": " + bad +
                                                   " (an interrupted restore cannot be finished from it: remove "
                                                   "it and restore the backup again with the coordinator stopped)");
  }
  auto done = swap(db, steps);
  if (!done) return done.error();
  return true;
}

bool restorePending(const std::string& db) { return exists(journalPath(db)); }

}  // namespace sw::coordinator
