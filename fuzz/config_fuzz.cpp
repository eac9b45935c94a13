// Fuzzes the config file path: Config::load of a TOML file, then resolve_settings, which validates every value.
// Properties: a bad file or value is an error value, never an exception; no error message ever contains a secret
// (the store password, the API key, a Kafka SASL password), whatever the file around them holds.

#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "check.hpp"
#include "cli/config.hpp"
#include "cli/settings.hpp"

namespace {

using squall::fuzz::require;

// The environment outranks the file, so these secrets stay whatever the
// file says; the file decides everything around them.
struct Secret {
  std::string_view variable;
  std::string_view value;
};
constexpr Secret kSecrets[] = {{"SQUALL_STORE_PASSWORD", "pw-9f3c1e7a"},
                               {"OPENWEATHER_API_KEY", "key-4b8d2f60"},
                               {"SQUALL_KAFKA_SASL_PASSWORD", "sasl-7e1a9c35"}};

std::vector<std::string> environment() {
  // A password needs its user, or settings stop at that before the rest.
  std::vector<std::string> variables = {"SQUALL_STORE_USER=fuzz"};
  for (const Secret& secret : kSecrets) variables.push_back(fmt::format("{}={}", secret.variable, secret.value));
  return variables;
}

// Config::load reads a file by name: a file in memory spares the disk.
struct MemoryFile {
  int fd = memfd_create("squall-config-fuzz", 0);
  std::string path = "/proc/self/fd/" + std::to_string(fd);

  void write(std::string_view text) const {
    require(fd >= 0 && ftruncate(fd, 0) == 0, "cannot empty the config file");
    require(pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()), "cannot write the config");
  }
};

// A secret the input itself spells out may be echoed as part of something
// else (a bad value of another key), so only inputs without one are judged.
void require_no_secret(std::string_view message, std::string_view input) {
  for (const Secret& secret : kSecrets) {
    if (input.find(secret.value) != std::string_view::npos) continue;
    require(message.find(secret.value) == std::string_view::npos, "an error message reveals a secret");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = squall::fuzz::as_text(data, size);
  static const MemoryFile file;
  static const std::vector<std::string> variables = environment();
  file.write(text);
  const auto config = squall::cli::Config::load(file.path, variables, {});
  if (!config) {
    require_no_secret(config.error().message, text);
    return 0;
  }
  const auto settings = squall::cli::resolve_settings(*config);
  if (!settings) require_no_secret(settings.error().message, text);
  return 0;
}
