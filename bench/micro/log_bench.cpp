// The embedded log: Kafka's partitioner, and durable append + poll of
// OWM-sized records in processor-sized batches.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "log/log.hpp"

namespace {

void BM_PartitionForKey(benchmark::State& state) {
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back(std::to_string(4887398 + i * 7));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(squall::log::partition_for_key(keys[i], 16));
    i = (i + 1) % keys.size();
  }
  state.SetItemsProcessed(state.iterations());
}

std::string temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "squall-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::vector<squall::log::Record> batch_of(std::size_t n) {
  std::vector<squall::log::Record> records(n);
  for (std::size_t i = 0; i < n; ++i) {
    records[i].key = std::to_string(4887398 + i % 1000);
    records[i].value = std::string(520, 'x');  // the size of a simulated OWM response
    records[i].headers = {{"source", "simulator"}, {"fetched_at_ms", "1700000000000"}, {"units", "standard"}};
    records[i].timestamp_ms = 1700000000000 + static_cast<std::int64_t>(i);
  }
  return records;
}

// Durable append (synchronous=FULL) of batches of state.range(0) records.
void BM_EmbeddedAppend(benchmark::State& state) {
  const std::string dir = temp_dir();
  squall::log::LogOptions options;
  options.data_dir = dir;
  auto producer = squall::log::open_producer(options);
  if (!producer) throw std::runtime_error(producer.error().message);
  const auto records = batch_of(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    if (!(*producer)->produce("weather", records)) state.SkipWithError("produce failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * 520);
  std::filesystem::remove_all(dir);
}

void BM_EmbeddedPoll(benchmark::State& state) {
  const std::string dir = temp_dir();
  squall::log::LogOptions options;
  options.data_dir = dir;
  auto producer = squall::log::open_producer(options);
  if (!producer) throw std::runtime_error(producer.error().message);
  const auto records = batch_of(5000);
  for (int i = 0; i < 40; ++i) (void)(*producer)->produce("weather", records);
  auto consumer = squall::log::open_consumer(options, "bench", {"weather"}, squall::log::StartFrom::earliest);
  if (!consumer) throw std::runtime_error(consumer.error().message);
  std::int64_t polled = 0;
  for (auto _ : state) {
    auto batch = (*consumer)->poll(5000, 0);
    if (!batch) state.SkipWithError("poll failed");
    if (batch->records.empty()) {
      state.PauseTiming();
      consumer = squall::log::open_consumer(options, "bench", {"weather"}, squall::log::StartFrom::earliest);
      state.ResumeTiming();
    }
    polled += static_cast<std::int64_t>(batch->records.size());
  }
  state.SetItemsProcessed(polled);
  std::filesystem::remove_all(dir);
}

}  // namespace

BENCHMARK(BM_PartitionForKey);
BENCHMARK(BM_EmbeddedAppend)->Arg(500)->Arg(5000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EmbeddedPoll)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
