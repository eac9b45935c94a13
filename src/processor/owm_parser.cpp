#include "processor/owm_parser.hpp"

#include <array>
#include <bit>
#include <bitset>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

namespace squall::processor {
namespace {

namespace od = simdjson::ondemand;

// Anything larger is not a current-weather response (real ones are ~500 bytes).
constexpr std::size_t kMaxMessageBytes = 1 << 20;
// How much of the input a reason may quote: enough to recognise a value,
// never enough to copy a payload into the dead-letter reason.
constexpr std::size_t kMaxExcerptBytes = 40;
constexpr std::size_t kMaxOwmMessageBytes = 120;
constexpr const char* kTrailingContent = "invalid JSON: trailing content after the top-level object";

constexpr double kKelvinOffset = 273.15;
constexpr double kMetresPerSecondPerMph = 0.44704;
// Converted values are rounded to a millionth: far below any instrument's
// resolution, yet it turns 281.52 K into 8.37 °C instead of 8.369999999999976.
constexpr double kConversionScale = 1e6;

// ---------------------------------------------------------------------------
// Reasons. Everything here runs only once a message has turned out bad.

// Where a value sits in the payload, e.g. main.temp or weather[1].description.
// Kept as parts and only formatted into a reason, so the hot path never
// builds strings.
struct FieldPath {
  static constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);

  FieldPath(std::string_view block_name = {}, std::string_view leaf_name = {}, std::size_t array_index = kNoIndex)
      : block(block_name), leaf(leaf_name), index(array_index) {}

  std::string_view block;  // "main", "weather", or a top-level field like "dt"
  std::string_view leaf;   // "temp"; empty for the block itself
  std::size_t index;       // position in an array, or kNoIndex

  std::string text() const {
    std::string path(block);
    if (index != kNoIndex) path += fmt::format("[{}]", index);
    if (!leaf.empty()) {
      if (!path.empty()) path += '.';
      path += leaf;
    }
    return path;
  }
};

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// simdjson's raw tokens include the whitespace after them.
std::string_view trimmed(std::string_view token) {
  while (!token.empty() && is_json_whitespace(token.back())) token.remove_suffix(1);
  return token;
}

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
// Control bytes are written as \xNN: a reason travels in a header and a
// TEXT column, where a raw zero byte would cut it short. Cold, like
// end_of_first_value(): only rejections need them, and out of the hot text
// they leave the parser's hot code laid out as before they grew.
[[gnu::cold]] std::string excerpt(std::string_view text, std::size_t limit = kMaxExcerptBytes) {
  std::size_t end = text.size();
  if (end > limit) {
    end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  std::string quoted;
  for (const char c : text.substr(0, end)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      quoted += fmt::format("\\x{:02x}", byte);
    } else {
      quoted += c;
    }
  }
  if (end < text.size()) quoted += "...";
  return quoted;
}

// simdjson's own words, except where they are vaguer than they need be.
std::string_view error_text(simdjson::error_code code) {
  // The only two ways a string that passed stage 1 fails to unescape.
  if (code == simdjson::STRING_ERROR) return "bad escape or unpaired surrogate in a string";
  return simdjson::error_message(code);
}

std::string malformed(simdjson::error_code code) {
  if (code == simdjson::UTF8_ERROR) return "invalid UTF-8 in the message";
  return fmt::format("invalid JSON: {}", error_text(code));
}

std::string malformed(const FieldPath& path, simdjson::error_code code) {
  const std::string where = path.text();
  if (code == simdjson::UTF8_ERROR || where.empty()) return malformed(code);
  return fmt::format("field {}: invalid JSON: {}", where, error_text(code));
}

enum class NumberShape { integer, decimal, invalid };

// Classifies a token by the JSON number grammar, to tell "1.5 where an
// integer belongs" and "a number too large" from tokens that are not JSON.
NumberShape number_shape(std::string_view token) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') ++i;
    return i > start;
  };
  if (i < token.size() && token[i] == '-') ++i;
  if (i < token.size() && token[i] == '0') {
    ++i;
  } else if (!digits()) {
    return NumberShape::invalid;
  }
  bool decimal = false;
  if (i < token.size() && token[i] == '.') {
    ++i;
    if (!digits()) return NumberShape::invalid;
    decimal = true;
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
    if (!digits()) return NumberShape::invalid;
    decimal = true;
  }
  if (i != token.size()) return NumberShape::invalid;
  return decimal ? NumberShape::decimal : NumberShape::integer;
}

