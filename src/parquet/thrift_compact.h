#pragma once
/// A minimal Thrift compact-protocol encoder and a bounds-checked decoder,
/// enough for Parquet's footer and page headers. The decoder never allocates
/// more than the input can hold and never throws: every read checks the
/// remaining bytes and reports kCorrupt with the byte offset.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k2::parquet::thrift {

/// Compact-protocol type codes.
enum class CType : uint8_t {
  kStop = 0,
  kTrue = 1,
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

/// Appends compact-protocol bytes to a string. Fields must be written in
/// increasing id order within each struct (the delta encoding relies on it).
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void I32(int16_t id, int32_t v) {
    FieldHeader(id, CType::kI32);
    Varint(ZigZag(v));
  }
  void I64(int16_t id, int64_t v) {
    FieldHeader(id, CType::kI64);
    Varint(ZigZag(v));
  }
  void I8(int16_t id, int8_t v) {
    FieldHeader(id, CType::kByte);
    out_->push_back(static_cast<char>(v));
  }
  void Bool(int16_t id, bool v) { FieldHeader(id, v ? CType::kTrue : CType::kFalse); }
  void Binary(int16_t id, std::string_view v) {
    FieldHeader(id, CType::kBinary);
    RawBinary(v);
  }
  /// Starts a nested struct field; close it with EndStruct().
  void BeginStruct(int16_t id) {
    FieldHeader(id, CType::kStruct);
    stack_.push_back(last_id_);
    last_id_ = 0;
  }
  void EndStruct() {
    out_->push_back(0);
    last_id_ = stack_.back();
    stack_.pop_back();
  }
  /// Starts a list field of `size` elements of `elem` type.
  void BeginList(int16_t id, CType elem, size_t size) {
    FieldHeader(id, CType::kList);
    ListHeader(elem, size);
  }
  /// A struct element of a list; close with EndListStruct().
  void BeginListStruct() {
    stack_.push_back(last_id_);
    last_id_ = 0;
  }
  void EndListStruct() { EndStruct(); }
  /// Elements of lists of i32 / binary.
  void ListI32(int32_t v) { Varint(ZigZag(v)); }
  void ListBinary(std::string_view v) { RawBinary(v); }
  /// Ends the top-level struct.
  void Stop() { out_->push_back(0); }

 private:
  static uint64_t ZigZag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void FieldHeader(int16_t id, CType type) {
    int delta = id - last_id_;
    if (delta > 0 && delta <= 15) {
      out_->push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
    } else {
      out_->push_back(static_cast<char>(type));
      Varint(ZigZag(id));
    }
    last_id_ = id;
  }
  void ListHeader(CType elem, size_t size) {
    if (size < 15) {
      out_->push_back(static_cast<char>((size << 4) | static_cast<size_t>(elem)));
    } else {
      out_->push_back(static_cast<char>(0xF0 | static_cast<int>(elem)));
      Varint(size);
    }
  }
  void RawBinary(std::string_view v) {
    Varint(v.size());
    out_->append(v);
  }

  std::string* out_;
  int16_t last_id_ = 0;
  std::vector<int16_t> stack_;
};

/// Reads compact-protocol values from a byte range with bounds checks.
/// `base_offset` is the file offset of the first byte (for error messages).
class Reader {
 public:
  Reader(const uint8_t* data, size_t size, std::string_view what, uint64_t base_offset)
      : data_(data), size_(size), what_(what), base_(base_offset) {}

  /// Bytes consumed so far.
  size_t position() const { return pos_; }

  /// Reads the next field header of the current struct. Sets `type` to kStop at
  /// the end of the struct. Bool field values are carried in the type.
  Status FieldHeader(CType* type, int16_t* id);
  /// Enters/leaves a nested struct (field id deltas are per struct).
  Status BeginStruct();
  void EndStruct();
  Result<int32_t> I32();
  Result<int64_t> I64();
  Result<int8_t> I8();
  Result<std::string> Binary();
  Result<double> Double();
  /// Reads a list header: element type and count (count bounded by remaining bytes).
  Status ListHeader(CType* elem, uint32_t* size);
  /// Skips a value of `type` (recursively for containers, depth-limited).
  Status Skip(CType type, int depth = 0);
  /// kCorrupt error naming the current offset.
  std::unexpected<Error> Corrupt(std::string_view why) const;

 private:
  Result<uint64_t> Varint();
  Result<uint8_t> Byte();

  const uint8_t* data_;
  size_t size_;
  std::string_view what_;
  uint64_t base_;
  size_t pos_ = 0;
  int16_t last_id_ = 0;
  std::vector<int16_t> stack_;
};

}  // namespace k2::parquet::thrift
