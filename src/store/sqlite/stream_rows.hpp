#pragma once
// The rows of the processor's streaming results in SQLite: window
// aggregates, late records and checkpoints (schema versions 2 and 3).

#include <string>

#include "core/sqlite.hpp"
#include "store/store.hpp"

namespace squall::store::sqlite_rows {

// Upsert that keeps the row with the highest version (WindowRow::version).
extern const std::string kUpsertWindowSql;
// ?1 city id or null, ?2 window name or null, ?3 limit: newest windows first.
extern const std::string kSelectWindowsSql;
// A log position always holds the same record: the first write stands.
extern const std::string kInsertLateSql;
// Alerts keyed by (city, observation time, rule): the same event written again is the same row.
extern const std::string kUpsertAlertSql;
// ?1 city id or null, ?2 limit: newest first.
extern const std::string kSelectAlertsSql;
// Replaces a checkpoint only with one at the same or a later position.
extern const std::string kUpsertCheckpointSql;
// ?1 group, ?2 topic, ?3 partition.
extern const std::string kSelectCheckpointSql;

void bind_window(sqlite::Statement& statement, const WindowRow& window);
WindowRow read_window(const sqlite::Statement& statement);
void bind_late(sqlite::Statement& statement, const LateRecord& late);
void bind_alert(sqlite::Statement& statement, const AlertRow& alert);
AlertRow read_alert(const sqlite::Statement& statement);
void bind_checkpoint(sqlite::Statement& statement, const Checkpoint& checkpoint);
Checkpoint read_checkpoint(const sqlite::Statement& statement);

}  // namespace squall::store::sqlite_rows
