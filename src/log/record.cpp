#include "log/log.hpp"

namespace squall::log {

std::optional<std::string_view> Record::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.key == name) return std::string_view(h.value);
  }
  return std::nullopt;
}

}  // namespace squall::log
