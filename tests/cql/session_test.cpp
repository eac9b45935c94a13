// Connection and session behaviour against a scripted fake server: the
// handshake, multiplexing, backpressure, timeouts, re-prepare and retries.
#include "cql/cql.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cql/bytes.hpp"
#include "cql/connection.hpp"
#include "cql/fake_server.hpp"

namespace squall::cql {
namespace {

using namespace std::chrono_literals;
using testing::FakeServer;
using testing::Reply;
using testing::reply_frame;

SessionOptions options_for(const FakeServer& server) {
  SessionOptions options;
  options.contact_points = {server.contact_point()};
  options.connect_timeout = 5s;
  options.request_timeout = 5s;
  options.retry_base_delay = 1ms;
  return options;
}

std::unique_ptr<Session> connect_or_die(const SessionOptions& options) {
  auto session = Session::connect(options);
  EXPECT_TRUE(session.ok()) << session.error().message;
  return session.ok() ? std::move(session).value() : nullptr;
}

// Answers every QUERY with one row holding the query text.
Reply echo(const Frame& request, int) {
  if (auto reply = testing::handshake(request)) return *reply;
  return Reply{{reply_frame(request, Opcode::result, testing::text_rows_body({testing::request_query(request)}))}};
}

std::string first_text(const Result<QueryResult>& result) {
  if (!result.ok() || result->rows.empty()) return "<no rows>";
  return std::get<std::string>(result->rows[0][0]);
}

// ---------------------------------------------------------------- handshake

TEST(CqlSession, ConnectsAndQueries) {
  FakeServer server(echo);
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  EXPECT_EQ(session->live_connections(), 1u);
  auto result = session->query("SELECT v FROM t");
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->columns.size(), 1u);
  EXPECT_EQ(result->columns[0].name, "v");
  EXPECT_EQ(result->column("v"), std::optional<std::size_t>(0));
  EXPECT_EQ(first_text(result), "SELECT v FROM t");
}

TEST(CqlSession, AuthenticatesWithSaslPlain) {
  std::atomic<bool> token_ok{false};
  FakeServer server([&](const Frame& request, int) -> Reply {
    if (request.header.opcode == Opcode::startup) {
      std::string body;
      WireWriter(body).string("org.apache.cassandra.auth.PasswordAuthenticator", "authenticator");
      return Reply{{reply_frame(request, Opcode::authenticate, body)}};
    }
    if (request.header.opcode == Opcode::auth_response) {
      WireReader reader(request.body);
      token_ok = reader.bytes("token").value() == std::optional<std::string_view>(std::string("\0ann\0s3cret", 11));
      std::string body;
      WireWriter(body).bytes(std::nullopt, "token");
      return Reply{{reply_frame(request, Opcode::auth_success, body)}};
    }
    return echo(request, 0);
  });
  auto options = options_for(server);
  options.user = "ann";
  options.password = "s3cret";
  auto session = connect_or_die(options);
  ASSERT_TRUE(session);
  EXPECT_TRUE(token_ok);
  EXPECT_TRUE(session->query("SELECT 1").ok());
}

Reply refuse_credentials(const Frame& request, int) {
  if (request.header.opcode == Opcode::startup) {
    std::string body;
    WireWriter(body).string("org.apache.cassandra.auth.PasswordAuthenticator", "authenticator");
    return Reply{{reply_frame(request, Opcode::authenticate, body)}};
  }
  return Reply{{reply_frame(request, Opcode::error,
                            testing::error_body(ErrorCode::bad_credentials,
                                                "Provided username ann and/or password are incorrect"))}};
}

TEST(CqlSession, RefusedCredentialsAreAnAuthErrorWithoutThePassword) {
  FakeServer server(refuse_credentials);
  auto options = options_for(server);
  options.user = "ann";
  options.password = "hunter2-secret";
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::auth);
  EXPECT_NE(session.error().message.find("authentication as 'ann'"), std::string::npos) << session.error().message;
  EXPECT_NE(session.error().message.find("Bad credentials"), std::string::npos);
  EXPECT_EQ(session.error().message.find("hunter2"), std::string::npos);
}

TEST(CqlSession, AServerWantingCredentialsWithoutAUserIsAnAuthError) {
  FakeServer server(refuse_credentials);
  auto session = Session::connect(options_for(server));
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::auth);
  EXPECT_NE(session.error().message.find("no user is configured"), std::string::npos) << session.error().message;
}

