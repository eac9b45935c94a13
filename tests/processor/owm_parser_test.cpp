#include "processor/owm_parser.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace squall::processor {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(SQUALL_TESTDATA_DIR) + "/" + name, std::ios::binary);
  if (!in) ADD_FAILURE() << "missing fixture " << name;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The smallest valid record, with `extra` spliced in as further top-level fields.
std::string record(const std::string& extra = "") {
  std::string json = R"({"id":1,"dt":1700000000,"main":{"temp":280})";
  if (!extra.empty()) json += "," + extra;
  return json + "}";
}

// A record whose main block is `main`, with `extra` top-level fields.
std::string with_main(const std::string& main, const std::string& extra) {
  return R"({"id":1,"dt":1700000000,"main":{)" + main + "}," + extra + "}";
}

class OwmParserTest : public ::testing::Test {
 protected:
  Result<void> parse(std::string_view json, Units units = Units::standard) { return parser_.parse(json, units, out_); }

  // The reason `json` is rejected, or "<parsed>" when it is not.
  std::string reason_of(std::string_view json, Units units = Units::standard) {
    auto parsed = parse(json, units);
    if (parsed) return "<parsed>";
    EXPECT_EQ(parsed.error().code, Errc::parse);
    return parsed.error().message;
  }

  Observation parsed(const std::string& json, Units units = Units::standard) {
    auto result = parse(json, units);
    EXPECT_TRUE(result.ok()) << result.error().message;
    return out_;
  }

  OwmParser parser_;
  Observation out_;
};

// --- the shape of real data -------------------------------------------------

TEST_F(OwmParserTest, MapsEveryFieldOfTheDesignChicagoPayload) {
  const Observation o = parsed(fixture("chicago_standard.json"));
  EXPECT_EQ(o.city_id, 4887398);
  EXPECT_EQ(o.city, "Chicago");
  EXPECT_EQ(o.country, "US");
  EXPECT_EQ(o.observed_at, 1700000000);
  EXPECT_EQ(o.lat, 41.85);
  EXPECT_EQ(o.lon, -87.65);
  EXPECT_EQ(o.temp_c, 8.37);
  EXPECT_EQ(o.feels_like_c, 5.84);
  EXPECT_EQ(o.temp_min_c, 7.0);
  EXPECT_EQ(o.temp_max_c, 10.56);
  EXPECT_EQ(o.pressure_hpa, 1016);
  EXPECT_EQ(o.humidity_pct, 93);
  EXPECT_EQ(o.sea_level_hpa, 1016);
  EXPECT_EQ(o.grnd_level_hpa, 991);
  EXPECT_EQ(o.visibility_m, 10000);
  EXPECT_EQ(o.wind_speed_ms, 4.63);
  EXPECT_EQ(o.wind_deg, 180);
  EXPECT_EQ(o.wind_gust_ms, 7.2);
  EXPECT_EQ(o.rain_1h_mm, 0.25);
  EXPECT_EQ(o.rain_3h_mm, std::nullopt);
  EXPECT_EQ(o.snow_1h_mm, std::nullopt);
  EXPECT_EQ(o.snow_3h_mm, std::nullopt);
  EXPECT_EQ(o.clouds_pct, 75);
  EXPECT_EQ(o.condition_id, 803);
  EXPECT_EQ(o.condition, "Clouds");
  EXPECT_EQ(o.description, "broken clouds");
  EXPECT_EQ(o.icon, "04d");
  EXPECT_EQ(o.timezone_s, -21600);
  EXPECT_EQ(o.sunrise, 1699964400);
  EXPECT_EQ(o.sunset, 1700000940);
  EXPECT_EQ(o.ingested_at_ms, 0);
  EXPECT_EQ(o.source, "");
  EXPECT_TRUE(validate(o).ok());
}

TEST_F(OwmParserTest, AbsentOptionalBlocksStayEmptyNeverZero) {
  const Observation o = parsed(fixture("san_francisco_sparse.json"));
  EXPECT_EQ(o.city_id, 5391959);
  EXPECT_EQ(o.city, "");
  EXPECT_EQ(o.temp_c, 11.95);
  EXPECT_EQ(o.pressure_hpa, 1018);
  EXPECT_EQ(o.clouds_pct, 0);  // a real zero stays a zero
  EXPECT_EQ(o.description, "haze");
  for (const auto* absent : {&o.sea_level_hpa, &o.grnd_level_hpa, &o.visibility_m, &o.wind_gust_ms, &o.rain_1h_mm,
                             &o.rain_3h_mm, &o.snow_1h_mm, &o.snow_3h_mm}) {
    EXPECT_EQ(*absent, std::nullopt);
  }
  EXPECT_EQ(o.country, std::nullopt);
  EXPECT_TRUE(validate(o).ok());
}

