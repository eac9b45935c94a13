// The openweather source: polls OpenWeatherMap's current-weather endpoint for
// every configured city, retrying transient failures with backoff.
//
// The API key must never reach a log line or an error message: the only
// string that holds it is the request URL, and every message derived from a
// request goes through redact() before it leaves this file.

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <spdlog/spdlog.h>

#include "core/time.hpp"
#include "sources/backoff.hpp"
#include "sources/http_client.hpp"
#include "sources/pacer.hpp"
#include "sources/recorder.hpp"
#include "sources/source.hpp"

namespace squall::sources {
namespace {

constexpr std::string_view kKeyRefused =
    "OpenWeatherMap refused the API key (HTTP 401 Unauthorized). Set a valid key in the "
    "OPENWEATHER_API_KEY environment variable or the config file; a newly created key can take "
    "a couple of hours to become active.";
constexpr std::string_view kRedacted = "[redacted]";
constexpr std::size_t kExcerptBytes = 200;

// Replaces every occurrence of `secret` in `text`.
std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kRedacted.size())) {
    text.replace(at, secret.size(), kRedacted);
  }
  return text;
}

// The start of a response body, on one line, for a log message.
std::string excerpt(std::string_view body) {
  std::string text(body.substr(0, kExcerptBytes));
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (body.size() > kExcerptBytes) text += "...";
  return text;
}

class OpenWeatherSource final : public Source {
 public:
  OpenWeatherSource(OpenWeatherOptions options, HttpClient http, std::optional<Recorder> recorder)
      : options_(std::move(options)),
        http_(std::move(http)),
        recorder_(std::move(recorder)),
        backoff_(options_.backoff_initial_ms, options_.backoff_max_ms, std::random_device{}()),
        escaped_key_(http_.escape(options_.api_key)) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  }

  Result<SourceState> next(std::vector<RawObservation>& out, std::size_t max, std::stop_token stop) override {
    const std::size_t before = out.size();
    // Returns after one observation, so each reaches the log as soon as it
    // arrives, or at the end of a cycle, so that a call never spans more
    // than one cycle even when every city fails.
    while (max > 0 && out.size() == before && !stop.stop_requested() && !done()) {
      if (position_ == options_.city_ids.size()) {
        if (!wait_for_next_cycle(stop)) break;
        position_ = 0;
      }
      if (position_ == 0) next_cycle_at_ms_ = steady_now_ms() + options_.poll_interval_ms;
      const std::int64_t city_id = options_.city_ids[position_++];
      SQUALL_TRY(fetch(city_id, out, stop));
      if (position_ == options_.city_ids.size()) break;
    }
    return done() ? SourceState::exhausted : SourceState::more;
  }

  std::string_view name() const override { return "openweather"; }

  metrics::Families collect_metrics() const override {
    metrics::Families out;
    metrics::add(out, responses_);
    return out;
  }

 private:
  bool done() const { return options_.max_events > 0 && emitted_ >= options_.max_events; }

  // Cycles start poll_interval_ms apart; a cycle that took longer than that
  // is followed at once by the next.
  bool wait_for_next_cycle(std::stop_token stop) {
    const std::int64_t wait_ms = next_cycle_at_ms_ - steady_now_ms();
    return wait_ms <= 0 || sleep_unless_stopped(std::chrono::milliseconds(wait_ms), stop);
  }

  std::string url_for(std::int64_t city_id) const {
    return fmt::format("{}/data/2.5/weather?id={}&appid={}&units={}", options_.base_url, city_id, escaped_key_,
                       to_string(options_.units));
  }

  std::string redact_key(std::string text) const {
    return redact(redact(std::move(text), options_.api_key), escaped_key_);
  }

  // Fetches one city. A city that cannot be fetched (not found, still failing
  // after every retry, an unexpected status) is logged and skipped: the other
  // cities and the next cycle go on. Only a refused key is fatal, since every
  // later request would be refused too.
  Result<void> fetch(std::int64_t city_id, std::vector<RawObservation>& out, std::stop_token stop) {
    for (int attempt = 0;; ++attempt) {
      auto response = http_.get(url_for(city_id));
      responses_.Add({{"status", response ? std::to_string(response->status) : std::string("error")}}).Increment();
      std::string failure;
      std::optional<std::int64_t> retry_after_s;
      if (!response) {
        failure = redact_key(response.error().message);
      } else {
        const long status = response->status;
        if (status == 200) return deliver(city_id, std::move(response->body), out);
        if (status == 401) return make_error(Errc::auth, std::string(kKeyRefused));
        if (status == 404) {
          spdlog::warn("openweather: city {} not found (HTTP 404); skipping it", city_id);
          return {};
        }
        if (status != 429 && status < 500) {
          spdlog::warn("openweather: city {}: unexpected HTTP {}: {}; skipping it", city_id, status,
                       excerpt(redact_key(std::move(response->body))));
          return {};
        }
        failure = fmt::format("HTTP {}", status);
        retry_after_s = response->retry_after_s;
      }
      if (attempt >= options_.max_retries) {
        spdlog::warn("openweather: city {}: giving up after {} attempts ({}); next try in the next poll", city_id,
                     attempt + 1, failure);
        return {};
      }
      const std::int64_t delay_ms = retry_delay_ms(backoff_, attempt, retry_after_s);
      spdlog::debug("openweather: city {}: {}; retry {} of {} in {} ms", city_id, failure, attempt + 1,
                    options_.max_retries, delay_ms);
      if (!sleep_unless_stopped(std::chrono::milliseconds(delay_ms), stop)) return {};
    }
  }

  // A 200 is passed on whatever its body: if it is not a usable observation
  // the processor dead-letters it with the reason.
  Result<void> deliver(std::int64_t city_id, std::string body, std::vector<RawObservation>& out) {
    RawObservation& raw = out.emplace_back();
    raw.city_id = city_id;
    raw.payload = std::move(body);
    raw.units = options_.units;
    raw.fetched_at_ms = now_ms();
    ++emitted_;
    if (!recorder_) return {};
    auto recorded = recorder_->append(raw.payload);
    if (!recorded) return make_error(recorded.error().code, redact_key(recorded.error().message));
    return {};
  }

  OpenWeatherOptions options_;
  HttpClient http_;
  std::optional<Recorder> recorder_;
  Backoff backoff_;
  std::string escaped_key_;
  std::size_t position_ = 0;          // next city of the current cycle
  std::int64_t next_cycle_at_ms_ = 0;  // steady clock
  std::int64_t emitted_ = 0;
  prometheus::Family<prometheus::Counter> responses_{
      "squall_source_http_responses_total",
      "OpenWeatherMap responses by HTTP status (error: no response: timeout, refused connection, ...)", {}};
};

