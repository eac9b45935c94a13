#include "cql/session.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <semaphore>
#include <set>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <fmt/format.h>

#include "cql/connection.hpp"

namespace squall::cql {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kBriefStatementChars = 80;
constexpr int kMaxConnectionsPerHost = 8;
constexpr std::chrono::milliseconds kMaxReconnectDelay{30'000};
constexpr std::chrono::milliseconds kFirstReconnectDelay{500};

// The statement as it appears in error messages: whitespace collapsed, cut short.
std::string brief(std::string_view cql) {
  std::string out;
  for (const char c : cql) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > kBriefStatementChars) out = out.substr(0, kBriefStatementChars) + "...";
  return out;
}

Error in_context(Error error, std::string_view what) {
  error.message = fmt::format("{}: {}", what, error.message);
  return error;
}

// Server errors after which the statement was not, or may safely be
// re-, applied — if, and only if, the statement is idempotent.
bool retryable(const ServerError& error) {
  switch (error.code) {
    case ErrorCode::read_timeout:
    case ErrorCode::write_timeout:
    case ErrorCode::unavailable:
    case ErrorCode::overloaded:
      return true;
    default:
      return false;
  }
}

// A request that timed out or whose connection died; not a malformed answer.
bool retryable(const Error& transport) {
  return transport.code == Errc::timeout || transport.code == Errc::unavailable;
}

Result<void> check_values(std::span<const Value> values, const std::vector<ColumnSpec>& markers) {
  if (values.size() != markers.size()) {
    return make_error(Errc::invalid_argument,
                      fmt::format("the statement has {} bind markers but {} values were given", markers.size(),
                                  values.size()));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!binds_to(values[i], markers[i].type)) {
      return make_error(Errc::invalid_argument, fmt::format("value {} ({}) is {}, but the column is {}", i,
                                                            markers[i].name, value_type_name(values[i]),
                                                            markers[i].type.name()));
    }
  }
  return {};
}

Result<QueryResult> to_query_result(Response response) {
  QueryResult out;
  out.warnings = std::move(response.warnings);
  if (auto* rows = std::get_if<RowsResult>(&response.body)) {
    out.columns = std::move(rows->metadata.columns);
    out.rows = std::move(rows->rows);
    out.paging_state = std::move(rows->metadata.paging_state);
    return out;
  }
  if (std::holds_alternative<VoidResult>(response.body) || std::holds_alternative<SetKeyspaceResult>(response.body) ||
      std::holds_alternative<SchemaChangeResult>(response.body)) {
    return out;
  }
  return make_error(Errc::parse, fmt::format("unexpected {} in answer", response_kind(response.body)));
}

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsOptions& tls) {
  if (!tls.enabled) return std::shared_ptr<asio::ssl::context>{};
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  error_code ec;
  if (!tls.verify) {
    context->set_verify_mode(asio::ssl::verify_none, ec);
    return context;
  }
  context->set_verify_mode(asio::ssl::verify_peer, ec);
  if (tls.ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(tls.ca_file, ec);
  }
  if (ec) {
    return make_error(Errc::invalid_argument, fmt::format("cannot load TLS trust anchors{}: {}",
                                                          tls.ca_file.empty() ? "" : " from " + tls.ca_file,
                                                          ec.message()));
  }
  return context;
}

}  // namespace

// --------------------------------------------------------- QueryResult etc.

std::optional<std::size_t> QueryResult::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return i;
  }
  return std::nullopt;
}

PreparedStatement::PreparedStatement(std::string cql, PreparedResult prepared)
    : cql_(std::move(cql)), prepared_(std::make_shared<const PreparedResult>(std::move(prepared))) {}

std::shared_ptr<const PreparedResult> PreparedStatement::current() const {
  std::lock_guard lock(mutex_);
  return prepared_;
}

void PreparedStatement::update(PreparedResult prepared) {
  auto replacement = std::make_shared<const PreparedResult>(std::move(prepared));
  std::lock_guard lock(mutex_);
  prepared_ = std::move(replacement);
}

// ---------------------------------------------------------------- internals

namespace {

struct Slot {
  Endpoint endpoint;
  std::shared_ptr<Connection> connection;
  std::unique_ptr<asio::steady_timer> reconnect_timer;
  bool reconnecting = false;
  int failures = 0;  // consecutive failed reconnects, for backoff
};

}  // namespace

