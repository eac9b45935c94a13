#pragma once
// The dashboard's files, built into the binary at compile time from web/
// (and the charting library npm installed there), so that the page works
// with no internet and nothing installed beside squall.

#include <optional>
#include <string_view>
#include <vector>

namespace squall::serve {

struct Asset {
  std::string_view path;          // as requested: "/", "/app.js", "/vendor/uPlot.iife.min.js"
  std::string_view content_type;
  std::string_view body;
};

const std::vector<Asset>& assets();

// The asset served at `path`, if any.
std::optional<Asset> find_asset(std::string_view path);

}  // namespace squall::serve
