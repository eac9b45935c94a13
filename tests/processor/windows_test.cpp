#include "processor/windows.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include <gtest/gtest.h>

namespace squall::processor {
namespace {

constexpr std::int64_t kNow = 1'000'000;
std::int64_t next_offset = 0;  // offsets only order window writes; any increasing numbers do  // processing time in ms; windows only care about it for idleness

Observation obs(std::int64_t city, std::int64_t dt, double temp, std::optional<double> wind = std::nullopt) {
  Observation o;
  o.city_id = city;
  o.observed_at = dt;
  o.temp_c = temp;
  o.wind_speed_ms = wind;
  return o;
}

WindowOptions hourly(std::int64_t lateness_s = 600) {
  WindowOptions options;
  options.sizes_s = {3600};
  options.allowed_lateness_s = lateness_s;
  return options;
}

// The last emitted version of each window, as a store holding upserts would.
using Stored = std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, WindowAggregate>;

void upsert(Stored& stored, const std::vector<WindowAggregate>& emitted) {
  for (const auto& w : emitted) stored[{w.city_id, w.size_s, w.start}] = w;
}

std::vector<WindowAggregate> collect(WindowEngine& engine, std::int64_t now_ms = kNow) {
  std::vector<WindowAggregate> out;
  engine.collect(now_ms, out);
  return out;
}

TEST(Windows, AggregatesOneCityInOrder) {
  WindowEngine engine(hourly());
  EXPECT_EQ(engine.add(0, next_offset++, obs(7, 0, 10.0, 2.0), kNow), Verdict::accepted);
  EXPECT_EQ(engine.add(0, next_offset++, obs(7, 600, 14.0, 6.0), kNow), Verdict::accepted);
  EXPECT_EQ(engine.add(0, next_offset++, obs(7, 1200, 12.0), kNow), Verdict::accepted);
  const auto out = collect(engine);
  ASSERT_EQ(out.size(), 1u);
  const WindowAggregate& w = out[0];
  EXPECT_EQ(w.city_id, 7);
  EXPECT_EQ(w.start, 0);
  EXPECT_EQ(w.end(), 3600);
  EXPECT_EQ(w.count, 3);
  EXPECT_EQ(w.temp_min_c, 10.0);
  EXPECT_EQ(w.temp_max_c, 14.0);
  EXPECT_DOUBLE_EQ(*w.temp_c.value(), 12.0);
  EXPECT_EQ(w.wind_max_ms, 6.0);
  EXPECT_DOUBLE_EQ(*w.wind_ms.value(), 4.0);  // the observation without wind does not count as calm
  EXPECT_FALSE(w.gust_max_ms.has_value());
  EXPECT_FALSE(w.final);
  EXPECT_TRUE(collect(engine).empty()) << "nothing changed since the last collect";
}

TEST(Windows, EveryConfiguredSizeGetsItsOwnWindow) {
  WindowOptions options;
  options.sizes_s = {600, 3600, 86400};
  WindowEngine engine(options);
  engine.add(0, next_offset++, obs(1, 90'000 + 700, 5.0), kNow);
  auto out = collect(engine);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size_s < b.size_s; });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].start, 90'600);
  EXPECT_EQ(out[1].start, 90'000);
  EXPECT_EQ(out[2].start, 86'400);
}

TEST(Windows, AWindowBecomesFinalWhenTheWatermarkPassesItsEndAndIsEvicted) {
  WindowEngine engine(hourly(600));
  engine.add(0, next_offset++, obs(1, 3000, 1.0), kNow);
  engine.add(0, next_offset++, obs(1, 4000, 2.0), kNow);  // watermark 3400: [0, 3600) still open
  auto out = collect(engine);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_TRUE(std::none_of(out.begin(), out.end(), [](const auto& w) { return w.final; }));
  EXPECT_EQ(engine.open_windows(), 2u);

  engine.add(0, next_offset++, obs(1, 4200, 3.0), kNow);  // watermark 3600 = the first window's end
  out = collect(engine);
  ASSERT_EQ(out.size(), 2u);
  const auto closed = std::find_if(out.begin(), out.end(), [](const auto& w) { return w.start == 0; });
  ASSERT_NE(closed, out.end());
  EXPECT_TRUE(closed->final);
  EXPECT_EQ(closed->count, 1);
  EXPECT_EQ(engine.open_windows(), 1u);
}

TEST(Windows, OutOfOrderWithinLatenessUpdatesItsWindow) {
  WindowEngine engine(hourly(600));
  engine.add(0, next_offset++, obs(1, 3000, 1.0), kNow);
  EXPECT_EQ(engine.add(0, next_offset++, obs(1, 2500, 9.0), kNow), Verdict::accepted);  // 500 s behind, lateness 600
  const auto out = collect(engine);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].count, 2);
  EXPECT_EQ(out[0].temp_max_c, 9.0);
}

TEST(Windows, ARecordOlderThanTheWatermarkIsLateAndChangesNothing) {
  WindowEngine engine(hourly(600));
  engine.add(0, next_offset++, obs(1, 3000, 1.0), kNow);
  collect(engine);
  EXPECT_EQ(engine.watermark(0), 2400);
  EXPECT_EQ(engine.add(0, next_offset++, obs(2, 2399, 50.0), kNow), Verdict::late);  // another city, same partition
  EXPECT_EQ(engine.add(0, next_offset++, obs(1, 2400, 50.0), kNow), Verdict::accepted);  // exactly at the watermark
  const auto out = collect(engine);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].city_id, 1);
}