TEST_F(OwmParserTest, OnlyIdDtAndTempAreRequired) {
  const Observation o = parsed(fixture("minimal.json"));
  EXPECT_EQ(o.city_id, 5391959);
  EXPECT_EQ(o.observed_at, 1700000000);
  EXPECT_EQ(o.temp_c, 16.85);
  for (const auto* absent :
       {&o.lat, &o.lon, &o.feels_like_c, &o.temp_min_c, &o.temp_max_c, &o.pressure_hpa, &o.sea_level_hpa,
        &o.grnd_level_hpa, &o.humidity_pct, &o.wind_speed_ms, &o.wind_deg, &o.wind_gust_ms, &o.clouds_pct,
        &o.visibility_m, &o.rain_1h_mm, &o.rain_3h_mm, &o.snow_1h_mm, &o.snow_3h_mm}) {
    EXPECT_EQ(*absent, std::nullopt);
  }
  EXPECT_EQ(o.country, std::nullopt);
  EXPECT_EQ(o.condition_id, std::nullopt);
  EXPECT_EQ(o.condition, std::nullopt);
  EXPECT_EQ(o.description, std::nullopt);
  EXPECT_EQ(o.icon, std::nullopt);
  EXPECT_EQ(o.timezone_s, std::nullopt);
  EXPECT_EQ(o.sunrise, std::nullopt);
  EXPECT_EQ(o.sunset, std::nullopt);
}

TEST_F(OwmParserTest, EveryOptionalBlockIsReadWhenPresent) {
  const Observation o = parsed(record(R"("rain":{"1h":0.5,"3h":1.5},"snow":{"1h":0.2,"3h":0.7},)"
                                      R"("wind":{"speed":3,"deg":90,"gust":9.5},"visibility":8000,)"
                                      R"("sys":{"country":"CH"},"name":"Bern")"));
  EXPECT_EQ(o.rain_1h_mm, 0.5);
  EXPECT_EQ(o.rain_3h_mm, 1.5);
  EXPECT_EQ(o.snow_1h_mm, 0.2);
  EXPECT_EQ(o.snow_3h_mm, 0.7);
  EXPECT_EQ(o.wind_gust_ms, 9.5);
  EXPECT_EQ(o.visibility_m, 8000);
  EXPECT_EQ(o.country, "CH");
  EXPECT_EQ(o.city, "Bern");
}

TEST_F(OwmParserTest, NullCountsAsAbsent) {
  const Observation o = parsed(
      R"({"id":1,"dt":1700000000,"main":{"temp":280,"humidity":null},"wind":{"speed":2,"gust":null},"rain":null,)"
      R"("weather":null,"visibility":null,"name":null,"timezone":null,"sys":{"country":null,"sunrise":null},"cod":null})");
  EXPECT_EQ(o.humidity_pct, std::nullopt);
  EXPECT_EQ(o.wind_speed_ms, 2);
  EXPECT_EQ(o.wind_gust_ms, std::nullopt);
  EXPECT_EQ(o.rain_1h_mm, std::nullopt);
  EXPECT_EQ(o.condition, std::nullopt);
  EXPECT_EQ(o.visibility_m, std::nullopt);
  EXPECT_EQ(o.city, "");
  EXPECT_EQ(o.timezone_s, std::nullopt);
  EXPECT_EQ(o.country, std::nullopt);
  EXPECT_EQ(o.sunrise, std::nullopt);
}

TEST_F(OwmParserTest, SeveralConditionsKeepTheFirstAndEveryDescription) {
  const Observation o = parsed(fixture("sao_paulo_metric_multi_weather.json"), Units::metric);
  EXPECT_EQ(o.condition_id, 501);
  EXPECT_EQ(o.condition, "Rain");
  EXPECT_EQ(o.icon, "10n");
  EXPECT_EQ(o.description, "moderate rain, mist");

  const Observation three = parsed(record(R"("weather":[{"id":200,"main":"Thunderstorm","description":)"
                                         R"("thunderstorm with light rain","icon":"11d"},{"id":701,"main":"Mist",)"
                                         R"("description":"mist","icon":"50d"},{"id":741,"main":"Fog","description":)"
                                         R"("fog","icon":"50d"}])"));
  EXPECT_EQ(three.condition_id, 200);
  EXPECT_EQ(three.description, "thunderstorm with light rain, mist, fog");

  const Observation none = parsed(record(R"("weather":[])"));
  EXPECT_EQ(none.condition_id, std::nullopt);
  EXPECT_EQ(none.description, std::nullopt);
}

TEST_F(OwmParserTest, NumbersMayBeIntegersOrDecimalsEverywhere) {
  const Observation integers = parsed(
      R"({"coord":{"lon":-87,"lat":41},"main":{"temp":281,"feels_like":279,"temp_min":280,"temp_max":283,)"
      R"("pressure":1016,"humidity":93,"sea_level":1016,"grnd_level":991},"visibility":10000,)"
      R"("wind":{"speed":4,"deg":180,"gust":7},"rain":{"1h":1,"3h":2},"snow":{"1h":1,"3h":2},"clouds":{"all":75},)"
      R"("dt":1700000000,"id":4887398})");
  const Observation decimals = parsed(
      R"({"coord":{"lon":-87.0,"lat":41.0},"main":{"temp":281.0,"feels_like":279.0,"temp_min":280.0,)"
      R"("temp_max":283.0,"pressure":1016.0,"humidity":93.0,"sea_level":1016.0,"grnd_level":991.0},)"
      R"("visibility":10000.0,"wind":{"speed":4.0,"deg":180.0,"gust":7.0},"rain":{"1h":1.0,"3h":2.0},)"
      R"("snow":{"1h":1.0,"3h":2.0},"clouds":{"all":75.0},"dt":1700000000,"id":4887398})");
  EXPECT_EQ(integers, decimals);
  EXPECT_EQ(integers.temp_c, 7.85);
  EXPECT_EQ(integers.pressure_hpa, 1016);
  EXPECT_EQ(parsed(record(R"("visibility":1e4)")).visibility_m, 10000);
}

