#pragma once
// Putting a backup back in place of the coordinator's SQLite files (the ledger file or
// --local-db, DB.orders, DB.channels), used by `restore` with the coordinator stopped and by a
// running coordinator asked to restore (POST /v1/admin/restore). Used only by main/.
//
// Crash safe in three steps, each file written whole before anything live is touched:
//   1. stage: each backup file copied with SQLite's online backup to DB<suffix>.restore-new
//      (fsynced); the live files are untouched, a running coordinator keeps serving.
//   2. commit: the journal DB.restore-journal (written atomically) lists what goes where.
//      From here on the restore is decided: it is finished, never undone.
//   3. swap: for each file, its -wal and -shm removed, then the staged file renamed over it
//      (a file the backup lacks is removed); the directory fsynced; the journal removed.
// A crash before 2 leaves the old files and staged leftovers (removed at the next start); a
// crash after 2 is finished by finishInterruptedRestore() before anything opens the files, so
// the set is never a mix of old and new files.

#include <string>
#include <vector>

#include "sw/common/build_info.h"
#include "sw/common/result.h"

namespace sw::coordinator {

// The coordinator's files: the ledger file (or --local-db), then the order book, the channels'
// dead letters and the wholesale channel's file log and control numbers beside it.
inline constexpr const char* kCoordinatorFileSuffixes[] = {"", ".orders", ".channels", ".wholesale"};

// Checks that `from` (and its .orders and .channels, where present) is a coordinator's backup
// this program can open: each file passes SQLite's quick_check, the main one holds the
// coordinator's tables, and no component is newer than `known` (nor unknown to it). kReject
// `not_found`, `not_a_ledger`, `same_file` (from is db itself), `schema_too_new`; fatal
// `corrupt_database`. Changes nothing.
common::Status checkBackup(const std::string& from, const std::string& db,
                           const std::vector<common::SchemaVersion>& known);

// Step 1: copies the backup's files beside db (DB<suffix>.restore-new). Leftovers of an earlier
// attempt are replaced; on failure nothing staged is left.
common::Status stageBackup(const std::string& from, const std::string& db);
// Removes what stageBackup left (a restore given up before it was committed).
void dropStagedBackup(const std::string& db);

// Steps 2 and 3, with every connection to db's files closed: the staged files become the
// live ones. Returns what was done, a line per file ("DB.orders put in place", "DB.channels removed
// (not in the backup)").
common::Result<std::vector<std::string>> commitStagedBackup(const std::string& db);
// Control numbers sent to a trading partner are never sent again (partners refuse a duplicate
// ISA13): before the commit, each of the live DB.wholesale's control numbers that is ahead of the
// staged file's is carried into it (a staged file is made when the backup has none). Called by
// commitStagedBackup; every connection to the files closed.
common::Status carryControlNumbersForward(const std::string& db);

// At start, before anything opens db's files (with the lock beside them held): finishes a
// restore whose journal is there, and removes staged files no journal names. true when a
// restore was finished.
common::Result<bool> finishInterruptedRestore(const std::string& db);
// Whether a journal waits to be finished (serve then takes the lock first and finishes it).
bool restorePending(const std::string& db);

}  // namespace sw::coordinator