TEST(CqlSession, UsesTheKeyspaceOnEveryConnection) {
  std::atomic<int> use_statements{0};
  FakeServer server([&](const Frame& request, int) -> Reply {
    if (request.header.opcode == Opcode::query && testing::request_query(request) == "USE \"Weird\"\"ks\"") {
      ++use_statements;
      std::string body;
      WireWriter writer(body);
      writer.i32(3);
      writer.string("Weird\"ks", "keyspace");
      return Reply{{reply_frame(request, Opcode::result, body)}};
    }
    return echo(request, 0);
  });
  auto options = options_for(server);
  options.keyspace = "Weird\"ks";
  options.connections_per_host = 2;
  auto session = connect_or_die(options);
  ASSERT_TRUE(session);
  EXPECT_EQ(use_statements, 2);
}

TEST(CqlSession, AnUnreachableNodeIsAClearError) {
  auto options = SessionOptions{};
  options.contact_points = {testing::closed_contact_point()};
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::unavailable);
  EXPECT_NE(session.error().message.find("no Cassandra node reachable: cannot connect to 127.0.0.1:"),
            std::string::npos)
      << session.error().message;
}

TEST(CqlSession, ASilentNodeTimesOutTheConnect) {
  FakeServer server([](const Frame&, int) { return Reply{}; });  // never answers STARTUP
  auto options = options_for(server);
  options.connect_timeout = 200ms;
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::timeout);
  EXPECT_NE(session.error().message.find("timed out after 200 ms"), std::string::npos) << session.error().message;
}

TEST(CqlSession, OneLiveContactPointIsEnough) {
  FakeServer server(echo);
  auto options = options_for(server);
  options.contact_points = {testing::closed_contact_point(), server.contact_point()};
  auto session = connect_or_die(options);
  ASSERT_TRUE(session);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(session->query("SELECT 1").ok());
}

TEST(CqlSession, RejectsBadOptions) {
  SessionOptions options;
  options.contact_points = {"127.0.0.1:notaport"};
  EXPECT_EQ(Session::connect(options).error().code, Errc::invalid_argument);
  options.contact_points = {};
  EXPECT_EQ(Session::connect(options).error().code, Errc::invalid_argument);
  options.contact_points = {"127.0.0.1"};
  options.connections_per_host = 0;
  EXPECT_EQ(Session::connect(options).error().code, Errc::invalid_argument);
}

// ------------------------------------------------------------- multiplexing

TEST(CqlSession, ManyRequestsInFlightGetTheirOwnAnswers) {
  // Holds every QUERY until 50 are waiting, then answers them in reverse order.
  std::vector<std::pair<int, std::string>> held;  // server thread only
  std::atomic<std::size_t> most_held{0};
  FakeServer server([&](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    held.emplace_back(request.header.stream, testing::request_query(request));
    most_held = std::max(most_held.load(), held.size());
    if (held.size() < 50) return Reply{};
    Reply reply;
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      Frame fake{FrameHeader{kRequestVersion, 0, static_cast<std::int16_t>(it->first), Opcode::query, 0}, {}};
      reply.frames.push_back(reply_frame(fake, Opcode::result, testing::text_rows_body({it->second})));
    }
    held.clear();
    return reply;
  });
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  std::vector<std::future<Result<QueryResult>>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(session->query_async("q" + std::to_string(i)));
  for (int i = 0; i < 200; ++i) EXPECT_EQ(first_text(futures[static_cast<std::size_t>(i)].get()), "q" + std::to_string(i));
  EXPECT_EQ(most_held, 50u);
}

TEST(CqlSession, InFlightRequestsAreBoundedAndTheRestWait) {
  // Answers only when 4 requests are outstanding: with max_in_flight 4 the
  // client must never send a fifth before those are answered.
  std::vector<Frame> held;
  std::vector<std::string> held_queries;
  std::atomic<std::size_t> most_held{0};
  FakeServer server([&](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    held.push_back(Frame{request.header, {}});
    held_queries.push_back(testing::request_query(request));
    most_held = std::max(most_held.load(), held.size());
    if (held.size() < 4) return Reply{};
    Reply reply;
    for (std::size_t i = 0; i < held.size(); ++i) {
      reply.frames.push_back(reply_frame(held[i], Opcode::result, testing::text_rows_body({held_queries[i]})));
    }
    held.clear();
    held_queries.clear();
    return reply;
  });
  auto options = options_for(server);
  options.max_in_flight = 4;
  auto session = connect_or_die(options);
  ASSERT_TRUE(session);
  std::vector<std::future<Result<QueryResult>>> futures;
  for (int i = 0; i < 40; ++i) futures.push_back(session->query_async("q" + std::to_string(i)));
  for (int i = 0; i < 40; ++i) EXPECT_EQ(first_text(futures[static_cast<std::size_t>(i)].get()), "q" + std::to_string(i));
  EXPECT_EQ(most_held, 4u);
}

