#pragma once
// The topic catalog of the embedded log: which topics exist, with how many
// partitions. A topic's partition count never changes once created.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/sqlite.hpp"
#include "log/log.hpp"

namespace squall::log::embedded {

class Topics {
 public:
  static Result<Topics> prepare(sqlite::Database& db);

  Result<std::optional<std::int32_t>> partitions_of(std::string_view topic);
  // Creates `topic` with `partitions` unless it already exists, in one
  // transaction; returns the partition count the topic actually has.
  Result<std::int32_t> ensure(std::string_view topic, std::int32_t partitions, std::int64_t now_ms);
  Result<std::vector<TopicInfo>> list();

 private:
  Topics(sqlite::Database& db, sqlite::Statement select, sqlite::Statement insert_topic,
         sqlite::Statement insert_partition, sqlite::Statement list)
      : db_(&db),
        select_(std::move(select)),
        insert_topic_(std::move(insert_topic)),
        insert_partition_(std::move(insert_partition)),
        list_(std::move(list)) {}

  sqlite::Database* db_;
  sqlite::Statement select_;
  sqlite::Statement insert_topic_;
  sqlite::Statement insert_partition_;
  sqlite::Statement list_;
};

}  // namespace squall::log::embedded
