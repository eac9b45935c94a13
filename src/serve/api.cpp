#include "serve/api.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <prometheus/text_serializer.h>

#include "core/json.hpp"
#include "core/time.hpp"
#include "store/row_json.hpp"

namespace squall::serve {
namespace {

constexpr std::size_t kMaxLimit = 10'000;
constexpr std::int64_t kLogCheckTtlMs = 5000;  // a Kafka metadata request per check
constexpr std::size_t kRecentAlerts = 100;

Response error(int status, std::string_view message) {
  Response response;
  response.status = status;
  response.body = "{\"error\":";
  json::append_string(response.body, message);
  response.body += "}\n";
  return response;
}

Response store_error(const Error& e) { return error(503, "store: " + e.message); }

Response json_body(std::string body) {
  Response response;
  response.body = std::move(body);
  return response;
}

std::optional<std::string_view> param(const Params& params, std::string_view name) {
  auto found = params.find(name);
  if (found == params.end() || found->second.empty()) return std::nullopt;
  return found->second;
}

Result<std::optional<std::int64_t>> city_param(const Params& params) {
  auto text = param(params, "city");
  if (!text) return std::optional<std::int64_t>{};
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), id);
  if (ec != std::errc() || end != text->data() + text->size() || id <= 0) {
    return make_error(Errc::invalid_argument, "city: expected a positive city id such as 4887398");
  }
  return std::optional<std::int64_t>{id};
}

Result<std::size_t> limit_param(const Params& params, std::size_t fallback) {
  auto text = param(params, "limit");
  if (!text) return fallback;
  std::size_t limit = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (ec != std::errc() || end != text->data() + text->size() || limit == 0 || limit > kMaxLimit) {
    return make_error(Errc::invalid_argument, fmt::format("limit: expected a number from 1 to {}", kMaxLimit));
  }
  return limit;
}

// Window names are durations as configured ("10m", "1h", "1d").
Result<std::optional<std::string>> window_param(const Params& params) {
  auto text = param(params, "window");
  if (!text) return std::optional<std::string>{};
  if (text->size() > 16 || !parse_duration_ms(*text)) {
    return make_error(Errc::invalid_argument, "window: expected a window size such as 1h or 1d");
  }
  return std::optional<std::string>{std::string(*text)};
}

std::string backend_kind(std::string_view url, std::string_view fallback) {
  // Only the scheme: a URL is never echoed, whatever a user may have put in it.
  const auto scheme_end = url.find("://");
  return scheme_end == std::string_view::npos ? std::string(fallback) : std::string(url.substr(0, scheme_end));
}

void append_nullable_count(std::string& out, const std::atomic<std::int64_t>* counter) {
  if (counter != nullptr) json::append_number(out, counter->load(std::memory_order_relaxed));
  else out += "null";
}

// The standard process metrics (the names every Prometheus client uses), so
// memory and CPU can be watched over a long run.
void add_process_metrics(metrics::Families& families) {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    metrics::add_counter(families, "process_cpu_seconds_total", "User and system CPU time spent, in seconds",
                         seconds(usage.ru_utime) + seconds(usage.ru_stime));
  }
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  if (statm >> pages_total >> pages_resident) {
    metrics::add_gauge(families, "process_resident_memory_bytes", "Resident memory size in bytes",
                       static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
  }
}

}  // namespace

Api::Api(std::unique_ptr<store::Store> store, const Backends& backends, LivePipeline live)
    : store_(std::move(store)),
      log_options_(backends.log),
      log_kind_(backend_kind(backends.log.url, "embedded")),
      store_kind_(backend_kind(backends.store.url, "sqlite")),
      live_(live),
      sampler_(live),
      started_ms_(steady_now_ms()) {}

Response Api::latest(const Params& params) {
  auto city = city_param(params);
  if (!city) return error(400, city.error().message);
  std::lock_guard lock(store_mutex_);
  auto rows = store_->latest(*city);
  if (!rows) return store_error(rows.error());
  return json_body(store::json_array<Observation>(*rows));
}

