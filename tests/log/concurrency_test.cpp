// The embedded log shared between threads and processes, and killed hard.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "log/log_test_support.hpp"

namespace squall::log {
namespace {

using namespace test_support;

TEST(EmbeddedLogConcurrency, ConsumerThreadSeesEveryRecordOfAProducerThreadExactlyOnce) {
  squall::test::TempDir dir;
  const LogOptions options = options_in(dir);
  constexpr int kBatches = 100;
  constexpr int kPerBatch = 50;
  constexpr int kTotal = kBatches * kPerBatch;

  auto consumer = expect_ok(open_consumer(options, "g", {"weather"}, StartFrom::earliest));
  auto producer = expect_ok(open_producer(options));
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      auto records = numbered_records(kPerBatch, 37, std::to_string(b) + ":");
      auto produced = producer->produce("weather", records);
      if (!produced) {
        ADD_FAILURE() << produced.error().message;
        return;
      }
    }
  });

  std::vector<ConsumedRecord> got;
  for (int polls = 0; polls < 20'000 && got.size() < static_cast<std::size_t>(kTotal); ++polls) {
    auto polled = consumer->poll(128, 50);
    ASSERT_TRUE(polled.ok()) << polled.error().message;
    for (auto& r : polled->records) got.push_back(std::move(r));
  }
  writer.join();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kTotal));
  std::set<std::string> values;
  for (const auto& r : got) EXPECT_TRUE(values.insert(r.record.value).second) << "twice: " << r.record.value;
  for (const auto& [where, offsets] : offsets_by_partition(got)) expect_contiguous_from(offsets, 0);
  EXPECT_TRUE(expect_ok(consumer->poll(10, 0)).caught_up);
}

TEST(EmbeddedLogConcurrency, ProducersOpeningANewLogTogetherAllSucceed) {
  squall::test::TempDir dir;
  const LogOptions options = options_in(dir);
  constexpr int kWriters = 4;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto producer = open_producer(options);
      if (!producer || !(*producer)->produce("weather", numbered_records(10, 5, std::to_string(w) + ":"))) {
        failures.fetch_add(1);
      }
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(drain(*expect_ok(open_consumer(options, "g", {"weather"}, StartFrom::earliest))).size(),
            static_cast<std::size_t>(kWriters * 10));
  // Only the log itself is left behind: no half-made scratch files.
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(options.data_dir)) {
    files.push_back(entry.path().filename().string());
  }
  for (const auto& file : files) EXPECT_EQ(file.rfind("log.db", 0), 0U) << file;
  for (const auto& file : files) EXPECT_EQ(file.find(".new-"), std::string::npos) << file;
}

// Kills the child it owns if a test assertion returns early.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) kill_and_reap();
  }
  int kill_and_reap() {
    ::kill(pid_, SIGKILL);
    return wait_for_exit();
  }
  // Waits for a child that ends by itself; returns its exit code.
  int reap() {
    const int status = wait_for_exit();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  int wait_for_exit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  pid_t pid_;
};

constexpr int kRecordsPerProduce = 100;

// The child: produce numbered batches forever, reporting each acknowledged
// one on the pipe, until killed (or a bound is reached).
[[noreturn]] void produce_until_killed(const LogOptions& options, int round, int report_fd) {
  auto producer = open_producer(options);
  if (!producer) ::_exit(2);
  for (int i = 0; i < 100'000; ++i) {
    auto records = numbered_records(kRecordsPerProduce, 13, std::to_string(round) + "/" + std::to_string(i) + ":");
    if (!(*producer)->produce("weather", records)) ::_exit(3);
    if (::write(report_fd, &i, sizeof i) != sizeof i) ::_exit(4);
  }
  ::_exit(0);
}

// Runs one child, reads `acks` acknowledgements, then SIGKILLs it, most
// likely in the middle of its next transaction. Returns the acks seen.
int run_and_kill(const LogOptions& options, int round, int acks) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    produce_until_killed(options, round, fds[1]);
  }
  ::close(fds[1]);
  Child child(pid);
  int seen = 0;
  int ack = 0;
  while (seen < acks && ::read(fds[0], &ack, sizeof ack) == sizeof ack) ++seen;
  const int status = child.kill_and_reap();
  ::close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child died on its own: " << status;
  return seen;
}

TEST(EmbeddedLogConcurrency, ConsumerSeesAnotherProcessAppending) {
  squall::test::TempDir dir;
  const LogOptions options = options_in(dir);
  constexpr int kProduces = 20;
  // No connection may be open across fork(): SQLite's per-process lock
  // bookkeeping would be inherited by the child.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto producer = open_producer(options);
    if (!producer) ::_exit(2);
    for (int i = 0; i < kProduces; ++i) {
      if (!(*producer)->produce("weather", numbered_records(kRecordsPerProduce, 13, std::to_string(i) + ":"))) {
        ::_exit(3);
      }
    }
    ::_exit(0);
  }
  Child child(pid);
  auto consumer = expect_ok(open_consumer(options, "g", {"weather"}, StartFrom::earliest));
  std::size_t received = 0;
  for (int polls = 0; polls < 1000 && received < kProduces * kRecordsPerProduce; ++polls) {
    auto polled = consumer->poll(500, 50);
    ASSERT_TRUE(polled.ok()) << polled.error().message;
    received += polled->records.size();
  }
  EXPECT_EQ(received, static_cast<std::size_t>(kProduces * kRecordsPerProduce));
  EXPECT_EQ(child.reap(), 0);
}

TEST(EmbeddedLogCrash, AProducerKilledAtAnyMomentLeavesTheLogConsistent) {
  squall::test::TempDir dir;
  LogOptions options = options_in(dir);
  options.sync_full = true;
  std::map<int, int> acknowledged;  // round -> produces the child reported done
  const int kill_after[] = {1, 3, 7, 15};
  for (int round = 0; round < 4; ++round) {
    acknowledged[round] = run_and_kill(options, round, kill_after[round]);
    ASSERT_EQ(acknowledged[round], kill_after[round]);
  }
  // The log recovers and takes new writes.
  expect_ok(expect_ok(open_producer(options))->produce("weather", numbered_records(10, 10, "after:")));

  // Every batch decodes (poll would fail otherwise), offsets have no gaps,
  // every acknowledged produce is there, and no produce is there in part.
  const auto got = drain(*expect_ok(open_consumer(options, "verify", {"weather"}, StartFrom::earliest)));
  for (const auto& [where, offsets] : offsets_by_partition(got)) expect_contiguous_from(offsets, 0);
  std::map<std::string, int> per_produce;  // "round/i" -> records
  int after = 0;
  for (const auto& r : got) {
    const std::string& value = r.record.value;
    if (value.rfind("after:", 0) == 0) {
      ++after;
      continue;
    }
    ++per_produce[value.substr(0, value.find(':'))];
  }
  EXPECT_EQ(after, 10);
  for (const auto& [produce, count] : per_produce) EXPECT_EQ(count, kRecordsPerProduce) << produce;
  for (const auto& [round, acks] : acknowledged) {
    for (int i = 0; i < acks; ++i) {
      EXPECT_TRUE(per_produce.count(std::to_string(round) + "/" + std::to_string(i))) << round << "/" << i;
    }
  }
}

}  // namespace
}  // namespace squall::log
