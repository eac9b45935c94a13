#include "processor/owm_parser.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace squall::processor {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(SQUALL_TESTDATA_DIR) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class OwmParserTest : public ::testing::Test {
 protected:
  Result<void> parse(std::string_view json, Units units = Units::standard) { return parser_.parse(json, units, out_); }
  std::string reason_of(std::string_view json, Units units = Units::standard) {
    auto parsed = parse(json, units);
    if (parsed) return "<parsed>";
    EXPECT_EQ(parsed.error().code, Errc::parse);
    return parsed.error().message;
  }
  OwmParser parser_;
  Observation out_;
};

TEST_F(OwmParserTest, ReadsEveryFieldOfTheDesignChicagoPayload) {
  auto parsed = parse(fixture("chicago_standard.json"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(out_.city_id, 4887398);
  EXPECT_EQ(out_.city, "Chicago");
  EXPECT_EQ(out_.country, "US");
  EXPECT_EQ(out_.observed_at, 1700000000);
  EXPECT_EQ(out_.lat, 41.85);
  EXPECT_EQ(out_.lon, -87.65);
  EXPECT_EQ(out_.temp_c, 8.37);
  EXPECT_EQ(out_.feels_like_c, 5.84);
  EXPECT_EQ(out_.temp_min_c, 7.0);
  EXPECT_EQ(out_.temp_max_c, 10.56);
  EXPECT_EQ(out_.pressure_hpa, 1016);
  EXPECT_EQ(out_.humidity_pct, 93);
  EXPECT_EQ(out_.sea_level_hpa, 1016);
  EXPECT_EQ(out_.grnd_level_hpa, 991);
  EXPECT_EQ(out_.visibility_m, 10000);
  EXPECT_EQ(out_.wind_speed_ms, 4.63);
  EXPECT_EQ(out_.wind_deg, 180);
  EXPECT_EQ(out_.wind_gust_ms, 7.2);
  EXPECT_EQ(out_.rain_1h_mm, 0.25);
  EXPECT_FALSE(out_.rain_3h_mm.has_value());
  EXPECT_FALSE(out_.snow_1h_mm.has_value());
  EXPECT_EQ(out_.clouds_pct, 75);
  EXPECT_EQ(out_.condition_id, 803);
  EXPECT_EQ(out_.condition, "Clouds");
  EXPECT_EQ(out_.description, "broken clouds");
  EXPECT_EQ(out_.icon, "04d");
  EXPECT_EQ(out_.timezone_s, -21600);
  EXPECT_EQ(out_.sunrise, 1699964400);
  EXPECT_EQ(out_.sunset, 1700000940);
  EXPECT_TRUE(validate(out_).ok());
}

TEST_F(OwmParserTest, OptionalBlocksAbsentStayEmptyNeverZero) {
  auto parsed = parse(fixture("minimal.json"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(out_.city_id, 5391959);
  EXPECT_EQ(out_.city, "");
  EXPECT_DOUBLE_EQ(out_.temp_c, 16.85);
  for (const auto* field : {&out_.lat, &out_.lon, &out_.feels_like_c, &out_.temp_min_c, &out_.temp_max_c,
                            &out_.pressure_hpa, &out_.sea_level_hpa, &out_.grnd_level_hpa, &out_.humidity_pct,
                            &out_.wind_speed_ms, &out_.wind_deg, &out_.wind_gust_ms, &out_.clouds_pct,
                            &out_.visibility_m, &out_.rain_1h_mm, &out_.rain_3h_mm, &out_.snow_1h_mm,
                            &out_.snow_3h_mm}) {
    EXPECT_FALSE(field->has_value());
  }
  EXPECT_FALSE(out_.country.has_value());
  EXPECT_FALSE(out_.condition.has_value());
  EXPECT_FALSE(out_.description.has_value());
  EXPECT_FALSE(out_.timezone_s.has_value());
  EXPECT_FALSE(out_.sunrise.has_value());
}

TEST_F(OwmParserTest, NullCountsAsAbsent) {
  ASSERT_TRUE(parse(R"({"id":1,"dt":1700000000,"main":{"temp":280,"humidity":null},"wind":{"gust":null},"rain":null})"));
  EXPECT_FALSE(out_.humidity_pct.has_value());
  EXPECT_FALSE(out_.wind_gust_ms.has_value());
  EXPECT_FALSE(out_.rain_1h_mm.has_value());
}

TEST_F(OwmParserTest, MetricPassesThroughAndKeepsEveryCondition) {
  auto parsed = parse(fixture("sao_paulo_metric_multi_weather.json"), Units::metric);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(out_.city, "São Paulo");
  EXPECT_EQ(out_.country, "BR");
  EXPECT_EQ(out_.temp_c, 19);
  EXPECT_EQ(out_.feels_like_c, 19.4);
  EXPECT_EQ(out_.temp_max_c, 20.5);
  EXPECT_EQ(out_.wind_speed_ms, 2.57);
  EXPECT_EQ(out_.condition_id, 501);
  EXPECT_EQ(out_.condition, "Rain");
  EXPECT_EQ(out_.icon, "10n");
  EXPECT_EQ(out_.description, "moderate rain, mist");
  EXPECT_EQ(out_.rain_1h_mm, 2.3);
  EXPECT_EQ(out_.rain_3h_mm, 5.1);
  EXPECT_EQ(out_.visibility_m, 3500);
  EXPECT_FALSE(out_.wind_gust_ms.has_value());
  EXPECT_TRUE(validate(out_).ok());
}

TEST_F(OwmParserTest, ImperialConvertsFahrenheitAndMilesPerHourInAnyKeyOrder) {
  auto parsed = parse(fixture("zurich_imperial_snow.json"), Units::imperial);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(out_.city, "Zürich");
  EXPECT_EQ(out_.temp_c, 0);
  EXPECT_EQ(out_.temp_max_c, 1);
  EXPECT_EQ(out_.temp_min_c, -1);
  EXPECT_EQ(out_.feels_like_c, -4);
  EXPECT_EQ(out_.wind_speed_ms, 4.4704);
  EXPECT_EQ(out_.snow_1h_mm, 0.8);
  EXPECT_EQ(out_.condition, "Snow");
  EXPECT_EQ(out_.pressure_hpa, 1005);  // unit-independent
}

TEST_F(OwmParserTest, SameTemperatureInEveryUnitSystem) {
  ASSERT_TRUE(parse(R"({"id":1,"dt":1700000000,"main":{"temp":283.15}})", Units::standard));
  EXPECT_EQ(out_.temp_c, 10);
  ASSERT_TRUE(parse(R"({"id":1,"dt":1700000000,"main":{"temp":10}})", Units::metric));
  EXPECT_EQ(out_.temp_c, 10);
  ASSERT_TRUE(parse(R"({"id":1,"dt":1700000000,"main":{"temp":50}})", Units::imperial));
  EXPECT_EQ(out_.temp_c, 10);
}

TEST_F(OwmParserTest, IntegersAndDecimalsAreBothNumbers) {
  ASSERT_TRUE(parse(R"({"id":1,"dt":1700000000,"main":{"temp":281,"pressure":1016.5,"humidity":93.0}})"));
  EXPECT_EQ(out_.temp_c, 7.85);
  EXPECT_EQ(out_.pressure_hpa, 1016.5);
  EXPECT_EQ(out_.humidity_pct, 93);
}

TEST_F(OwmParserTest, ErrorPayloadsWithCodAsNumberOrString) {
  EXPECT_EQ(reason_of(fixture("error_401.json")),
            "owm error cod=401: Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.");
  EXPECT_EQ(reason_of(fixture("error_404.json")), "owm error cod=404: city not found");
  EXPECT_EQ(reason_of(R"({"cod":"429"})"), "owm error cod=429: no message");
}

TEST_F(OwmParserTest, CodTwoHundredAsStringIsFine) {
  EXPECT_TRUE(parse(R"({"cod":"200","id":1,"dt":1700000000,"main":{"temp":280}})").ok());
}

TEST_F(OwmParserTest, LongErrorMessagesAreCut) {
  const std::string json = R"({"cod":"500","message":")" + std::string(500, 'x') + R"("})";
  const std::string reason = reason_of(json);
  EXPECT_LT(reason.size(), 160u);
  EXPECT_EQ(reason.substr(reason.size() - 3), "...");
}

TEST_F(OwmParserTest, MissingRequiredFieldsAreNamed) {
  EXPECT_EQ(reason_of(R"({"dt":1700000000,"main":{"temp":280}})"), "missing field id");
  EXPECT_EQ(reason_of(R"({"id":1,"main":{"temp":280}})"), "missing field dt");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"pressure":1000}})"), "missing field main.temp");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000})"), "missing field main.temp");
}