TEST_F(OwmParserTest, StandardUnitsAreKelvinAndMetresPerSecond) {
  const Observation o = parsed(
      with_main(R"("temp":281.52,"feels_like":273.15,"temp_min":0)", R"("wind":{"speed":10,"gust":12.5})"),
      Units::standard);
  EXPECT_EQ(o.temp_c, 8.37);
  EXPECT_EQ(o.feels_like_c, 0);
  EXPECT_EQ(o.temp_min_c, -273.15);
  EXPECT_EQ(o.wind_speed_ms, 10);
  EXPECT_EQ(o.wind_gust_ms, 12.5);
}

TEST_F(OwmParserTest, MetricUnitsPassThrough) {
  const Observation o =
      parsed(with_main(R"("temp":8.37,"temp_max":-3.5)", R"("wind":{"speed":4.63,"gust":7.2})"), Units::metric);
  EXPECT_EQ(o.temp_c, 8.37);
  EXPECT_EQ(o.temp_max_c, -3.5);
  EXPECT_EQ(o.wind_speed_ms, 4.63);
  EXPECT_EQ(o.wind_gust_ms, 7.2);
}

TEST_F(OwmParserTest, ImperialUnitsAreFahrenheitAndMilesPerHour) {
  const Observation o = parsed(with_main(R"("temp":50,"feels_like":32,"temp_min":-40,"temp_max":98.6)",
                                         R"("wind":{"speed":10,"deg":270,"gust":25},"visibility":10000)"),
                               Units::imperial);
  EXPECT_EQ(o.temp_c, 10);
  EXPECT_EQ(o.feels_like_c, 0);
  EXPECT_EQ(o.temp_min_c, -40);
  EXPECT_EQ(o.temp_max_c, 37);
  EXPECT_EQ(o.wind_speed_ms, 4.4704);
  EXPECT_EQ(o.wind_gust_ms, 11.176);
  EXPECT_EQ(o.wind_deg, 270);          // unit-independent
  EXPECT_EQ(o.visibility_m, 10000);    // metres whatever the units
}

TEST_F(OwmParserTest, ImperialPayloadWithSnowInAnotherKeyOrder) {
  const Observation o = parsed(fixture("zurich_imperial_snow.json"), Units::imperial);
  EXPECT_EQ(o.city, "Zürich");
  EXPECT_EQ(o.temp_c, 0);
  EXPECT_EQ(o.temp_max_c, 1);
  EXPECT_EQ(o.temp_min_c, -1);
  EXPECT_EQ(o.feels_like_c, -4);
  EXPECT_EQ(o.wind_speed_ms, 4.4704);
  EXPECT_EQ(o.snow_1h_mm, 0.8);
  EXPECT_EQ(o.condition, "Snow");
  EXPECT_EQ(o.pressure_hpa, 1005);
  EXPECT_TRUE(validate(o).ok());
}

TEST_F(OwmParserTest, KeyOrderDoesNotMatter) {
  const Observation in_order = parsed(fixture("chicago_standard.json"));
  const Observation reordered = parsed(fixture("chicago_reordered.json"));
  EXPECT_EQ(in_order, reordered);
}

TEST_F(OwmParserTest, NamesAreUtf8WhetherRawOrEscaped) {
  EXPECT_EQ(parsed(fixture("sao_paulo_metric_multi_weather.json"), Units::metric).city, "São Paulo");
  EXPECT_EQ(parsed(fixture("zurich_imperial_snow.json"), Units::imperial).city, "Zürich");
  // Python's json.dumps writes "S\u00e3o Paulo": same record, same result.
  EXPECT_EQ(parsed(fixture("sao_paulo_escaped.json"), Units::metric),
            parsed(fixture("sao_paulo_metric_multi_weather.json"), Units::metric));
}

TEST_F(OwmParserTest, EscapedKeysAreUnescapedBeforeMatching) {
  const Observation o = parsed(R"({"i\u0064":7,"dt":1700000000,"main":{"te\u006dp":273.15},"name":"a\/b"})");
  EXPECT_EQ(o.city_id, 7);
  EXPECT_EQ(o.temp_c, 0);
  EXPECT_EQ(o.city, "a/b");
}

TEST_F(OwmParserTest, UnknownFieldsAreIgnoredWhateverTheirShape) {
  const Observation o = parsed(record(R"("base":"stations","sys":{"type":2,"id":2075214,"message":0.01},)"
                                      R"("extra":{"nested":[1,{"a":null}]},"main2":{"temp":"x"},"tempp":1)"));
  EXPECT_EQ(o.temp_c, 6.85);
}

