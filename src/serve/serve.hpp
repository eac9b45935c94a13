#pragma once
// The serve stage: the dashboard, a read-only JSON API, Prometheus metrics
// and health checks over HTTP, reading from whichever store is configured.
//
//   /                  the dashboard (its files are built into the binary)
//   /api/latest        newest observation per city        [?city=ID]
//   /api/history       one city's observations, newest first: ?city=ID[&since=6h][&limit=N]
//   /api/windows       window aggregates                   [?city=ID][&window=1h][&limit=N]
//   /api/alerts        active alerts and recent events     [?city=ID]
//   /api/pipeline      rates, lag, latency and counts of the pipeline
//   /metrics           Prometheus text format
//   /healthz           the process is alive
//   /readyz            the log and the store are reachable (503 and the reason otherwise)
//
// `squall serve` runs it alone; `squall run` and `squall process` run it
// beside the pipeline (unless --no-serve) and then also show their live
// counters. Loopback by default; every request is bounded in size and time.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "ingest/ingest.hpp"
#include "log/log.hpp"
#include "processor/processor.hpp"
#include "sources/source.hpp"
#include "store/store.hpp"

namespace squall::serve {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  std::size_t max_body_bytes = 4096;      // the API is read-only: requests carry no real body
  std::int64_t request_timeout_ms = 5000; // to read a request, and to write its response
  int threads = 4;                        // requests served at once
};

// The stages running in this process, whose live counters the API and
// /metrics show; null where a stage does not run here.
struct LivePipeline {
  const ingest::IngestCounters* ingest = nullptr;
  const sources::Source* source = nullptr;
  const processor::ProcessorCounters* processor = nullptr;
};

struct Backends {
  store::StoreOptions store;
  log::LogOptions log;
};

class Server {
 public:
  // Opens its own connection to the store, binds `options.listen` and serves
  // on background threads until stop() or destruction. An address that is
  // taken or invalid fails here, with what to do about it.
  static Result<std::unique_ptr<Server>> start(const ServeOptions& options, const Backends& backends,
                                               LivePipeline live);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Where it listens, e.g. http://127.0.0.1:8080/ (the real port when 0 was asked for).
  const std::string& url() const;
  void stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Checks a HOST:PORT listen address without binding it.
Result<void> check_listen(std::string_view listen);

}  // namespace squall::serve
