#pragma once
// Small, fully specified pseudo-random generators.
//
// The simulator promises the same bytes for the same seed on every machine.
// std::mt19937 alone would be reproducible, but the std distributions on top
// of it are not (each standard library implements them its own way), so the
// few distributions we need are written out here.

#include <cstdint>

namespace squall::sources {

// SplitMix64 step: advances `state` and returns a well-mixed 64-bit value.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A stateless hash of one value, for deriving per-city constants and seeds.
constexpr std::uint64_t mix64(std::uint64_t value) { return splitmix64(value); }

// xoshiro256**: fast, small state, good statistical quality.
class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix64(seed);
  }

  constexpr std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  bool chance(double probability) { return uniform() < probability; }

  // Approximately standard normal: the Irwin-Hall sum of four uniforms,
  // rescaled. Bounded to about ±3.5, which suits weather noise, and needs
  // no libm call whose last bit could differ between platforms.
  double normal() {
    const double sum = uniform() + uniform() + uniform() + uniform();
    return (sum - 2.0) * 1.7320508075688772;  // sqrt(3): the sum's variance is 1/3
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4]{};
};

}  // namespace squall::sources