TEST_F(OwmParserTest, UnknownFieldsMustStillBeValidJson) {
  EXPECT_EQ(reason_of(record(R"("extra":[1,,2])")), "field extra: invalid JSON value ,");
  EXPECT_EQ(reason_of(record(R"("extra":tru)")), "field extra: invalid JSON value tru");
  EXPECT_EQ(reason_of(record(R"("base":{"a":[1,{"b":NaN}]})")), "field base: invalid JSON value NaN");
  EXPECT_EQ(reason_of(record(R"("extra":{"a" 1})")).rfind("field extra: invalid JSON: ", 0), 0u);
  EXPECT_EQ(reason_of(with_main(R"("temp":280,"pressure_x":01)", R"("dt2":0)")),
            "field main.pressure_x: invalid JSON value 01");
  EXPECT_EQ(reason_of(record(R"("weather":[{"id":800,"extra":-Infinity}])")),
            "field weather[0].extra: invalid JSON value -Infinity");
  EXPECT_EQ(reason_of(record(R"("message":nul)")), "field message: invalid JSON value nul");
  EXPECT_EQ(reason_of(record(R"("note":"\x")")).rfind("field note: invalid JSON: ", 0), 0u);
  EXPECT_TRUE(parse(record(R"("message":{"ok":[true,false,null,-1.5e3,"\u00e9"]})")).ok());
}

// --- error payloads ------------------------------------------------------------

TEST_F(OwmParserTest, ErrorPayloadsWithCodAsNumberOrString) {
  const std::string invalid_key =
      "owm error cod=401: Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.";
  EXPECT_EQ(reason_of(fixture("error_401.json")), invalid_key);
  EXPECT_EQ(reason_of(R"({"cod":"401","message":"Invalid API key. Please see https://openweathermap.org/faq#error401 for more info."})"),
            invalid_key);
  EXPECT_EQ(reason_of(fixture("error_404.json")), "owm error cod=404: city not found");
  EXPECT_EQ(reason_of(R"({"cod":404,"message":"city not found"})"), "owm error cod=404: city not found");
  EXPECT_EQ(reason_of(R"({"cod":"429"})"), "owm error cod=429: no message");
}

TEST_F(OwmParserTest, CodTwoHundredAsStringOrNumberIsSuccess) {
  EXPECT_TRUE(parse(record(R"("cod":"200")")).ok());
  EXPECT_TRUE(parse(record(R"("cod":200)")).ok());
  EXPECT_EQ(reason_of(record(R"("cod":true)")), "field cod: expected an integer or a string, got boolean");
}

TEST_F(OwmParserTest, LongErrorMessagesAreCutWithoutSplittingCharacters) {
  const std::string long_ascii = R"({"cod":"500","message":")" + std::string(500, 'x') + R"("})";
  EXPECT_EQ(reason_of(long_ascii), "owm error cod=500: " + std::string(120, 'x') + "...");

  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "é";  // two bytes each
  EXPECT_EQ(reason_of(R"({"cod":"500","message":"x)" + accents + R"("})"),
            "owm error cod=500: x" + accents.substr(0, 118) + "...");
}

// --- malformed input -------------------------------------------------------------

TEST_F(OwmParserTest, MissingRequiredFieldsAreNamed) {
  EXPECT_EQ(reason_of(R"({"dt":1700000000,"main":{"temp":280}})"), "missing field id");
  EXPECT_EQ(reason_of(R"({"id":1,"main":{"temp":280}})"), "missing field dt");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"pressure":1000}})"), "missing field main.temp");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000})"), "missing field main.temp");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":null}})"), "missing field main.temp");
  EXPECT_EQ(reason_of("{}"), "missing field id");
}

TEST_F(OwmParserTest, WrongTypesNameTheFieldAndWhatCame) {
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":"warm"}})"),
            "field main.temp: expected a number, got string");
  EXPECT_EQ(reason_of(R"({"id":"1","dt":1700000000,"main":{"temp":280}})"), "field id: expected an integer, got string");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":[1700000000],"main":{"temp":280}})"), "field dt: expected an integer, got array");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":[280]})"), "field main: expected an object, got array");
  EXPECT_EQ(reason_of(record(R"("weather":{})")), "field weather: expected an array, got object");
  EXPECT_EQ(reason_of(record(R"("weather":[{"main":"Rain"},{"description":7}])")),
            "field weather[1].description: expected a string, got number");
  EXPECT_EQ(reason_of(record(R"("weather":[{"id":"803"}])")), "field weather[0].id: expected an integer, got string");
  EXPECT_EQ(reason_of(record(R"("weather":[42])")), "field weather[0]: expected an object, got number");
  EXPECT_EQ(reason_of(record(R"("name":false)")), "field name: expected a string, got boolean");
  EXPECT_EQ(reason_of(record(R"("sys":{"country":1})")), "field sys.country: expected a string, got number");
  EXPECT_EQ(reason_of(record(R"("sys":{"sunrise":"06:00"})")), "field sys.sunrise: expected an integer, got string");
  EXPECT_EQ(reason_of(record(R"("wind":{"speed":{}})")), "field wind.speed: expected a number, got object");
  EXPECT_EQ(reason_of(record(R"("rain":{"1h":true})")), "field rain.1h: expected a number, got boolean");
  EXPECT_EQ(reason_of(record(R"("snow":"heavy")")), "field snow: expected an object, got string");
  EXPECT_EQ(reason_of(record(R"("coord":{"lat":"41.85"})")), "field coord.lat: expected a number, got string");
  EXPECT_EQ(reason_of(record(R"("clouds":{"all":[75]})")), "field clouds.all: expected a number, got array");
  EXPECT_EQ(reason_of(record(R"("visibility":"10km")")), "field visibility: expected a number, got string");
}

