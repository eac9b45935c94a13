#pragma once
// A small blocking HTTP client over one reused libcurl easy handle (so
// connections and TLS sessions are kept alive between requests).

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace squall::sources {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::optional<std::int64_t> retry_after_s;  // Retry-After given in seconds (dates are ignored)
};

class HttpClient {
 public:
  // `timeout_ms` bounds both connecting and the whole request.
  static Result<HttpClient> create(std::int64_t timeout_ms);

  // Any HTTP status is a response; only transport failures (name lookup,
  // connect, TLS, timeout, an absurdly large body) are errors: Errc::timeout
  // or Errc::unavailable. Messages never contain the URL, which may carry
  // credentials.
  Result<HttpResponse> get(const std::string& url);

  // Percent-encodes `text` for a query string.
  std::string escape(std::string_view text);

 private:
  struct Cleanup {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
  };
  HttpClient(CURL* handle, std::unique_ptr<char[]> error_buffer)
      : handle_(handle), error_buffer_(std::move(error_buffer)) {}

  std::unique_ptr<CURL, Cleanup> handle_;
  std::unique_ptr<char[]> error_buffer_;  // CURLOPT_ERRORBUFFER; on the heap so moves keep its address
};

}  // namespace squall::sources
