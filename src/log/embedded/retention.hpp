#pragma once
// Retention of the embedded log: whole batches are deleted oldest first when
// they were appended more than retention_ms ago or when their partition holds
// more than retention_bytes_per_partition of payload.
//
// Like Kafka, retention ignores consumers: a group that falls behind loses
// what was deleted and resumes at the oldest batch still stored (the
// consumer logs the skipped range). Committed positions are kept.
//
// Ages come from the append time, not from Record::timestamp_ms: records
// carry event or fetch times that may be far in the past (a replayed
// recording, a simulator clock), and deleting by them would drop data that
// was just written, before anyone read it. For the same reason, as Kafka
// never deletes its active segment, the newest batch of a partition is always
// kept.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/sqlite.hpp"

namespace squall::log::embedded {

struct RetentionPolicy {
  std::int64_t max_age_ms = 0;               // <= 0: no age limit
  std::int64_t max_bytes_per_partition = 0;  // <= 0: no size limit
};

class Retention {
 public:
  static Result<Retention> prepare(sqlite::Database& db, RetentionPolicy policy);

  // Deletes every batch the policy no longer keeps, in one transaction when
  // there is anything to delete; returns the number of batches deleted.
  Result<std::int64_t> enforce(std::int64_t now_ms);

 private:
  struct Candidate {
    std::string topic;
    std::int32_t partition = 0;
  };

  Retention(sqlite::Database& db, RetentionPolicy policy, sqlite::Statement candidates,
            sqlite::Statement retained_bytes, sqlite::Statement oldest_first, sqlite::Statement delete_below,
            sqlite::Statement shrink)
      : db_(&db),
        policy_(policy),
        candidates_(std::move(candidates)),
        retained_bytes_(std::move(retained_bytes)),
        oldest_first_(std::move(oldest_first)),
        delete_below_(std::move(delete_below)),
        shrink_(std::move(shrink)) {}

  bool too_old(std::int64_t appended_at_ms, std::int64_t now_ms) const;
  bool too_big(std::int64_t bytes) const;
  Result<std::vector<Candidate>> find_candidates(std::int64_t now_ms);
  Result<std::int64_t> retained_bytes(const Candidate& candidate);
  Result<std::int64_t> trim(const Candidate& candidate, std::int64_t now_ms);

  sqlite::Database* db_;
  RetentionPolicy policy_;
  sqlite::Statement candidates_;
  sqlite::Statement retained_bytes_;
  sqlite::Statement oldest_first_;
  sqlite::Statement delete_below_;
  sqlite::Statement shrink_;
};

}  // namespace squall::log::embedded
