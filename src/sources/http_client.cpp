#include "sources/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>

#include <fmt/format.h>

namespace squall::sources {
namespace {

constexpr std::size_t kMaxBodyBytes = 4 << 20;  // a weather response is well under 1 KiB

struct Transfer {
  HttpResponse* response;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* context) {
  auto& transfer = *static_cast<Transfer*>(context);
  const std::size_t bytes = size * count;
  if (transfer.response->body.size() + bytes > kMaxBodyBytes) {
    transfer.too_large = true;
    return 0;  // makes curl abort the transfer
  }
  transfer.response->body.append(data, bytes);
  return bytes;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

std::optional<std::int64_t> parse_seconds(std::string_view value) {
  const auto first = value.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  value.remove_prefix(first);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  std::int64_t seconds = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error != std::errc() || end != value.data() + value.size() || seconds < 0) return std::nullopt;
  return seconds;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* context) {
  auto& transfer = *static_cast<Transfer*>(context);
  const std::string_view line(data, size * count);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (starts_with_ignoring_case(line, kRetryAfter)) {
    transfer.response->retry_after_s = parse_seconds(line.substr(kRetryAfter.size()));
  }
  return size * count;
}

void initialise_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

Result<HttpClient> HttpClient::create(std::int64_t timeout_ms) {
  initialise_curl_once();
  CURL* handle = curl_easy_init();
  if (handle == nullptr) return make_error(Errc::internal, "libcurl could not create a request handle");
  auto error_buffer = std::make_unique<char[]>(CURL_ERROR_SIZE);
  HttpClient client(handle, std::move(error_buffer));
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, client.error_buffer_.get());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: we run on worker threads
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decompress
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "squall/0.1 (+weather pipeline)");
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
  return client;
}

Result<HttpResponse> HttpClient::get(const std::string& url) {
  CURL* handle = handle_.get();
  HttpResponse response;
  Transfer transfer{&response};
  error_buffer_[0] = '\0';
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
  const CURLcode code = curl_easy_perform(handle);
  if (transfer.too_large) {
    return make_error(Errc::unavailable, fmt::format("response body larger than {} bytes", kMaxBodyBytes));
  }
  if (code != CURLE_OK) {
    const std::string_view detail = error_buffer_.get();
    std::string message = curl_easy_strerror(code);
    if (!detail.empty()) message += fmt::format(" ({})", detail);
    return make_error(code == CURLE_OPERATION_TIMEDOUT ? Errc::timeout : Errc::unavailable, std::move(message));
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string HttpClient::escape(std::string_view text) {
  char* escaped = curl_easy_escape(handle_.get(), text.data(), static_cast<int>(text.size()));
  if (escaped == nullptr) return {};
  std::string result(escaped);
  curl_free(escaped);
  return result;
}

}  // namespace squall::sources
