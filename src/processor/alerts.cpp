#include "processor/alerts.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace squall::processor {
namespace {

using Field = std::optional<double> (*)(const Observation&);

struct NamedField {
  std::string_view name;
  Field read;
};

constexpr std::array kFields = std::to_array<NamedField>({
    {"temp_c", [](const Observation& o) { return std::optional<double>(o.temp_c); }},
    {"feels_like_c", [](const Observation& o) { return o.feels_like_c; }},
    {"temp_min_c", [](const Observation& o) { return o.temp_min_c; }},
    {"temp_max_c", [](const Observation& o) { return o.temp_max_c; }},
    {"pressure_hpa", [](const Observation& o) { return o.pressure_hpa; }},
    {"sea_level_hpa", [](const Observation& o) { return o.sea_level_hpa; }},
    {"grnd_level_hpa", [](const Observation& o) { return o.grnd_level_hpa; }},
    {"humidity_pct", [](const Observation& o) { return o.humidity_pct; }},
    {"wind_speed_ms", [](const Observation& o) { return o.wind_speed_ms; }},
    {"wind_deg", [](const Observation& o) { return o.wind_deg; }},
    {"wind_gust_ms", [](const Observation& o) { return o.wind_gust_ms; }},
    {"clouds_pct", [](const Observation& o) { return o.clouds_pct; }},
    {"visibility_m", [](const Observation& o) { return o.visibility_m; }},
    {"rain_1h_mm", [](const Observation& o) { return o.rain_1h_mm; }},
    {"rain_3h_mm", [](const Observation& o) { return o.rain_3h_mm; }},
    {"snow_1h_mm", [](const Observation& o) { return o.snow_1h_mm; }},
    {"snow_3h_mm", [](const Observation& o) { return o.snow_3h_mm; }},
});

constexpr std::array kFieldNames = [] {
  std::array<std::string_view, kFields.size()> names{};
  for (std::size_t i = 0; i < kFields.size(); ++i) names[i] = kFields[i].name;
  return names;
}();

const NamedField* find_field(std::string_view name) {
  const auto it = std::find_if(kFields.begin(), kFields.end(), [&](const NamedField& f) { return f.name == name; });
  return it == kFields.end() ? nullptr : &*it;
}

struct Operator {
  std::string_view text;
  Comparison comparison;
};

constexpr std::array kOperators = std::to_array<Operator>({{">=", Comparison::greater_equal},
                                                           {"<=", Comparison::less_equal},
                                                           {"==", Comparison::equal},
                                                           {"!=", Comparison::not_equal},
                                                           {">", Comparison::greater},
                                                           {"<", Comparison::less}});

std::string_view operator_text(Comparison comparison) {
  for (const Operator& op : kOperators) {
    if (op.comparison == comparison) return op.text;
  }
  return "?";
}

Comparison negation(Comparison comparison) {
  switch (comparison) {
    case Comparison::greater: return Comparison::less_equal;
    case Comparison::greater_equal: return Comparison::less;
    case Comparison::less: return Comparison::greater_equal;
    case Comparison::less_equal: return Comparison::greater;
    case Comparison::equal: return Comparison::not_equal;
    case Comparison::not_equal: return Comparison::equal;
  }
  return comparison;
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-'; }

// Splits "wind_speed_ms>17.2 for 3" into words, operators and numbers.
std::vector<std::string_view> tokens_of(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i])) != 0) {
      ++i;
      continue;
    }
    const auto is_op = [](char c) { return c == '<' || c == '>' || c == '=' || c == '!'; };
    const bool op = is_op(text[i]);
    std::size_t end = i + 1;
    while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end])) == 0 && is_op(text[end]) == op) {
      ++end;
    }
    tokens.push_back(text.substr(i, end - i));
    i = end;
  }
  return tokens;
}

class RuleParser {
 public:
  RuleParser(std::size_t position, std::string_view text) : position_(position), text_(text) {}

