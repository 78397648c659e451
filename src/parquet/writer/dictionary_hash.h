#pragma once
/// Hashing and equality for the dictionary hash tables of the numeric and
/// byte-array column writers: inline, with no library call for the short
/// values that dominate dictionary columns.

#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>

#include "common/hash.h"

namespace k2::parquet {

/// Finalizer of MurmurHash3: spreads a 64-bit key over every bit.
inline uint64_t Mix64(uint64_t x) {
  return Fmix64(x);
}

/// The two (overlapping) words that cover a string of 4..16 bytes, or its
/// bytes folded for shorter ones: together with the length, they identify it.
inline void Words(std::string_view v, uint64_t& a, uint64_t& b) {
  const char* p = v.data();
  const size_t n = v.size();
  if (n >= 8) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t x, y;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    a = x;
    b = y;
  } else {
    a = n == 0
            ? 0
            : uint64_t{static_cast<uint8_t>(p[0])} | uint64_t{static_cast<uint8_t>(p[n / 2])} << 8 |
                  uint64_t{static_cast<uint8_t>(p[n - 1])} << 16;
    b = 0;
  }
}

/// Dictionary hash of a string: inline for the short strings that dominate
/// dictionary columns (symbols, exchanges), the library's beyond 16 bytes.
inline uint64_t HashBytes(std::string_view v) {
  if (v.size() > 16) return std::hash<std::string_view>{}(v);
  uint64_t a, b;
  Words(v, a, b);
  return Mix64(a ^ Mix64(b + v.size()));
}

/// String equality without a library call for strings of up to 16 bytes.
inline bool SameBytes(std::string_view x, std::string_view y) {
  if (x.size() != y.size()) return false;
  if (x.size() > 16) return std::memcmp(x.data(), y.data(), x.size()) == 0;
  uint64_t xa, xb, ya, yb;
  Words(x, xa, xb);
  Words(y, ya, yb);
  return xa == ya && xb == yb;
}

}  // namespace k2::parquet