TEST_F(OwmParserTest, IntegerFieldsRejectDecimalsWithTheValue) {
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000.5,"main":{"temp":280}})"),
            "field dt: expected an integer, got 1700000000.5");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1.7e9,"main":{"temp":280}})"), "field dt: expected an integer, got 1.7e9");
  EXPECT_EQ(reason_of(R"({"id":4887398.0,"dt":1700000000,"main":{"temp":280}})"),
            "field id: expected an integer, got 4887398.0");
  EXPECT_EQ(reason_of(record(R"("timezone":-21600.0)")), "field timezone: expected an integer, got -21600.0");
  EXPECT_EQ(reason_of(record(R"("sys":{"sunset":1700000940.25})")),
            "field sys.sunset: expected an integer, got 1700000940.25");
  EXPECT_EQ(reason_of(record(R"("weather":[{"id":803.5}])")), "field weather[0].id: expected an integer, got 803.5");
}

TEST_F(OwmParserTest, NumbersTooLargeNameTheField) {
  EXPECT_EQ(reason_of(R"({"id":99999999999999999999,"dt":1700000000,"main":{"temp":280}})"),
            "field id: 99999999999999999999 is out of range for a 64-bit integer");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":-99999999999999999999,"main":{"temp":280}})"),
            "field dt: -99999999999999999999 is out of range for a 64-bit integer");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":1e999}})"),
            "field main.temp: 1e999 is out of range for a double");
  EXPECT_EQ(reason_of(record(R"("timezone":99999999999)")),
            "field timezone: 99999999999 is out of range for a 32-bit integer");
  EXPECT_EQ(reason_of(record(R"("weather":[{"id":4294967296}])")),
            "field weather[0].id: 4294967296 is out of range for a 32-bit integer");
  const std::string long_digits(400, '9');
  EXPECT_EQ(reason_of(record(R"("visibility":)" + long_digits)),
            "field visibility: " + long_digits.substr(0, 40) + "... is out of range for a double");
}

TEST_F(OwmParserTest, NonJsonNumbersAreRejected) {
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":NaN}})"), "field main.temp: invalid JSON value NaN");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":Infinity}})"),
            "field main.temp: invalid JSON value Infinity");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":-Infinity}})"),
            "field main.temp: invalid JSON value -Infinity");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":0281}})"), "field main.temp: invalid JSON value 0281");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":-}})"), "field main.temp: invalid JSON value -");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":tru}})"), "field main.temp: invalid JSON value tru");
  EXPECT_EQ(reason_of(record(R"("name":nul)")), "field name: invalid JSON value nul");
}

TEST_F(OwmParserTest, EmptyAndNonJsonInput) {
  EXPECT_EQ(reason_of(""), "empty message");
  EXPECT_EQ(reason_of("not json at all"), "invalid JSON: unexpected not");
  EXPECT_EQ(reason_of("   ").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(reason_of("<html>429 Too Many Requests</html>").rfind("invalid JSON: ", 0), 0u);
}

TEST_F(OwmParserTest, TopLevelMustBeAnObject) {
  EXPECT_EQ(reason_of("[1,2]"), "top level: expected an object, got array");
  EXPECT_EQ(reason_of("42"), "top level: expected an object, got number");
  EXPECT_EQ(reason_of(R"("weather")"), "top level: expected an object, got string");
  EXPECT_EQ(reason_of("null"), "top level: expected an object, got null");
  EXPECT_EQ(reason_of("true"), "top level: expected an object, got boolean");
}

TEST_F(OwmParserTest, EveryTruncationOfARealPayloadIsRejected) {
  const std::string json = fixture("chicago_standard.json");
  const std::string_view complete = std::string_view(json).substr(0, json.find_last_of('}') + 1);
  for (std::size_t length = 1; length < complete.size(); ++length) {
    const std::string reason = reason_of(complete.substr(0, length));
    EXPECT_NE(reason, "<parsed>") << "prefix of " << length << " bytes";
  }
  EXPECT_EQ(reason_of(R"({"coord":{"lon":1,"lat":2},"main":{"temp":280)").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":280},"name":"Chic)"),
            "invalid JSON: A string is opened, but never closed.");
}

