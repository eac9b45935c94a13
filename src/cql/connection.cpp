#include "cql/connection.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <fmt/format.h>

namespace squall::cql {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
// After a large result the read buffer shrinks back once it is this much bigger than a chunk.
constexpr std::size_t kShrinkFactor = 16;
constexpr std::size_t kMaxStreams = 32768;

// CQL identifiers in double quotes, embedded quotes doubled: a keyspace name
// never changes the statement it is pasted into.
std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

// ------------------------------------------------------------------ Endpoint

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<Endpoint> Endpoint::parse(std::string_view text) {
  const auto invalid = [&](const char* why) {
    return make_error(Errc::invalid_argument, fmt::format("bad contact point '{}': {}", text, why));
  };
  Endpoint endpoint;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return invalid("missing ']' after an IPv6 address");
    endpoint.host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return invalid("expected ':' after ']'");
      port = rest.substr(1);
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      return invalid("write IPv6 addresses as [addr]:port");
    }
    endpoint.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (endpoint.host.empty()) return invalid("no host");
  if (port.data() != nullptr) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return invalid("the port must be a number from 1 to 65535");
    }
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  return endpoint;
}

// ---------------------------------------------------------------- internals

namespace {

struct Pending {
  Pending(asio::io_context& io, Request r, std::chrono::milliseconds t, ResponseHandler h)
      : request(std::move(r)), timeout(t), handler(std::move(h)), timer(io) {}

  Request request;
  std::chrono::milliseconds timeout;
  ResponseHandler handler;
  asio::steady_timer timer;
  int stream = -1;    // assigned once a stream id is free
  bool done = false;  // the handler ran (answered, timed out or failed)
};

enum class State { opening, ready, closed };

}  // namespace


struct Connection::Impl : std::enable_shared_from_this<Connection::Impl> {
  Impl(asio::io_context& io_context, Endpoint where, ConnectionOptions opts)
      : io(io_context),
        endpoint(std::move(where)),
        options(std::move(opts)),
        resolver(io_context),
        plain(io_context),
        setup_timer(io_context) {
    if (options.tls) tls.emplace(io_context, *options.tls);
    limits.max_body_bytes = options.max_frame_body;
    const std::size_t streams_count = std::clamp<std::size_t>(options.max_streams, 1, kMaxStreams);
    streams.resize(streams_count);
    for (std::size_t i = streams_count; i-- > 0;) free_streams.push_back(static_cast<std::int16_t>(i));
  }

  asio::io_context& io;
  const Endpoint endpoint;
  const ConnectionOptions options;
  std::atomic<State> state{State::opening};

  tcp::resolver resolver;
  tcp::socket plain;
  std::optional<asio::ssl::stream<tcp::socket>> tls;
  asio::steady_timer setup_timer;
  OpenHandler on_open;

  std::vector<std::shared_ptr<Pending>> streams;  // by stream id; null when free
  std::vector<std::int16_t> free_streams;
  std::deque<std::shared_ptr<Pending>> waiting;   // sent while every stream was busy
  std::size_t orphans = 0;                        // timed out, stream still reserved

  FrameLimits limits;
  std::vector<char> in;
  std::size_t in_used = 0;
  std::size_t in_needed = kFrameHeaderSize;
  std::string out_pending;
  std::string out_writing;
  bool writing = false;

  tcp::socket& socket() { return tls ? tls->next_layer() : plain; }

  template <class Operation>
  void with_stream(Operation&& operation) {
    if (tls) {
      operation(*tls);
    } else {
      operation(plain);
    }
  }

  // ---------------------------------------------------------------- set-up

