// The README's configuration reference must list every key squall accepts,
// with the default the code uses: docs that match.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/config.hpp"

namespace squall::cli {
namespace {

std::string read_readme() {
  std::ifstream in(SQUALL_SOURCE_DIR "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Readme, DocumentsEveryConfigKeyWithItsDefault) {
  const std::string readme = read_readme();
  ASSERT_FALSE(readme.empty());
  for (const auto& spec : known_keys()) {
    const std::string row = "| `" + std::string(spec.key) + "` |";
    auto at = readme.find(row);
    ASSERT_NE(at, std::string::npos) << "README lacks a row for " << spec.key;
    const std::string line = readme.substr(at, readme.find('\n', at) - at);
    if (!spec.default_value.empty() && spec.key != "csv.dir") {
      EXPECT_NE(line.find("`" + std::string(spec.default_value) + "`"), std::string::npos)
          << spec.key << " default " << spec.default_value << " missing in: " << line;
    }
  }
}

}  // namespace
}  // namespace squall::cli