TEST_F(OwmParserTest, TrailingContentAfterTheObjectIsRejected) {
  EXPECT_EQ(reason_of(record() + R"({"id":2})"), "invalid JSON: trailing content after the top-level object");
  EXPECT_EQ(reason_of(record() + "}"), "invalid JSON: trailing content after the top-level object");
  // simdjson itself calls these "ended early": the object is complete, but
  // the message does not end with its brace.
  const std::string trailing = "invalid JSON: trailing content after the top-level object";
  EXPECT_EQ(reason_of(record() + " trailing"), trailing);
  EXPECT_EQ(reason_of(record() + " 7"), trailing);
  EXPECT_EQ(reason_of(record() + std::string(1, '\0')), trailing);  // a C string's terminator
  EXPECT_EQ(reason_of(record(R"("name":"}\"{")") + "x"), trailing);  // brackets in strings do not count
  EXPECT_EQ(reason_of(R"({"id":1,"dt":)"), "invalid JSON: JSON document ended early in the middle of an object or array.");
  EXPECT_TRUE(parse(record() + " \r\n\t").ok());  // whitespace is not content
}

TEST_F(OwmParserTest, InvalidUtf8IsRejected) {
  EXPECT_EQ(reason_of(record("\"name\":\"Z\xfcrich\"")), "invalid UTF-8 in the message");  // Latin-1, not UTF-8
  EXPECT_EQ(reason_of(record("\"name\":\"\xe2\x82\"")), "invalid UTF-8 in the message");  // cut sequence
  EXPECT_EQ(reason_of(record("\"\xc0\xaf\":1")), "invalid UTF-8 in the message");         // overlong, in a key
  EXPECT_EQ(reason_of(record("\"name\":\"\xed\xa0\x80\"")), "invalid UTF-8 in the message");  // surrogate
}

TEST_F(OwmParserTest, InvalidEscapesAreRejected) {
  const std::string bad_string = "invalid JSON: bad escape or unpaired surrogate in a string";
  EXPECT_EQ(reason_of(record(R"("name":"\ud800")")), "field name: " + bad_string);
  EXPECT_EQ(reason_of(record(R"("name":"\udc00x")")), "field name: " + bad_string);
  EXPECT_EQ(reason_of(record(R"("name":"\ud83d\u0041")")), "field name: " + bad_string);
  EXPECT_EQ(reason_of(record(R"("name":"\q")")), "field name: " + bad_string);
  EXPECT_EQ(reason_of(record(R"("note":"\ud800")")), "field note: " + bad_string);  // ignored, still checked
  EXPECT_EQ(reason_of(record(R"("no\ud800te":1)")), bad_string);                   // in a key
}

TEST_F(OwmParserTest, BinaryDataIsInvalidUtf8NotAnUnescapedCharacter) {
  // Once binary data holds a quote, stage 1 sees control bytes "inside a
  // string" and reports them first; the invalid UTF-8 is what tells binary
  // data apart from a string with a raw tab in it.
  EXPECT_EQ(reason_of(std::string("\x1f\x8b\"\x01\xff\"\x08\x00", 8)), "invalid UTF-8 in the message");
  EXPECT_EQ(reason_of(record("\"name\":\"a\tb\"")),
            "invalid JSON: Within strings, some characters must be escaped, we found unescaped characters");
}

TEST_F(OwmParserTest, ControlBytesAreEscapedInReasons) {
  EXPECT_EQ(reason_of(std::string(16, '\0')), "invalid JSON: unexpected \\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                                              "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00");
  EXPECT_EQ(reason_of(record("\"extra\":tru\x7f")), "field extra: invalid JSON value tru\\x7f");
}

TEST_F(OwmParserTest, AByteOrderMarkIsNamed) {
  const std::string bom = "\xEF\xBB\xBF";
  EXPECT_EQ(reason_of(bom + record()), "invalid JSON: the message starts with a UTF-8 byte order mark");
  EXPECT_EQ(reason_of(bom + "[1]"), "invalid JSON: the message starts with a UTF-8 byte order mark");
}

TEST_F(OwmParserTest, DuplicateKeysAreAmbiguousAndRejected) {
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"dt":1700000600,"main":{"temp":280}})"), "duplicate field dt");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":280,"temp":290}})"), "duplicate field main.temp");
  EXPECT_EQ(reason_of(record(R"("weather":[{"id":1},{"main":"a","main":"b"}])")), "duplicate field weather[1].main");
  EXPECT_TRUE(parse(record(R"("base":"a","base":"b","other":1,"other":2)")).ok());  // ignored fields stay ignored
}

TEST_F(OwmParserTest, OversizedMessagesAreRejectedBeforeParsing) {
  const std::string huge(2 << 20, ' ');
  EXPECT_EQ(reason_of(huge), "message of 2097152 bytes exceeds the 1048576 byte limit");
}

TEST_F(OwmParserTest, DeeplyNestedJsonIsRejectedWithoutCrashing) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(parse(record(R"("extra":)" + nested(64))).ok());
  EXPECT_EQ(reason_of(record(R"("extra":)" + nested(65))), "field extra: nested more than 64 levels deep");
  // Right at and beyond simdjson's own depth limit of 1024.
  for (int depth : {1022, 1023, 1024, 1025, 5000}) {
    EXPECT_NE(reason_of(record(R"("extra":)" + nested(depth))), "<parsed>") << depth;
  }
  EXPECT_EQ(reason_of(record(R"("wind":)" + nested(500))), "field wind: expected an object, got array");
  EXPECT_NE(reason_of(nested(100000)), "<parsed>");
  EXPECT_NE(reason_of(std::string(100000, '{')), "<parsed>");
}

TEST_F(OwmParserTest, RandomCorruptionsAreRejectedOrParsedNeverCrash) {
  const std::string original = fixture("chicago_standard.json");
  std::mt19937 random(20231114);  // fixed seed: the same inputs on every run
  const char interesting[] = {'"', '\\', '{', '}', '[', ']', ',', ':', '-', '.', 'e', '0', '9', ' ', '\0', '\x80', '\xff'};
  int rejected = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string mutated = original;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int edit = 0; edit < edits && !mutated.empty(); ++edit) {
      const std::size_t at = random() % mutated.size();
      switch (random() % 3) {
        case 0: mutated[at] = interesting[random() % sizeof(interesting)]; break;
        case 1: mutated.erase(at, 1 + random() % 8); break;
        default: mutated.insert(at, 1, interesting[random() % sizeof(interesting)]); break;
      }
    }
    auto result = parse(mutated);
    if (!result) {
      ++rejected;
      EXPECT_EQ(result.error().code, Errc::parse);
      EXPECT_FALSE(result.error().message.empty());
      EXPECT_LT(result.error().message.size(), 300u) << "reasons quote excerpts, not payloads";
    }
  }
  EXPECT_GT(rejected, 1000);  // most corruptions break the JSON or a type
}