Response Api::history(const Params& params) {
  auto city = city_param(params);
  if (!city) return error(400, city.error().message);
  if (!*city) return error(400, "city: required, e.g. /api/history?city=4887398 (/api/latest lists the ids)");
  auto limit = limit_param(params, 500);
  if (!limit) return error(400, limit.error().message);
  store::HistoryQuery query;
  query.city_id = **city;
  query.limit = *limit;
  if (auto since = param(params, "since")) {
    auto span = parse_duration_ms(*since);
    if (!span) return error(400, "since: expected a duration such as 30m, 6h or 7d");
    query.from = now_seconds() - *span / 1000;
  }
  std::lock_guard lock(store_mutex_);
  auto rows = store_->history(query);
  if (!rows) return store_error(rows.error());
  return json_body(store::json_array<Observation>(*rows));
}

Response Api::windows(const Params& params) {
  auto city = city_param(params);
  if (!city) return error(400, city.error().message);
  auto window = window_param(params);
  if (!window) return error(400, window.error().message);
  auto limit = limit_param(params, 200);
  if (!limit) return error(400, limit.error().message);
  store::WindowQuery query;
  query.city_id = *city;
  query.window = *window;
  query.limit = *limit;
  std::lock_guard lock(store_mutex_);
  auto rows = store_->windows(query);
  if (!rows) return store_error(rows.error());
  return json_body(store::json_array<store::WindowRow>(*rows));
}

// An alert is active while the newest event of its city and rule raised it.
Response Api::alerts(const Params& params) {
  auto city = city_param(params);
  if (!city) return error(400, city.error().message);
  store::AlertQuery query;
  query.city_id = *city;
  std::vector<store::AlertRow> rows;
  {
    std::lock_guard lock(store_mutex_);
    auto found = store_->alerts(query);
    if (!found) return store_error(found.error());
    rows = std::move(found).value();
  }
  std::vector<store::AlertRow> active;
  std::set<std::pair<std::int64_t, std::string>> decided;
  for (const store::AlertRow& row : rows) {
    if (decided.emplace(row.city_id, row.rule).second && row.raised) active.push_back(row);
  }
  const std::size_t recent = std::min(rows.size(), kRecentAlerts);
  std::string body = "{\"active\":";
  body += store::json_array<store::AlertRow>(active);
  body += ",\"recent\":";
  body += store::json_array<store::AlertRow>(std::span<const store::AlertRow>(rows.data(), recent));
  body += "}\n";
  return json_body(std::move(body));
}

std::optional<store::Stats> Api::cached_stats() {
  std::lock_guard cache(cache_mutex_);
  return totals_.get([this] {
    std::lock_guard lock(store_mutex_);
    return store_->stats();
  });
}