  Result<AlertRule> parse() {
    const auto colon = text_.find(':');
    if (colon == std::string_view::npos) return fail("expected NAME: FIELD OP NUMBER");
    AlertRule rule;
    rule.name = trim(text_.substr(0, colon));
    if (rule.name.empty() || rule.name.size() > 64 || !std::all_of(rule.name.begin(), rule.name.end(), is_name_char)) {
      return fail("the name must be 1 to 64 letters, digits, '_' or '-'");
    }
    tokens_ = tokens_of(text_.substr(colon + 1));
    SQUALL_ASSIGN(rule.raise, condition());
    rule.clear = Condition{rule.raise.field, negation(rule.raise.comparison), rule.raise.threshold};
    if (accept("for")) {
      std::int64_t n = 0;
      SQUALL_ASSIGN(n, integer("the number of consecutive observations after 'for'"));
      if (n < 1 || n > 1000) return fail(fmt::format("'for {}': expected 1 to 1000 consecutive observations", n));
      rule.consecutive = static_cast<std::int32_t>(n);
    }
    if (accept("clear")) {
      SQUALL_ASSIGN(rule.clear, condition());
      if (rule.clear == rule.raise) return fail("the clear condition is the raise condition: it would clear as soon as it raises");
    }
    if (next_ < tokens_.size()) return fail(fmt::format("unexpected '{}' after the rule", tokens_[next_]));
    return rule;
  }

 private:
  static std::string trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
    return std::string(text);
  }

  Error fail(std::string_view why) const {
    return make_error(Errc::invalid_argument, fmt::format("alert rule {} (\"{}\"): {}", position_, text_, why));
  }

  std::optional<std::string_view> take() {
    if (next_ >= tokens_.size()) return std::nullopt;
    return tokens_[next_++];
  }

  bool accept(std::string_view word) {
    if (next_ < tokens_.size() && tokens_[next_] == word) {
      ++next_;
      return true;
    }
    return false;
  }

  Result<Condition> condition() {
    Condition condition;
    const auto field = take();
    if (!field) return fail("expected a field, e.g. wind_speed_ms");
    if (find_field(*field) == nullptr) {
      return fail(fmt::format("unknown field '{}' (known: {})", *field, fmt::join(kFieldNames, ", ")));
    }
    condition.field = std::string(*field);
    const auto op = take();
    if (!op) return fail(fmt::format("expected an operator after '{}'", *field));
    const auto known = std::find_if(kOperators.begin(), kOperators.end(), [&](const Operator& o) { return o.text == *op; });
    if (known == kOperators.end()) {
      return fail(fmt::format("unknown operator '{}' (expected >, >=, <, <=, ==, !=)", *op));
    }
    condition.comparison = known->comparison;
    const auto number = take();
    double threshold = 0;
    const auto [end, ec] = number ? std::from_chars(number->data(), number->data() + number->size(), threshold)
                                  : std::from_chars_result{nullptr, std::errc::invalid_argument};
    if (!number || ec != std::errc() || end != number->data() + number->size() || !std::isfinite(threshold)) {
      return fail(fmt::format("expected a number after '{} {}', got '{}'", *field, *op, number.value_or("")));
    }
    condition.threshold = threshold;
    return condition;
  }

  Result<std::int64_t> integer(std::string_view what) {
    const auto token = take();
    std::int64_t value = 0;
    const auto [end, ec] = token ? std::from_chars(token->data(), token->data() + token->size(), value)
                                 : std::from_chars_result{nullptr, std::errc::invalid_argument};
    if (!token || ec != std::errc() || end != token->data() + token->size()) {
      return fail(fmt::format("expected {}, got '{}'", what, token.value_or("")));
    }
    return value;
  }

  std::size_t position_;
  std::string_view text_;
  std::vector<std::string_view> tokens_;
  std::size_t next_ = 0;
};

}  // namespace

std::optional<double> Condition::value_in(const Observation& observation) const {
  const NamedField* named = find_field(field);
  return named == nullptr ? std::nullopt : named->read(observation);
}

