#pragma once
// What the fuzz targets share: the input as text, and a failed property
// reported the way libFuzzer expects a finding (a message, then abort, which
// makes libFuzzer save the input that caused it).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace squall::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline void require(bool holds, const char* property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", property);
  std::abort();
}

}  // namespace squall::fuzz