TEST_F(OwmParserTest, WrongTypesNameTheFieldAndTheType) {
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":"warm"}})"),
            "field main.temp: expected a number, got string");
  EXPECT_EQ(reason_of(R"({"id":"1","dt":1700000000,"main":{"temp":280}})"), "field id: expected an integer, got string");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000.5,"main":{"temp":280}})"),
            "field dt: expected an integer, got a decimal");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":[280]})"), "field main: expected an object, got array");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":280},"weather":{}})"),
            "field weather: expected an array, got object");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":280},"weather":[{"main":"Rain"},{"description":7}]})"),
            "field weather[1].description: expected a string, got number");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":280},"name":false})"),
            "field name: expected a string, got boolean");
}

TEST_F(OwmParserTest, MalformedJsonIsRejectedWithoutCrashing) {
  EXPECT_EQ(reason_of(""), "empty message");
  EXPECT_EQ(reason_of("[1,2]"), "invalid JSON: the top level is not an object");
  EXPECT_EQ(reason_of("42"), "invalid JSON: the top level is not an object");
  EXPECT_NE(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":28)").find("JSON"), std::string::npos);
  EXPECT_NE(reason_of("not json at all").find("JSON"), std::string::npos);
  EXPECT_NE(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":NaN}})").find("main.temp"), std::string::npos);
  EXPECT_NE(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":1e999}})").find("main.temp"), std::string::npos);
  EXPECT_NE(reason_of(R"({"id":99999999999999999999,"dt":1700000000,"main":{"temp":280}})").find("field id"),
            std::string::npos);
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":280}} trailing)").rfind("invalid JSON", 0), 0u);
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":280}}{"id":2})").rfind("invalid JSON", 0), 0u);
}

