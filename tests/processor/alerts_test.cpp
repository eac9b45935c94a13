#include "processor/alerts.hpp"

#include <gtest/gtest.h>

namespace squall::processor {
namespace {

std::vector<AlertRule> rules(std::vector<std::string> texts) {
  auto parsed = parse_alert_rules(texts);
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  return parsed.ok() ? *parsed : std::vector<AlertRule>{};
}

Observation windy(std::int64_t city, std::int64_t dt, std::optional<double> wind, double temp = 10) {
  Observation o;
  o.city_id = city;
  o.observed_at = dt;
  o.wind_speed_ms = wind;
  o.temp_c = temp;
  return o;
}

// Feeds the winds in order to one city and returns the kinds of events, as "R@dt" / "C@dt".
std::vector<std::string> run(AlertEvaluator& evaluator, const std::vector<std::optional<double>>& winds,
                             std::int64_t city = 1) {
  std::vector<std::string> seen;
  std::vector<AlertEvent> events;
  for (std::size_t i = 0; i < winds.size(); ++i) {
    events.clear();
    evaluator.observe(0, windy(city, static_cast<std::int64_t>(i), winds[i]), events);
    for (const auto& e : events) seen.push_back((e.kind == AlertEvent::Kind::raised ? "R@" : "C@") + std::to_string(i));
  }
  return seen;
}

TEST(Alerts, RaisesOnTheFirstMatchAndHoldsWithoutRaisingAgain) {
  AlertEvaluator evaluator(rules({"gale: wind_speed_ms > 17.2"}));
  EXPECT_EQ(run(evaluator, {10.0, 18.0, 20.0, 25.0}), (std::vector<std::string>{"R@1"}));
}

TEST(Alerts, ForNNeedsThatManyConsecutiveObservations) {
  AlertEvaluator evaluator(rules({"gale: wind_speed_ms > 17.2 for 3"}));
  // 18, 18, (10 breaks it), 18, 18, (null breaks it), 18, 18, 18 -> raised at the last.
  EXPECT_EQ(run(evaluator, {18.0, 18.0, 10.0, 18.0, 18.0, std::nullopt, 18.0, 18.0, 18.0}),
            (std::vector<std::string>{"R@8"}));
}

TEST(Alerts, ClearsWithTheNegationByDefault) {
  AlertEvaluator evaluator(rules({"gale: wind_speed_ms > 17.2"}));
  EXPECT_EQ(run(evaluator, {18.0, 17.2, 18.0}), (std::vector<std::string>{"R@0", "C@1", "R@2"}));
}

TEST(Alerts, AnExplicitClearThresholdGivesHysteresis) {
  AlertEvaluator evaluator(rules({"gale: wind_speed_ms > 17.2 clear wind_speed_ms < 14"}));
  // Between 14 and 17.2 it stays raised; a missing value clears nothing.
  EXPECT_EQ(run(evaluator, {18.0, 16.0, 15.0, std::nullopt, 13.9, 16.0, 17.3}),
            (std::vector<std::string>{"R@0", "C@4", "R@6"}));
}

TEST(Alerts, EventsCarryTheValueTheConditionAndTheObservationTime) {
  AlertEvaluator evaluator(rules({"frost: temp_c < -20"}));
  std::vector<AlertEvent> events;
  evaluator.observe(2, windy(4887398, 1700000000, 3.0, -22.5), events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], (AlertEvent{4887398, "frost", AlertEvent::Kind::raised, 1700000000, -22.5, "temp_c < -20"}));
}

TEST(Alerts, RulesAndCitiesAreIndependent) {
  AlertEvaluator evaluator(rules({"gale: wind_speed_ms > 17.2 for 2", "breeze: wind_speed_ms >= 5"}));
  std::vector<AlertEvent> events;
  evaluator.observe(0, windy(1, 0, 18.0), events);
  evaluator.observe(0, windy(2, 0, 18.0), events);
  evaluator.observe(0, windy(1, 1, 18.0), events);
  std::vector<std::pair<std::int64_t, std::string>> raised;
  for (const auto& e : events) raised.emplace_back(e.city_id, e.rule);
  EXPECT_EQ(raised, (std::vector<std::pair<std::int64_t, std::string>>{{1, "breeze"}, {2, "breeze"}, {1, "gale"}}));
}

TEST(Alerts, OnlyPairsThatAreNotAtRestTakeMemory) {
  AlertEvaluator evaluator(rules({"gale: wind_speed_ms > 17.2 for 2"}));
  run(evaluator, {10.0, 10.0}, 1);
  EXPECT_EQ(evaluator.tracked(), 0u);
  run(evaluator, {18.0}, 2);
  EXPECT_EQ(evaluator.tracked(), 1u);  // a streak of one
  run(evaluator, {5.0}, 2);
  EXPECT_EQ(evaluator.tracked(), 0u);
}

TEST(Alerts, SnapshotAndRestoreContinueLikeAnUninterruptedRun) {
  const std::vector<std::optional<double>> winds{18.0, 18.0, 5.0, 18.0, 18.0, 18.0, 13.0, 16.0, 12.0, 18.0, 18.0, 19.0};
  const auto rule_list = rules({"gale: wind_speed_ms > 17.2 for 2 clear wind_speed_ms < 14"});
  AlertEvaluator whole(rule_list);
  const auto expected = run(whole, winds);

  for (std::size_t cut = 0; cut <= winds.size(); ++cut) {
    AlertEvaluator first(rule_list);
    std::vector<std::string> seen;
    std::vector<AlertEvent> events;
    for (std::size_t i = 0; i < cut; ++i) first.observe(0, windy(1, static_cast<std::int64_t>(i), winds[i]), events);
    AlertEvaluator second(rule_list);
    second.restore(0, first.snapshot(0));
    for (std::size_t i = cut; i < winds.size(); ++i) second.observe(0, windy(1, static_cast<std::int64_t>(i), winds[i]), events);
    for (const auto& e : events) {
      seen.push_back((e.kind == AlertEvent::Kind::raised ? "R@" : "C@") + std::to_string(e.observed_at));
    }
    EXPECT_EQ(seen, expected) << "cut at " << cut;
  }
}

TEST(Alerts, ReleasingAPartitionForgetsItsCities) {
  AlertEvaluator evaluator(rules({"gale: wind_speed_ms > 17.2 for 2"}));
  std::vector<AlertEvent> events;
  evaluator.observe(3, windy(1, 0, 18.0), events);
  EXPECT_EQ(evaluator.snapshot(3).size(), 1u);
  EXPECT_TRUE(evaluator.snapshot(0).empty());
  evaluator.release(3);
  EXPECT_EQ(evaluator.tracked(), 0u);
}

TEST(AlertRules, CanonicalTextParsesBackToTheSameRule) {
  for (const std::string text : {"gale: wind_speed_ms > 17.2 for 3 clear wind_speed_ms < 14", "frost:temp_c<-20",
                                 "downpour: rain_1h_mm >= 10", "calm-air: wind_speed_ms == 0 for 6"}) {
    const auto first = rules({text});
    ASSERT_EQ(first.size(), 1u) << text;
    const auto again = rules({first[0].text()});
    ASSERT_EQ(again.size(), 1u) << first[0].text();
    EXPECT_EQ(again[0], first[0]) << text;
  }
  const auto frost = rules({"frost:temp_c<-20"});
  ASSERT_EQ(frost.size(), 1u);
  EXPECT_EQ(frost[0].clear.text(), "temp_c >= -20");
}

TEST(AlertRules, InvalidRulesAreRejectedWithThePreciseReason) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"gale wind_speed_ms > 17", "expected NAME: FIELD OP NUMBER"},
      {": wind_speed_ms > 17", "the name must be"},
      {"gale: wind_speed > 17", "unknown field 'wind_speed' (known: temp_c, "},
      {"gale: wind_speed_ms >> 17", "unknown operator '>>' (expected >, >=, <, <=, ==, !=)"},
      {"gale: wind_speed_ms > strong", "expected a number after 'wind_speed_ms >', got 'strong'"},
      {"gale: wind_speed_ms >", "expected a number after 'wind_speed_ms >', got ''"},
      {"gale: wind_speed_ms > 17 for 0", "'for 0': expected 1 to 1000 consecutive observations"},
      {"gale: wind_speed_ms > 17 for three", "expected the number of consecutive observations after 'for', got 'three'"},
      {"gale: wind_speed_ms > 17 clear wind_speed_ms > 17", "it would clear as soon as it raises"},
      {"gale: wind_speed_ms > 17 loudly", "unexpected 'loudly' after the rule"},
  };
  for (const auto& [text, fragment] : cases) {
    const std::vector<std::string> texts{"frost: temp_c < -20", text};
    auto parsed = parse_alert_rules(texts);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
    EXPECT_NE(parsed.error().message.find("alert rule 2 (\"" + text + "\")"), std::string::npos) << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(fragment), std::string::npos) << parsed.error().message;
  }
  const std::vector<std::string> twice{"gale: wind_speed_ms > 17", "gale: wind_gust_ms > 25"};
  auto duplicate = parse_alert_rules(twice);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().message.find("already named 'gale'"), std::string::npos);
}

}  // namespace
}  // namespace squall::processor
