// The cql client against a real Apache Cassandra.
//
//   SQUALL_TEST_CASSANDRA=127.0.0.1:9042            where the server listens (required)
//   SQUALL_TEST_CASSANDRA_AUTH=cassandra:cassandra  user:password when it runs with
//                                                   PasswordAuthenticator; enables the auth tests
//   SQUALL_TEST_CASSANDRA_CA=<file.pem>             the node requires client-to-node TLS and its
//                                                   certificate is signed by (here: is) this PEM;
//                                                   every test then connects over verified TLS, and
//                                                   the TLS tests run (scripts/services start
//                                                   cassandra --auth: .cache/services/cassandra-auth/tls/ca.pem)
//
// Without SQUALL_TEST_CASSANDRA the binary fails: a missing server must not
// pass for a green run. Each run works in a keyspace of its own, dropped at the end.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>

#include <gtest/gtest.h>

#include "cql/cql.hpp"

namespace squall::cql {
namespace {

using namespace std::chrono_literals;

struct Server {
  std::string contact_point;
  std::string user;
  std::string password;
  std::string ca_file;  // non-empty: the node requires TLS
};

Server& server() {
  static Server instance;
  return instance;
}

SessionOptions base_options() {
  SessionOptions options;
  options.contact_points = {server().contact_point};
  options.user = server().user;
  options.password = server().password;
  options.consistency = Consistency::one;  // a single node
  options.connect_timeout = 10s;
  options.request_timeout = 30s;  // DDL on a small JVM heap can take a while
  if (!server().ca_file.empty()) {
    options.tls.enabled = true;
    options.tls.ca_file = server().ca_file;
  }
  return options;
}

std::string keyspace() { return "squall_cql_it_" + std::to_string(::getpid()); }

class Cassandra : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto connected = Session::connect(base_options());
    ASSERT_TRUE(connected.ok()) << connected.error().message;
    session_ = std::move(connected).value().release();
    auto created = session_->query("CREATE KEYSPACE IF NOT EXISTS " + keyspace() +
                                   " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    ASSERT_TRUE(created.ok()) << created.error().message;
  }

  static void TearDownTestSuite() {
    if (session_ == nullptr) return;
    auto dropped = session_->query("DROP KEYSPACE IF EXISTS " + keyspace());
    EXPECT_TRUE(dropped.ok()) << dropped.error().message;
    delete session_;
    session_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(session_, nullptr) << "no session: see the suite set-up failure"; }

  static Session& session() { return *session_; }

  static void run(const std::string& cql) {
    auto result = session_->query(cql);
    ASSERT_TRUE(result.ok()) << result.error().message;
  }

  static Prepared prepare(const std::string& cql) {
    auto prepared = session_->prepare(cql);
    EXPECT_TRUE(prepared.ok()) << prepared.error().message;
    return prepared.ok() ? *prepared : nullptr;
  }

  static std::string table(const std::string& name) { return keyspace() + "." + name; }

  static std::int64_t count(const std::string& table_name) {
    auto result = session_->query("SELECT count(*) FROM " + table(table_name));
    EXPECT_TRUE(result.ok()) << result.error().message;
    if (!result.ok() || result->rows.size() != 1) return -1;
    return std::get<std::int64_t>(result->rows[0][0]);
  }

 private:
  static inline Session* session_ = nullptr;
};

TEST_F(Cassandra, ReadsTheNodesOwnDescription) {
  auto result = session().query("SELECT release_version, cluster_name, key FROM system.local");
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->rows.size(), 1u);
  ASSERT_EQ(result->columns.size(), 3u);
  EXPECT_EQ(result->columns[0].keyspace, "system");
  EXPECT_EQ(result->columns[0].type.id, TypeId::varchar);
  const auto& version = std::get<std::string>(result->rows[0][0]);
  EXPECT_FALSE(version.empty());
  EXPECT_EQ(std::get<std::string>(result->rows[0][2]), "local");
  std::cout << "server: Cassandra " << version << ", cluster " << std::get<std::string>(result->rows[0][1]) << "\n";
}