TEST_F(OwmParserTest, InvalidUtf8IsRejected) {
  const std::string json = "{\"id\":1,\"dt\":1700000000,\"main\":{\"temp\":280},\"name\":\"Z\xfcrich\"}";
  EXPECT_EQ(reason_of(json), "invalid UTF-8 in the message");
}

TEST_F(OwmParserTest, DuplicateKeysAreAmbiguousAndRejected) {
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"dt":1700000600,"main":{"temp":280}})"), "duplicate field dt");
  EXPECT_EQ(reason_of(R"({"id":1,"dt":1700000000,"main":{"temp":280,"temp":290}})"), "duplicate field main.temp");
}

TEST_F(OwmParserTest, OversizedMessagesAreRejectedBeforeParsing) {
  const std::string huge(2 << 20, ' ');
  EXPECT_NE(reason_of(huge).find("exceeds"), std::string::npos);
}

TEST_F(OwmParserTest, DeeplyNestedJsonDoesNotCrash) {
  // Unknown fields are skipped however deep they go...
  std::string extra = R"({"id":1,"dt":1700000000,"main":{"temp":280},"extra":)";
  extra += std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_TRUE(parse(extra).ok());
  // ...but nesting where a known block belongs is rejected, as is a deep top level.
  std::string deep_main = R"({"id":1,"dt":1700000000,"main":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_EQ(reason_of(deep_main), "field main: expected an object, got array");
  EXPECT_FALSE(parse(std::string(100000, '[') + std::string(100000, ']')).ok());
}

TEST_F(OwmParserTest, ParserIsReusableAfterAnError) {
  const std::string good = fixture("chicago_standard.json");
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(parse(R"({"id":1,"main":{"temp":"x"}})").ok());
    auto parsed = parse(good);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(out_.city, "Chicago");
    EXPECT_EQ(out_.rain_1h_mm, 0.25);
  }
  // Fields of a previous, richer record never leak into the next one.
  ASSERT_TRUE(parse(fixture("minimal.json")).ok());
  EXPECT_FALSE(out_.rain_1h_mm.has_value());
  EXPECT_FALSE(out_.country.has_value());
}

TEST(Validate, OutOfRangeValuesNameTheFieldAndTheBounds) {
  OwmParser parser;
  Observation o;
  ASSERT_TRUE(parser.parse(R"({"id":1,"dt":1700000000,"main":{"temp":280,"humidity":140}})", Units::standard, o));
  auto valid = validate(o);
  ASSERT_FALSE(valid.ok());
  EXPECT_EQ(valid.error().message, "field main.humidity: 140 is out of range [0, 100]");

  ASSERT_TRUE(parser.parse(R"({"id":1,"dt":1700000000,"main":{"temp":500}})", Units::standard, o));
  EXPECT_EQ(validate(o).error().message, "field main.temp: 226.85 is out of range [-100, 70]");

  ASSERT_TRUE(parser.parse(R"({"id":1,"dt":1700000000,"main":{"temp":280},"wind":{"speed":-3}})", Units::standard, o));
  EXPECT_EQ(validate(o).error().message, "field wind.speed: -3 is out of range [0, 150]");

  ASSERT_TRUE(parser.parse(R"({"id":1,"dt":1700000000,"main":{"temp":280},"coord":{"lat":91,"lon":0}})", Units::standard, o));
  EXPECT_EQ(validate(o).error().message, "field coord.lat: 91 is out of range [-90, 90]");

  ASSERT_TRUE(parser.parse(R"({"id":1,"dt":12,"main":{"temp":280}})", Units::standard, o));
  EXPECT_EQ(validate(o).error().message, "field dt: 12 is outside the years 2000-2099");

  ASSERT_TRUE(parser.parse(R"({"id":-4,"dt":1700000000,"main":{"temp":280}})", Units::standard, o));
  EXPECT_EQ(validate(o).error().message, "field id: -4 is not a valid city id");

  ASSERT_TRUE(parser.parse(R"({"id":1,"dt":1700000000,"main":{"temp":280},"timezone":90000})", Units::standard, o));
  EXPECT_EQ(validate(o).error().message, "field timezone: 90000 s is beyond ±18 h");
}

}  // namespace
}  // namespace squall::processor
