#pragma once
/// Page value encoders, templated on the value type (no per-value virtual
/// calls): the RLE/bit-packing hybrid (levels, dictionary indices) and
/// DELTA_BINARY_PACKED (integers). PLAIN needs no encoder beyond memcpy.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

namespace k2::parquet {

/// Appends an unsigned LEB128 varint.
inline void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline uint64_t ZigZag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

/// Bits needed to represent `max_value` (0 for 0).
inline int BitWidth(uint64_t max_value) {
  return max_value == 0 ? 0 : 64 - std::countl_zero(max_value);
}

/// Appends `n` values of `width` bits each, LSB first, padded to whole bytes.
template <typename U>
void BitPack(const U* values, size_t n, int width, std::string* out) {
  if (width == 0) return;
  size_t bytes = (n * static_cast<size_t>(width) + 7) / 8;
  size_t start = out->size();
  out->resize(start + bytes);
  auto* dst = reinterpret_cast<uint8_t*>(out->data() + start);
  size_t pos = 0;
  if (width <= 32) {
    // 64-bit accumulator, flushed 32 bits at a time.
    const uint64_t mask = (uint64_t{1} << width) - 1;
    uint64_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; ++i) {
      acc |= (static_cast<uint64_t>(values[i]) & mask) << bits;
      bits += width;
      if (bits >= 32) {
        if (pos + 4 <= bytes) {
          auto word = static_cast<uint32_t>(acc);
          std::memcpy(dst + pos, &word, 4);
          pos += 4;
        } else {
          for (int k = 0; k < 4 && pos < bytes; ++k)
            dst[pos++] = static_cast<uint8_t>(acc >> (8 * k));
        }
        acc >>= 32;
        bits -= 32;
      }
    }
    while (bits > 0 && pos < bytes) {
      dst[pos++] = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
    return;
  }
  unsigned __int128 acc = 0;
  int bits = 0;
  uint64_t mask = width == 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1);
  for (size_t i = 0; i < n; ++i) {
    acc |= static_cast<unsigned __int128>(static_cast<uint64_t>(values[i]) & mask) << bits;
    bits += width;
    while (bits >= 8) {
      dst[pos++] = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) dst[pos++] = static_cast<uint8_t>(acc);
}

/// RLE/bit-packing hybrid encoding of `n` values below 2^width (without the
/// 4-byte length prefix that v1 level streams carry).
template <typename U>
void RleEncode(const U* v, size_t n, int width, std::string* out) {
  const size_t value_bytes = static_cast<size_t>((width + 7) / 8);
  auto run_at = [&](size_t i) {
    size_t r = 1;
    while (i + r < n && v[i + r] == v[i]) ++r;
    return r;
  };
  size_t i = 0;
  while (i < n) {
    size_t run = run_at(i);
    if (run >= 8) {
      AppendVarint(out, static_cast<uint64_t>(run) << 1);
      uint64_t value = static_cast<uint64_t>(v[i]);
      for (size_t b = 0; b < value_bytes; ++b) out->push_back(static_cast<char>(value >> (8 * b)));
      i += run;
      continue;
    }
    // Bit-packed groups of 8 until a run of 8 equal values starts or input ends.
    size_t start = i;
    size_t end = i;
    while (end < n) {
      end = std::min(end + 8, n);
      if (end >= n) break;
      if (run_at(end) >= 8) break;
    }
    size_t count = end - start;
    size_t groups = (count + 7) / 8;
    AppendVarint(out, (static_cast<uint64_t>(groups) << 1) | 1);
    if (count == groups * 8) {
      BitPack(v + start, count, width, out);
    } else {
      U padded[8] = {};
      size_t full = (count / 8) * 8;
      BitPack(v + start, full, width, out);
      for (size_t k = full; k < count; ++k) padded[k - full] = v[start + k];
      BitPack(padded, 8, width, out);
    }
    i = end;
  }
}

/// DELTA_BINARY_PACKED: block of 128 values, 4 miniblocks of 32. T is int32_t
/// or int64_t; deltas wrap in T's unsigned type as the spec allows.
template <typename T>
void DeltaEncode(const T* v, size_t n, std::string* out) {
  using U = std::make_unsigned_t<T>;
  constexpr size_t kBlock = 128, kMini = 4, kMiniSize = 32;
  AppendVarint(out, kBlock);
  AppendVarint(out, kMini);
  AppendVarint(out, n);
  AppendVarint(out, ZigZag64(n == 0 ? 0 : static_cast<int64_t>(v[0])));
  if (n <= 1) return;
  T deltas[kBlock];
  U packed[kBlock];
  size_t i = 1;
  while (i < n) {
    size_t count = std::min(kBlock, n - i);
    T min_delta = 0;
    for (size_t k = 0; k < count; ++k) {
      deltas[k] = static_cast<T>(static_cast<U>(v[i + k]) - static_cast<U>(v[i + k - 1]));
      if (k == 0 || deltas[k] < min_delta) min_delta = deltas[k];
    }
    AppendVarint(out, ZigZag64(static_cast<int64_t>(min_delta)));
    int widths[kMini] = {};
    for (size_t k = 0; k < count; ++k) {
      packed[k] = static_cast<U>(static_cast<U>(deltas[k]) - static_cast<U>(min_delta));
    }
    for (size_t m = 0; m < kMini; ++m) {
      size_t b = m * kMiniSize;
      if (b >= count) break;
      U mx = 0;
      for (size_t k = b; k < std::min(b + kMiniSize, count); ++k) mx |= packed[k];
      widths[m] = BitWidth(static_cast<uint64_t>(mx));
    }
    for (size_t m = 0; m < kMini; ++m) out->push_back(static_cast<char>(widths[m]));
    for (size_t m = 0; m < kMini; ++m) {
      size_t b = m * kMiniSize;
      if (b >= count) break;
      if (b + kMiniSize > count) {
        for (size_t k = count; k < b + kMiniSize; ++k) packed[k] = 0;
      }
      BitPack(packed + b, kMiniSize, widths[m], out);
    }
    i += count;
  }
}

}  // namespace k2::parquet