TEST_F(Cassandra, RoundTripsEveryTypeOfTheModelAndNulls) {
  run("CREATE TABLE IF NOT EXISTS " + table("every_type") +
      " (id int PRIMARY KEY, i int, b bigint, d double, f float, t text, v varchar, ts timestamp, dt date,"
      " flag boolean, u uuid, tu timeuuid, raw blob)");
  auto insert = prepare("INSERT INTO " + table("every_type") +
                        " (id, i, b, d, f, t, v, ts, dt, flag, u, tu, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ASSERT_TRUE(insert);
  ASSERT_EQ(insert->current()->bind_markers.size(), 13u);
  EXPECT_EQ(insert->current()->bind_markers[7].type.name(), "timestamp");

  const Row full{std::int32_t{1},
                 std::int32_t{std::numeric_limits<std::int32_t>::min()},
                 std::int64_t{std::numeric_limits<std::int64_t>::max()},
                 -273.15,
                 3.25f,
                 std::string("São Paulo, Zürich, 東京"),
                 std::string(""),
                 Timestamp{1'700'000'000'123},
                 Date{19675},
                 true,
                 Uuid::parse("f47ac10b-58cc-4372-a567-0e02b2c3d479").value(),
                 Uuid::parse("5ba1c2d4-0e9a-11ee-be56-0242ac120002").value(),
                 RawValue{TypeId::blob, std::string("\0\xff\x80", 3)}};
  Row nulls(13, Value{Null{}});
  nulls[0] = std::int32_t{2};
  for (const Row& row : {full, nulls}) {
    auto inserted = session().execute(insert, row, idempotent_options());
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
  }

  auto select = prepare("SELECT id, i, b, d, f, t, v, ts, dt, flag, u, tu, raw FROM " + table("every_type") +
                        " WHERE id = ?");
  ASSERT_TRUE(select);
  ASSERT_EQ(select->current()->result_metadata.columns.size(), 13u);
  EXPECT_EQ(select->current()->result_metadata.columns[8].type.name(), "date");
  for (const Row& row : {full, nulls}) {
    auto read = session().execute(select, {row[0]});
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_EQ(read->rows.size(), 1u);
    EXPECT_EQ(read->rows[0], row);
  }
}

TEST_F(Cassandra, PagesThroughAPartition) {
  run("CREATE TABLE IF NOT EXISTS " + table("paged") + " (k int, c int, v text, PRIMARY KEY (k, c))");
  auto insert = prepare("INSERT INTO " + table("paged") + " (k, c, v) VALUES (?, ?, ?)");
  ASSERT_TRUE(insert);
  std::vector<std::future<Result<QueryResult>>> writes;
  for (int c = 0; c < 250; ++c) {
    writes.push_back(session().execute_async(insert, {std::int32_t{7}, std::int32_t{c}, "row " + std::to_string(c)},
                                             idempotent_options()));
  }
  for (auto& write : writes) ASSERT_TRUE(write.get().ok());

  auto select = prepare("SELECT c, v FROM " + table("paged") + " WHERE k = ?");
  ASSERT_TRUE(select);
  StatementOptions page;
  page.page_size = 100;
  std::vector<std::size_t> page_sizes;
  std::int32_t expected = 0;
  for (int round = 0; round < 10; ++round) {
    auto result = session().execute(select, {std::int32_t{7}}, page);
    ASSERT_TRUE(result.ok()) << result.error().message;
    page_sizes.push_back(result->rows.size());
    for (const auto& row : result->rows) {
      EXPECT_EQ(row[0], Value{expected});
      EXPECT_EQ(row[1], Value{"row " + std::to_string(expected)});
      ++expected;
    }
    if (!result->paging_state) break;
    page.paging_state = result->paging_state;
  }
  EXPECT_EQ(expected, 250);
  // The server may end with an empty page when the last one was exactly full.
  ASSERT_GE(page_sizes.size(), 3u);
  EXPECT_EQ(page_sizes[0], 100u);
  EXPECT_EQ(page_sizes[1], 100u);
  EXPECT_EQ(page_sizes[2], 50u);
}

TEST_F(Cassandra, WritesUnloggedBatches) {
  run("CREATE TABLE IF NOT EXISTS " + table("batched") + " (k int, c int, v double, PRIMARY KEY (k, c))");
  auto insert = prepare("INSERT INTO " + table("batched") + " (k, c, v) VALUES (?, ?, ?)");
  ASSERT_TRUE(insert);
  std::vector<BatchStatement> one_partition;
  for (int c = 0; c < 50; ++c) one_partition.push_back({insert, {std::int32_t{1}, std::int32_t{c}, c * 0.5}});
  auto first = session().batch(one_partition, idempotent_options());
  ASSERT_TRUE(first.ok()) << first.error().message;

  std::vector<BatchStatement> many_partitions;
  for (int k = 100; k < 120; ++k) many_partitions.push_back({insert, {std::int32_t{k}, std::int32_t{0}, Null{}}});
  auto second = session().batch(many_partitions, idempotent_options());
  ASSERT_TRUE(second.ok()) << second.error().message;
  // Cassandra warns about unlogged batches spanning many partitions: the
  // warnings travel in the frame, ahead of the result.
  EXPECT_FALSE(second->warnings.empty());
  for (const auto& warning : second->warnings) std::cout << "server warning: " << warning << "\n";
  EXPECT_EQ(count("batched"), 70);
}

// What the store relies on to write no tombstones for an observation's
// absent fields: "not set" leaves a column as it is, null clears it, both in
// a single statement and in a batch.
TEST_F(Cassandra, AnUnsetValueLeavesTheColumnAsItIsWhereNullClearsIt) {
  run("CREATE TABLE IF NOT EXISTS " + table("unset") + " (k int PRIMARY KEY, a double, b double)");
  auto upsert = prepare("INSERT INTO " + table("unset") + " (k, a, b) VALUES (?, ?, ?)");
  auto read = prepare("SELECT a, b FROM " + table("unset") + " WHERE k = ?");
  ASSERT_TRUE(upsert && read);
  const auto row_of = [&](std::int32_t k) -> std::vector<Value> {
    auto result = session().execute(read, {k}, idempotent_options());
    EXPECT_TRUE(result.ok()) << result.error().message;
    if (!result.ok() || result->rows.size() != 1) return {};
    return result->rows[0];
  };

  auto set = session().execute(upsert, {std::int32_t{1}, 1.5, 2.5}, idempotent_options());
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto partly = session().execute(upsert, {std::int32_t{1}, Unset{}, Null{}}, idempotent_options());
  ASSERT_TRUE(partly.ok()) << partly.error().message;
  EXPECT_EQ(row_of(1), (std::vector<Value>{1.5, Null{}}));

  auto batch_set = session().batch({{upsert, {std::int32_t{2}, 3.5, 4.5}}}, idempotent_options());
  ASSERT_TRUE(batch_set.ok()) << batch_set.error().message;
  auto batch_partly = session().batch({{upsert, {std::int32_t{2}, Null{}, Unset{}}}}, idempotent_options());
  ASSERT_TRUE(batch_partly.ok()) << batch_partly.error().message;
  EXPECT_EQ(row_of(2), (std::vector<Value>{Null{}, 4.5}));
}

TEST_F(Cassandra, PreparesAgainTransparentlyAfterTheTableIsRecreated) {
  const std::string name = table("recreated");
  run("CREATE TABLE IF NOT EXISTS " + name + " (k int PRIMARY KEY, v text)");
  auto insert = prepare("INSERT INTO " + name + " (k, v) VALUES (?, ?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(session().execute(insert, {std::int32_t{1}, std::string("before")}).ok());

  run("DROP TABLE " + name);
  run("CREATE TABLE " + name + " (k int PRIMARY KEY, v text)");
  // The node dropped the statement with the table: Unprepared, prepare again, retry.
  auto after = session().execute(insert, {std::int32_t{2}, std::string("after")});
  ASSERT_TRUE(after.ok()) << after.error().message;

  auto read = session().query("SELECT k, v FROM " + name);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->rows.size(), 1u);
  EXPECT_EQ(read->rows[0], (Row{std::int32_t{2}, std::string("after")}));

  // Recreated with another type: the re-prepared markers say so, precisely.
  run("DROP TABLE " + name);
  run("CREATE TABLE " + name + " (k int PRIMARY KEY, v bigint)");
  auto mismatched = session().execute(insert, {std::int32_t{3}, std::string("text")});
  ASSERT_FALSE(mismatched.ok());
  EXPECT_EQ(mismatched.error().code, Errc::invalid_argument);
  EXPECT_NE(mismatched.error().message.find("value 1 (v) is text, but the column is bigint"), std::string::npos)
      << mismatched.error().message;
  EXPECT_TRUE(session().execute(insert, {std::int32_t{3}, std::int64_t{42}}).ok());
}

TEST_F(Cassandra, ServerErrorsArriveTyped) {
  auto syntax = session().query("SELEC nonsense");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code, Errc::invalid_argument);
  EXPECT_NE(syntax.error().message.find("Syntax_error (0x2000)"), std::string::npos) << syntax.error().message;

  auto invalid = session().query("SELECT * FROM " + table("no_such_table"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.error().message.find("Invalid (0x2200)"), std::string::npos) << invalid.error().message;

  run("CREATE TABLE IF NOT EXISTS " + table("exists_once") + " (k int PRIMARY KEY)");
  auto exists = session().query("CREATE TABLE " + table("exists_once") + " (k int PRIMARY KEY)");
  ASSERT_FALSE(exists.ok());
  EXPECT_NE(exists.error().message.find("Already_exists (0x2400)"), std::string::npos) << exists.error().message;
  EXPECT_NE(exists.error().message.find("[table " + keyspace() + ".exists_once]"), std::string::npos)
      << exists.error().message;
}

TEST_F(Cassandra, ManyConcurrentWritesAllLand) {
  run("CREATE TABLE IF NOT EXISTS " + table("concurrent") + " (k int, c int, v double, PRIMARY KEY (k, c))");
  auto insert = prepare("INSERT INTO " + table("concurrent") + " (k, c, v) VALUES (?, ?, ?)");
  ASSERT_TRUE(insert);
  constexpr int kWrites = 5000;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<Result<QueryResult>>> writes;
  writes.reserve(kWrites);
  for (int i = 0; i < kWrites; ++i) {
    writes.push_back(
        session().execute_async(insert, {std::int32_t{i % 50}, std::int32_t{i}, i * 0.25}, idempotent_options()));
  }
  int failed = 0;
  for (auto& write : writes) {
    auto result = write.get();
    if (!result.ok()) {
      ++failed;
      ADD_FAILURE() << result.error().message;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(count("concurrent"), kWrites);
  std::cout << "measured: " << kWrites << " prepared inserts in " << seconds << " s (" << kWrites / seconds
            << " writes/s, one connection, up to 1024 in flight)\n";
}

TEST_F(Cassandra, ASessionWithAKeyspaceUsesIt) {
  auto options = base_options();
  options.keyspace = keyspace();
  options.connections_per_host = 2;
  auto connected = Session::connect(options);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  auto& scoped = **connected;
  EXPECT_EQ(scoped.live_connections(), 2u);
  auto created = scoped.query("CREATE TABLE IF NOT EXISTS unqualified (k int PRIMARY KEY, v text)");
  ASSERT_TRUE(created.ok()) << created.error().message;
  for (int i = 0; i < 4; ++i) {  // round robin: both connections must be in the keyspace
    auto written = scoped.query("INSERT INTO unqualified (k, v) VALUES (?, ?)", {std::int32_t{i}, std::string("x")});
    ASSERT_TRUE(written.ok()) << written.error().message;
  }
  EXPECT_EQ(count("unqualified"), 4);

  options.keyspace = "no_such_keyspace_here";
  auto missing = Session::connect(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot use keyspace 'no_such_keyspace_here'"), std::string::npos)
      << missing.error().message;
}

// -------------------------------------------------------------------- auth

class CassandraAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    // Never a silent skip: CTest runs this suite against a server started
    // with --auth; run elsewhere, it fails and says what is missing.
    ASSERT_FALSE(server().user.empty())
        << "SQUALL_TEST_CASSANDRA_AUTH is not set: start the server with `scripts/services start cassandra --auth` "
           "and set SQUALL_TEST_CASSANDRA_AUTH=cassandra:cassandra, or exclude CassandraAuth.*";
  }
};

TEST_F(CassandraAuth, TheRightPasswordIsAccepted) {
  auto session = Session::connect(base_options());
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_TRUE((*session)->query("SELECT release_version FROM system.local").ok());
}

TEST_F(CassandraAuth, AWrongPasswordIsRefusedWithoutShowingIt) {
  auto options = base_options();
  options.password = "definitely-not-" + server().password;
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::auth);
  EXPECT_NE(session.error().message.find("authentication as '" + server().user + "'"), std::string::npos)
      << session.error().message;
  EXPECT_EQ(session.error().message.find("definitely-not-"), std::string::npos) << session.error().message;
}

TEST_F(CassandraAuth, NoCredentialsIsRefused) {
  auto options = base_options();
  options.user.clear();
  options.password.clear();
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::auth);
  EXPECT_NE(session.error().message.find("PasswordAuthenticator"), std::string::npos) << session.error().message;
}

