#include "sources/payload_scan.hpp"

#include <charconv>

namespace squall::sources {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view text, std::size_t at) {
  while (at < text.size() && is_space(text[at])) ++at;
  return at;
}

// Index of the quote closing the string whose opening quote is at `open`,
// or npos when the text ends inside the string.
std::size_t closing_quote(std::string_view text, std::size_t open) {
  for (std::size_t at = open + 1; at < text.size(); ++at) {
    if (text[at] == '\\') {
      ++at;
    } else if (text[at] == '"') {
      return at;
    }
  }
  return std::string_view::npos;
}

// Reads an integer value after the key ending at `after_key`.
std::optional<std::int64_t> integer_value(std::string_view text, std::size_t after_key) {
  std::size_t at = skip_space(text, after_key);
  if (at >= text.size() || text[at] != ':') return std::nullopt;
  at = skip_space(text, at + 1);
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data() + at, end, value);
  if (error != std::errc() || (stop != end && (*stop == '.' || *stop == 'e' || *stop == 'E'))) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::int64_t> find_top_level_id(std::string_view json) {
  int depth = 0;
  for (std::size_t at = 0; at < json.size(); ++at) {
    switch (json[at]) {
      case '{':
      case '[': ++depth; break;
      case '}':
      case ']': --depth; break;
      case '"': {
        const std::size_t close = closing_quote(json, at);
        if (close == std::string_view::npos) return std::nullopt;
        if (depth == 1 && json.substr(at + 1, close - at - 1) == "id") {
          const std::size_t after = skip_space(json, close + 1);
          if (after < json.size() && json[after] == ':') return integer_value(json, after);
        }
        at = close;
        break;
      }
      default: break;
    }
  }
  return std::nullopt;
}

}  // namespace squall::sources