TEST(CqlSession, ATimedOutRequestsLateAnswerIsNotGivenToTheNextOne) {
  std::optional<Frame> slow;  // server thread only
  FakeServer server([&](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    if (testing::request_query(request) == "slow") {
      slow = Frame{request.header, {}};
      return Reply{};
    }
    Reply reply;
    // The late answer to "slow" goes out first, on its own stream.
    if (slow) reply.frames.push_back(reply_frame(*slow, Opcode::result, testing::text_rows_body({"late"})));
    slow.reset();
    reply.frames.push_back(reply_frame(request, Opcode::result, testing::text_rows_body({"fresh"})));
    return reply;
  });
  auto options = options_for(server);
  options.request_timeout = 200ms;
  auto session = connect_or_die(options);
  ASSERT_TRUE(session);
  auto timed_out = session->query("slow");
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().code, Errc::timeout);
  EXPECT_NE(timed_out.error().message.find("QUERY 'slow': no answer to QUERY from 127.0.0.1:"), std::string::npos)
      << timed_out.error().message;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(first_text(session->query("next")), "fresh");
}

TEST(CqlSession, ClosingFailsWhatIsInFlight) {
  FakeServer server([](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    return Reply{};  // never answers a query
  });
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto pending = session->query_async("SELECT forever");
  session.reset();
  auto result = pending.get();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("session closed"), std::string::npos) << result.error().message;
}

TEST(CqlSession, GarbageFromTheServerFailsTheConnectionClearly) {
  FakeServer server([](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    return Reply{{testing::hex("85 00 00 01 08 00 00 00 00")}};
  });
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto result = session->query("SELECT 1");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::parse);
  EXPECT_NE(result.error().message.find("unexpected frame version byte 0x85"), std::string::npos)
      << result.error().message;
}

TEST(CqlSession, GoesRoundRobinOverTheContactPoints) {
  std::atomic<int> first{0};
  std::atomic<int> second{0};
  FakeServer a([&](const Frame& request, int) {
    if (request.header.opcode == Opcode::query) ++first;
    return echo(request, 0);
  });
  FakeServer b([&](const Frame& request, int) {
    if (request.header.opcode == Opcode::query) ++second;
    return echo(request, 0);
  });
  auto options = options_for(a);
  options.contact_points = {a.contact_point(), b.contact_point()};
  auto session = connect_or_die(options);
  ASSERT_TRUE(session);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(session->query("SELECT 1").ok());
  EXPECT_EQ(first, 5);
  EXPECT_EQ(second, 5);
}

TEST(CqlSession, SurfacesServerWarnings) {
  FakeServer server([](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    std::string warnings;
    WireWriter(warnings).string_list({"Batch is large"}, "warnings");
    return Reply{{reply_frame(request, Opcode::result, warnings + testing::void_body(), frame_flag::warning)}};
  });
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto result = session->query("INSERT");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->warnings, (std::vector<std::string>{"Batch is large"}));
}

// ---------------------------------------------------- prepared statements

// A node that prepares statements and executes them: EXECUTE answers
// Unprepared while `forget` is positive (decremented each time).
struct PreparingNode {
  std::atomic<int> prepares{0};
  std::atomic<int> executes{0};
  std::atomic<int> forget{0};

