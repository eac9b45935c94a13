// The HTTP face of the serve stage, on cpp-httplib: routing, limits and the
// security headers. What each endpoint returns is api.cpp's business.

#include <charconv>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "serve/api.hpp"
#include "serve/assets.hpp"
#include "serve/serve.hpp"

namespace squall::serve {
namespace {

struct ListenAddress {
  std::string host;
  int port = 0;
};

Result<ListenAddress> parse_listen(std::string_view listen) {
  const auto colon = listen.rfind(':');
  const auto bad = [&] {
    return make_error(Errc::invalid_argument,
                      fmt::format("listen address '{}': expected HOST:PORT such as 127.0.0.1:8080 "
                                  "(port 0 picks a free port)", listen));
  };
  if (colon == std::string_view::npos || colon == 0) return bad();
  ListenAddress address;
  std::string_view host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  address.host = std::string(host);
  const std::string_view port = listen.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (ec != std::errc() || end != port.data() + port.size() || address.port < 0 || address.port > 65535) return bad();
  return address;
}

Params params_of(const httplib::Request& request) {
  Params params;
  for (const auto& [name, value] : request.params) params.emplace(name, value);
  return params;
}

void send(httplib::Response& out, const Response& response) {
  out.status = response.status;
  out.set_header("Cache-Control", "no-store");
  out.set_content(response.body, response.content_type.c_str());
}

httplib::Headers security_headers() {
  return {
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      // Only this server's own scripts; uPlot sizes its elements with inline styles.
      {"Content-Security-Policy",
       "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"},
  };
}

std::string json_error(std::string_view message) {
  return fmt::format("{{\"error\":\"{}\"}}\n", message);
}

// What a status httplib set by itself (before any handler ran) means to the client.
std::string error_text(int status) {
  switch (status) {
    case 400: return "bad request";
    case 413: return "request too large: the API takes no request body";
    case 414: return "URI too long";
    default: return fmt::format("HTTP {}", status);
  }
}

}  // namespace

struct Server::Impl {
  httplib::Server http;
  std::unique_ptr<Api> api;
  std::string url;
  std::thread thread;

  void route();
  void limit(const ServeOptions& options);
};

void Server::Impl::route() {
  using Handler = Response (Api::*)(const Params&);
  const auto get = [this](const char* pattern, Handler handler) {
    http.Get(pattern, [this, handler](const httplib::Request& req, httplib::Response& res) {
      send(res, (api.get()->*handler)(params_of(req)));
    });
  };
  get("/api/latest", &Api::latest);
  get("/api/history", &Api::history);
  get("/api/windows", &Api::windows);
  get("/api/alerts", &Api::alerts);
  http.Get("/api/pipeline", [this](const httplib::Request&, httplib::Response& res) { send(res, api->pipeline()); });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { send(res, api->metrics()); });
  http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) { send(res, api->ready()); });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    send(res, Response{200, "text/plain; charset=utf-8", "ok\n"});
  });
  http.Get("/.*", [](const httplib::Request& req, httplib::Response& res) {
    if (auto asset = find_asset(req.path)) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type).c_str());
      return;
    }
    send(res, Response{404, "application/json", json_error("not found: see / for the dashboard, /api/... for data")});
  });
  // Read-only: everything but GET (and HEAD, which httplib answers from GET) is refused.
  const auto refuse = [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Allow", "GET, HEAD");
    send(res, Response{405, "application/json", json_error("read-only API: only GET and HEAD are allowed")});
  };
  http.Post(".*", refuse);
  http.Put(".*", refuse);
  http.Patch(".*", refuse);
  http.Delete(".*", refuse);
  http.Options(".*", refuse);
}

void Server::Impl::limit(const ServeOptions& options) {
  const auto timeout = std::chrono::milliseconds(options.request_timeout_ms);
  http.set_read_timeout(timeout);
  http.set_write_timeout(timeout);
  http.set_keep_alive_timeout(5);
  http.set_keep_alive_max_count(100);
  http.set_payload_max_length(options.max_body_bytes);
  const std::size_t threads = static_cast<std::size_t>(std::max(1, options.threads));
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_default_headers(security_headers());
  // SO_REUSEADDR (a restart may bind while old connections linger) but not
  // httplib's default SO_REUSEPORT, with which a second squall would quietly
  // share the port and answer half the requests.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(json_error(error_text(res.status)), "application/json");
    }
  });
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    spdlog::error("serve: {} {} failed with an exception", req.method, req.path);
    res.status = 500;
    res.set_content(json_error("internal error"), "application/json");
  });
}

Result<void> check_listen(std::string_view listen) {
  auto address = parse_listen(listen);
  if (!address) return address.error();
  return {};
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

const std::string& Server::url() const { return impl_->url; }

void Server::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->http.stop();
  impl_->thread.join();
}

Result<std::unique_ptr<Server>> Server::start(const ServeOptions& options, const Backends& backends,
                                              LivePipeline live) {
  ListenAddress address;
  SQUALL_ASSIGN(address, parse_listen(options.listen));
  std::unique_ptr<store::Store> store;
  SQUALL_ASSIGN(store, store::open_store(backends.store));

  auto impl = std::make_unique<Impl>();
  impl->api = std::make_unique<Api>(std::move(store), backends, live);
  impl->route();
  impl->limit(options);
  int port = address.port;
  const bool bound = port == 0 ? (port = impl->http.bind_to_any_port(address.host)) > 0
                               : impl->http.bind_to_port(address.host, port);
  if (!bound) {
    return make_error(Errc::io,
                      fmt::format("cannot listen on {}: the address is in use or not available here; pass "
                                  "--listen HOST:PORT (port 0 picks a free one) or --no-serve",
                                  options.listen));
  }
  const bool ipv6 = address.host.find(':') != std::string::npos;
  impl->url = ipv6 ? fmt::format("http://[{}]:{}/", address.host, port) : fmt::format("http://{}:{}/", address.host, port);
  Impl* running = impl.get();
  impl->thread = std::thread([running] { running->http.listen_after_bind(); });
  // The socket listens already; waiting for the accept loop keeps a quick
  // stop() from slipping in before it starts (it would then never end).
  for (int i = 0; i < 5000 && !impl->http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

}  // namespace squall::serve
