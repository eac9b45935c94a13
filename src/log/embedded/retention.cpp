#include "log/embedded/retention.hpp"

namespace squall::log::embedded {

Result<Retention> Retention::prepare(sqlite::Database& db, RetentionPolicy policy) {
  // Partitions whose oldest batch is old or whose stored bytes exceed the
  // bound; the oldest batch comes straight off the (topic, partition_id,
  // base_offset) index, so this stays cheap however long the log is.
  auto candidates = db.prepare(R"sql(
    SELECT p.topic, p.partition_id, p.retained_bytes,
           (SELECT b.appended_at_ms FROM batches b
             WHERE b.topic = p.topic AND b.partition_id = p.partition_id
             ORDER BY b.base_offset LIMIT 1)
      FROM partitions p WHERE p.retained_bytes > 0)sql");
  if (!candidates) return candidates.error();
  auto retained_bytes =
      db.prepare("SELECT retained_bytes FROM partitions WHERE topic = ?1 AND partition_id = ?2");
  if (!retained_bytes) return retained_bytes.error();
  auto oldest_first = db.prepare(
      "SELECT base_offset, byte_size, appended_at_ms FROM batches "
      "WHERE topic = ?1 AND partition_id = ?2 ORDER BY base_offset");
  if (!oldest_first) return oldest_first.error();
  auto delete_below =
      db.prepare("DELETE FROM batches WHERE topic = ?1 AND partition_id = ?2 AND base_offset < ?3");
  if (!delete_below) return delete_below.error();
  auto shrink = db.prepare(
      "UPDATE partitions SET retained_bytes = retained_bytes - ?3 WHERE topic = ?1 AND partition_id = ?2");
  if (!shrink) return shrink.error();
  return Retention(db, policy, std::move(candidates).value(), std::move(retained_bytes).value(),
                   std::move(oldest_first).value(),
                   std::move(delete_below).value(), std::move(shrink).value());
}

bool Retention::too_old(std::int64_t appended_at_ms, std::int64_t now_ms) const {
  return policy_.max_age_ms > 0 && appended_at_ms < now_ms - policy_.max_age_ms;
}

bool Retention::too_big(std::int64_t bytes) const {
  return policy_.max_bytes_per_partition > 0 && bytes > policy_.max_bytes_per_partition;
}

Result<std::vector<Retention::Candidate>> Retention::find_candidates(std::int64_t now_ms) {
  std::vector<Candidate> found;
  while (true) {
    auto row = candidates_.step();
    if (!row) {
      candidates_.reset();
      return row.error();
    }
    if (!*row) break;
    const std::int64_t bytes = candidates_.int64(2);
    const std::optional<std::int64_t> oldest = candidates_.optional_int64(3);
    if (too_big(bytes) || (oldest && too_old(*oldest, now_ms))) {
      found.push_back(Candidate{candidates_.text(0), static_cast<std::int32_t>(candidates_.int64(1))});
    }
  }
  candidates_.reset();
  return found;
}

// Read inside the deleting transaction: another producer's retention pass may
// have trimmed this partition since the candidates were listed.
Result<std::int64_t> Retention::retained_bytes(const Candidate& candidate) {
  retained_bytes_.bind(1, candidate.topic).bind(2, candidate.partition);
  auto row = retained_bytes_.step();
  const std::int64_t bytes = row && *row ? retained_bytes_.int64(0) : 0;
  retained_bytes_.reset();
  if (!row) return row.error();
  return bytes;
}

// Walks one partition oldest first and deletes the batches before the first
// one the policy keeps. A batch is only judged once the next one is seen, so
// the newest batch is never deleted.
Result<std::int64_t> Retention::trim(const Candidate& candidate, std::int64_t now_ms) {
  std::int64_t remaining_bytes = 0;
  SQUALL_ASSIGN(remaining_bytes, retained_bytes(candidate));
  oldest_first_.bind(1, candidate.topic).bind(2, candidate.partition);
  std::int64_t deleted_bytes = 0;
  std::int64_t deleted_batches = 0;
  std::int64_t first_kept = 0;
  auto row = oldest_first_.step();
  while (row && *row) {
    const std::int64_t base_offset = oldest_first_.int64(0);
    const std::int64_t byte_size = oldest_first_.int64(1);
    const std::int64_t appended_at_ms = oldest_first_.int64(2);
    first_kept = base_offset;
    if (!too_big(remaining_bytes) && !too_old(appended_at_ms, now_ms)) break;
    row = oldest_first_.step();
    if (row && !*row) break;  // base_offset is the newest batch: kept
    remaining_bytes -= byte_size;
    deleted_bytes += byte_size;
    ++deleted_batches;
  }
  oldest_first_.reset();
  if (!row) return row.error();
  if (deleted_batches == 0) return 0;
  SQUALL_TRY(delete_below_.bind(1, candidate.topic).bind(2, candidate.partition).bind(3, first_kept).run());
  SQUALL_TRY(shrink_.bind(1, candidate.topic).bind(2, candidate.partition).bind(3, deleted_bytes).run());
  return deleted_batches;
}

Result<std::int64_t> Retention::enforce(std::int64_t now_ms) {
  if (policy_.max_age_ms <= 0 && policy_.max_bytes_per_partition <= 0) return 0;
  std::vector<Candidate> candidates;
  SQUALL_ASSIGN(candidates, find_candidates(now_ms));
  if (candidates.empty()) return 0;
  auto tx = sqlite::Transaction::begin(*db_);
  if (!tx) return tx.error();
  std::int64_t deleted = 0;
  for (const Candidate& candidate : candidates) {
    std::int64_t trimmed = 0;
    SQUALL_ASSIGN(trimmed, trim(candidate, now_ms));
    deleted += trimmed;
  }
  SQUALL_TRY(tx->commit());
  return deleted;
}

}  // namespace squall::log::embedded
