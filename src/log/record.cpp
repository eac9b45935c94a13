#include "log/log.hpp"

namespace squall::log {

std::optional<std::string_view> Record::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.key == name) return std::string_view(h.value);
  }
  return std::nullopt;
}

}  // namespace squall::log

namespace squall::log {

std::int64_t total_lag(std::span<const PartitionLag> lags) {
  std::int64_t total = 0;
  for (const PartitionLag& lag : lags) total += lag.records;
  return total;
}

}  // namespace squall::log