// The JSON type of a token, or nothing when it is no JSON value at all:
// on-demand judges scalars by their first byte, so "NaN", "tru" and
// "-Infinity" must be checked in full.
std::optional<std::string_view> json_type_of(simdjson::simdjson_result<od::json_type> type, std::string_view token) {
  od::json_type kind{};
  if (std::move(type).get(kind) != simdjson::SUCCESS) return std::nullopt;
  switch (kind) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::string: return "string";
    case od::json_type::number:
      if (number_shape(token) == NumberShape::invalid) return std::nullopt;
      return "number";
    case od::json_type::boolean:
      if (token != "true" && token != "false") return std::nullopt;
      return "boolean";
    case od::json_type::null:
      if (token != "null") return std::nullopt;
      return "null";
  }
  return std::nullopt;
}

std::string unexpected(const FieldPath& path, std::string_view expected, od::value& value) {
  const std::string_view token = trimmed(value.raw_json_token());
  if (auto actual = json_type_of(value.type(), token)) {
    return fmt::format("field {}: expected {}, got {}", path.text(), expected, *actual);
  }
  return fmt::format("field {}: invalid JSON value {}", path.text(), excerpt(token));
}

bool is_null(od::value& value) {
  bool null = false;
  return value.is_null().get(null) == simdjson::SUCCESS && null;
}

// Why `value` is not the number a field wants, or nothing when it is null,
// which counts as absent.
template <bool kInteger>
[[gnu::cold]] std::optional<std::string> number_problem(od::value& value, const FieldPath& path,
                                                        simdjson::error_code error) {
  if (error == simdjson::INCORRECT_TYPE && is_null(value)) return std::nullopt;
  if (error != simdjson::INCORRECT_TYPE && error != simdjson::NUMBER_ERROR && error != simdjson::NUMBER_OUT_OF_RANGE) {
    return malformed(path, error);
  }
  const std::string_view token = trimmed(value.raw_json_token());
  const NumberShape shape = number_shape(token);
  if (shape == NumberShape::invalid) return unexpected(path, kInteger ? "an integer" : "a number", value);
  if (kInteger && shape == NumberShape::decimal) {
    return fmt::format("field {}: expected an integer, got {}", path.text(), excerpt(token));
  }
  return fmt::format("field {}: {} is out of range for {}", path.text(), excerpt(token),
                     kInteger ? "a 64-bit integer" : "a double");
}

// Why `value` is not the string, object or array a field wants, or nothing
// when it is null.
[[gnu::cold]] std::optional<std::string> type_problem(od::value& value, const FieldPath& path,
                                                      simdjson::error_code error, std::string_view expected) {
  if (error != simdjson::INCORRECT_TYPE) return malformed(path, error);
  if (is_null(value)) return std::nullopt;
  return unexpected(path, expected, value);
}

// How deep an ignored value may nest. Real payloads nest three levels; the
// bound keeps the recursion below short and clear of simdjson's own limit.
constexpr int kMaxIgnoredDepth = 64;

// Why `value`, which nobody reads, is not valid JSON; nothing when it is.
// On-demand skips unread values unchecked and would accept "extra":[1,,2].
// In an `escape_free` message stage 1 has already checked every string.
std::optional<std::string> json_problem(od::value& value, bool escape_free, int depth = 0) {
  const auto invalid_value = [&] { return fmt::format("invalid JSON value {}", excerpt(trimmed(value.raw_json_token()))); };
  const auto invalid = [](simdjson::error_code error) { return fmt::format("invalid JSON: {}", error_text(error)); };
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return invalid_value();
  if (depth == kMaxIgnoredDepth && (type == od::json_type::object || type == od::json_type::array)) {
    return fmt::format("nested more than {} levels deep", kMaxIgnoredDepth);
  }
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (const auto error = value.get_object().get(object)) return invalid(error);
      for (auto entry : object) {
        if (const auto error = entry.error()) return invalid(error);
        od::field& field = entry.value_unsafe();
        std::string_view key;
        if (!escape_free) {
          if (const auto error = field.unescaped_key().get(key)) return invalid(error);
        }
        if (auto problem = json_problem(field.value(), escape_free, depth + 1)) return problem;
      }
      return std::nullopt;
    }
    case od::json_type::array: {
      od::array array;
      if (const auto error = value.get_array().get(array)) return invalid(error);
      for (auto element : array) {
        if (const auto error = element.error()) return invalid(error);
        if (auto problem = json_problem(element.value_unsafe(), escape_free, depth + 1)) return problem;
      }
      return std::nullopt;
    }
    case od::json_type::string: {
      if (escape_free) return std::nullopt;
      std::string_view text;
      if (const auto error = value.get_string().get(text)) return invalid(error);
      return std::nullopt;
    }
    case od::json_type::number:
      if (number_shape(trimmed(value.raw_json_token())) == NumberShape::invalid) return invalid_value();
      return std::nullopt;
    case od::json_type::boolean: {
      bool flag = false;
      if (value.get_bool().get(flag) != simdjson::SUCCESS) return invalid_value();
      return std::nullopt;
    }
    case od::json_type::null:
      if (!is_null(value)) return invalid_value();
      return std::nullopt;
  }
  return invalid_value();
}

