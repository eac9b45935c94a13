#pragma once
// The observations the pipeline benchmark stores, made the way the pipeline
// makes them (simulated, parsed, normalised), for the physical-limit tools
// that insert the same rows without the pipeline around them.

#include <cstdint>
#include <vector>

#include "core/observation.hpp"

namespace squall::bench {

// Throws std::runtime_error if the simulator cannot start.
std::vector<Observation> simulated_observations(std::int64_t events, std::int64_t cities);

}  // namespace squall::bench
