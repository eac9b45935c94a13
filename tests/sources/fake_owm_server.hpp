#pragma once
// A stand-in for api.openweathermap.org on 127.0.0.1 (random port), serving
// /data/2.5/weather with a handler the test chooses. Stopped and joined on
// destruction, whatever the test did.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace squall::test {

class FakeOwmServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&, int request_number)>;

  explicit FakeOwmServer(Handler handler) : handler_(std::move(handler)) {
    server_.Get("/data/2.5/weather", [this](const httplib::Request& request, httplib::Response& response) {
      int number = 0;
      {
        std::lock_guard lock(mutex_);
        queries_.push_back(request.params);
        number = static_cast<int>(queries_.size());
      }
      handler_(request, response, number);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket already listens, so requests would queue anyway; waiting
    // just keeps stop() from racing the start of the accept loop.
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  FakeOwmServer(const FakeOwmServer&) = delete;
  FakeOwmServer& operator=(const FakeOwmServer&) = delete;
  ~FakeOwmServer() {
    server_.stop();
    thread_.join();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  int requests() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(queries_.size());
  }
  // The query parameters of every request, in arrival order.
  std::vector<httplib::Params> queries() const {
    std::lock_guard lock(mutex_);
    return queries_;
  }

 private:
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<httplib::Params> queries_;
};

}  // namespace squall::test