Response Api::pipeline() {
  const PipelineRates rates = sampler_.rates(steady_now_ms());
  const std::optional<store::Stats> totals = cached_stats();
  // Counts of this run when the processor runs here, the store's totals otherwise.
  const processor::ProcessorCounters* p = live_.processor;

  std::string out = "{\"time\":";
  json::append_string(out, format_iso8601(now_seconds()));
  out += fmt::format(",\"uptime_s\":{}", (steady_now_ms() - started_ms_) / 1000);
  out += fmt::format(",\"in_process\":{}", p != nullptr || live_.ingest != nullptr ? "true" : "false");
  out += ",\"log\":";
  json::append_string(out, log_kind_);
  out += ",\"store\":";
  json::append_string(out, store_kind_);
  out += ",\"produced\":";
  append_nullable_count(out, live_.ingest != nullptr ? &live_.ingest->produced : nullptr);
  out += ",\"consumed\":";
  append_nullable_count(out, p != nullptr ? &p->consumed : nullptr);
  const store::Stats none{};
  const store::Stats& t = totals ? *totals : none;
  out += fmt::format(",\"stored\":{}", p != nullptr ? p->observations.load() : t.observations);
  out += fmt::format(",\"dead_letters\":{}", p != nullptr ? p->dead_letters.load() : t.dead_letters);
  out += fmt::format(",\"late_records\":{}", p != nullptr ? p->late.load() : t.late_records);
  out += fmt::format(",\"alerts\":{}", p != nullptr ? p->alerts.load() : t.alerts);
  out += ",\"duplicates\":";
  append_nullable_count(out, p != nullptr ? &p->duplicates : nullptr);
  out += ",\"lag\":";
  const std::int64_t lag = p != nullptr ? p->lag.load(std::memory_order_relaxed) : -1;
  if (lag >= 0) json::append_number(out, lag);
  else out += "null";
  out += ",\"rates\":{\"produced_per_s\":";
  json::append_optional(out, rates.produced_per_s);
  out += ",\"consumed_per_s\":";
  json::append_optional(out, rates.consumed_per_s);
  out += ",\"stored_per_s\":";
  json::append_optional(out, rates.stored_per_s);
  out += "},\"latency_ms\":";
  if (rates.latency) {
    out += "{\"p50\":";
    json::append_number(out, rates.latency->p50_ms);
    out += ",\"p95\":";
    json::append_number(out, rates.latency->p95_ms);
    out += ",\"p99\":";
    json::append_number(out, rates.latency->p99_ms);
    out += ",\"max\":";
    json::append_number(out, rates.latency->max_ms);
    out += '}';
  } else {
    out += "null";
  }
  out += ",\"store_totals\":";
  if (totals) store::append_json(out, *totals);
  else out += "null";
  out += "}\n";
  return json_body(std::move(out));
}

Response Api::metrics() {
  metrics::Families families;
  metrics::add_gauge(families, "squall_uptime_seconds", "Seconds since the server started",
                     static_cast<double>(steady_now_ms() - started_ms_) / 1000.0);
  add_process_metrics(families);
  if (live_.source != nullptr) {
    for (auto& family : live_.source->collect_metrics()) families.push_back(std::move(family));
  }
  if (live_.ingest != nullptr) {
    for (auto& family : ingest::collect_metrics(*live_.ingest)) families.push_back(std::move(family));
  }
  if (live_.processor != nullptr) {
    for (auto& family : processor::collect_metrics(*live_.processor)) families.push_back(std::move(family));
  }
  if (auto totals = cached_stats()) {
    metrics::add_gauge(families, "squall_store_observations", "Observations in the store",
                       static_cast<double>(totals->observations));
    metrics::add_gauge(families, "squall_store_dead_letters", "Dead letters in the store",
                       static_cast<double>(totals->dead_letters));
    metrics::add_gauge(families, "squall_store_late_records", "Late records in the store",
                       static_cast<double>(totals->late_records));
  }
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, families);
  Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = text.str();
  return response;
}

Response Api::ready() {
  std::optional<std::string> store_problem;
  {
    std::lock_guard lock(store_mutex_);
    // One city that cannot exist: a real round trip that reads almost nothing.
    if (auto probe = store_->latest(std::optional<std::int64_t>(0)); !probe) store_problem = probe.error().message;
  }
  std::optional<std::string> log_problem;
  {
    std::lock_guard cache(cache_mutex_);
    const std::int64_t now = steady_now_ms();
    if (log_checked_at_ms_ == 0 || now - log_checked_at_ms_ >= kLogCheckTtlMs) {
      auto topics = log::list_topics(log_options_);
      log_problem_ = topics ? std::nullopt : std::optional<std::string>(topics.error().message);
      log_checked_at_ms_ = now;
    }
    log_problem = log_problem_;
  }
  Response response;
  response.status = store_problem || log_problem ? 503 : 200;
  response.body = fmt::format("{{\"ready\":{},\"log\":", response.status == 200 ? "true" : "false");
  json::append_string(response.body, log_problem.value_or("ok"));
  response.body += ",\"store\":";
  json::append_string(response.body, store_problem.value_or("ok"));
  response.body += "}\n";
  return response;
}

}  // namespace squall::serve
