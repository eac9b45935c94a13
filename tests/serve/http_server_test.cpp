// The HTTP server end to end on loopback: routes, the dashboard's files,
// read-only methods, request limits, security headers and secrets.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "serve/serve.hpp"
#include "test_support/temp_dir.hpp"

namespace squall::serve {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backends_.store.data_dir = backends_.log.data_dir = dir_.path().string();
    backends_.store.sync_full = backends_.log.sync_full = false;
    ServeOptions options;
    options.listen = "127.0.0.1:0";
    options.request_timeout_ms = 2000;
    auto started = Server::start(options, backends_, LivePipeline{});
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = std::move(started).value();
    const std::string& url = server_->url();
    ASSERT_TRUE(url.starts_with("http://127.0.0.1:")) << url;
    port_ = std::stoi(url.substr(std::string("http://127.0.0.1:").size()));
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(10);
  }

  httplib::Result get(const std::string& path) { return client_->Get(path.c_str()); }

  test::TempDir dir_;
  Backends backends_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, ServesTheDashboardAndItsChartingLibraryFromTheBinary) {
  auto page = get("/");
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<html"), std::string::npos);
  EXPECT_NE(page->body.find("/vendor/uPlot.iife.min.js"), std::string::npos) << "the page loads the bundled library";
  auto library = get("/vendor/uPlot.iife.min.js");
  ASSERT_TRUE(library);
  EXPECT_EQ(library->status, 200);
  EXPECT_NE(library->body.find("uPlot"), std::string::npos);
  auto script = get("/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(HttpServerTest, HealthReadinessAndApiRoutesAnswer) {
  auto health = get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  auto ready = get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  for (const char* path : {"/api/latest", "/api/windows", "/api/alerts", "/api/pipeline", "/metrics"}) {
    auto response = get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 200) << path << ": " << response->body;
    EXPECT_EQ(response->get_header_value("Cache-Control"), "no-store") << path;
  }
  auto bad = get("/api/history?city=abc");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->get_header_value("Content-Type"), "application/json");
}

TEST_F(HttpServerTest, UnknownPathsAreJson404s) {
  auto missing = get("/api/nothing-here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("\"error\""), std::string::npos);
}

TEST_F(HttpServerTest, TheApiIsReadOnly) {
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    httplib::Request request;
    request.method = method;
    request.path = "/api/latest";
    auto response = client_->send(request);
    ASSERT_TRUE(response) << method;
    EXPECT_EQ(response->status, 405) << method;
    EXPECT_EQ(response->get_header_value("Allow"), "GET, HEAD") << method;
  }
  auto head = client_->Head("/api/latest");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
}

TEST_F(HttpServerTest, OversizedRequestsAreRefused) {
  auto big_body = client_->Post("/api/latest", std::string(64 * 1024, 'x'), "text/plain");
  ASSERT_TRUE(big_body);
  EXPECT_EQ(big_body->status, 413);
  auto long_uri = get("/api/latest?city=" + std::string(20'000, '1'));
  ASSERT_TRUE(long_uri);
  EXPECT_EQ(long_uri->status, 414);
}

// A client that starts a request and never finishes it (slowloris) loses
// its connection once the read timeout passes; it cannot hold a thread forever.
TEST_F(HttpServerTest, AnUnfinishedRequestIsCutOffAfterTheTimeout) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string partial = "GET /api/latest HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  ASSERT_EQ(::send(sock, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  // Bounds the test, not the server: far longer than the 2 s request timeout.
  timeval wait{30, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
  char buffer[512];
  ssize_t received = 0;
  while ((received = ::recv(sock, buffer, sizeof(buffer), 0)) > 0) {
  }
  const int error = errno;
  ::close(sock);
  EXPECT_EQ(received, 0) << "the server should close the connection; recv failed with errno " << error;
}

TEST_F(HttpServerTest, EveryResponseCarriesSecurityHeaders) {
  for (const char* path : {"/", "/api/latest", "/nope"}) {
    auto response = get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(response->get_header_value("X-Frame-Options"), "DENY") << path;
    EXPECT_NE(response->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  }
}

TEST(ServeListen, BadAddressesFailAtStartWithWhatToDo) {
  EXPECT_FALSE(check_listen("8080"));
  EXPECT_FALSE(check_listen("localhost:http"));
  EXPECT_FALSE(check_listen("127.0.0.1:70000"));
  EXPECT_TRUE(check_listen("127.0.0.1:0"));
  EXPECT_TRUE(check_listen("[::1]:8080"));

  test::TempDir dir;
  Backends backends;
  backends.store.data_dir = backends.log.data_dir = dir.path().string();
  ServeOptions options;
  options.listen = "127.0.0.1:0";
  auto first = Server::start(options, backends, LivePipeline{});
  ASSERT_TRUE(first.ok()) << first.error().message;
  options.listen = (*first)->url().substr(std::string("http://").size());
  options.listen.pop_back();  // the trailing slash
  auto second = Server::start(options, backends, LivePipeline{});
  ASSERT_FALSE(second.ok()) << "two servers on one port";
  EXPECT_NE(second.error().message.find("--listen"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find(options.listen), std::string::npos) << second.error().message;
}

}  // namespace
}  // namespace squall::serve