// ---------------------------------------------------------------------------
// Reading.

// A known key packed with its closing quote into 16 bytes, so that a raw key
// in the padded input is compared with two loads and no search for its end.
class PackedKey {
 public:
  template <std::size_t N>
  consteval PackedKey(const char (&literal)[N]) : text_(literal, N - 1) {  // NOLINT: implicit so tables read naturally
    const std::string_view text = text_;
    if (text.empty() || text.size() >= 16) throw "a known key must be 1 to 15 bytes long";
    for (std::size_t i = 0; i <= text.size(); ++i) {
      const auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(i < text.size() ? text[i] : '"'));
      word_[i / 8] |= byte << (8 * (i % 8));
      mask_[i / 8] |= std::uint64_t{0xFF} << (8 * (i % 8));
    }
  }

  std::string_view text() const { return text_; }

  // `raw` points just past a key's opening quote, at least 16 bytes before
  // the end of simdjson's padding.
  bool matches_raw(const char* raw) const {
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    std::memcpy(&low, raw, 8);
    std::memcpy(&high, raw + 8, 8);
    return ((low & mask_[0]) == word_[0]) & ((high & mask_[1]) == word_[1]);
  }

 private:
  std::string_view text_;
  std::uint64_t word_[2] = {0, 0};
  std::uint64_t mask_[2] = {0, 0};
};

static_assert(std::endian::native == std::endian::little, "PackedKey compares little-endian loads");

// An object key. OWM's keys are plain ASCII: in a message without a single
// backslash, keys are compared raw; otherwise each key is unescaped first.
class Key {
 public:
  static Key raw(const char* bytes) { return Key(bytes, {}); }
  static Key unescaped(std::string_view text) { return Key(nullptr, text); }

  bool is(const PackedKey& known) const { return raw_ != nullptr ? known.matches_raw(raw_) : unescaped_ == known.text(); }

  // For reasons only: a raw key is found by its closing quote, as a raw key
  // holds no escapes.
  std::string_view text() const {
    if (raw_ == nullptr) return unescaped_;
    return std::string_view(raw_, static_cast<std::size_t>(std::strchr(raw_, '"') - raw_));
  }

 private:
  Key(const char* raw, std::string_view unescaped) : raw_(raw), unescaped_(unescaped) {}

  const char* raw_;
  std::string_view unescaped_;
};

// Every value one message can carry, as read; finish() maps them onto the
// Observation. Strings are views into simdjson's buffer.
struct Fields {
  std::optional<double> lon, lat;
  std::optional<double> temp, feels_like, temp_min, temp_max, pressure, humidity, sea_level, grnd_level;
  std::optional<double> visibility;
  std::optional<double> wind_speed, wind_deg, wind_gust;
  std::optional<double> rain_1h, rain_3h, snow_1h, snow_3h;
  std::optional<double> clouds;
  std::optional<std::int64_t> dt, timezone, id, sunrise, sunset;
  std::optional<std::string_view> name, country;
  std::optional<std::int64_t> condition_id;
  std::optional<std::string_view> condition, icon;
  bool has_description = false;  // the descriptions are joined in a reused buffer
  std::optional<std::int64_t> cod_number;
  std::optional<std::string_view> cod_text, message;
};

// One entry of `weather`.
struct Condition {
  std::optional<std::int64_t> id;
  std::optional<std::string_view> main, description, icon;
};

// A known key of an object of scalars and the member of `Target` its value
// goes to: one of a number, an integer or a string.
template <class Target>
struct Slot {
  consteval Slot(PackedKey name, std::optional<double> Target::*target) : key(name), number(target) {}
  consteval Slot(PackedKey name, std::optional<std::int64_t> Target::*target) : key(name), integer(target) {}
  consteval Slot(PackedKey name, std::optional<std::string_view> Target::*target) : key(name), text(target) {}

  PackedKey key;
  std::optional<double> Target::*number = nullptr;
  std::optional<std::int64_t> Target::*integer = nullptr;
  std::optional<std::string_view> Target::*text = nullptr;
};

// The blocks of scalars, in the order OWM sends their keys.
constexpr Slot<Fields> kCoord[] = {{"lon", &Fields::lon}, {"lat", &Fields::lat}};
constexpr Slot<Fields> kMain[] = {
    {"temp", &Fields::temp},         {"feels_like", &Fields::feels_like}, {"temp_min", &Fields::temp_min},
    {"temp_max", &Fields::temp_max}, {"pressure", &Fields::pressure},     {"humidity", &Fields::humidity},
    {"sea_level", &Fields::sea_level}, {"grnd_level", &Fields::grnd_level}};