  Reply operator()(const Frame& request, int) {
    if (auto reply = testing::handshake(request)) return *reply;
    if (request.header.opcode == Opcode::prepare) {
      ++prepares;
      return Reply{{reply_frame(request, Opcode::result,
                                testing::prepared_body("id-1", {{"city_id", 0x0009}, {"name", 0x000D}}))}};
    }
    if (request.header.opcode == Opcode::execute) {
      ++executes;
      if (forget > 0) {
        --forget;
        std::string id;
        WireWriter(id).short_bytes(testing::request_prepared_id(request), "id");
        return Reply{{reply_frame(request, Opcode::error,
                                  testing::error_body(ErrorCode::unprepared, "Prepared query with ID not found", id))}};
      }
      return Reply{{reply_frame(request, Opcode::result, testing::void_body())}};
    }
    if (request.header.opcode == Opcode::batch) return Reply{{reply_frame(request, Opcode::result, testing::void_body())}};
    return echo(request, 0);
  }
};

TEST(CqlSession, PreparesAndExecutes) {
  PreparingNode node;
  FakeServer server(std::ref(node));
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto prepared = session->prepare("INSERT INTO t (city_id, name) VALUES (?, ?)");
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  EXPECT_EQ((*prepared)->current()->id, "id-1");
  ASSERT_EQ((*prepared)->current()->bind_markers.size(), 2u);
  EXPECT_TRUE(session->execute(*prepared, {std::int32_t{1}, std::string("x")}).ok());
  EXPECT_TRUE(session->execute(*prepared, {Null{}, Null{}}).ok());
  EXPECT_EQ(node.executes, 2);
}

TEST(CqlSession, RefusesValuesThatDoNotMatchTheMarkersBeforeSending) {
  PreparingNode node;
  FakeServer server(std::ref(node));
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto prepared = session->prepare("INSERT INTO t (city_id, name) VALUES (?, ?)");
  ASSERT_TRUE(prepared.ok());
  auto wrong_type = session->execute(*prepared, {std::int64_t{1}, std::string("x")});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.error().code, Errc::invalid_argument);
  EXPECT_EQ(wrong_type.error().message,
            "EXECUTE 'INSERT INTO t (city_id, name) VALUES (?, ?)': value 0 (city_id) is bigint, but the column is int");
  auto wrong_count = session->execute(*prepared, {std::int32_t{1}});
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_NE(wrong_count.error().message.find("2 bind markers but 1 values"), std::string::npos);
  EXPECT_EQ(node.executes, 0);
}

TEST(CqlSession, RepreparesOnceWhenTheNodeForgotTheStatement) {
  PreparingNode node;
  FakeServer server(std::ref(node));
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto prepared = session->prepare("INSERT INTO t (city_id, name) VALUES (?, ?)");
  ASSERT_TRUE(prepared.ok());
  node.forget = 1;
  auto result = session->execute(*prepared, {std::int32_t{1}, std::string("x")});  // not idempotent: still retried
  EXPECT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(node.prepares, 2);
  EXPECT_EQ(node.executes, 2);
}

TEST(CqlSession, GivesUpWhenTheStatementIsUnpreparedAgainAfterRepreparing) {
  PreparingNode node;
  FakeServer server(std::ref(node));
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto prepared = session->prepare("INSERT INTO t (city_id, name) VALUES (?, ?)");
  ASSERT_TRUE(prepared.ok());
  node.forget = 100;
  auto result = session->execute(*prepared, {std::int32_t{1}, std::string("x")}, idempotent_options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("Unprepared (0x2500)"), std::string::npos) << result.error().message;
  EXPECT_EQ(node.executes, 2);
}

TEST(CqlSession, BatchesPreparedStatements) {
  PreparingNode node;
  FakeServer server(std::ref(node));
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto prepared = session->prepare("INSERT INTO t (city_id, name) VALUES (?, ?)");
  ASSERT_TRUE(prepared.ok());
  std::vector<BatchStatement> batch;
  batch.push_back({*prepared, {std::int32_t{1}, std::string("a")}});
  batch.push_back({*prepared, {std::int32_t{2}, Null{}}});
  EXPECT_TRUE(session->batch(batch).ok());
  batch.push_back({*prepared, {std::string("wrong"), Null{}}});
  auto bad = session->batch(batch);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("BATCH of 3 statements: statement 2"), std::string::npos) << bad.error().message;
}

