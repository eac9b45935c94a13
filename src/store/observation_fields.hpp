#pragma once
// Every field of squall::Observation with its column name, in struct order.
//
// The one list the SQLite tables and the CSV backup are generated from, so a
// field added to Observation needs one line here and nothing can drift out
// of order between binding, reading and printing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "core/observation.hpp"

namespace squall::store {

template <class T>
struct ObservationField {
  std::string_view column;
  T Observation::*member;
};

inline constexpr auto kObservationFields = std::tuple{
    ObservationField<std::int64_t>{"city_id", &Observation::city_id},
    ObservationField<std::string>{"city", &Observation::city},
    ObservationField<std::optional<std::string>>{"country", &Observation::country},
    ObservationField<std::int64_t>{"observed_at", &Observation::observed_at},
    ObservationField<std::optional<double>>{"lat", &Observation::lat},
    ObservationField<std::optional<double>>{"lon", &Observation::lon},
    ObservationField<double>{"temp_c", &Observation::temp_c},
    ObservationField<std::optional<double>>{"feels_like_c", &Observation::feels_like_c},
    ObservationField<std::optional<double>>{"temp_min_c", &Observation::temp_min_c},
    ObservationField<std::optional<double>>{"temp_max_c", &Observation::temp_max_c},
    ObservationField<std::optional<double>>{"pressure_hpa", &Observation::pressure_hpa},
    ObservationField<std::optional<double>>{"sea_level_hpa", &Observation::sea_level_hpa},
    ObservationField<std::optional<double>>{"grnd_level_hpa", &Observation::grnd_level_hpa},
    ObservationField<std::optional<double>>{"humidity_pct", &Observation::humidity_pct},
    ObservationField<std::optional<double>>{"wind_speed_ms", &Observation::wind_speed_ms},
    ObservationField<std::optional<double>>{"wind_deg", &Observation::wind_deg},
    ObservationField<std::optional<double>>{"wind_gust_ms", &Observation::wind_gust_ms},
    ObservationField<std::optional<double>>{"clouds_pct", &Observation::clouds_pct},
    ObservationField<std::optional<double>>{"visibility_m", &Observation::visibility_m},
    ObservationField<std::optional<double>>{"rain_1h_mm", &Observation::rain_1h_mm},
    ObservationField<std::optional<double>>{"rain_3h_mm", &Observation::rain_3h_mm},
    ObservationField<std::optional<double>>{"snow_1h_mm", &Observation::snow_1h_mm},
    ObservationField<std::optional<double>>{"snow_3h_mm", &Observation::snow_3h_mm},
    ObservationField<std::optional<std::int32_t>>{"condition_id", &Observation::condition_id},
    ObservationField<std::optional<std::string>>{"condition", &Observation::condition},
    ObservationField<std::optional<std::string>>{"description", &Observation::description},
    ObservationField<std::optional<std::string>>{"icon", &Observation::icon},
    ObservationField<std::optional<std::int32_t>>{"timezone_s", &Observation::timezone_s},
    ObservationField<std::optional<std::int64_t>>{"sunrise", &Observation::sunrise},
    ObservationField<std::optional<std::int64_t>>{"sunset", &Observation::sunset},
    ObservationField<std::int64_t>{"ingested_at_ms", &Observation::ingested_at_ms},
    ObservationField<std::string>{"source", &Observation::source},
};

// Calls `visit(field)` for every field, in order.
template <class Visitor>
void for_each_observation_field(Visitor&& visit) {
  std::apply([&](const auto&... field) { (visit(field), ...); }, kObservationFields);
}

}  // namespace squall::store
