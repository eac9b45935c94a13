#pragma once
// The API's endpoints as plain functions of their query parameters, apart
// from HTTP so they can be tested directly; http_server.cpp routes to them.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "serve/pipeline_sampler.hpp"
#include "serve/serve.hpp"
#include "serve/store_totals.hpp"

namespace squall::serve {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using Params = std::map<std::string, std::string, std::less<>>;

class Api {
 public:
  // `store` is the API's own connection, used by one request at a time.
  Api(std::unique_ptr<store::Store> store, const Backends& backends, LivePipeline live);

  Response latest(const Params& params);
  Response history(const Params& params);
  Response windows(const Params& params);
  Response alerts(const Params& params);
  Response pipeline();
  Response metrics();
  Response ready();

 private:
  std::optional<store::Stats> cached_stats();

  std::mutex store_mutex_;
  std::unique_ptr<store::Store> store_;
  log::LogOptions log_options_;
  std::string log_kind_;
  std::string store_kind_;
  LivePipeline live_;
  PipelineSampler sampler_;
  std::int64_t started_ms_;

  std::mutex cache_mutex_;
  StoreTotals totals_{steady_now_ms};
  std::optional<std::string> log_problem_;
  std::int64_t log_checked_at_ms_ = 0;
};

}  // namespace squall::serve