struct Session::Impl {
  struct Call;

  Impl(SessionOptions opts, std::vector<Endpoint> endpoints, std::shared_ptr<asio::ssl::context> tls)
      : options(std::move(opts)),
        work(asio::make_work_guard(io)),
        admission(static_cast<std::ptrdiff_t>(options.max_in_flight)) {
    connection_options.user = options.user;
    connection_options.password = options.password;
    connection_options.keyspace = options.keyspace;
    connection_options.connect_timeout = options.connect_timeout;
    connection_options.max_streams = options.max_in_flight;
    connection_options.tls = std::move(tls);
    connection_options.verify_host_name = options.tls.verify;
    for (auto& endpoint : endpoints) {
      for (int i = 0; i < options.connections_per_host; ++i) {
        Slot slot;
        slot.endpoint = endpoint;
        slot.reconnect_timer = std::make_unique<asio::steady_timer>(io);
        pool.push_back(std::move(slot));
      }
    }
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() { shutdown(); }

  const SessionOptions options;
  ConnectionOptions connection_options;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
  std::counting_semaphore<> admission;
  std::atomic<bool> closing{false};

  mutable std::mutex pool_mutex;
  std::vector<Slot> pool;  // fixed size after construction
  std::size_t next_slot = 0;

  std::set<std::shared_ptr<Call>> backing_off;  // I/O thread only

  bool on_io_thread() { return io.get_executor().running_in_this_thread(); }

  // Opens every slot's first connection; true if at least one came up.
  Result<void> open_all() {
    std::vector<std::future<Result<void>>> opened;
    {
      std::lock_guard lock(pool_mutex);
      for (auto& slot : pool) {
        auto promise = std::make_shared<std::promise<Result<void>>>();
        opened.push_back(promise->get_future());
        slot.connection = Connection::open(io, slot.endpoint, connection_options,
                                           [promise](Result<void> result) { promise->set_value(std::move(result)); });
      }
    }
    std::vector<Error> failures;
    for (auto& future : opened) {
      auto result = future.get();
      if (!result) failures.push_back(result.error());
    }
    if (failures.size() < opened.size()) return {};
    // Refused credentials or certificates say more than the unreachable nodes next to them.
    for (const auto& failure : failures) {
      if (failure.code == Errc::auth || failure.code == Errc::tls) return failure;
    }
    std::string reasons;
    for (const auto& failure : failures) reasons += (reasons.empty() ? "" : "; ") + failure.message;
    return make_error(failures.front().code == Errc::timeout ? Errc::timeout : Errc::unavailable,
                      fmt::format("no Cassandra node reachable: {}", reasons));
  }

  // The next connection that is up, round robin; schedules reconnects of dead ones.
  std::shared_ptr<Connection> pick() {
    std::lock_guard lock(pool_mutex);
    for (std::size_t i = 0; i < pool.size(); ++i) {
      const std::size_t index = (next_slot + i) % pool.size();
      auto& slot = pool[index];
      if (slot.connection->ready()) {
        next_slot = (index + 1) % pool.size();
        return slot.connection;
      }
      if (slot.connection->closed()) schedule_reconnect(index);
    }
    return nullptr;
  }

  // With pool_mutex held. The timer is armed on the I/O thread, after a last
  // look at `closing`, so shutdown never waits for a reconnect delay.
  void schedule_reconnect(std::size_t index) {
    auto& slot = pool[index];
    if (slot.reconnecting || closing) return;
    slot.reconnecting = true;
    const auto delay = slot.failures == 0
                           ? std::chrono::milliseconds{0}
                           : std::min(kMaxReconnectDelay, kFirstReconnectDelay * (1 << std::min(slot.failures, 10)));
    asio::post(io, [this, index, delay] {
      std::lock_guard lock(pool_mutex);
      if (closing) return;
      pool[index].reconnect_timer->expires_after(delay);
      pool[index].reconnect_timer->async_wait([this, index](error_code ec) {
        if (!ec && !closing) reconnect(index);
      });
    });
  }

  void reconnect(std::size_t index) {
    std::lock_guard lock(pool_mutex);
    pool[index].connection =
        Connection::open(io, pool[index].endpoint, connection_options, [this, index](Result<void> result) {
          std::lock_guard done_lock(pool_mutex);
          pool[index].reconnecting = false;
          pool[index].failures = result ? 0 : pool[index].failures + 1;
        });
  }

  std::string contact_points() const {
    std::string out;
    for (const auto& point : options.contact_points) out += (out.empty() ? "" : ", ") + point;
    return out;
  }

  void shutdown();

  template <class T>
  std::future<Result<T>> run(std::string what, std::function<Result<Request>()> encode,
                             std::vector<Prepared> statements, bool idempotent,
                             std::function<Result<T>(Response)> convert);
};

// One logical request through its attempts: re-prepare once on Unprepared,
// retry idempotent statements with backoff. Lives on the I/O thread.
struct Session::Impl::Call : std::enable_shared_from_this<Call> {
  Call(Impl& owner, std::function<Result<Request>()> encoder, std::vector<Prepared> prepared, bool can_retry,
       std::function<void(Result<Response>)> on_done)
      : session(owner),
        encode(std::move(encoder)),
        statements(std::move(prepared)),
        idempotent(can_retry),
        done(std::move(on_done)),
        backoff(owner.io) {}