Result<void> check_number(std::string_view what, std::int64_t value, std::int64_t minimum) {
  if (value >= minimum) return {};
  return make_error(Errc::invalid_argument, fmt::format("openweather: {} must be >= {}, got {}", what, minimum, value));
}

Result<void> check(const OpenWeatherOptions& options) {
  if (options.api_key.empty()) {
    return make_error(Errc::invalid_argument,
                      "openweather: no API key. Set the OPENWEATHER_API_KEY environment variable or api_key in the "
                      "config file (free keys: https://home.openweathermap.org/api_keys)");
  }
  if (options.city_ids.empty()) return make_error(Errc::invalid_argument, "openweather: no city ids to poll");
  if (!options.base_url.starts_with("http://") && !options.base_url.starts_with("https://")) {
    return make_error(Errc::invalid_argument,
                      redact(fmt::format("openweather: base URL must start with http:// or https://, got '{}'",
                                         options.base_url),
                             options.api_key));
  }
  SQUALL_TRY(check_number("timeout", options.timeout_ms, 1));
  SQUALL_TRY(check_number("poll interval", options.poll_interval_ms, 0));
  SQUALL_TRY(check_number("max retries", options.max_retries, 0));
  SQUALL_TRY(check_number("initial backoff", options.backoff_initial_ms, 0));
  SQUALL_TRY(check_number("maximum backoff", options.backoff_max_ms, 0));
  SQUALL_TRY(check_number("max-events", options.max_events, 0));
  return {};
}

}  // namespace

Result<std::unique_ptr<Source>> make_openweather(const OpenWeatherOptions& options) {
  SQUALL_TRY(check(options));
  std::optional<Recorder> recorder;
  if (!options.record_path.empty()) {
    auto opened = Recorder::open(options.record_path);
    if (!opened) {
      return make_error(opened.error().code, redact("openweather: " + opened.error().message, options.api_key));
    }
    recorder.emplace(std::move(opened).value());
  }
  auto http = HttpClient::create(options.timeout_ms);
  if (!http) return http.error();
  return std::unique_ptr<Source>(
      std::make_unique<OpenWeatherSource>(options, std::move(http).value(), std::move(recorder)));
}

}  // namespace squall::sources
