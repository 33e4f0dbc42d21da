// Random numbers whose every output is specified bit for bit, so a seed means the same run on any
// machine, compiler or standard library (std::normal_distribution and friends are not specified).
//
//   - Uniform bits: xoshiro256** 1.0 (Blackman & Vigna), its state seeded by four outputs of
//     splitmix64 started at seed + stream * 0x9E3779B97F4A7C15 (a stream is an independent sequence
//     for one purpose: initialization, shuffling, ...).
//   - uniform(): the top 53 bits of next() times 2^-53, in [0, 1).
//   - below(n): Lemire's multiply-and-reject method, unbiased.
//   - normal(): Marsaglia's polar method on uniform() pairs, the logarithm computed by
//     portable_log (IEEE basic operations only, so it does not depend on the C library's log).
#pragma once

#include <cstdint>
#include <vector>

namespace simdml {

class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0);

  std::uint64_t next();                  // 64 uniform bits
  double uniform();                      // [0, 1)
  std::uint64_t below(std::uint64_t n);  // uniform in [0, n); n > 0
  double normal();                       // N(0, 1)

 private:
  std::uint64_t s_[4];
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

// Streams used by the library, fixed so that adding a use never shifts another's numbers.
enum RngStream : std::uint64_t {
  kInitStream = 1,
  kShuffleStream = 2,
  kSplitStream = 3,       // cross-validation folds
  kValidationStream = 4,  // the held-out validation rows
};

// Natural logarithm of a finite x > 0 to within about 1 ulp, from +, -, *, / and frexp alone.
double portable_log(double x);

// A uniformly random permutation of 0 .. n-1 (Fisher-Yates driven by rng.below).
std::vector<std::int64_t> random_permutation(std::int64_t n, Rng& rng);

}  // namespace simdml