  Impl& session;
  std::function<Result<Request>()> encode;  // again for every attempt: a re-prepare may change the id
  std::vector<Prepared> statements;
  bool idempotent;
  std::function<void(Result<Response>)> done;
  asio::steady_timer backoff;
  std::shared_ptr<Connection> connection;
  int retries = 0;
  bool reprepared = false;

  void start() { attempt(session.pick()); }

  void attempt(std::shared_ptr<Connection> on) {
    if (session.closing) return done(make_error(Errc::unavailable, "session closed"));
    if (!on) {
      return done(
          make_error(Errc::unavailable, fmt::format("no connection is up to any of {}", session.contact_points())));
    }
    auto request = encode();
    if (!request) return done(request.error());
    connection = std::move(on);
    connection->send(std::move(request).value(), session.options.request_timeout,
                     [self = shared_from_this()](Result<Response> response) { self->on_answer(std::move(response)); });
  }

  void on_answer(Result<Response> response) {
    const bool may_retry = idempotent && retries < session.options.max_retries && !session.closing;
    if (!response) {
      if (may_retry && retryable(response.error())) return retry_later();
      return done(std::move(response));
    }
    if (const auto* error = std::get_if<ServerError>(&response->body)) {
      if (error->code == ErrorCode::unprepared && !reprepared) return reprepare(*error);
      if (may_retry && retryable(*error)) return retry_later();
    }
    done(std::move(response));
  }

  // The node forgot the statement: prepare it there again, then resend.
  void reprepare(const ServerError& error) {
    reprepared = true;
    const auto* details = std::get_if<UnpreparedDetails>(&error.details);
    Prepared statement;
    for (const auto& candidate : statements) {
      if (details && candidate->current()->id == details->id) statement = candidate;
    }
    if (!statement && statements.size() == 1) statement = statements.front();
    if (!statement) return done(error.to_error());
    auto request = prepare_request(statement->cql());
    if (!request) return done(request.error());
    connection->send(std::move(request).value(), session.options.request_timeout,
                     [self = shared_from_this(), statement](Result<Response> response) {
                       if (!response) return self->done(std::move(response));
                       auto* prepared = std::get_if<PreparedResult>(&response->body);
                       if (!prepared) {
                         const auto* refused = std::get_if<ServerError>(&response->body);
                         return self->done(in_context(
                             refused ? refused->to_error()
                                     : make_error(Errc::parse, "unexpected " + response_kind(response->body)),
                             "preparing again after Unprepared"));
                       }
                       statement->update(std::move(*prepared));
                       self->attempt(self->connection);
                     });
  }

