#pragma once
/// The hash functions behind ClickHouse's cityHash64(...), so k2 can compute a
/// row's hash from the values it decoded and get the number the server would:
///   - CityHash64: CityHash v1.0.2, the version ClickHouse bundles
///     (contrib/cityhash102; later CityHash versions give other numbers);
///   - Hash128to64: how cityHash64 combines its arguments' hashes, left to
///     right (the hash so far is the low half, the next argument's the high);
///   - IntHash64: how cityHash64 hashes a number argument (IntHash64Impl: the
///     MurmurHash3 finalizer of the value xor a constant) instead of its bytes: the value's bytes
///     zero-extended to 64 bits (an Int8 -1 is 0xFF, a Float64 its bits).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/hash.h"

namespace k2::warm {

uint64_t CityHash64(const char* s, size_t len);
inline uint64_t CityHash64(std::string_view s) {
  return CityHash64(s.data(), s.size());
}

inline uint64_t Hash128to64(uint64_t low, uint64_t high) {
  constexpr uint64_t kMul = 0x9ddfea08eb382d69ULL;
  uint64_t a = (low ^ high) * kMul;
  a ^= a >> 47;
  uint64_t b = (high ^ a) * kMul;
  b ^= b >> 47;
  return b * kMul;
}

inline uint64_t IntHash64(uint64_t x) {
  return Fmix64(x ^ 0x4CF2D2BAAE6DA887ULL);  // IntHash64Impl's salt, then intHash64
}

}  // namespace k2::warm