// --- reuse ---------------------------------------------------------------------

TEST_F(OwmParserTest, AGoodRecordAfterABadOneParsesCorrectly) {
  const Observation expected = parsed(fixture("chicago_standard.json"));
  const std::string bad_inputs[] = {record(R"("main":{"temp":"x"})"), "{\"id\":1,", "\xff", "[]", fixture("error_401.json"),
                                    record(R"("name":"S\u00e3o")") + "x"};
  for (int round = 0; round < 50; ++round) {
    for (const std::string& bad : bad_inputs) {
      EXPECT_NE(reason_of(bad), "<parsed>");
      Observation fresh;
      auto result = parser_.parse(fixture("chicago_standard.json"), Units::standard, fresh);
      ASSERT_TRUE(result.ok()) << result.error().message;
      EXPECT_EQ(fresh, expected);
    }
  }
}

TEST_F(OwmParserTest, AReusedObservationIsFullyOverwritten) {
  Observation reused = parsed(fixture("sao_paulo_metric_multi_weather.json"), Units::metric);
  reused.source = "replay";
  reused.ingested_at_ms = 1700000000123;
  for (const char* name : {"san_francisco_sparse.json", "minimal.json", "chicago_standard.json", "minimal.json"}) {
    Observation fresh;
    ASSERT_TRUE(parser_.parse(fixture(name), Units::standard, fresh).ok()) << name;
    ASSERT_TRUE(parser_.parse(fixture(name), Units::standard, reused).ok()) << name;
    EXPECT_EQ(reused, fresh) << name;
  }
}

TEST_F(OwmParserTest, ARejectedMessageLeavesTheObservationAlone) {
  const Observation before = parsed(fixture("chicago_standard.json"));
  EXPECT_FALSE(parse(fixture("error_404.json")).ok());
  EXPECT_FALSE(parse(R"({"id":1,"dt":1700000000,"main":{"temp":280,"humidity":"x"}})").ok());
  EXPECT_EQ(out_, before);
}

// --- validation ------------------------------------------------------------------

class ValidateTest : public ::testing::Test {
 protected:
  // A valid observation as the parser makes it, then changed by `edit`.
  template <class Edit>
  std::string reason_after(Edit edit) {
    Observation o;
    EXPECT_TRUE(OwmParser().parse(fixture("chicago_standard.json"), Units::standard, o).ok());
    edit(o);
    auto valid = validate(o);
    return valid ? "<valid>" : valid.error().message;
  }
};

TEST_F(ValidateTest, RealPayloadsAreValid) {
  EXPECT_EQ(reason_after([](Observation&) {}), "<valid>");
}

TEST_F(ValidateTest, OutOfRangeValuesNameTheOwmFieldAndTheBounds) {
  EXPECT_EQ(reason_after([](Observation& o) { o.humidity_pct = 140; }),
            "field main.humidity: 140 is out of range [0, 100]");
  EXPECT_EQ(reason_after([](Observation& o) { o.temp_c = 226.85; }), "field main.temp: 226.85 is out of range [-100, 70]");
  EXPECT_EQ(reason_after([](Observation& o) { o.feels_like_c = -100.5; }),
            "field main.feels_like: -100.5 is out of range [-100, 70]");
  EXPECT_EQ(reason_after([](Observation& o) { o.temp_min_c = 71; }), "field main.temp_min: 71 is out of range [-100, 70]");
  EXPECT_EQ(reason_after([](Observation& o) { o.temp_max_c = 80; }), "field main.temp_max: 80 is out of range [-100, 70]");
  EXPECT_EQ(reason_after([](Observation& o) { o.pressure_hpa = 101325; }),
            "field main.pressure: 101325 is out of range [300, 1100]");
  EXPECT_EQ(reason_after([](Observation& o) { o.sea_level_hpa = 200; }),
            "field main.sea_level: 200 is out of range [300, 1100]");
  EXPECT_EQ(reason_after([](Observation& o) { o.grnd_level_hpa = 1100.5; }),
            "field main.grnd_level: 1100.5 is out of range [300, 1100]");
  EXPECT_EQ(reason_after([](Observation& o) { o.wind_speed_ms = -3; }), "field wind.speed: -3 is out of range [0, 150]");
  EXPECT_EQ(reason_after([](Observation& o) { o.wind_gust_ms = 151; }), "field wind.gust: 151 is out of range [0, 150]");
  EXPECT_EQ(reason_after([](Observation& o) { o.wind_deg = 361; }), "field wind.deg: 361 is out of range [0, 360]");
  EXPECT_EQ(reason_after([](Observation& o) { o.clouds_pct = 101; }), "field clouds.all: 101 is out of range [0, 100]");
  EXPECT_EQ(reason_after([](Observation& o) { o.visibility_m = -1; }),
            "field visibility: -1 is out of range [0, 100000]");
  EXPECT_EQ(reason_after([](Observation& o) { o.rain_1h_mm = 1000.1; }), "field rain.1h: 1000.1 is out of range [0, 1000]");
  EXPECT_EQ(reason_after([](Observation& o) { o.rain_3h_mm = -0.1; }), "field rain.3h: -0.1 is out of range [0, 1000]");
  EXPECT_EQ(reason_after([](Observation& o) { o.snow_1h_mm = 5000; }), "field snow.1h: 5000 is out of range [0, 1000]");
  EXPECT_EQ(reason_after([](Observation& o) { o.snow_3h_mm = -2; }), "field snow.3h: -2 is out of range [0, 1000]");
  EXPECT_EQ(reason_after([](Observation& o) { o.lat = 91; }), "field coord.lat: 91 is out of range [-90, 90]");
  EXPECT_EQ(reason_after([](Observation& o) { o.lon = -180.5; }), "field coord.lon: -180.5 is out of range [-180, 180]");
  EXPECT_EQ(reason_after([](Observation& o) { o.observed_at = 12; }),
            "field dt: 12 is out of range [946684800, 4102444800) (years 2000-2099)");
  EXPECT_EQ(reason_after([](Observation& o) { o.observed_at = 4102444800; }),
            "field dt: 4102444800 is out of range [946684800, 4102444800) (years 2000-2099)");
  EXPECT_EQ(reason_after([](Observation& o) { o.city_id = 0; }), "field id: 0 is not a valid city id (must be > 0)");
  EXPECT_EQ(reason_after([](Observation& o) { o.city_id = -4; }), "field id: -4 is not a valid city id (must be > 0)");
  EXPECT_EQ(reason_after([](Observation& o) { o.timezone_s = 90000; }),
            "field timezone: 90000 is out of range [-64800, 64800] (±18 h)");
  EXPECT_EQ(reason_after([](Observation& o) { o.timezone_s = -64801; }),
            "field timezone: -64801 is out of range [-64800, 64800] (±18 h)");
}

