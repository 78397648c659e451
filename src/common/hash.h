#pragma once
/// Small hash building blocks shared by stages (inline: hot loops use them).

#include <cstdint>

namespace k2 {

/// The finalizer of MurmurHash3 (fmix64): spreads a 64-bit key over every
/// bit. The Parquet writer's dictionaries hash with it; ClickHouse's intHash64
/// is it too (warm/city_hash.h).
inline uint64_t Fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace k2
