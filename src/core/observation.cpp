#include "core/observation.hpp"

namespace squall {

std::optional<Units> parse_units(std::string_view text) {
  if (text == "standard") return Units::standard;
  if (text == "metric") return Units::metric;
  if (text == "imperial") return Units::imperial;
  return std::nullopt;
}

std::string_view to_string(Units units) {
  switch (units) {
    case Units::standard: return "standard";
    case Units::metric: return "metric";
    case Units::imperial: return "imperial";
  }
  return "standard";
}

}  // namespace squall