  void retry_later() {
    ++retries;
    backoff.expires_after(session.options.retry_base_delay * (1 << std::min(retries - 1, 10)));
    session.backing_off.insert(shared_from_this());
    backoff.async_wait([self = shared_from_this()](error_code ec) {
      self->session.backing_off.erase(self);
      if (ec || self->session.closing) return self->done(make_error(Errc::unavailable, "session closed"));
      self->attempt(self->session.pick());
    });
  }
};

void Session::Impl::shutdown() {
  if (!thread.joinable()) return;
  closing = true;
  asio::post(io, [this] {
    {
      std::lock_guard lock(pool_mutex);
      for (auto& slot : pool) {
        if (slot.connection) slot.connection->close("session closed");
        slot.reconnect_timer->cancel();
      }
    }
    for (const auto& call : backing_off) call->backoff.cancel();
  });
  work.reset();
  thread.join();
}

template <class T>
std::future<Result<T>> Session::Impl::run(std::string what, std::function<Result<Request>()> encode,
                                          std::vector<Prepared> statements, bool idempotent,
                                          std::function<Result<T>(Response)> convert) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  if (closing) {
    promise->set_value(make_error(Errc::unavailable, what + ": session closed"));
    return future;
  }
  // Backpressure. On the I/O thread waiting would deadlock, so there it only tries.
  const bool admitted = on_io_thread() ? admission.try_acquire() : admission.try_acquire_for(options.request_timeout);
  if (!admitted) {
    promise->set_value(make_error(Errc::timeout, fmt::format("{}: still {} requests in flight after {} ms", what,
                                                             options.max_in_flight, options.request_timeout.count())));
    return future;
  }
  auto finish = [this, promise, what, convert = std::move(convert)](Result<Response> response) {
    admission.release();
    if (!response) return promise->set_value(in_context(response.error(), what));
    if (const auto* error = std::get_if<ServerError>(&response->body)) {
      return promise->set_value(in_context(error->to_error(), what));
    }
    auto converted = convert(std::move(response).value());
    if (!converted) return promise->set_value(in_context(converted.error(), what));
    promise->set_value(std::move(converted));
  };
  auto call = std::make_shared<Call>(*this, std::move(encode), std::move(statements), idempotent, std::move(finish));
  asio::post(io, [call] { call->start(); });
  return future;
}