constexpr Slot<Fields> kWind[] = {{"speed", &Fields::wind_speed}, {"deg", &Fields::wind_deg}, {"gust", &Fields::wind_gust}};
constexpr Slot<Fields> kRain[] = {{"1h", &Fields::rain_1h}, {"3h", &Fields::rain_3h}};
constexpr Slot<Fields> kSnow[] = {{"1h", &Fields::snow_1h}, {"3h", &Fields::snow_3h}};
constexpr Slot<Fields> kClouds[] = {{"all", &Fields::clouds}};
constexpr Slot<Fields> kSys[] = {{"country", &Fields::country}, {"sunrise", &Fields::sunrise}, {"sunset", &Fields::sunset}};
constexpr Slot<Condition> kCondition[] = {{"id", &Condition::id},
                                          {"main", &Condition::main},
                                          {"description", &Condition::description},
                                          {"icon", &Condition::icon}};

enum class TopKey { coord, weather, base, main, visibility, wind, rain, snow, clouds, dt, sys, timezone, id, name, cod, message };

// In TopKey order, which is the order OWM sends them in. `base` is known
// only so that skipping it does not cost a search through the whole table.
constexpr PackedKey kTopKeys[] = {"coord", "weather", "base", "main", "visibility", "wind", "rain", "snow",
                                  "clouds", "dt", "sys", "timezone", "id", "name", "cod", "message"};
static_assert(std::size(kTopKeys) == static_cast<std::size_t>(TopKey::message) + 1);

const PackedKey& key_of(const PackedKey& key) { return key; }
template <class Target>
const PackedKey& key_of(const Slot<Target>& slot) {
  return slot.key;
}

constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

// Finds `key` in `table`, starting right after the previous match: keys
// usually come in table order, so the first comparison mostly succeeds.
template <class Entry, std::size_t N>
std::size_t find_key(const Key& key, const Entry (&table)[N], std::size_t& expected) {
  for (std::size_t tried = 0; tried < N; ++tried) {
    const std::size_t index = (expected + tried) % N;
    if (key.is(key_of(table[index]))) {
      expected = index + 1;
      return index;
    }
  }
  return kNotFound;
}

// Rejects a key seen twice in one object: with two "temp" keys it is
// unknowable which one the sender meant.
class KnownKeys {
 public:
  static constexpr std::size_t kCapacity = 16;

  bool first(std::size_t index) {
    const bool fresh = !seen_.test(index);
    seen_.set(index);
    return fresh;
  }

 private:
  std::bitset<kCapacity> seen_;
};

static_assert(std::size(kTopKeys) <= KnownKeys::kCapacity);

void assign(std::optional<std::string>& slot, std::optional<std::string_view> text) {
  if (!text) {
    slot.reset();
  } else if (slot) {
    slot->assign(*text);
  } else {
    slot.emplace(*text);
  }
}

double rounded(double value) { return std::round(value * kConversionScale) / kConversionScale; }

double to_celsius(double temperature, Units units) {
  switch (units) {
    case Units::standard: return rounded(temperature - kKelvinOffset);
    case Units::imperial: return rounded((temperature - 32.0) * 5.0 / 9.0);
    case Units::metric: return temperature;
  }
  return temperature;
}

std::optional<double> to_celsius(std::optional<double> temperature, Units units) {
  if (!temperature) return std::nullopt;
  return to_celsius(*temperature, units);
}

std::optional<double> to_metres_per_second(std::optional<double> speed, Units units) {
  if (!speed || units != Units::imperial) return speed;
  return rounded(*speed * kMetresPerSecondPerMph);
}

std::optional<std::int32_t> narrow(std::int64_t value) {
  if (value < INT32_MIN || value > INT32_MAX) return std::nullopt;
  return static_cast<std::int32_t>(value);
}

// Reads one payload into Fields. Every method returns false at the first
// problem and leaves the reason in problem(): the hot path builds neither a
// Result nor a string.
class PayloadReader {
 public:
  // `escape_free`: the message holds no backslash, so keys are compared raw
  // and strings are valid without unescaping. `descriptions` is a buffer
  // kept across messages.
  PayloadReader(bool escape_free, std::string& descriptions)
      : escape_free_(escape_free), descriptions_(descriptions) {}

  bool read(od::object& root);
  // Checks what the whole message must hold and fills `out` from it.
  bool finish(Units units, Observation& out);
  std::string& problem() { return problem_; }

 private:
  [[gnu::cold]] bool fail(std::string reason) {
    problem_ = std::move(reason);
    return false;
  }
  template <class T>
  bool absent_or_fail(std::optional<std::string> reason, std::optional<T>& out) {
    if (reason) return fail(std::move(*reason));
    out.reset();
    return true;
  }
  bool first(KnownKeys& seen, std::size_t index, const FieldPath& path) {
    return seen.first(index) || fail(fmt::format("duplicate field {}", path.text()));
  }

