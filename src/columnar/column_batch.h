#pragma once
/// ColumnBatch: the unit that flows between stages (warm driver -> Parquet
/// writer, Parquet reader -> scan/compaction/audit). A batch holds a bounded
/// number of rows (typically 8k-64k) of a flat schema, column by column.
///
/// Storage per column:
///   - fixed-width types: `data` holds `length * FixedWidth()` little-endian bytes
///     (see TypeId for the C++ type of each); null slots hold zeros.
///   - string/binary: `offsets` holds length+1 uint32 offsets into `data`; null
///     slots are empty values.
///   - validity: empty means every value is present; otherwise one byte per row,
///     1 = present, 0 = null.
///   - struct: one child column per field, each `length` rows (a null struct has
///     null children); list/map: `offsets` holds length+1 uint32 offsets into
///     the child columns (list: the element; map: key and value), a null or
///     empty value has no children.

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "columnar/types.h"

namespace k2 {

using int128_t = __int128;

/// One column of a batch. Append* methods are the builder interface; accessors
/// read. A Column is a plain value: copyable and movable.
class Column {
 public:
  Column() = default;
  explicit Column(DataType type);

  const DataType& type() const { return type_; }
  size_t length() const { return length_; }
  size_t null_count() const { return null_count_; }
  bool has_nulls() const { return null_count_ > 0; }
  bool IsValid(size_t row) const { return validity_.empty() || validity_[row] != 0; }

  /// Fixed-width values as T (T must match the type's storage, see TypeId).
  template <typename T>
  std::span<const T> Values() const {
    return {reinterpret_cast<const T*>(data_.data()), length_};
  }
  template <typename T>
  T Value(size_t row) const {
    T v;
    std::memcpy(&v, data_.data() + row * sizeof(T), sizeof(T));
    return v;
  }
  /// Variable-width value of `row` (string/binary), or the raw bytes of a fixed/uuid value.
  /// Inline: the column writers call it per value.
  std::string_view Bytes(size_t row) const {
    if (type_.IsVariableWidth()) {
      const uint32_t begin = offsets_[row];
      return {reinterpret_cast<const char*>(data_.data()) + begin, offsets_[row + 1] - begin};
    }
    const auto w = static_cast<size_t>(type_.FixedWidth());
    return {reinterpret_cast<const char*>(data_.data()) + row * w, w};
  }
  /// Decimal unscaled value widened to 128 bits whatever the storage width.
  int128_t DecimalValue(size_t row) const;

  const std::vector<uint8_t>& validity() const { return validity_; }
  const std::vector<uint8_t>& data() const { return data_; }
  const std::vector<uint32_t>& offsets() const { return offsets_; }
  /// Nested types: the child columns (see the storage notes above).
  const std::vector<Column>& children() const { return children_; }
  std::vector<Column>& mutable_children() { return children_; }
  /// List/map: the child rows [first, second) of `row`.
  std::pair<size_t, size_t> ChildRange(size_t row) const {
    return {offsets_[row], offsets_[row + 1]};
  }
  /// Nested types: ends a present row whose children were appended already
  /// (list/map: every child row appended since the previous row belongs to it).
  void AppendNestedRow();

  /// Appends a fixed-width value (T must match the storage type).
  template <typename T>
  void Append(T value) {
    size_t pos = data_.size();
    data_.resize(pos + sizeof(T));
    std::memcpy(data_.data() + pos, &value, sizeof(T));
    MarkValid();
  }
  /// Appends string/binary bytes, or fixed/uuid bytes (must be exactly FixedWidth()).
  void AppendBytes(std::string_view bytes);
  /// Appends a decimal unscaled value, stored at the type's width.
  void AppendDecimal(int128_t unscaled);
  /// Appends a null (zeroed slot or empty value).
  void AppendNull();
  /// Appends row `row` of `other` (same type).
  void AppendFrom(const Column& other, size_t row);

  /// Reserves room for `rows` values (and `bytes` of variable-width data).
  void Reserve(size_t rows, size_t bytes = 0);
  /// Removes all values, keeping the type and capacity.
  void Clear();
  /// Approximate heap bytes held.
  size_t MemoryUsage() const;

  /// Direct access for decoders that fill buffers in bulk. After writing, call
  /// SetLength with the row count; validity (if non-empty) must have `length` bytes.
  std::vector<uint8_t>& mutable_data() { return data_; }
  std::vector<uint32_t>& mutable_offsets() { return offsets_; }
  std::vector<uint8_t>& mutable_validity() { return validity_; }
  void SetLength(size_t length, size_t null_count) {
    length_ = length;
    null_count_ = null_count;
  }

 private:
  void MarkValid() {
    if (!validity_.empty()) validity_.push_back(1);
    ++length_;
  }

  DataType type_;
  size_t length_ = 0;
  size_t null_count_ = 0;
  std::vector<uint8_t> validity_;
  std::vector<uint8_t> data_;
  std::vector<uint32_t> offsets_;
  std::vector<Column> children_;
};

/// A batch of rows: one Column per schema field, all the same length.
struct ColumnBatch {
  std::shared_ptr<const Schema> schema;
  std::vector<Column> columns;

  ColumnBatch() = default;
  explicit ColumnBatch(std::shared_ptr<const Schema> s);

  size_t num_rows() const { return columns.empty() ? 0 : columns[0].length(); }
  size_t num_columns() const { return columns.size(); }
  /// Clears every column, keeping schema and capacity.
  void Clear();
  size_t MemoryUsage() const;
  /// Checks every column has the schema's type and the same length, and that
  /// required fields have no nulls. kInvalidInput names the column.
  Status Validate() const;
};

/// A pull-based stream of batches. Next() returns nullptr at the end.
/// The returned batch is valid until the next call.
class BatchReader {
 public:
  virtual ~BatchReader() = default;
  virtual const Schema& schema() const = 0;
  virtual Result<const ColumnBatch*> Next() = 0;
  /// Hands the batch the last Next() returned over to `out` without copying
  /// when the reader can (taking `out`'s old buffers to reuse); false when it
  /// can't, and the caller copies.
  virtual bool TakeBatch(ColumnBatch& out) { return false; }
};

}  // namespace k2