// --------------------------------------------------------------------- TLS
// Against the node of `scripts/services start cassandra --auth`: TLS required
// (optional: false), a self-signed certificate made at start-up for
// IP:127.0.0.1 and DNS:localhost. Every test above already ran over verified
// TLS when SQUALL_TEST_CASSANDRA_CA is set; these check the edges.

class CassandraTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(server().ca_file.empty())
        << "SQUALL_TEST_CASSANDRA_CA is not set: start the server with `scripts/services start cassandra --auth` "
           "and set SQUALL_TEST_CASSANDRA_CA to its .cache/services/cassandra-auth/tls/ca.pem, or exclude "
           "CassandraTls.*";
  }

  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(scratch(), ignored);
  }

  static std::filesystem::path scratch() {
    return std::filesystem::temp_directory_path() / ("squall-cql-it-" + std::to_string(::getpid()));
  }

  // A certificate the node's was not signed by: a fresh self-signed one.
  static std::string untrusted_ca() {
    const auto dir = scratch();
    std::filesystem::create_directories(dir);
    const auto pem = dir / "untrusted-ca.pem";
    const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=squall-untrusted "
                                "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
                                (dir / "untrusted.key").string() + "' -out '" + pem.string() + "' >/dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return pem.string();
  }
};

TEST_F(CassandraTls, TheRightCaAndPasswordConnectAndQuery) {
  auto session = Session::connect(base_options());
  ASSERT_TRUE(session.ok()) << session.error().message;
  auto result = (*session)->query("SELECT release_version FROM system.local");
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->rows.size(), 1u);
}