  bool read_value(od::value& value, const FieldPath& path, std::optional<double>& out);
  bool read_value(od::value& value, const FieldPath& path, std::optional<std::int64_t>& out);
  bool read_value(od::value& value, const FieldPath& path, std::optional<std::string_view>& out);
  bool read_key(od::field& field, const FieldPath& object, Key& key) {
    if (!escape_free_) return read_escaped_key(field, object, key);
    key = Key::raw(field.key().raw());
    return true;
  }
  bool read_escaped_key(od::field& field, const FieldPath& object, Key& key);
  template <class OnField>
  bool for_each_field(od::value& value, const FieldPath& path, OnField&& on_field);
  template <class Target, std::size_t N>
  bool read_block(od::value& value, const FieldPath& path, const Slot<Target> (&slots)[N], Target& target);
  bool read_field(TopKey which, od::value& value);
  bool read_weather(od::value& value);
  bool read_condition(od::value& value, std::size_t index);
  bool read_cod(od::value& value);
  bool skip_unknown(od::value& value, const FieldPath& object, const Key& key);
  void append_description(std::string_view text);

  const bool escape_free_;
  std::string& descriptions_;
  Fields fields_;
  std::string problem_;
};

// A number, integer or decimal alike. JSON null counts as absent.
bool PayloadReader::read_value(od::value& value, const FieldPath& path, std::optional<double>& out) {
  double number = 0;
  if (const auto error = value.get_double().get(number)) {
    return absent_or_fail(number_problem<false>(value, path, error), out);
  }
  out = number;
  return true;
}

// Ids, Unix times and offsets are whole by definition: a decimal there means
// the sender is confused, so it is rejected rather than rounded.
bool PayloadReader::read_value(od::value& value, const FieldPath& path, std::optional<std::int64_t>& out) {
  std::int64_t number = 0;
  if (const auto error = value.get_int64().get(number)) {
    return absent_or_fail(number_problem<true>(value, path, error), out);
  }
  out = number;
  return true;
}

bool PayloadReader::read_value(od::value& value, const FieldPath& path, std::optional<std::string_view>& out) {
  std::string_view text;
  if (const auto error = value.get_string().get(text)) {
    return absent_or_fail(type_problem(value, path, error, "a string"), out);
  }
  out = text;
  return true;
}

bool PayloadReader::read_escaped_key(od::field& field, const FieldPath& object, Key& key) {
  std::string_view text;
  if (const auto error = field.unescaped_key().get(text)) return fail(malformed(object, error));
  key = Key::unescaped(text);
  return true;
}

// Calls `on_field(key, value)` for each field of the object at `path`, in
// the order they come; a null block is an absent one.
template <class OnField>
bool PayloadReader::for_each_field(od::value& value, const FieldPath& path, OnField&& on_field) {
  od::object object;
  if (const auto error = value.get_object().get(object)) {
    auto reason = type_problem(value, path, error, "an object");
    return !reason || fail(std::move(*reason));
  }
  for (auto entry : object) {
    if (const auto error = entry.error()) return fail(malformed(path, error));
    od::field& field = entry.value_unsafe();
    Key key = Key::raw(nullptr);
    if (!read_key(field, path, key) || !on_field(key, field.value())) return false;
  }
  return true;
}

// Unknown fields are ignored, once they are known to be valid JSON.
bool PayloadReader::skip_unknown(od::value& value, const FieldPath& object, const Key& key) {
  auto problem = json_problem(value, escape_free_);
  if (!problem) return true;
  return fail(fmt::format("field {}: {}", FieldPath{object.block, key.text(), object.index}.text(), *problem));
}

// An object of scalars: coord, main, wind, rain, snow, clouds, sys and each
// entry of weather.
template <class Target, std::size_t N>
bool PayloadReader::read_block(od::value& value, const FieldPath& path, const Slot<Target> (&slots)[N],
                               Target& target) {
  static_assert(N <= KnownKeys::kCapacity);
  KnownKeys seen;
  std::size_t expected = 0;
  return for_each_field(value, path, [&](const Key& key, od::value& v) {
    const std::size_t index = find_key(key, slots, expected);
    if (index == kNotFound) return skip_unknown(v, path, key);
    const Slot<Target>& slot = slots[index];
    const FieldPath field{path.block, slot.key.text(), path.index};
    if (!first(seen, index, field)) return false;
    if (slot.number) return read_value(v, field, target.*slot.number);
    if (slot.integer) return read_value(v, field, target.*slot.integer);
    return read_value(v, field, target.*slot.text);
  });
}

// Joins the descriptions of all conditions with ", ", in order.
void PayloadReader::append_description(std::string_view text) {
  if (text.empty()) return;
  if (fields_.has_description) {
    descriptions_ += ", ";
  } else {
    descriptions_.clear();
  }
  descriptions_ += text;
  fields_.has_description = true;
}