TEST(CqlSession, PagesThroughResults) {
  FakeServer server([](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    const auto state = testing::request_paging_state(request);
    if (!state) return Reply{{reply_frame(request, Opcode::result, testing::text_rows_body({"a", "b"}, "page-2"))}};
    if (*state == "page-2") return Reply{{reply_frame(request, Opcode::result, testing::text_rows_body({"c"}))}};
    return Reply{{reply_frame(request, Opcode::error, testing::error_body(ErrorCode::protocol_error, "bad state"))}};
  });
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  StatementOptions page;
  page.page_size = 2;
  auto first = session->query("SELECT v FROM t", {}, page);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->rows.size(), 2u);
  ASSERT_EQ(first->paging_state, std::optional<std::string>("page-2"));
  page.paging_state = first->paging_state;
  auto second = session->query("SELECT v FROM t", {}, page);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(first_text(second), "c");
  EXPECT_FALSE(second->paging_state.has_value());
}

// ------------------------------------------------------------------ retries

// Answers the first `failures` QUERYs with `error`, then Void.
struct FlakyNode {
  std::string error;
  std::atomic<int> failures;
  std::atomic<int> queries{0};

  Reply operator()(const Frame& request, int) {
    if (auto reply = testing::handshake(request)) return *reply;
    ++queries;
    if (failures-- > 0) return Reply{{reply_frame(request, Opcode::error, error)}};
    return Reply{{reply_frame(request, Opcode::result, testing::void_body())}};
  }
};

std::string write_timeout() {
  return testing::error_body(ErrorCode::write_timeout, "Operation timed out",
                             testing::hex("00 06 00 00 00 00 00 00 00 01") + testing::str("SIMPLE"));
}

TEST(CqlSession, RetriesIdempotentStatementsAfterAWriteTimeout) {
  FlakyNode node{write_timeout(), 2};
  FakeServer server(std::ref(node));
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto result = session->query("INSERT", {}, idempotent_options());
  EXPECT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(node.queries, 3);
}

TEST(CqlSession, NeverRetriesAStatementNotMarkedIdempotent) {
  FlakyNode node{write_timeout(), 2};
  FakeServer server(std::ref(node));
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto result = session->query("UPDATE counters");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::timeout);
  EXPECT_EQ(result.error().message,
            "QUERY 'UPDATE counters': Write_timeout (0x1100): Operation timed out [consistency LOCAL_QUORUM, "
            "received 0, blockfor 1, write type SIMPLE]");
  EXPECT_EQ(node.queries, 1);
}

TEST(CqlSession, StopsRetryingAfterMaxRetries) {
  FlakyNode node{testing::error_body(ErrorCode::overloaded, "Too busy"), 100};
  FakeServer server(std::ref(node));
  auto options = options_for(server);
  options.max_retries = 2;
  auto session = connect_or_die(options);
  ASSERT_TRUE(session);
  auto result = session->query("SELECT 1", {}, idempotent_options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::unavailable);
  EXPECT_NE(result.error().message.find("Overloaded"), std::string::npos);
  EXPECT_EQ(node.queries, 3);
}

TEST(CqlSession, NeverRetriesASyntaxError) {
  FlakyNode node{testing::error_body(ErrorCode::syntax_error, "line 1:0 no viable alternative"), 100};
  FakeServer server(std::ref(node));
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto result = session->query("SELEC 1", {}, idempotent_options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::invalid_argument);
  EXPECT_EQ(node.queries, 1);
}

TEST(CqlSession, RetriesAnIdempotentStatementOnAnotherConnectionWhenOneDies) {
  std::atomic<int> queries{0};
  FakeServer server([&](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    if (++queries == 1) return Reply{{}, true};  // the connection of the first query dies
    return Reply{{reply_frame(request, Opcode::result, testing::void_body())}};
  });
  auto options = options_for(server);
  options.connections_per_host = 2;
  auto session = connect_or_die(options);
  ASSERT_TRUE(session);
  // The retry goes round robin to the other connection.
  auto result = session->query("INSERT", {}, idempotent_options());
  EXPECT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(queries, 2);
}

TEST(CqlSession, ReportsALostConnectionForANonIdempotentStatement) {
  FakeServer server([](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    return Reply{{}, true};
  });
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  auto result = session->query("INSERT");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::unavailable);
  EXPECT_NE(result.error().message.find("lost"), std::string::npos) << result.error().message;
}

