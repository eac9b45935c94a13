#include "store/csv/progress.hpp"

#include <charconv>

#include "store/csv/posix_file.hpp"

namespace squall::store::csv {
namespace {

constexpr std::string_view kFirstLine = "squall-csv-progress 1\n";

// Splits off the text up to the next space (or the end).
std::string_view next_word(std::string_view& line) {
  const auto space = line.find(' ');
  const std::string_view word = line.substr(0, space);
  line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  return word;
}

template <class Integer>
bool parse_integer(std::string_view text, Integer& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

Error malformed(std::string_view line) {
  return make_error(Errc::parse, "csv backup: malformed progress line '" + std::string(line) + "'");
}

Result<void> parse_line(std::string_view line, Progress& progress) {
  std::string_view rest = line;
  const std::string_view kind = next_word(rest);
  if (kind == "file") {
    progress.part_file = std::string(next_word(rest));
    if (progress.part_file.empty() || !parse_integer(rest, progress.length)) return malformed(line);
    return {};
  }
  if (kind == "position") {
    log::TopicPartition where;
    std::int64_t next_offset = 0;
    if (!parse_integer(next_word(rest), where.partition) || !parse_integer(next_word(rest), next_offset) ||
        rest.empty()) {
      return malformed(line);
    }
    where.topic = std::string(rest);
    progress.positions[std::move(where)] = next_offset;
    return {};
  }
  return malformed(line);
}

}  // namespace

std::string render_progress(const Progress& progress) {
  std::string text(kFirstLine);
  if (!progress.part_file.empty()) {
    text += "file " + progress.part_file + " " + std::to_string(progress.length) + "\n";
  }
  for (const auto& [where, next_offset] : progress.positions) {
    text += "position " + std::to_string(where.partition) + " " + std::to_string(next_offset) + " " + where.topic + "\n";
  }
  return text;
}

Result<Progress> parse_progress(std::string_view text) {
  if (!text.starts_with(kFirstLine) || !text.ends_with('\n')) {
    return make_error(Errc::parse, "csv backup: progress file is not a squall-csv-progress 1 file");
  }
  Progress progress;
  text.remove_prefix(kFirstLine.size());
  while (!text.empty()) {
    const auto end = text.find('\n');
    SQUALL_TRY(parse_line(text.substr(0, end), progress));
    text.remove_prefix(end + 1);
  }
  return progress;
}

Result<std::optional<Progress>> read_progress(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    if (text.error().code == Errc::not_found) return std::optional<Progress>();
    return text.error();
  }
  auto progress = parse_progress(*text);
  if (!progress) return make_error(Errc::parse, progress.error().message + " (" + path.string() + ")");
  return std::optional<Progress>(std::move(progress).value());
}

Result<void> write_progress(const std::filesystem::path& path, const Progress& progress) {
  return replace_file(path, render_progress(progress));
}

}  // namespace squall::store::csv