bool Condition::holds_for(double value) const {
  switch (comparison) {
    case Comparison::greater: return value > threshold;
    case Comparison::greater_equal: return value >= threshold;
    case Comparison::less: return value < threshold;
    case Comparison::less_equal: return value <= threshold;
    case Comparison::equal: return value == threshold;
    case Comparison::not_equal: return value != threshold;
  }
  return false;
}

std::string Condition::text() const { return fmt::format("{} {} {}", field, operator_text(comparison), threshold); }

std::string AlertRule::text() const {
  return fmt::format("{}: {} for {} clear {}", name, raise.text(), consecutive, clear.text());
}

std::span<const std::string_view> alert_fields() { return kFieldNames; }

Result<std::vector<AlertRule>> parse_alert_rules(std::span<const std::string> texts) {
  std::vector<AlertRule> rules;
  std::set<std::string> names;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    AlertRule rule;
    SQUALL_ASSIGN(rule, RuleParser(i + 1, texts[i]).parse());
    if (!names.insert(rule.name).second) {
      return make_error(Errc::invalid_argument,
                        fmt::format("alert rule {} (\"{}\"): another rule is already named '{}'", i + 1, texts[i],
                                    rule.name));
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

AlertEvaluator::AlertEvaluator(std::vector<AlertRule> rules) : rules_(std::move(rules)) {}

void AlertEvaluator::observe(std::int32_t partition, const Observation& observation, std::vector<AlertEvent>& out) {
  if (rules_.empty()) return;
  auto& states = partitions_[partition];
  for (std::size_t index = 0; index < rules_.size(); ++index) {
    const AlertRule& rule = rules_[index];
    const Key key{observation.city_id, static_cast<std::int32_t>(index)};
    auto found = states.find(key);
    Status status = found == states.end() ? Status{} : found->second;
    const auto emit = [&](AlertEvent::Kind kind, const Condition& met, double value) {
      out.push_back(AlertEvent{observation.city_id, rule.name, kind, observation.observed_at, value, met.text()});
    };
    if (!status.raised) {
      const auto value = rule.raise.value_in(observation);
      status.streak = value && rule.raise.holds_for(*value) ? status.streak + 1 : 0;
      if (status.streak >= rule.consecutive) {
        status = Status{0, true};
        emit(AlertEvent::Kind::raised, rule.raise, *value);
      }
    } else if (const auto value = rule.clear.value_in(observation); value && rule.clear.holds_for(*value)) {
      status = Status{};
      emit(AlertEvent::Kind::cleared, rule.clear, *value);
    }
    const bool at_rest = status.streak == 0 && !status.raised;
    if (at_rest && found != states.end()) states.erase(found);
    if (!at_rest) states[key] = status;
  }
}

std::vector<AlertState> AlertEvaluator::snapshot(std::int32_t partition) const {
  std::vector<AlertState> states;
  const auto it = partitions_.find(partition);
  if (it == partitions_.end()) return states;
  for (const auto& [key, status] : it->second) {
    states.push_back({key.first, rules_[static_cast<std::size_t>(key.second)].name, status.streak, status.raised});
  }
  return states;
}

void AlertEvaluator::restore(std::int32_t partition, std::span<const AlertState> states) {
  auto& restored = partitions_[partition];
  restored.clear();
  for (const AlertState& state : states) {
    const auto rule = std::find_if(rules_.begin(), rules_.end(), [&](const AlertRule& r) { return r.name == state.rule; });
    if (rule == rules_.end()) continue;  // a rule removed from the config since
    restored[{state.city_id, static_cast<std::int32_t>(rule - rules_.begin())}] = Status{state.streak, state.raised};
  }
}

void AlertEvaluator::release(std::int32_t partition) { partitions_.erase(partition); }

std::size_t AlertEvaluator::tracked() const {
  std::size_t count = 0;
  for (const auto& [partition, states] : partitions_) count += states.size();
  return count;
}

}  // namespace squall::processor