TEST_F(ValidateTest, BoundsThemselvesAreValid) {
  EXPECT_EQ(reason_after([](Observation& o) {
              o.temp_c = -100;
              o.temp_max_c = 70;
              o.humidity_pct = 100;
              o.pressure_hpa = 300;
              o.grnd_level_hpa = 1100;
              o.wind_speed_ms = 0;
              o.wind_gust_ms = 150;
              o.wind_deg = 360;
              o.clouds_pct = 0;
              o.visibility_m = 100000;
              o.rain_1h_mm = 1000;
              o.lat = -90;
              o.lon = 180;
              o.observed_at = 946684800;
              o.timezone_s = -64800;
            }),
            "<valid>");
}

TEST_F(ValidateTest, NotANumberIsNeverInRange) {
  EXPECT_EQ(reason_after([](Observation& o) { o.temp_c = std::numeric_limits<double>::quiet_NaN(); }),
            "field main.temp: nan is out of range [-100, 70]");
  EXPECT_EQ(reason_after([](Observation& o) { o.wind_speed_ms = std::numeric_limits<double>::infinity(); }),
            "field wind.speed: inf is out of range [0, 150]");
}

TEST_F(ValidateTest, AbsentOptionalFieldsAreNotChecked) {
  EXPECT_EQ(reason_after([](Observation& o) {
              o.humidity_pct.reset();
              o.lat.reset();
              o.timezone_s.reset();
            }),
            "<valid>");
}

// The kind of every reason the parser and validator give, from real rejections.
TEST_F(OwmParserTest, EveryRejectionHasAKindForMetrics) {
  std::set<std::string_view> seen;
  const auto kind_of = [&](const std::string& json) {
    auto parsed = parse(json);
    if (parsed) parsed = validate(out_);
    EXPECT_FALSE(parsed.ok()) << json;
    if (parsed) return std::string("<accepted>");
    seen.insert(rejection_kind(parsed.error().message));
    return std::string(rejection_kind(parsed.error().message));
  };
  EXPECT_EQ(kind_of(""), "empty");
  EXPECT_EQ(kind_of("{\"id\":1,\"name\":\"\xff\xfe\"}"), "invalid_utf8");
  EXPECT_EQ(kind_of("{\"id\":1,"), "invalid_json");
  EXPECT_EQ(kind_of(R"({"id":"x","dt":1700000000,"main":{"temp":280}})"), "wrong_type");
  EXPECT_EQ(kind_of(R"({"id":1,"main":{"temp":280}})"), "missing_field");
  EXPECT_EQ(kind_of(R"({"id":1,"id":2,"dt":1700000000,"main":{"temp":280}})"), "duplicate_field");
  EXPECT_EQ(kind_of(record(R"("cod":401,"message":"Invalid API key")")), "owm_error");
  EXPECT_EQ(kind_of(R"({"id":1,"dt":1700000000,"main":{"temp":280,"humidity":140}})"), "out_of_range");
  EXPECT_EQ(kind_of(R"({"id":-5,"dt":1700000000,"main":{"temp":280}})"), "out_of_range");
  EXPECT_EQ(kind_of(std::string(2 << 20, ' ')), "too_large");
  EXPECT_EQ(kind_of(record(R"("extra":)" + std::string(65, '[') + std::string(65, ']'))), "too_deep");
  EXPECT_EQ(rejection_kind("header units: unknown unit system 'x'"), "bad_header");
  EXPECT_EQ(rejection_kind("something nobody planned for"), "other");
  seen.insert({"bad_header", "other"});
  // The list metrics export at 0 is exactly the kinds that occur.
  const auto listed = rejection_kinds();
  EXPECT_EQ(seen, std::set<std::string_view>(listed.begin(), listed.end()));
}

}  // namespace
}  // namespace squall::processor
