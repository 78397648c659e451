#pragma once
/// RowBinary (ClickHouse's row-oriented binary format) <-> ColumnBatch.
///
/// Decoding is incremental: bytes arrive in chunks of any size (curl write
/// callbacks, chDB stream fetches); RowBinaryDecoder decodes whole rows straight
/// into the batch's column buffers and leaves a trailing partial row for the
/// next chunk. RowBinaryReader pulls chunks from a ByteSource only when the
/// consumer asks for the next batch, so memory is bounded by one batch plus one
/// chunk whatever the result size.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "columnar/column_batch.h"
#include "common/result.h"
#include "warm/type_mapping.h"

namespace k2::warm {

/// Reads a LEB128 varint (ClickHouse's VarUInt) at `p`, advancing it; false
/// if the data ends first.
inline bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t& out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) return false;
    uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      out = v;
      return true;
    }
  }
  out = v;
  return true;
}

/// Decodes RowBinary rows of known column types into a batch.
class RowBinaryDecoder {
 public:
  /// `types[i]` is the wire type of `schema->fields[i]`.
  RowBinaryDecoder(std::vector<ClickHouseType> types, std::shared_ptr<const Schema> schema,
                   size_t batch_rows);

  /// Decodes whole rows from `data` until the batch is full or the data ends;
  /// returns the bytes consumed (a trailing partial row is not consumed).
  /// `stream_offset` is the stream position of data[0], for messages. kCorrupt
  /// for undecodable values (unknown enum value), kUnsupported for UInt64 values
  /// above INT64_MAX without the decimal option.
  Result<size_t> Decode(const uint8_t* data, size_t size, uint64_t stream_offset);
  /// True once the batch holds batch_rows rows (or its string data is huge).
  bool full() const { return full_; }
  size_t rows() const { return rows_; }
  /// Finalizes lengths and null counts and returns the batch (valid until Clear).
  const ColumnBatch& Finish();
  /// Starts a new batch, keeping buffer capacity.
  void Clear();

  /// Native format: decodes column `col` of a block of `rows` rows (for a
  /// Nullable the null map, then every row's value) from `data`, which holds
  /// the whole column, into the rows after the batch's current ones. The
  /// rows join the batch once every column is in (AddNativeRows); on an error
  /// DropNativeRows undoes the block's partial columns. Returns the bytes the
  /// column took; kCorrupt when `data` ends early; value errors as Decode's.
  Result<size_t> DecodeNativeColumn(size_t col, size_t rows, const uint8_t* data, size_t size);
  void AddNativeRows(size_t rows);
  void DropNativeRows();
  const std::vector<ClickHouseType>& types() const { return types_; }
  /// Moves the finished batch into `out`; the decoder keeps `out`'s old
  /// columns (their capacity) when they have the batch's types, else copies.
  void TakeBatch(ColumnBatch& out);
  const ColumnBatch& batch() const { return batch_; }

 private:
  enum class Step { kOk, kNeedMore, kError };
  /// Inline decoding of non-nullable common kinds in Decode's row loop.
  enum class FastKind { kNone, kCopy8, kCopy4, kUInt64ToLong, kUInt32ToLong, kDateTime, kString };
  /// One value of column `col` into row `row`; `null_flag`: a Nullable's
  /// RowBinary null byte comes first (Native passes false: its null map is
  /// read by the caller).
  Step DecodeValue(size_t col, const uint8_t*& p, const uint8_t* end, size_t row, bool null_flag);
  void Truncate(size_t rows);

  std::vector<ClickHouseType> types_;
  ColumnBatch batch_;
  size_t batch_rows_;
  size_t rows_ = 0;
  bool full_ = false;
  std::vector<std::vector<int>> enum_lookup_;  // per column: value+32768 -> name index
  std::vector<size_t> widths_;                 // per column: k2 value width, 0 if variable
  std::vector<FastKind> fast_;                 // per column
  std::vector<uint8_t*> bases_;                // per column: fixed-width data, during Decode
  Error error_;
};

/// Bytes of one value of `t` (its nested type for a Nullable) in the Native
/// and RowBinary layouts; 0 for String (varint length + bytes).
size_t NativeValueWidth(const ClickHouseType& t);

/// Appends rows [begin, end) of `batch` to `out` as RowBinary for the columns
/// `types` (target table types, in batch column order). Each column's k2 type
/// must be the one its target type maps to. kInvalidInput names column and row
/// for values the target cannot hold (null in a non-Nullable column, unknown
/// enum name, out-of-range date).
Status EncodeRowBinary(const ColumnBatch& batch, const std::vector<ClickHouseType>& types,
                       size_t begin, size_t end, std::string& out);

/// Parses a RowBinaryWithNamesAndTypes header at the start of `data`: returns
/// its length in bytes (0 if `data` ends inside it) and the (name, type) pairs.
/// kCorrupt for a header that cannot be one (or the ClickHouse exception there).
Result<size_t> ParseRowBinaryHeader(std::string_view data,
                                    std::vector<std::pair<std::string, std::string>>* columns);

/// Supplies a response body: appends at least one byte to `buffer` and returns
/// true, or returns false at the end of the stream.
using ByteSource = std::function<Result<bool>(std::string& buffer)>;

/// A BatchReader over a RowBinary byte stream.
class RowBinaryReader final : public BatchReader {
 public:
  /// A RowBinaryWithNamesAndTypes stream: the header is read (pulling from
  /// `source`) before returning, so an unsupported column fails here.
  static Result<std::unique_ptr<RowBinaryReader>> OpenWithHeader(ByteSource source,
                                                                 size_t batch_rows,
                                                                 const TypeMappingOptions& options);
  /// A plain RowBinary stream of known columns (names, ClickHouse types).
  static Result<std::unique_ptr<RowBinaryReader>> Open(
      ByteSource source, const std::vector<std::pair<std::string, std::string>>& columns,
      size_t batch_rows, const TypeMappingOptions& options);

  const Schema& schema() const override { return *schema_; }
  /// Next batch, nullptr at the end. Leftover bytes at the end of the stream
  /// are kCorrupt (or the ClickHouse exception they spell, kRemote/...).
  Result<const ColumnBatch*> Next() override;
  bool TakeBatch(ColumnBatch& out) override {
    decoder_.TakeBatch(out);
    return true;
  }

  /// Largest capacity the pending-bytes buffer reached.
  size_t peak_buffer_bytes() const { return peak_buffer_; }
  /// Largest MemoryUsage() of a returned batch.
  size_t peak_batch_bytes() const { return peak_batch_; }
  uint64_t bytes_read() const { return consumed_; }
  uint64_t rows_read() const { return rows_read_; }

 private:
  RowBinaryReader(ByteSource source, std::vector<ClickHouseType> types,
                  std::shared_ptr<const Schema> schema, size_t batch_rows);
  Result<bool> Fill();  // compacts and pulls more bytes; false at end

  ByteSource source_;
  std::shared_ptr<const Schema> schema_;
  RowBinaryDecoder decoder_;
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t consumed_ = 0;  // stream offset of buffer_[pos_]
  uint64_t rows_read_ = 0;
  size_t peak_buffer_ = 0;
  size_t peak_batch_ = 0;
  bool done_ = false;
  std::optional<Error> error_;
};

}  // namespace k2::warm