// Every entry is type-checked; the first one is the primary condition.
bool PayloadReader::read_condition(od::value& value, std::size_t index) {
  Condition condition;
  if (!read_block(value, {"weather", {}, index}, kCondition, condition)) return false;
  if (index == 0) {
    fields_.condition_id = condition.id;
    fields_.condition = condition.main;
    fields_.icon = condition.icon;
  }
  if (condition.description) append_description(*condition.description);
  return true;
}

bool PayloadReader::read_weather(od::value& value) {
  const FieldPath path{"weather"};
  od::array conditions;
  if (const auto error = value.get_array().get(conditions)) {
    auto reason = type_problem(value, path, error, "an array");
    return !reason || fail(std::move(*reason));
  }
  std::size_t index = 0;
  for (auto element : conditions) {
    if (const auto error = element.error()) return fail(malformed({"weather", {}, index}, error));
    if (!read_condition(element.value_unsafe(), index)) return false;
    ++index;
  }
  return true;
}

// `cod` is 200 on success; error payloads carry it as a string ("401") or a
// number (404), depending on the endpoint.
bool PayloadReader::read_cod(od::value& value) {
  std::int64_t number = 0;
  if (value.get_int64().get(number) == simdjson::SUCCESS) {
    fields_.cod_number = number;
    return true;
  }
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    fields_.cod_text = text;
    return true;
  }
  return is_null(value) || fail(unexpected({"cod"}, "an integer or a string", value));
}

bool PayloadReader::read_field(TopKey which, od::value& value) {
  const FieldPath path{kTopKeys[static_cast<std::size_t>(which)].text()};
  switch (which) {
    case TopKey::coord: return read_block(value, path, kCoord, fields_);
    case TopKey::weather: return read_weather(value);
    case TopKey::base: return true;  // skipped by read(), like every unknown field
    case TopKey::main: return read_block(value, path, kMain, fields_);
    case TopKey::visibility: return read_value(value, path, fields_.visibility);
    case TopKey::wind: return read_block(value, path, kWind, fields_);
    case TopKey::rain: return read_block(value, path, kRain, fields_);
    case TopKey::snow: return read_block(value, path, kSnow, fields_);
    case TopKey::clouds: return read_block(value, path, kClouds, fields_);
    case TopKey::dt: return read_value(value, path, fields_.dt);
    case TopKey::sys: return read_block(value, path, kSys, fields_);
    case TopKey::timezone: return read_value(value, path, fields_.timezone);
    case TopKey::id: return read_value(value, path, fields_.id);
    case TopKey::name: return read_value(value, path, fields_.name);
    case TopKey::cod: return read_cod(value);
    case TopKey::message: {
      // Only error payloads carry a textual message; anything else is ignored.
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) return skip_unknown(value, {}, Key::unescaped("message"));
      fields_.message = text;
      return true;
    }
  }
  return true;
}

bool PayloadReader::read(od::object& root) {
  KnownKeys seen;
  std::size_t expected = 0;
  for (auto entry : root) {
    if (const auto error = entry.error()) return fail(malformed(error));
    od::field& field = entry.value_unsafe();
    Key key = Key::raw(nullptr);
    if (!read_key(field, {}, key)) return false;
    const std::size_t index = find_key(key, kTopKeys, expected);
    if (index == kNotFound || static_cast<TopKey>(index) == TopKey::base) {
      if (!skip_unknown(field.value(), {}, key)) return false;
      continue;
    }
    if (!first(seen, index, {kTopKeys[index].text()})) return false;
    if (!read_field(static_cast<TopKey>(index), field.value())) return false;
  }
  return true;
}

bool PayloadReader::finish(Units units, Observation& out) {
  const Fields& f = fields_;
  // An error payload says so with a cod other than 200 and lacks the rest.
  if (f.cod_number && *f.cod_number != 200) {
    return fail(fmt::format("owm error cod={}: {}", *f.cod_number,
                            excerpt(f.message.value_or("no message"), kMaxOwmMessageBytes)));
  }
  if (f.cod_text && *f.cod_text != "200") {
    return fail(fmt::format("owm error cod={}: {}", excerpt(*f.cod_text),
                            excerpt(f.message.value_or("no message"), kMaxOwmMessageBytes)));
  }
  if (!f.id) return fail("missing field id");
  if (!f.dt) return fail("missing field dt");
  if (!f.temp) return fail("missing field main.temp");
  std::optional<std::int32_t> timezone;
  if (f.timezone && !(timezone = narrow(*f.timezone))) {
    return fail(fmt::format("field timezone: {} is out of range for a 32-bit integer", *f.timezone));
  }
  std::optional<std::int32_t> condition_id;
  if (f.condition_id && !(condition_id = narrow(*f.condition_id))) {
    return fail(fmt::format("field weather[0].id: {} is out of range for a 32-bit integer", *f.condition_id));
  }

  out.city_id = *f.id;
  out.city.assign(f.name.value_or(""));
  assign(out.country, f.country);
  out.observed_at = *f.dt;
  out.lat = f.lat;
  out.lon = f.lon;
  out.temp_c = to_celsius(*f.temp, units);
  out.feels_like_c = to_celsius(f.feels_like, units);
  out.temp_min_c = to_celsius(f.temp_min, units);
  out.temp_max_c = to_celsius(f.temp_max, units);
  out.pressure_hpa = f.pressure;
  out.sea_level_hpa = f.sea_level;
  out.grnd_level_hpa = f.grnd_level;
  out.humidity_pct = f.humidity;
  out.wind_speed_ms = to_metres_per_second(f.wind_speed, units);
  out.wind_deg = f.wind_deg;
  out.wind_gust_ms = to_metres_per_second(f.wind_gust, units);
  out.clouds_pct = f.clouds;
  out.visibility_m = f.visibility;
  out.rain_1h_mm = f.rain_1h;
  out.rain_3h_mm = f.rain_3h;
  out.snow_1h_mm = f.snow_1h;
  out.snow_3h_mm = f.snow_3h;
  out.condition_id = condition_id;
  assign(out.condition, f.condition);
  assign(out.description, f.has_description ? std::optional<std::string_view>(descriptions_) : std::nullopt);
  assign(out.icon, f.icon);
  out.timezone_s = timezone;
  out.sunrise = f.sunrise;
  out.sunset = f.sunset;
  out.ingested_at_ms = 0;
  out.source.clear();
  return true;
}

