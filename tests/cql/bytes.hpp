#pragma once
// Test helper: bytes written by hand as hex, the way the spec draws them.

#include <cctype>
#include <stdexcept>
#include <string>
#include <string_view>

namespace squall::cql::testing {

// "04 00 00 01" -> the four bytes; whitespace is ignored.
inline std::string hex(std::string_view text) {
  std::string out;
  int high = -1;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) throw std::invalid_argument("not hex: " + std::string(text));
    const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (high < 0) {
      high = digit;
    } else {
      out.push_back(static_cast<char>(high * 16 + digit));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits: " + std::string(text));
  return out;
}

// A [string]: 2-byte length then the text (test strings are short).
inline std::string str(std::string_view text) {
  std::string out;
  out.push_back(static_cast<char>((text.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(text.size() & 0xff));
  out.append(text);
  return out;
}

// A response frame around `body` with the given opcode byte and flags.
inline std::string response_frame(unsigned opcode, std::string_view body, int stream = 1, unsigned flags = 0) {
  std::string out;
  out.push_back(static_cast<char>(0x84));
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>((stream >> 8) & 0xff));
  out.push_back(static_cast<char>(stream & 0xff));
  out.push_back(static_cast<char>(opcode));
  const auto length = body.size();
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((length >> shift) & 0xff));
  out.append(body);
  return out;
}

}  // namespace squall::cql::testing
