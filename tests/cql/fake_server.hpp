#pragma once
// Test helper: a scripted CQL server on 127.0.0.1 (ephemeral port), on its
// own thread. A Responder sees every request frame and says what to send
// back — any frames, for this request or earlier ones, or nothing — and
// whether to drop the connection. Lets connection and session behaviour
// (multiplexing, timeouts, retries, re-prepare) be tested exactly, without
// a real Cassandra.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cql/frame.hpp"
#include "cql/messages.hpp"

namespace squall::cql::testing {

struct Reply {
  std::vector<std::string> frames;
  bool close_connection = false;
};

// Runs on the server thread, one request at a time. `connection` numbers
// the accepted connections from 0.
using Responder = std::function<Reply(const Frame& request, int connection)>;

// A self-signed certificate for 127.0.0.1 (an IP subjectAltName), PEM.
struct TestCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};
TestCertificate make_test_certificate();

class FakeServer {
 public:
  // With a certificate, the server speaks TLS.
  explicit FakeServer(Responder responder, std::optional<TestCertificate> tls = std::nullopt);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::string contact_point() const;  // "127.0.0.1:PORT"
  int connections_accepted() const { return accepted_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> accepted_{0};
};

// A port on 127.0.0.1 where nothing listens (bound, then released).
std::string closed_contact_point();

// ---- reading requests

// The query string of a QUERY or PREPARE frame.
std::string request_query(const Frame& request);
// The prepared id of an EXECUTE frame.
std::string request_prepared_id(const Frame& request);
// Whether a QUERY or EXECUTE frame carries a paging state, and which.
std::optional<std::string> request_paging_state(const Frame& request);

// ---- writing responses

std::string reply_frame(const Frame& request, Opcode opcode, const std::string& body = {}, std::uint8_t flags = 0);
// The usual answer to STARTUP (READY) and OPTIONS (SUPPORTED); nullopt for other requests.
std::optional<Reply> handshake(const Frame& request);

std::string void_body();
// A Rows result of one text column "v", with a paging state when given.
std::string text_rows_body(const std::vector<std::string>& values,
                           const std::optional<std::string>& paging_state = std::nullopt);
// A Prepared result for markers of the given names and type ids.
std::string prepared_body(const std::string& id, const std::vector<std::pair<std::string, std::uint16_t>>& markers);
std::string error_body(ErrorCode code, const std::string& message, const std::string& extra = {});

}  // namespace squall::cql::testing
