#pragma once
// What every store backend must do with the processor's streaming results
// (window rows, late records, alerts, checkpoints); run against each backend.

#include <gtest/gtest.h>

#include "store/store.hpp"

namespace squall::test {

inline store::WindowRow window_row(std::int64_t city, std::int64_t start, std::int64_t version, bool final,
                                   std::int64_t count) {
  store::WindowRow w;
  w.city_id = city;
  w.window = "1h";
  w.window_start = start;
  w.window_end = start + 3600;
  w.count = count;
  w.temp_min_c = -2.5;
  w.temp_max_c = 4.0;
  w.temp_avg_c = 0.75;
  w.wind_max_ms = 9.5;
  w.wind_avg_ms = 4.25;
  w.humidity_avg_pct = 81.0;
  w.rain_mm = 0.5;
  w.final = final;
  w.version = version;
  return w;
}

inline void check_streaming_results(store::Store& store) {
  using store::WriteBatch;
  const std::int64_t hour = 1700002800;
  const std::vector<store::WindowRow> first{window_row(1, hour, 10, false, 2), window_row(1, hour - 3600, 8, true, 6),
                                            window_row(2, hour, 11, false, 1)};
  const std::vector<store::LateRecord> late{{"weather", 0, 17, 1, hour - 7200, hour - 600}};
  const std::vector<store::Checkpoint> checkpoint{{"g", "weather", 0, 12, std::string("state\0bytes", 11)}};
  const std::vector<store::AlertRow> alerts{{1, hour + 600, "gale", true, 18.5, "wind_speed_ms > 17.2"},
                                            {1, hour + 1200, "gale", false, 12.0, "wind_speed_ms < 14"},
                                            {2, hour + 600, "frost", true, -21.0, "temp_c < -20"}};
  ASSERT_TRUE(store.write(WriteBatch{{}, {}, first, late, alerts, checkpoint}).ok());

  // A newer version replaces the row; an older one (a processor that lost the partition) does not.
  const std::vector<store::WindowRow> newer{window_row(1, hour, 14, true, 3)};
  const std::vector<store::WindowRow> stale{window_row(1, hour, 12, false, 99)};
  const std::vector<store::Checkpoint> older_checkpoint{{"g", "weather", 0, 9, "old"}};
  ASSERT_TRUE(store.write(WriteBatch{{}, {}, newer, late, alerts, {}}).ok());  // a replay: the same alerts again
  ASSERT_TRUE(store.write(WriteBatch{{}, {}, stale, {}, {}, older_checkpoint}).ok());

  store::WindowQuery query;
  query.city_id = 1;
  auto rows = store.windows(query);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], newer[0]) << "newest window first, at its highest version";
  EXPECT_EQ((*rows)[1], first[1]);

  query.city_id.reset();
  query.window = "1d";
  rows = store.windows(query);
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());

  auto found = store.checkpoint("g", "weather", 0);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, checkpoint[0]) << "an older checkpoint never replaces a newer one";
  auto missing = store.checkpoint("g", "weather", 1);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  store::AlertQuery by_city;
  by_city.city_id = 1;
  auto city_alerts = store.alerts(by_city);
  ASSERT_TRUE(city_alerts.ok()) << city_alerts.error().message;
  EXPECT_EQ(*city_alerts, (std::vector<store::AlertRow>{alerts[1], alerts[0]})) << "newest first";
  auto all_alerts = store.alerts(store::AlertQuery{});
  ASSERT_TRUE(all_alerts.ok());
  EXPECT_EQ(all_alerts->size(), 3u);

  auto stats = store.stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->alerts, 3) << "an alert written twice is one row";
  EXPECT_EQ(stats->windows, 3);
  EXPECT_EQ(stats->late_records, 1) << "a late record written twice is counted once";
}

}  // namespace squall::test