  void start(OpenHandler handler) {
    on_open = std::move(handler);
    setup_timer.expires_after(options.connect_timeout);
    setup_timer.async_wait([weak = weak_from_this()](error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->state != State::opening) return;
      self->fail(make_error(Errc::timeout, fmt::format("connecting to {} timed out after {} ms",
                                                       self->endpoint.to_string(),
                                                       self->options.connect_timeout.count())));
    });
    resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                           [self = shared_from_this()](error_code ec, tcp::resolver::results_type results) {
                             self->on_resolved(ec, std::move(results));
                           });
  }

  void on_resolved(error_code ec, tcp::resolver::results_type results) {
    if (state == State::closed) return;
    if (ec) {
      return fail(make_error(Errc::unavailable,
                             fmt::format("cannot resolve {}: {}", endpoint.host, ec.message())));
    }
    asio::async_connect(socket(), results, [self = shared_from_this()](error_code connect_ec, const tcp::endpoint&) {
      self->on_connected(connect_ec);
    });
  }

  void on_connected(error_code ec) {
    if (state == State::closed) return;
    if (ec) return fail(make_error(Errc::unavailable, fmt::format("cannot connect to {}: {}", endpoint.to_string(),
                                                                  ec.message())));
    error_code ignored;
    socket().set_option(tcp::no_delay(true), ignored);
    if (!tls) return on_transport_ready();
    // SNI (for host names only, as RFC 6066 asks), so a server hosting several
    // names presents the right certificate.
    error_code not_an_address;
    asio::ip::make_address(endpoint.host, not_an_address);
    if (not_an_address) {
      // What the SSL_set_tlsext_host_name macro expands to, minus its C-style cast.
      SSL_ctrl(tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(endpoint.host.c_str()));
    }
    if (options.verify_host_name) tls->set_verify_callback(asio::ssl::host_name_verification(endpoint.host));
    tls->async_handshake(asio::ssl::stream_base::client, [self = shared_from_this()](error_code handshake_ec) {
      if (self->state == State::closed) return;
      if (handshake_ec) {
        // A refused certificate is a configuration problem, not an outage: retrying will not help.
        const Errc code = self->certificate_refused(handshake_ec) ? Errc::tls : Errc::unavailable;
        return self->fail(make_error(code, fmt::format("TLS handshake with {} failed: {}", self->endpoint.to_string(),
                                                       self->handshake_failure(handshake_ec))));
      }
      self->on_transport_ready();
    });
  }

  void on_transport_ready() {
    read();
    submit(startup_request(), [self = shared_from_this()](Result<Response> response) {
      self->on_startup_answer(std::move(response));
    });
  }

  void on_startup_answer(Result<Response> response) {
    if (!response) return fail(response.error());
    if (std::holds_alternative<Ready>(response->body)) return use_keyspace();
    if (const auto* authenticate = std::get_if<Authenticate>(&response->body)) return authenticate_as(*authenticate);
    fail(unexpected("STARTUP", response->body));
  }

  void authenticate_as(const Authenticate& authenticate) {
    if (options.user.empty()) {
      return fail(make_error(Errc::auth, fmt::format("{} requires authentication ({}) but no user is configured",
                                                     endpoint.to_string(), authenticate.authenticator)));
    }
    submit(plain_auth_response(options.user, options.password), [self = shared_from_this()](Result<Response> r) {
      self->on_auth_answer(std::move(r));
    });
  }

  void on_auth_answer(Result<Response> response) {
    if (!response) return fail(response.error());
    if (std::holds_alternative<AuthSuccess>(response->body)) return use_keyspace();
    if (const auto* error = std::get_if<ServerError>(&response->body)) {
      Error failure = error->to_error();
      failure.code = Errc::auth;
      failure.message = fmt::format("authentication as '{}' at {} failed: {}", options.user, endpoint.to_string(),
                                    failure.message);
      return fail(failure);
    }
    if (std::holds_alternative<AuthChallenge>(response->body)) {
      return fail(make_error(Errc::auth, fmt::format("{} sent a SASL challenge after PLAIN credentials; only the "
                                                     "PLAIN mechanism is supported",
                                                     endpoint.to_string())));
    }
    fail(unexpected("AUTH_RESPONSE", response->body));
  }

  void use_keyspace() {
    if (options.keyspace.empty()) return finish_open();
    auto request = query_request("USE " + quote_identifier(options.keyspace), QueryParameters{});
    if (!request) return fail(request.error());
    submit(std::move(request).value(), [self = shared_from_this()](Result<Response> response) {
      if (!response) return self->fail(response.error());
      if (std::holds_alternative<SetKeyspaceResult>(response->body)) return self->finish_open();
      if (const auto* error = std::get_if<ServerError>(&response->body)) {
        Error failure = error->to_error();
        failure.message = fmt::format("cannot use keyspace '{}' at {}: {}", self->options.keyspace,
                                      self->endpoint.to_string(), failure.message);
        return self->fail(failure);
      }
      self->fail(self->unexpected("USE", response->body));
    });
  }

  void finish_open() {
    if (state != State::opening) return;
    setup_timer.cancel();
    state = State::ready;
    if (auto handler = std::exchange(on_open, nullptr)) handler(Result<void>{});
  }

  Error unexpected(const char* request, const ResponseBody& body) const {
    if (const auto* error = std::get_if<ServerError>(&body)) {
      Error failure = error->to_error();
      failure.message = fmt::format("{} refused {}: {}", endpoint.to_string(), request, failure.message);
      return failure;
    }
    return make_error(Errc::parse, fmt::format("{} answered {} with {}", endpoint.to_string(), request,
                                               response_kind(body)));
  }

  // --------------------------------------------------------------- requests

  void submit(Request request, ResponseHandler handler) {
    submit(std::make_shared<Pending>(io, std::move(request), options.connect_timeout, std::move(handler)));
  }

  void submit(std::shared_ptr<Pending> pending) {
    if (state == State::closed) {
      pending->done = true;
      return pending->handler(make_error(Errc::unavailable,
                                         fmt::format("connection to {} is closed", endpoint.to_string())));
    }
    pending->timer.expires_after(pending->timeout);
    pending->timer.async_wait([weak = weak_from_this(), weak_pending = std::weak_ptr<Pending>(pending)](error_code ec) {
      auto self = weak.lock();
      auto timed_out = weak_pending.lock();
      if (!ec && self && timed_out) self->on_timeout(timed_out);
    });
    if (free_streams.empty()) {
      waiting.push_back(std::move(pending));
      return;
    }
    assign_stream(std::move(pending));
  }

  void assign_stream(std::shared_ptr<Pending> pending) {
    const std::int16_t stream = free_streams.back();
    free_streams.pop_back();
    FrameHeader header;
    header.stream = stream;
    header.opcode = pending->request.opcode;
    if (auto encoded = encode_frame(header, pending->request.body, out_pending); !encoded) {
      free_streams.push_back(stream);
      return complete(*pending, encoded.error());
    }
    // The frame is in the output buffer; the request body is no longer needed.
    std::string().swap(pending->request.body);
    pending->stream = stream;
    streams[static_cast<std::size_t>(stream)] = std::move(pending);
    flush();
  }

  void release_stream(std::int16_t stream) {
    streams[static_cast<std::size_t>(stream)].reset();
    free_streams.push_back(stream);
    while (!waiting.empty()) {
      auto next = std::move(waiting.front());
      waiting.pop_front();
      if (next->done) continue;  // timed out while waiting
      return assign_stream(std::move(next));
    }
  }

  void complete(Pending& pending, Result<Response> result) {
    pending.done = true;
    pending.timer.cancel();
    if (auto handler = std::exchange(pending.handler, nullptr)) handler(std::move(result));
  }

  void on_timeout(const std::shared_ptr<Pending>& pending) {
    if (pending->done) return;
    complete(*pending, make_error(Errc::timeout, fmt::format("no answer to {} from {} within {} ms",
                                                             opcode_name(pending->request.opcode),
                                                             endpoint.to_string(), pending->timeout.count())));
    if (pending->stream < 0) return;
    // The stream stays reserved until the late answer arrives. A node that
    // leaves half the streams unanswered is not coming back.
    if (++orphans > streams.size() / 2) {
      fail(make_error(Errc::timeout, fmt::format("{} left {} requests unanswered; dropping the connection",
                                                 endpoint.to_string(), orphans)));
    }
  }

  // ------------------------------------------------------------------ I/O

  void flush() {
    if (writing || out_pending.empty() || state == State::closed) return;
    std::swap(out_pending, out_writing);
    out_pending.clear();
    writing = true;
    with_stream([&](auto& stream) {
      asio::async_write(stream, asio::buffer(out_writing), [self = shared_from_this()](error_code ec, std::size_t) {
        self->writing = false;
        self->out_writing.clear();
        if (self->state == State::closed) return;
        if (ec) return self->fail(self->lost(ec));
        self->flush();
      });
    });
  }

  void read() {
    const std::size_t want = std::max(kReadChunk, in_needed > in_used ? in_needed - in_used : 0);
    if (in.size() < in_used + want) in.resize(in_used + want);
    with_stream([&](auto& stream) {
      stream.async_read_some(asio::buffer(in.data() + in_used, in.size() - in_used),
                             [self = shared_from_this()](error_code ec, std::size_t count) {
                               self->on_read(ec, count);
                             });
    });
  }

  void on_read(error_code ec, std::size_t count) {
    if (state == State::closed) return;
    if (ec) return fail(lost(ec));
    in_used += count;
    std::size_t offset = 0;
    while (true) {
      auto decoded = decode_frame(std::string_view(in.data() + offset, in_used - offset), limits);
      if (!decoded) {
        return fail(make_error(Errc::parse, fmt::format("{} sent an unreadable frame: {}", endpoint.to_string(),
                                                        decoded.error().message)));
      }
      if (!decoded->frame) {
        in_needed = decoded->size;
        break;
      }
      on_frame(*decoded->frame);
      if (state == State::closed) return;
      offset += decoded->size;
    }
    std::memmove(in.data(), in.data() + offset, in_used - offset);
    in_used -= offset;
    if (in.size() > kShrinkFactor * kReadChunk && in_used < kReadChunk) {
      in.resize(kReadChunk);
      in.shrink_to_fit();
    }
    read();
  }

  void on_frame(const Frame& frame) {
    if (frame.header.stream < 0) return;  // a server push; squall registers for none
    const auto stream = static_cast<std::size_t>(frame.header.stream);
    if (stream >= streams.size() || !streams[stream]) {
      return fail(make_error(Errc::parse, fmt::format("{} answered on stream {}, which has no request in flight",
                                                      endpoint.to_string(), frame.header.stream)));
    }
    auto pending = streams[stream];
    release_stream(frame.header.stream);
    if (pending->done) {
      --orphans;  // the late answer to a request that timed out
      return;
    }
    complete(*pending, decode_response(frame));
  }

  // Why the TLS handshake failed, in words that say which side to fix: the
  // certificate check (chain or host name) or the transport.
  static bool certificate_refused(error_code ec) {
    return ec.category() == asio::error::get_ssl_category() &&
           ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  }

  std::string handshake_failure(error_code ec) {
    if (!certificate_refused(ec)) return ec.message();
    const long result = SSL_get_verify_result(tls->native_handle());
    if (result != X509_V_OK) {
      return fmt::format("the server's certificate was not accepted: {} (certificate verify failed)",
                         X509_verify_cert_error_string(result));
    }
    // The chain was fine; the host name check (set as the verify callback) refused it.
    return fmt::format("the server's certificate does not name {} (certificate verify failed)", endpoint.host);
  }

  Error lost(error_code ec) const {
    // A node that requires TLS drops a plain-text client's STARTUP.
    const char* tls_hint = state == State::opening && !tls ? " before answering STARTUP (does the node require "
                                                             "client-to-node TLS?)"
                                                           : "";
    return make_error(Errc::unavailable,
                      fmt::format("connection to {} lost: {}{}", endpoint.to_string(), ec.message(), tls_hint));
  }

  void fail(const Error& error) {
    if (state.exchange(State::closed) == State::closed) return;
    error_code ignored;
    resolver.cancel();
    setup_timer.cancel();
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    if (auto handler = std::exchange(on_open, nullptr)) handler(error);
    auto in_flight = std::move(streams);
    auto queued = std::move(waiting);
    streams.clear();
    waiting.clear();
    for (auto& pending : in_flight) {
      if (pending && !pending->done) complete(*pending, error);
    }
    for (auto& pending : queued) {
      if (!pending->done) complete(*pending, error);
    }
  }
};

