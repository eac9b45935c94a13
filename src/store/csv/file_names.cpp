#include "store/csv/file_names.hpp"

#include <algorithm>
#include <charconv>

#include "core/time.hpp"

namespace squall::store::csv {
namespace {

constexpr std::string_view kPrefix = "weather-";
constexpr std::size_t kStampLength = 16;  // YYYYMMDDTHHMMSSZ

bool ends_with_suffix(std::string_view rest) {
  if (rest == kPartSuffix || rest == kCompleteSuffix) return true;
  if (rest.empty() || rest.front() != '-') return false;
  rest.remove_prefix(1);
  const auto suffix = rest.find('.');
  if (suffix == std::string_view::npos) return false;
  int sequence = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + suffix, sequence);
  if (error != std::errc() || end != rest.data() + suffix || sequence < 2) return false;
  rest.remove_prefix(suffix);
  return rest == kPartSuffix || rest == kCompleteSuffix;
}

}  // namespace

std::string file_stem(std::int64_t interval_start, int sequence) {
  // 2023-11-14T22:00:00Z -> 20231114T220000Z: no characters awkward in file names.
  std::string stamp = format_iso8601(interval_start);
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }), stamp.end());
  std::string stem = std::string(kPrefix) + stamp;
  if (sequence > 1) stem += "-" + std::to_string(sequence);
  return stem;
}

std::string complete_name(std::string_view part_name) {
  part_name.remove_suffix(kPartSuffix.size() - kCompleteSuffix.size());
  return std::string(part_name);
}

std::optional<std::int64_t> interval_start_of(std::string_view file_name) {
  if (!file_name.starts_with(kPrefix) || file_name.size() < kPrefix.size() + kStampLength) return std::nullopt;
  const std::string_view stamp = file_name.substr(kPrefix.size(), kStampLength);
  if (!ends_with_suffix(file_name.substr(kPrefix.size() + kStampLength))) return std::nullopt;
  std::string iso;
  iso.append(stamp.substr(0, 4)).append("-").append(stamp.substr(4, 2)).append("-").append(stamp.substr(6, 2));
  iso.append(stamp.substr(8, 3)).append(":").append(stamp.substr(11, 2)).append(":").append(stamp.substr(13, 3));
  return parse_iso8601(iso);
}

std::int64_t interval_start(std::int64_t now_s, std::int64_t roll_interval_s) {
  std::int64_t start = now_s - now_s % roll_interval_s;
  return start > now_s ? start - roll_interval_s : start;
}

}  // namespace squall::store::csv