TEST(Windows, ARepeatedObservationTimeCountsOnce) {
  WindowEngine engine(hourly());
  EXPECT_EQ(engine.add(0, next_offset++, obs(1, 100, 1.0), kNow), Verdict::accepted);
  EXPECT_EQ(engine.add(0, next_offset++, obs(1, 100, 1.0), kNow), Verdict::duplicate);
  EXPECT_EQ(engine.add(0, next_offset++, obs(2, 100, 1.0), kNow), Verdict::accepted);  // another city at the same time
  auto out = collect(engine);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].count, 1);
  EXPECT_EQ(out[1].count, 1);
}

bool has_final(const std::vector<WindowAggregate>& out, std::int64_t city) {
  return std::any_of(out.begin(), out.end(), [&](const auto& w) { return w.final && w.city_id == city; });
}

TEST(Windows, EachPartitionClosesItsWindowsByItsOwnWatermark) {
  WindowEngine engine(hourly(0));
  engine.add(0, next_offset++, obs(1, 100, 1.0), kNow);
  engine.add(0, next_offset++, obs(1, 10'000, 1.0), kNow);
  engine.add(1, next_offset++, obs(2, 100, 1.0), kNow);
  engine.add(1, next_offset++, obs(2, 2'000, 1.0), kNow);
  EXPECT_EQ(engine.closes_through(0, kNow), 10'000);
  EXPECT_EQ(engine.closes_through(1, kNow), 2'000);
  auto out = collect(engine);
  EXPECT_TRUE(has_final(out, 1)) << "partition 1, behind, does not hold partition 0's [0, 3600) open";
  EXPECT_FALSE(has_final(out, 2));
  engine.add(1, next_offset++, obs(2, 3'600, 1.0), kNow);
  EXPECT_TRUE(has_final(collect(engine), 2));
}

// A processor killed during start-up can hold part of the assignment until
// the group notices: what the others produce must not depend on that.
TEST(Windows, APartitionsWindowsDoNotDependOnTheOtherPartitionsItsProcessorHolds) {
  WindowEngine alone(hourly(0));
  WindowEngine beside_a_slow_one(hourly(0));
  beside_a_slow_one.add(1, 0, obs(2, 100, 1.0), kNow);
  Stored from_alone;
  Stored from_beside;
  for (std::int64_t dt = 0; dt <= 4 * 3600; dt += 600) {
    alone.add(0, dt, obs(1, dt, static_cast<double>(dt % 7)), kNow);
    beside_a_slow_one.add(0, dt, obs(1, dt, static_cast<double>(dt % 7)), kNow);
    upsert(from_alone, collect(alone));
    auto out = collect(beside_a_slow_one);
    std::erase_if(out, [](const auto& w) { return w.city_id != 1; });
    upsert(from_beside, out);
  }
  ASSERT_EQ(from_alone.size(), 5u);
  EXPECT_EQ(from_alone, from_beside);
  EXPECT_EQ(std::count_if(from_alone.begin(), from_alone.end(), [](const auto& kv) { return kv.second.final; }), 4);
}

TEST(Windows, AnIdlePartitionsWindowsCloseAsFarAsTheSlowestActiveOne) {
  WindowOptions options = hourly(0);
  options.idle_timeout_ms = 5'000;
  WindowEngine engine(options);
  engine.add(1, next_offset++, obs(2, 1'000, 1.0), kNow);       // partition 1 falls silent after this
  engine.add(0, next_offset++, obs(1, 100, 1.0), kNow);
  engine.add(0, next_offset++, obs(1, 7'300, 1.0), kNow + 6'000);
  EXPECT_EQ(engine.closes_through(1, kNow + 4'000), 1'000);
  EXPECT_EQ(engine.closes_through(1, kNow + 6'000), 7'300);
  auto out = collect(engine, kNow + 6'000);
  std::set<std::int64_t> final_cities;
  for (const auto& w : out) {
    if (w.final) final_cities.insert(w.city_id);
  }
  EXPECT_EQ(final_cities, (std::set<std::int64_t>{1, 2})) << "the idle partition's windows close too";
  // Its windows are gone, so a record for them is late even within its own lateness.
  EXPECT_EQ(engine.add(1, next_offset++, obs(2, 1'500, 1.0), kNow + 7'000), Verdict::late);
}

TEST(Windows, APartitionThatNeverDeliveredClosesNothingAndTakesItsFirstRecords) {
  WindowOptions options = hourly(0);
  options.idle_timeout_ms = 5'000;
  WindowEngine engine(options);
  engine.track(1, kNow);
  engine.add(0, next_offset++, obs(1, 9'000, 1.0), kNow + 6'000);
  EXPECT_FALSE(engine.closes_through(1, kNow + 6'000).has_value());
  collect(engine, kNow + 6'000);
  EXPECT_EQ(engine.add(1, next_offset++, obs(2, 4'000, 1.0), kNow + 7'000), Verdict::accepted);
  EXPECT_EQ(engine.closes_through(1, kNow + 7'000), 4'000);
}

TEST(Windows, WhenEveryPartitionIsIdleEachClosesByItsOwnWatermark) {
  WindowOptions options = hourly(0);
  options.idle_timeout_ms = 5'000;
  WindowEngine engine(options);
  engine.add(0, next_offset++, obs(1, 9'000, 1.0), kNow);
  engine.add(1, next_offset++, obs(2, 1'000, 1.0), kNow);
  EXPECT_EQ(engine.closes_through(0, kNow + 60'000), 9'000);
  EXPECT_EQ(engine.closes_through(1, kNow + 60'000), 1'000);
}

TEST(Windows, NothingIsKnownBeforeTheFirstRecord) {
  WindowEngine engine(hourly());
  EXPECT_FALSE(engine.watermark(0).has_value());
  EXPECT_FALSE(engine.closes_through(0, kNow).has_value());
  EXPECT_TRUE(collect(engine).empty());
}

TEST(Windows, PrecipitationSumsEachHoursNewestAmount) {
  WindowOptions options;
  options.sizes_s = {600, 86400};
  options.allowed_lateness_s = 3600;
  WindowEngine engine(options);
  auto rainy = [](std::int64_t dt, double rain) {
    Observation o = obs(1, dt, 5.0);
    o.rain_1h_mm = rain;
    return o;
  };
  engine.add(0, next_offset++, rainy(0, 1.0), kNow);        // hour 0: superseded by 3000
  engine.add(0, next_offset++, rainy(3000, 2.0), kNow);     // hour 0's newest
  ASSERT_EQ(engine.add(0, next_offset++, rainy(1800, 9.0), kNow), Verdict::accepted);  // older than 3000: hour 0 stays 2.0
  engine.add(0, next_offset++, rainy(3700, 0.5), kNow);     // hour 1
  engine.add(0, next_offset++, obs(1, 7300, 5.0), kNow);    // hour 2: no rain reported
  const auto out = collect(engine);
  const auto day = std::find_if(out.begin(), out.end(), [](const auto& w) { return w.size_s == 86400; });
  ASSERT_NE(day, out.end());
  EXPECT_DOUBLE_EQ(*day->rain_total_mm(), 2.5);
  EXPECT_FALSE(day->snow_total_mm().has_value());
  const auto ten = std::find_if(out.begin(), out.end(), [](const auto& w) { return w.size_s == 600 && w.start == 3600; });
  ASSERT_NE(ten, out.end());
  EXPECT_DOUBLE_EQ(*ten->rain_total_mm(), 0.5 / 6) << "a 10-minute window gets a sixth of the hour's amount";
}

TEST(Windows, SnapshotAndRestoreContinueExactlyAsAnUninterruptedRun) {
  std::vector<Observation> stream;
  for (int i = 0; i < 200; ++i) stream.push_back(obs(i % 5, 10'000 + i * 97 - (i % 7) * 300, i * 0.25, i % 3));
  const auto run = [&](bool interrupted) {
    Stored stored;
    auto engine = std::make_unique<WindowEngine>(hourly(900));
    for (std::size_t i = 0; i < stream.size(); ++i) {
      engine->add(0, static_cast<std::int64_t>(i), stream[i], kNow);
      if (i % 17 == 0) upsert(stored, collect(*engine));
      if (interrupted && i == 120) {
        const PartitionSnapshot saved = engine->snapshot(0);
        engine = std::make_unique<WindowEngine>(hourly(900));
        engine->restore(0, saved, kNow);
        EXPECT_EQ(engine->snapshot(0), saved);
      }
    }
    upsert(stored, collect(*engine));
    return stored;
  };
  EXPECT_EQ(run(true), run(false));
}

TEST(Windows, ReleasingAPartitionDropsItsState) {
  WindowEngine engine(hourly());
  engine.add(3, next_offset++, obs(1, 100, 1.0), kNow);
  EXPECT_EQ(engine.open_windows(), 1u);
  engine.release(3);
  EXPECT_EQ(engine.open_windows(), 0u);
  EXPECT_FALSE(engine.watermark(3).has_value());
}

TEST(Windows, NamesAreTheShortestUnit) {
  EXPECT_EQ(window_name(3600), "1h");
  EXPECT_EQ(window_name(86400), "1d");
  EXPECT_EQ(window_name(600), "10m");
  EXPECT_EQ(window_name(5400), "90m");
  EXPECT_EQ(window_name(45), "45s");
}

TEST(Windows, OptionsAreChecked) {
  WindowOptions options;
  EXPECT_TRUE(check_window_options(options).ok());
  options.sizes_s = {3600, 3600};
  EXPECT_NE(check_window_options(options).error().message.find("1h is listed twice"), std::string::npos);
  options.sizes_s = {0};
  EXPECT_FALSE(check_window_options(options).ok());
  options.sizes_s = {};
  EXPECT_FALSE(check_window_options(options).ok());
}

// Property: random out-of-order streams with duplicates over several
// partitions, interleaved at random, equal a reference computed the simple
// way: classify each partition's records in order (late / repeat / kept),
// then group what was kept by window.
struct Event {
  std::int32_t partition;
  Observation observation;
};

std::vector<Event> random_stream(std::mt19937_64& rng, int partitions, int cities) {
  std::vector<std::vector<Event>> per_partition(static_cast<std::size_t>(partitions));
  std::uniform_int_distribution<int> jitter(-1500, 300);
  std::uniform_real_distribution<double> temperature(-30, 40);
  std::bernoulli_distribution repeat(0.1);
  for (int step = 0; step < 60; ++step) {
    for (int city = 0; city < cities; ++city) {
      const std::int32_t partition = city % partitions;
      const std::int64_t dt = 50'000 + step * 600 + jitter(rng);
      Observation o = obs(city, dt, temperature(rng), std::uniform_real_distribution<double>(0, 20)(rng));
      per_partition[static_cast<std::size_t>(partition)].push_back({partition, o});
      if (repeat(rng)) per_partition[static_cast<std::size_t>(partition)].push_back({partition, o});
    }
  }
  // Interleave the partitions at random, each keeping its own order.
  std::vector<Event> stream;
  std::vector<std::size_t> next(per_partition.size(), 0);
  while (stream.size() < [&] {
    std::size_t total = 0;
    for (const auto& p : per_partition) total += p.size();
    return total;
  }()) {
    const auto p = std::uniform_int_distribution<std::size_t>(0, per_partition.size() - 1)(rng);
    if (next[p] < per_partition[p].size()) stream.push_back(per_partition[p][next[p]++]);
  }
  return stream;
}

struct Reference {
  std::int64_t count = 0;
  double min = 0, max = 0, sum = 0, wind_sum = 0;
};

TEST(WindowsProperty, RandomStreamsEqualASimpleReference) {
  const std::vector<std::int64_t> sizes{600, 3600};
  const std::int64_t lateness = 900;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    const int partitions = 1 + static_cast<int>(seed % 4);
    const auto stream = random_stream(rng, partitions, 12);

    WindowOptions options;
    options.sizes_s = sizes;
    options.allowed_lateness_s = lateness;
    WindowEngine engine(options);
    for (std::int32_t p = 0; p < partitions; ++p) engine.track(p, kNow);
    Stored stored;
    std::map<std::int32_t, std::int64_t> reference_max;
    std::set<std::pair<std::int64_t, std::int64_t>> kept_times;
    std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, Reference> reference;
    for (std::size_t i = 0; i < stream.size(); ++i) {
      const auto& [partition, o] = stream[i];
      const Verdict verdict = engine.add(partition, next_offset++, o, kNow);
      const auto max = reference_max.find(partition);
      Verdict expected = Verdict::accepted;
      if (max != reference_max.end() && o.observed_at < max->second - lateness) {
        expected = Verdict::late;
      } else if (!kept_times.insert({o.city_id, o.observed_at}).second) {
        expected = Verdict::duplicate;
      }
      ASSERT_EQ(verdict, expected) << "seed " << seed << " record " << i;
      if (expected != Verdict::accepted) continue;
      reference_max[partition] = std::max(reference_max[partition], o.observed_at);
      for (std::int64_t size : sizes) {
        const std::int64_t start = o.observed_at / size * size;
        Reference& r = reference[{o.city_id, size, start}];
        if (r.count == 0) r.min = r.max = o.temp_c;
        ++r.count;
        r.min = std::min(r.min, o.temp_c);
        r.max = std::max(r.max, o.temp_c);
        r.sum += o.temp_c;
        r.wind_sum += *o.wind_speed_ms;
      }
      if (i % 25 == 0) upsert(stored, collect(engine));
    }
    upsert(stored, collect(engine));

    ASSERT_EQ(stored.size(), reference.size()) << "seed " << seed;
    std::size_t open = 0;
    for (const auto& [key, r] : reference) {
      const WindowAggregate& w = stored.at(key);
      EXPECT_EQ(w.count, r.count);
      EXPECT_EQ(w.temp_min_c, r.min);
      EXPECT_EQ(w.temp_max_c, r.max);
      EXPECT_NEAR(*w.temp_c.value(), r.sum / static_cast<double>(r.count), 1e-9);
      EXPECT_NEAR(*w.wind_ms.value(), r.wind_sum / static_cast<double>(r.count), 1e-9);
      const std::int32_t partition = static_cast<std::int32_t>(std::get<0>(key) % partitions);
      EXPECT_EQ(w.final, w.end() <= reference_max.at(partition) - lateness) << "seed " << seed;
      if (!w.final) ++open;
    }
    EXPECT_EQ(engine.open_windows(), open) << "closed windows are evicted";
  }
}

}  // namespace
}  // namespace squall::processor