// ---------------------------------------------------------------- Connection

Connection::Connection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Connection::~Connection() { close(); }

std::shared_ptr<Connection> Connection::open(asio::io_context& io, Endpoint endpoint, ConnectionOptions options,
                                             OpenHandler on_open) {
  auto impl = std::make_shared<Impl>(io, std::move(endpoint), std::move(options));
  asio::post(io, [impl, on_open = std::move(on_open)]() mutable { impl->start(std::move(on_open)); });
  return std::shared_ptr<Connection>(new Connection(std::move(impl)));
}

void Connection::send(Request request, std::chrono::milliseconds timeout, ResponseHandler handler) {
  auto pending = std::make_shared<Pending>(impl_->io, std::move(request), timeout, std::move(handler));
  asio::post(impl_->io, [impl = impl_, pending = std::move(pending)]() mutable { impl->submit(std::move(pending)); });
}

void Connection::close(std::string reason) {
  if (impl_->state == State::closed) return;
  asio::post(impl_->io, [impl = impl_, reason = std::move(reason)] {
    impl->fail(make_error(Errc::unavailable, fmt::format("{}: {}", impl->endpoint.to_string(), reason)));
  });
}

bool Connection::ready() const { return impl_->state == State::ready; }
bool Connection::closed() const { return impl_->state == State::closed; }

}  // namespace squall::cql
