#pragma once
// One connection to one Cassandra node over TCP (optionally TLS), driven by
// a Boost.Asio io_context that the owner runs on its own thread.
//
// Many requests share the connection: each gets a free stream id (§2.3) and
// its response is matched by that id, in whatever order the server answers.
// At most `max_streams` requests are on the wire; later ones wait, in order,
// for a stream to come free. A request that times out keeps its stream id
// reserved until the late response arrives, so that response can never be
// mistaken for the answer to a newer request.
//
// Every handler runs on the io_context's thread, exactly once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "cql/frame.hpp"
#include "cql/messages.hpp"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}  // namespace ssl
}  // namespace boost::asio

namespace squall::cql {

struct Endpoint {
  std::string host;
  std::uint16_t port = 9042;
  bool operator==(const Endpoint&) const = default;

  std::string to_string() const;
  // "host:port", "host" (port 9042), "[::1]:9042".
  static Result<Endpoint> parse(std::string_view text);
};

struct ConnectionOptions {
  // SASL PLAIN credentials, offered only if the server asks. The password
  // never appears in any message or log.
  std::string user;
  std::string password;
  std::string keyspace;  // USE'd once the connection is up, when set
  // Bounds the whole set-up: resolve, connect, TLS, STARTUP, authentication, USE.
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t max_streams = 1024;
  std::uint32_t max_frame_body = kDefaultMaxBodyBytes;
  // TLS when set: the context carries trust anchors and the verify mode.
  std::shared_ptr<boost::asio::ssl::context> tls;
  bool verify_host_name = true;
};

using ResponseHandler = std::function<void(Result<Response>)>;

// A handle: destroying it closes the connection.
class Connection {
 public:
  using OpenHandler = std::function<void(Result<void>)>;

  // Starts connecting and returns at once; `on_open` reports the end of the
  // set-up. Closing the returned connection aborts a set-up in progress.
  static std::shared_ptr<Connection> open(boost::asio::io_context& io, Endpoint endpoint, ConnectionOptions options,
                                          OpenHandler on_open);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Thread-safe. The handler gets the response — an ERROR response is a
  // successful Result holding a ServerError — or the transport failure
  // (timeout, connection lost, malformed response).
  void send(Request request, std::chrono::milliseconds timeout, ResponseHandler handler);

  // Thread-safe and idempotent: fails whatever is in flight with `reason`.
  void close(std::string reason = "connection closed");

  // Set up and not failed: worth sending requests to.
  bool ready() const;
  bool closed() const;

 private:
  struct Impl;
  explicit Connection(std::shared_ptr<Impl> impl);

  // Shared with the handlers of pending operations, which may outlive the handle.
  std::shared_ptr<Impl> impl_;
};

}  // namespace squall::cql
