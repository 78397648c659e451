#pragma once
/// Avro binary encoding of primitive values (spec "Binary Encoding"): zig-zag
/// varint int/long, little-endian float/double, length-prefixed bytes/string.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace k2::avro {

/// Appends Avro-encoded primitives to a growing byte buffer.
class Encoder {
 public:
  void WriteBool(bool v) { buf_.push_back(v ? 1 : 0); }
  void WriteLong(int64_t v);
  void WriteInt(int32_t v) { WriteLong(v); }
  void WriteFloat(float v);
  void WriteDouble(double v);
  /// Length-prefixed bytes (also used for strings).
  void WriteBytes(std::string_view v);
  /// Raw bytes without a length (fixed).
  void WriteFixed(std::string_view v) { buf_.append(v); }

  const std::string& buffer() const { return buf_; }
  std::string& mutable_buffer() { return buf_; }
  void Clear() { buf_.clear(); }

 private:
  std::string buf_;
};

/// Reads Avro-encoded primitives from a byte span. Every read is bounds
/// checked; errors are kCorrupt and name `context` (usually the file path) and
/// the byte offset `base_offset + position`.
class Decoder {
 public:
  Decoder(std::string_view data, std::string context, uint64_t base_offset = 0)
      : data_(data), context_(std::move(context)), base_(base_offset) {}

  Result<bool> ReadBool();
  Result<int64_t> ReadLong();
  Result<float> ReadFloat();
  Result<double> ReadDouble();
  /// Length-prefixed bytes; the view points into the decoder's input.
  Result<std::string_view> ReadBytes();
  Result<std::string_view> ReadFixed(size_t n);
  Status Skip(size_t n);
  /// Counts `n` more array/map items against the input's size: items of zero
  /// bytes (nulls) cannot make a small input claim billions of them.
  /// kCorrupt once the items decoded exceed the input's bytes.
  Status CountItems(uint64_t n);

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ >= data_.size(); }
  /// A kCorrupt error naming the context and current offset.
  Error CorruptError(std::string_view what) const;

 private:
  std::string_view data_;
  std::string context_;
  uint64_t base_ = 0;
  size_t pos_ = 0;
  uint64_t items_ = 0;
};

}  // namespace k2::avro