TEST_F(CassandraTls, ByHostNameTheCertificatesDnsNameIsVerified) {
  auto options = base_options();
  const auto colon = server().contact_point.rfind(':');
  options.contact_points = {"localhost" + server().contact_point.substr(colon)};
  auto session = Session::connect(options);
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_TRUE((*session)->query("SELECT release_version FROM system.local").ok());
}

TEST_F(CassandraTls, AnUntrustedCertificateFailsTheHandshakeSayingSo) {
  auto options = base_options();
  options.tls.ca_file = untrusted_ca();
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::tls);
  const std::string& message = session.error().message;
  EXPECT_NE(message.find("TLS handshake with " + server().contact_point + " failed"), std::string::npos) << message;
  EXPECT_NE(message.find("the server's certificate was not accepted: self-signed certificate"), std::string::npos)
      << message;
  EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
  EXPECT_EQ(message.find(server().password), std::string::npos) << message;
}

TEST_F(CassandraTls, WithoutVerificationTheSameCertificateIsAccepted) {
  auto options = base_options();
  options.tls.ca_file = untrusted_ca();  // ignored: nothing is checked
  options.tls.verify = false;
  auto session = Session::connect(options);
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_TRUE((*session)->query("SELECT release_version FROM system.local").ok());
}

TEST_F(CassandraTls, APlainTextClientIsRefusedByTheNode) {
  auto options = base_options();
  options.tls = TlsOptions{};
  auto session = Session::connect(options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::unavailable);
  EXPECT_NE(session.error().message.find("does the node require client-to-node TLS?"), std::string::npos)
      << session.error().message;
}

}  // namespace
}  // namespace squall::cql

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* contact_point = std::getenv("SQUALL_TEST_CASSANDRA");
  if (contact_point == nullptr || *contact_point == '\0') {
    std::cerr << "cql_integration_tests: set SQUALL_TEST_CASSANDRA=host:port (e.g. 127.0.0.1:9042) to a running "
                 "Cassandra; refusing to pass without one\n";
    return 1;
  }
  auto& server = squall::cql::server();
  server.contact_point = contact_point;
  if (const char* auth = std::getenv("SQUALL_TEST_CASSANDRA_AUTH"); auth != nullptr && *auth != '\0') {
    const std::string credentials = auth;
    const auto colon = credentials.find(':');
    if (colon == std::string::npos) {
      std::cerr << "cql_integration_tests: SQUALL_TEST_CASSANDRA_AUTH must be user:password\n";
      return 1;
    }
    server.user = credentials.substr(0, colon);
    server.password = credentials.substr(colon + 1);
  }
  if (const char* ca = std::getenv("SQUALL_TEST_CASSANDRA_CA"); ca != nullptr && *ca != '\0') {
    if (!std::filesystem::is_regular_file(ca)) {
      std::cerr << "cql_integration_tests: SQUALL_TEST_CASSANDRA_CA names no file: " << ca << "\n";
      return 1;
    }
    server.ca_file = ca;
  }
  return RUN_ALL_TESTS();
}
