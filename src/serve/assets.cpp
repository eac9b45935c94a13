#include "serve/assets.hpp"

#include <algorithm>

namespace squall::serve {

std::optional<Asset> find_asset(std::string_view path) {
  const auto& all = assets();
  auto found = std::find_if(all.begin(), all.end(), [&](const Asset& asset) { return asset.path == path; });
  if (found == all.end()) return std::nullopt;
  return *found;
}

}  // namespace squall::serve