// ------------------------------------------------------------------ Session

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::connect(SessionOptions options) {
  if (options.contact_points.empty()) return make_error(Errc::invalid_argument, "no Cassandra contact points given");
  if (options.connections_per_host < 1 || options.connections_per_host > kMaxConnectionsPerHost) {
    return make_error(Errc::invalid_argument, fmt::format("connections per host must be 1 to {}, not {}",
                                                          kMaxConnectionsPerHost, options.connections_per_host));
  }
  if (options.max_in_flight < 1 || options.max_in_flight > 32768) {
    return make_error(Errc::invalid_argument,
                      fmt::format("max in-flight requests must be 1 to 32768, not {}", options.max_in_flight));
  }
  std::vector<Endpoint> endpoints;
  for (const auto& point : options.contact_points) {
    Endpoint endpoint;
    SQUALL_ASSIGN(endpoint, Endpoint::parse(point));
    endpoints.push_back(std::move(endpoint));
  }
  std::shared_ptr<asio::ssl::context> tls;
  SQUALL_ASSIGN(tls, make_tls_context(options.tls));
  auto impl = std::make_unique<Impl>(std::move(options), std::move(endpoints), std::move(tls));
  SQUALL_TRY(impl->open_all());
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

namespace {

QueryParameters parameters_for(const StatementOptions& options, Consistency fallback, std::span<const Value> values) {
  QueryParameters parameters;
  parameters.consistency = options.consistency.value_or(fallback);
  parameters.values = values;
  parameters.page_size = options.page_size;
  if (options.paging_state) parameters.paging_state = *options.paging_state;
  parameters.serial_consistency = options.serial_consistency;
  parameters.default_timestamp_micros = options.default_timestamp_micros;
  return parameters;
}

}  // namespace

std::future<Result<QueryResult>> Session::query_async(std::string_view cql, std::vector<Value> values,
                                                      StatementOptions options) {
  const Consistency fallback = impl_->options.consistency;
  auto encode = [cql = std::string(cql), values = std::move(values), options, fallback]() {
    return query_request(cql, parameters_for(options, fallback, values));
  };
  return impl_->run<QueryResult>(fmt::format("QUERY '{}'", brief(cql)), std::move(encode), {}, options.idempotent,
                                 to_query_result);
}

std::future<Result<QueryResult>> Session::execute_async(const Prepared& statement, std::vector<Value> values,
                                                        StatementOptions options) {
  if (!statement) {
    std::promise<Result<QueryResult>> refused;
    refused.set_value(make_error(Errc::invalid_argument, "EXECUTE of a null prepared statement"));
    return refused.get_future();
  }
  const Consistency fallback = impl_->options.consistency;
  auto encode = [statement, values = std::move(values), options, fallback]() -> Result<Request> {
    const auto prepared = statement->current();
    SQUALL_TRY(check_values(values, prepared->bind_markers));
    return execute_request(prepared->id, parameters_for(options, fallback, values));
  };
  return impl_->run<QueryResult>(fmt::format("EXECUTE '{}'", brief(statement->cql())), std::move(encode),
                                 {statement}, options.idempotent, to_query_result);
}

std::future<Result<QueryResult>> Session::batch_async(std::vector<BatchStatement> statements,
                                                      StatementOptions options) {
  std::vector<Prepared> prepared;
  for (const auto& entry : statements) {
    if (!entry.statement) {
      std::promise<Result<QueryResult>> refused;
      refused.set_value(make_error(Errc::invalid_argument, "BATCH with a null prepared statement"));
      return refused.get_future();
    }
    prepared.push_back(entry.statement);
  }
  BatchParameters parameters;
  parameters.consistency = options.consistency.value_or(impl_->options.consistency);
  parameters.serial_consistency = options.serial_consistency;
  parameters.default_timestamp_micros = options.default_timestamp_micros;
  const std::string what = fmt::format("BATCH of {} statements", statements.size());
  auto encode = [statements = std::move(statements), parameters]() -> Result<Request> {
    // The snapshots keep each id alive until the request is encoded.
    std::vector<std::shared_ptr<const PreparedResult>> snapshots;
    snapshots.reserve(statements.size());
    std::vector<BatchEntry> entries;
    entries.reserve(statements.size());
    for (std::size_t i = 0; i < statements.size(); ++i) {
      const auto& entry = statements[i];
      const auto& snapshot = snapshots.emplace_back(entry.statement->current());
      if (auto checked = check_values(entry.values, snapshot->bind_markers); !checked) {
        return in_context(checked.error(), fmt::format("statement {} ('{}')", i, brief(entry.statement->cql())));
      }
      entries.push_back(BatchEntry{snapshot->id, entry.values});
    }
    return unlogged_batch_request(entries, parameters);
  };
  return impl_->run<QueryResult>(what, std::move(encode), std::move(prepared), options.idempotent, to_query_result);
}

Result<Prepared> Session::prepare(std::string_view cql) {
  if (impl_->on_io_thread()) return make_error(Errc::internal, "Session::prepare called from the session's I/O thread");
  auto encode = [cql = std::string(cql)]() { return prepare_request(cql); };
  auto convert = [cql = std::string(cql)](Response response) -> Result<Prepared> {
    auto* prepared = std::get_if<PreparedResult>(&response.body);
    if (!prepared) {
      return make_error(Errc::parse, fmt::format("unexpected {} in answer", response_kind(response.body)));
    }
    return std::make_shared<PreparedStatement>(cql, std::move(*prepared));
  };
  // Preparing twice is harmless: always idempotent.
  return impl_->run<Prepared>(fmt::format("PREPARE '{}'", brief(cql)), std::move(encode), {}, true, std::move(convert))
      .get();
}

Result<QueryResult> Session::query(std::string_view cql, std::vector<Value> values, StatementOptions options) {
  if (impl_->on_io_thread()) return make_error(Errc::internal, "Session::query called from the session's I/O thread");
  return query_async(cql, std::move(values), std::move(options)).get();
}

Result<QueryResult> Session::execute(const Prepared& statement, std::vector<Value> values, StatementOptions options) {
  if (impl_->on_io_thread()) return make_error(Errc::internal, "Session::execute called from the session's I/O thread");
  return execute_async(statement, std::move(values), std::move(options)).get();
}

Result<QueryResult> Session::batch(std::vector<BatchStatement> statements, StatementOptions options) {
  if (impl_->on_io_thread()) return make_error(Errc::internal, "Session::batch called from the session's I/O thread");
  return batch_async(std::move(statements), std::move(options)).get();
}

std::size_t Session::live_connections() const {
  std::lock_guard lock(impl_->pool_mutex);
  return static_cast<std::size_t>(std::count_if(impl_->pool.begin(), impl_->pool.end(),
                                                [](const Slot& slot) { return slot.connection->ready(); }));
}

}  // namespace squall::cql