Error failure(std::string reason) { return make_error(Errc::parse, std::move(reason)); }

// Why the top level is not an object: a valid JSON value of another type,
// or no JSON at all.
Error top_level_problem(od::document& document) {
  std::string_view token;
  if (const auto error = document.raw_json_token().get(token)) return failure(malformed(error));
  token = trimmed(token);
  if (auto actual = json_type_of(document.type(), token)) {
    return failure(fmt::format("top level: expected an object, got {}", *actual));
  }
  // RFC 8259 forbids sending one; named, since it is invisible in an excerpt.
  if (token.starts_with("\xEF\xBB\xBF")) {
    return failure("invalid JSON: the message starts with a UTF-8 byte order mark");
  }
  return failure(fmt::format("invalid JSON: unexpected {}", excerpt(token)));
}

// Where the top-level value `json` starts with ends, by counting brackets
// outside strings; npos when it never closes.
[[gnu::cold]] std::size_t end_of_first_value(std::string_view json) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth <= 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Why simdjson rejected the message as a whole, in the most precise words the
// bytes allow. Not marked cold: measured, that made GCC compile the hot path
// of parse() into ~50 more instructions per message.
Error whole_message_problem(std::string_view json, simdjson::error_code code) {
  // Stage 1 reports a control character before invalid UTF-8; in binary
  // data the invalid UTF-8 is the news.
  if (code == simdjson::UNESCAPED_CHARS && !simdjson::validate_utf8(json.data(), json.size())) {
    return failure(malformed(simdjson::UTF8_ERROR));
  }
  // simdjson says "ended early" whenever the message does not end with the
  // object's closing brace, also when something follows a complete object
  // (such as a C string's terminating zero byte).
  if (code == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
    const std::size_t end = end_of_first_value(json);
    if (end != std::string_view::npos && !trimmed(json.substr(end)).empty()) return failure(kTrailingContent);
  }
  return failure(malformed(code));
}

}  // namespace

struct OwmParser::Impl {
  od::parser parser;
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;
  std::string descriptions;