TEST(CqlSession, ReconnectsAfterLosingItsOnlyConnection) {
  std::atomic<int> queries{0};
  FakeServer server([&](const Frame& request, int) -> Reply {
    if (auto reply = testing::handshake(request)) return *reply;
    if (++queries == 1) return Reply{{}, true};
    return Reply{{reply_frame(request, Opcode::result, testing::void_body())}};
  });
  auto session = connect_or_die(options_for(server));
  ASSERT_TRUE(session);
  EXPECT_FALSE(session->query("INSERT").ok());
  // The pool notices the dead connection and reconnects in the background;
  // a bounded number of tries covers the reconnect's own latency.
  bool recovered = false;
  for (int i = 0; i < 200 && !recovered; ++i) {
    recovered = session->query("INSERT").ok();
    if (!recovered) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(recovered);
  EXPECT_EQ(server.connections_accepted(), 2);
}

// --------------------------------------------------------------------- TLS

class CqlTls : public ::testing::Test {
 protected:
  void SetUp() override {
    certificate_ = testing::make_test_certificate();
    ca_file_ = std::filesystem::temp_directory_path() / ("squall-cql-test-ca-" + std::to_string(::getpid()) + ".pem");
    std::ofstream(ca_file_) << certificate_.certificate_pem;
  }
  void TearDown() override { std::filesystem::remove(ca_file_); }

  SessionOptions tls_options(const FakeServer& server) const {
    auto options = options_for(server);
    options.tls.enabled = true;
    options.tls.ca_file = ca_file_.string();
    return options;
  }

  testing::TestCertificate certificate_;
  std::filesystem::path ca_file_;
};

TEST_F(CqlTls, ConnectsToATrustedServerAndQueries) {
  FakeServer server(echo, certificate_);
  auto session = connect_or_die(tls_options(server));
  ASSERT_TRUE(session);
  EXPECT_EQ(first_text(session->query("SELECT over tls")), "SELECT over tls");
}

TEST_F(CqlTls, RefusesAnUntrustedCertificate) {
  FakeServer server(echo, certificate_);
  auto options = tls_options(server);
  options.tls.ca_file.clear();  // the system's trust anchors do not know our test certificate
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::tls);
  EXPECT_NE(session.error().message.find("TLS handshake with 127.0.0.1:"), std::string::npos) << session.error().message;
}

TEST_F(CqlTls, RefusesACertificateForAnotherHostName) {
  FakeServer server(echo, certificate_);
  auto options = tls_options(server);
  // The certificate names 127.0.0.1 only; "localhost" reaches the same socket under another name.
  options.contact_points = {"localhost:" + server.contact_point().substr(server.contact_point().rfind(':') + 1)};
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::tls);
  EXPECT_NE(session.error().message.find("TLS handshake with localhost:"), std::string::npos) << session.error().message;
}

TEST_F(CqlTls, SkipsVerificationWhenToldTo) {
  FakeServer server(echo, certificate_);
  auto options = tls_options(server);
  options.tls.ca_file.clear();
  options.tls.verify = false;
  auto session = connect_or_die(options);
  ASSERT_TRUE(session);
  EXPECT_TRUE(session->query("SELECT 1").ok());
}

TEST_F(CqlTls, AMissingCaFileIsAnOptionsError) {
  SessionOptions options;
  options.tls.enabled = true;
  options.tls.ca_file = "/nonexistent/ca.pem";
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::invalid_argument);
  EXPECT_NE(session.error().message.find("/nonexistent/ca.pem"), std::string::npos) << session.error().message;
}

// --------------------------------------------------------------- endpoints

TEST(CqlEndpoint, ParsesHostsPortsAndIpv6) {
  EXPECT_EQ(Endpoint::parse("cassandra-1:9142").value(), (Endpoint{"cassandra-1", 9142}));
  EXPECT_EQ(Endpoint::parse("10.0.0.7").value(), (Endpoint{"10.0.0.7", 9042}));
  EXPECT_EQ(Endpoint::parse("[::1]:9043").value(), (Endpoint{"::1", 9043}));
  EXPECT_EQ(Endpoint::parse("[::1]").value(), (Endpoint{"::1", 9042}));
  EXPECT_EQ((Endpoint{"::1", 9043}.to_string()), "[::1]:9043");
  EXPECT_FALSE(Endpoint::parse("").ok());
  EXPECT_FALSE(Endpoint::parse(":9042").ok());
  EXPECT_FALSE(Endpoint::parse("host:0").ok());
  EXPECT_FALSE(Endpoint::parse("host:70000").ok());
  EXPECT_FALSE(Endpoint::parse("::1:9042").ok());
  EXPECT_FALSE(Endpoint::parse("[::1").ok());
}

}  // namespace
}  // namespace squall::cql
