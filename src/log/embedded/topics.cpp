#include "log/embedded/topics.hpp"

namespace squall::log::embedded {

Result<Topics> Topics::prepare(sqlite::Database& db) {
  auto select = db.prepare("SELECT partitions FROM topics WHERE name = ?1");
  if (!select) return select.error();
  auto insert_topic = db.prepare("INSERT INTO topics(name, partitions, created_at_ms) VALUES (?1, ?2, ?3)");
  if (!insert_topic) return insert_topic.error();
  auto insert_partition = db.prepare(
      "INSERT INTO partitions(topic, partition_id, next_offset, retained_bytes) VALUES (?1, ?2, 0, 0)");
  if (!insert_partition) return insert_partition.error();
  auto list = db.prepare("SELECT name, partitions FROM topics ORDER BY name");
  if (!list) return list.error();
  return Topics(db, std::move(select).value(), std::move(insert_topic).value(), std::move(insert_partition).value(),
                std::move(list).value());
}

Result<std::optional<std::int32_t>> Topics::partitions_of(std::string_view topic) {
  select_.bind(1, topic);
  auto row = select_.step();
  std::optional<std::int32_t> partitions;
  if (row && *row) partitions = static_cast<std::int32_t>(select_.int64(0));
  select_.reset();
  if (!row) return row.error();
  return partitions;
}

Result<std::int32_t> Topics::ensure(std::string_view topic, std::int32_t partitions, std::int64_t now_ms) {
  auto tx = sqlite::Transaction::begin(*db_);
  if (!tx) return tx.error();
  std::optional<std::int32_t> existing;
  SQUALL_ASSIGN(existing, partitions_of(topic));
  if (existing) return *existing;
  SQUALL_TRY(insert_topic_.bind(1, topic).bind(2, partitions).bind(3, now_ms).run());
  for (std::int32_t p = 0; p < partitions; ++p) {
    SQUALL_TRY(insert_partition_.bind(1, topic).bind(2, p).run());
  }
  SQUALL_TRY(tx->commit());
  return partitions;
}

Result<std::vector<TopicInfo>> Topics::list() {
  std::vector<TopicInfo> topics;
  while (true) {
    auto row = list_.step();
    if (!row) {
      list_.reset();
      return row.error();
    }
    if (!*row) break;
    topics.push_back(TopicInfo{list_.text(0), static_cast<std::int32_t>(list_.int64(1))});
  }
  list_.reset();
  return topics;
}

}  // namespace squall::log::embedded