  // simdjson reads up to SIMDJSON_PADDING bytes past the end: copy into a
  // reused, padded buffer rather than allocating per message.
  std::string_view padded(std::string_view json) {
    const std::size_t needed = json.size() + simdjson::SIMDJSON_PADDING;
    if (needed > capacity) {
      capacity = std::max(needed, std::size_t{4096});
      buffer = std::make_unique<char[]>(capacity);
    }
    std::memcpy(buffer.get(), json.data(), json.size());
    std::memset(buffer.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
    return {buffer.get(), json.size()};
  }
};

OwmParser::OwmParser() : impl_(std::make_unique<Impl>()) {}
OwmParser::~OwmParser() = default;

Result<void> OwmParser::parse(std::string_view json, Units units, Observation& out) {
  if (json.empty()) return failure("empty message");
  if (json.size() > kMaxMessageBytes) {
    return failure(fmt::format("message of {} bytes exceeds the {} byte limit", json.size(), kMaxMessageBytes));
  }
  const std::string_view input = impl_->padded(json);
  od::document document;
  if (const auto error = impl_->parser.iterate(input.data(), input.size(), impl_->capacity).get(document)) {
    return whole_message_problem(json, error);
  }
  od::object root;
  if (const auto error = document.get_object().get(root)) {
    if (error != simdjson::INCORRECT_TYPE) return whole_message_problem(json, error);
    return top_level_problem(document);
  }
  const bool escape_free = std::memchr(json.data(), '\\', json.size()) == nullptr;
  PayloadReader reader(escape_free, impl_->descriptions);
  if (!reader.read(root)) return failure(std::move(reader.problem()));
  const char* trailing = nullptr;
  if (document.current_location().get(trailing) == simdjson::SUCCESS) {
    return failure(kTrailingContent);
  }
  if (!reader.finish(units, out)) return failure(std::move(reader.problem()));
  return {};
}

namespace {

// Physically plausible bounds of a normalised field, named by its OWM path.
struct Bounds {
  std::string_view path;
  std::optional<double> Observation::*field;
  double min;
  double max;
};

constexpr Bounds kBounds[] = {
    {"main.feels_like", &Observation::feels_like_c, -100, 70},
    {"main.temp_min", &Observation::temp_min_c, -100, 70},
    {"main.temp_max", &Observation::temp_max_c, -100, 70},
    {"main.pressure", &Observation::pressure_hpa, 300, 1100},
    {"main.sea_level", &Observation::sea_level_hpa, 300, 1100},
    {"main.grnd_level", &Observation::grnd_level_hpa, 300, 1100},
    {"main.humidity", &Observation::humidity_pct, 0, 100},
    {"wind.speed", &Observation::wind_speed_ms, 0, 150},
    {"wind.gust", &Observation::wind_gust_ms, 0, 150},
    {"wind.deg", &Observation::wind_deg, 0, 360},
    {"clouds.all", &Observation::clouds_pct, 0, 100},
    {"visibility", &Observation::visibility_m, 0, 100000},
    {"rain.1h", &Observation::rain_1h_mm, 0, 1000},
    {"rain.3h", &Observation::rain_3h_mm, 0, 1000},
    {"snow.1h", &Observation::snow_1h_mm, 0, 1000},
    {"snow.3h", &Observation::snow_3h_mm, 0, 1000},
    {"coord.lat", &Observation::lat, -90, 90},
    {"coord.lon", &Observation::lon, -180, 180},
};

// Written so that NaN, which compares false with everything, is out of range.
bool within(double value, double min, double max) { return value >= min && value <= max; }

Error out_of_range(std::string_view path, double value, double min, double max) {
  return failure(fmt::format("field {}: {} is out of range [{}, {}]", path, value, min, max));
}

}  // namespace

Result<void> validate(const Observation& o) {
  if (o.city_id <= 0) return failure(fmt::format("field id: {} is not a valid city id (must be > 0)", o.city_id));
  constexpr std::int64_t kYear2000 = 946684800;
  constexpr std::int64_t kYear2100 = 4102444800;
  if (o.observed_at < kYear2000 || o.observed_at >= kYear2100) {
    return failure(fmt::format("field dt: {} is out of range [{}, {}) (years 2000-2099)", o.observed_at, kYear2000,
                               kYear2100));
  }
  if (!within(o.temp_c, -100, 70)) return out_of_range("main.temp", o.temp_c, -100, 70);
  for (const Bounds& bounds : kBounds) {
    const std::optional<double>& value = o.*bounds.field;
    if (value && !within(*value, bounds.min, bounds.max)) {
      return out_of_range(bounds.path, *value, bounds.min, bounds.max);
    }
  }
  constexpr std::int32_t kMaxOffset = 18 * 3600;
  if (o.timezone_s && (*o.timezone_s < -kMaxOffset || *o.timezone_s > kMaxOffset)) {
    return failure(
        fmt::format("field timezone: {} is out of range [{}, {}] (±18 h)", *o.timezone_s, -kMaxOffset, kMaxOffset));
  }
  return {};
}

}  // namespace squall::processor

namespace squall::processor {

std::string_view rejection_kind(std::string_view reason) {
  const auto contains = [&](std::string_view part) { return reason.find(part) != std::string_view::npos; };
  if (reason == "empty message") return "empty";
  if (contains("invalid UTF-8")) return "invalid_utf8";
  if (contains("invalid JSON")) return "invalid_json";
  if (reason.starts_with("owm error")) return "owm_error";
  if (reason.starts_with("missing field")) return "missing_field";
  if (reason.starts_with("duplicate field")) return "duplicate_field";
  if (reason.starts_with("header ")) return "bad_header";
  if (reason.starts_with("message of ")) return "too_large";
  if (contains("levels deep")) return "too_deep";
  if (contains("out of range") || contains("is not a valid")) return "out_of_range";
  if (contains(": expected ")) return "wrong_type";
  return "other";
}

std::span<const std::string_view> rejection_kinds() {
  static constexpr std::array<std::string_view, 12> kKinds{
      "empty",        "invalid_utf8", "invalid_json", "wrong_type", "missing_field", "duplicate_field",
      "out_of_range", "owm_error",    "bad_header",   "too_large",  "too_deep",      "other"};
  return kKinds;
}

}  // namespace squall::processor
