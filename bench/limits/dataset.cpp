#include "dataset.hpp"

#include <stdexcept>
#include <stop_token>

#include "processor/owm_parser.hpp"
#include "sources/source.hpp"

namespace squall::bench {

std::vector<Observation> simulated_observations(std::int64_t events, std::int64_t cities) {
  sources::SimulatorOptions options;
  options.cities = cities;
  options.max_events = events;
  auto source = sources::make_simulator(options);
  if (!source) throw std::runtime_error(source.error().message);
  processor::OwmParser parser;
  std::vector<Observation> out;
  std::vector<sources::RawObservation> raw;
  while (true) {
    raw.clear();
    auto state = (*source)->next(raw, 4096, std::stop_token{});
    if (!state) throw std::runtime_error(state.error().message);
    for (const auto& r : raw) {
      Observation o;
      if (parser.parse(r.payload, r.units, o)) out.push_back(std::move(o));
    }
    if (*state == sources::SourceState::exhausted) return out;
  }
}

}  // namespace squall::bench
