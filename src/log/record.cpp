#include "log/log.hpp"

namespace squall::log {

std::optional<std::string_view> Record::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.key == name) return std::string_view(h.value);
  }
  return std::nullopt;
}

// librdkafka counts value, key and the headers' serialized size against
// message.max.bytes; 8 bytes per header covers the length prefixes it adds.
std::size_t record_bytes(const Record& record) {
  std::size_t bytes = record.value.size() + record.key.size();
  for (const auto& h : record.headers) bytes += h.key.size() + h.value.size() + 8;
  return bytes;
}

}  // namespace squall::log

namespace squall::log {

std::int64_t total_lag(std::span<const PartitionLag> lags) {
  std::int64_t total = 0;
  for (const PartitionLag& lag : lags) total += lag.records;
  return total;
}

}  // namespace squall::log
