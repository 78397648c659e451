#pragma once
/// Bounds-checked page value decoders: bit unpacking, the RLE/bit-packing
/// hybrid (levels, dictionary indices, booleans), DELTA_BINARY_PACKED,
/// DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT. Every
/// decoder reports malformed input as a false/error return, never reads past
/// its buffer and never allocates more than the declared value count allows.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace k2::parquet {

/// Reads unsigned LEB128 varints and fixed-size values from a byte range.
class ByteCursor {
 public:
  ByteCursor(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* pos() const { return p_; }
  bool Skip(size_t n) {
    if (n > remaining()) return false;
    p_ += n;
    return true;
  }
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      uint8_t b = *p_++;
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool ZigZag(int64_t* v) {
    uint64_t z;
    if (!Varint(&z)) return false;
    *v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

/// Unpacks `n` values of `width` (0..64) bits, LSB first, from `src` holding
/// at least (n * width + 7) / 8 bytes.
inline void BitUnpack(const uint8_t* src, size_t n, int width, uint64_t* out) {
  if (width == 0) {
    std::memset(out, 0, n * sizeof(uint64_t));
    return;
  }
  const size_t total_bytes = (n * static_cast<size_t>(width) + 7) / 8;
  const uint64_t mask = width == 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1);
  size_t bit = 0;
  for (size_t i = 0; i < n; ++i, bit += static_cast<size_t>(width)) {
    size_t byte = bit >> 3;
    int shift = static_cast<int>(bit & 7);
    // Load up to 9 bytes little-endian without reading past total_bytes.
    unsigned __int128 acc = 0;
    size_t need = (static_cast<size_t>(shift + width) + 7) / 8;
    if (byte + 16 <= total_bytes) {
      uint64_t lo, hi;
      std::memcpy(&lo, src + byte, 8);
      std::memcpy(&hi, src + byte + 8, 8);
      acc = (static_cast<unsigned __int128>(hi) << 64) | lo;
    } else {
      for (size_t k = 0; k < need && byte + k < total_bytes; ++k) {
        acc |= static_cast<unsigned __int128>(src[byte + k]) << (8 * k);
      }
    }
    out[i] = static_cast<uint64_t>(acc >> shift) & mask;
  }
}

/// Decodes the RLE/bit-packing hybrid.
class RleDecoder {
 public:
  RleDecoder(const uint8_t* data, size_t size, int width) : cursor_(data, size), width_(width) {}

  /// Decodes exactly `n` values into `out`; false if the data runs out or is malformed.
  template <typename U>
  bool Get(U* out, size_t n) {
    if (width_ < 0 || width_ > 64) return false;
    size_t done = 0;
    while (done < n) {
      if (rle_left_ == 0 && packed_left_ == 0) {
        if (!NextRun()) return false;
      }
      if (rle_left_ > 0) {
        size_t k = std::min<size_t>(rle_left_, n - done);
        for (size_t i = 0; i < k; ++i) out[done + i] = static_cast<U>(rle_value_);
        rle_left_ -= k;
        done += k;
      } else {
        size_t k = std::min<size_t>(packed_left_, n - done);
        for (size_t i = 0; i < k; ++i) {
          out[done + i] = static_cast<U>(packed_[packed_pos_ + i]);
        }
        packed_pos_ += k;
        packed_left_ -= k;
        done += k;
      }
    }
    return true;
  }

 private:
  bool NextRun() {
    uint64_t header;
    if (!cursor_.Varint(&header)) return false;
    if (header & 1) {
      uint64_t groups = header >> 1;
      if (groups == 0 || groups > (1u << 24)) return false;
      size_t count = groups * 8;
      size_t bytes = count * static_cast<size_t>(width_) / 8;
      if (bytes > cursor_.remaining()) {
        // Tolerate a truncated last group (some writers omit padding bytes).
        bytes = cursor_.remaining();
        count = width_ == 0 ? count : bytes * 8 / static_cast<size_t>(width_);
        if (count == 0) return false;
      }
      packed_.resize(count);
      if (width_ == 0) {
        std::fill(packed_.begin(), packed_.end(), 0);
      } else {
        BitUnpack(cursor_.pos(), count, width_, packed_.data());
      }
      cursor_.Skip(bytes);
      packed_pos_ = 0;
      packed_left_ = count;
    } else {
      uint64_t count = header >> 1;
      if (count == 0) return false;
      size_t bytes = static_cast<size_t>((width_ + 7) / 8);
      if (bytes > cursor_.remaining()) return false;
      uint64_t v = 0;
      for (size_t i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(cursor_.pos()[i]) << (8 * i);
      cursor_.Skip(bytes);
      rle_value_ = v;
      rle_left_ = count;
    }
    return true;
  }

  ByteCursor cursor_;
  int width_;
  uint64_t rle_value_ = 0;
  uint64_t rle_left_ = 0;
  std::vector<uint64_t> packed_;
  size_t packed_pos_ = 0;
  size_t packed_left_ = 0;
};

/// DELTA_BINARY_PACKED decoder for int32 (T = int32_t) or int64 values.
/// `*consumed` receives the encoded length (DELTA_LENGTH/BYTE_ARRAY need it).
template <typename T>
bool DeltaDecode(const uint8_t* data, size_t size, size_t max_values, std::vector<T>* out,
                 size_t* consumed) {
  using U = std::make_unsigned_t<T>;
  ByteCursor c(data, size);
  uint64_t block, minis, total;
  int64_t first;
  if (!c.Varint(&block) || !c.Varint(&minis) || !c.Varint(&total) || !c.ZigZag(&first)) {
    return false;
  }
  if (block == 0 || block % 128 != 0 || block > (1u << 20) || minis == 0 || block % minis != 0 ||
      (block / minis) % 32 != 0) {
    return false;
  }
  if (total > max_values) return false;
  out->clear();
  out->reserve(total);
  if (total == 0) {
    *consumed = size - c.remaining();
    return true;
  }
  U last = static_cast<U>(first);
  out->push_back(static_cast<T>(last));
  const size_t per_mini = block / minis;
  std::vector<uint64_t> buf(per_mini);
  std::vector<uint8_t> widths(minis);
  while (out->size() < total) {
    int64_t min_delta;
    if (!c.ZigZag(&min_delta)) return false;
    if (c.remaining() < minis) return false;
    std::memcpy(widths.data(), c.pos(), minis);
    c.Skip(minis);
    for (size_t m = 0; m < minis && out->size() < total; ++m) {
      int w = widths[m];
      if (w > static_cast<int>(sizeof(T) * 8)) return false;
      size_t bytes = per_mini * static_cast<size_t>(w) / 8;
      if (bytes > c.remaining()) return false;
      BitUnpack(c.pos(), per_mini, w, buf.data());
      c.Skip(bytes);
      size_t take = std::min<size_t>(per_mini, total - out->size());
      for (size_t i = 0; i < take; ++i) {
        last = static_cast<U>(last + static_cast<U>(min_delta) + static_cast<U>(buf[i]));
        out->push_back(static_cast<T>(last));
      }
    }
  }
  *consumed = size - c.remaining();
  return true;
}

/// Splits BYTE_STREAM_SPLIT data of `n` values of `width` bytes back into values.
inline bool ByteStreamSplitDecode(const uint8_t* data, size_t size, size_t n, size_t width,
                                  uint8_t* out) {
  if (width == 0 || n * width > size) return false;
  for (size_t k = 0; k < width; ++k) {
    const uint8_t* stream = data + k * n;
    for (size_t i = 0; i < n; ++i) out[i * width + k] = stream[i];
  }
  return true;
}

}  // namespace k2::parquet
