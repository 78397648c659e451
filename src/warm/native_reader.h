#pragma once
/// NativeReader: ClickHouse's Native (columnar) output format -> ColumnBatch.
///
/// The stream is a sequence of blocks: VarUInt columns, VarUInt rows, then per
/// column its name, its type and its values (a Nullable's null map first,
/// then every row's value; strings as VarUInt length + bytes; fixed-width
/// values as RowBinary writes them). A server produces it with less work than
/// RowBinary (no per-row serialization) and k2 copies fixed-width columns
/// whole instead of value by value.
///
/// Phases per block: (1) a resumable scan finds the block's end, pulling bytes
/// from the ByteSource until the whole block is buffered (each byte scanned
/// once); (2) the header is checked against the expected columns; (3) every
/// column is converted by RowBinaryDecoder::DecodeNativeColumn. A batch holds
/// whole blocks, so memory is bounded by one batch plus one block.
///
/// LowCardinality columns are not decodable here (their Native layout is a
/// dictionary): callers pick RowBinary for them (NativeSupports).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "warm/row_binary.h"

namespace k2::warm {

/// True when every column's type reads the same in Native as in RowBinary
/// value for value (no LowCardinality anywhere in the type).
bool NativeSupports(const std::vector<std::pair<std::string, std::string>>& columns);

class NativeReader final : public BatchReader {
 public:
  /// A Native stream of known columns (names and ClickHouse types, as
  /// DESCRIBE gives them); every block must carry exactly these.
  static Result<std::unique_ptr<NativeReader>> Open(
      ByteSource source, const std::vector<std::pair<std::string, std::string>>& columns,
      size_t batch_rows, const TypeMappingOptions& options);

  const Schema& schema() const override { return *schema_; }
  /// Next batch (one or more whole blocks), nullptr at the end. A stream that
  /// ends inside a block is kCorrupt (or the ClickHouse exception it holds).
  Result<const ColumnBatch*> Next() override;
  bool TakeBatch(ColumnBatch& out) override {
    decoder_.TakeBatch(out);
    return true;
  }

  /// Largest capacity the pending-bytes buffer reached (about one block).
  size_t peak_buffer_bytes() const { return peak_buffer_; }
  uint64_t rows_read() const { return rows_read_; }

 private:
  NativeReader(ByteSource source, std::vector<std::pair<std::string, std::string>> columns,
               std::vector<ClickHouseType> types, std::shared_ptr<const Schema> schema,
               size_t batch_rows, const TypeMappingOptions& options);
  /// True when a block's type text for `column` decodes like the expected type.
  bool SameLayout(size_t column, const std::string& type);
  /// Advances the scan of the block at pos_; true once it is whole (its size
  /// in scan_.offset), false when more bytes are needed.
  Result<bool> ScanBlock();
  /// Decodes the scanned block at pos_ into the decoder's batch.
  Status DecodeBlock();
  Result<bool> Fill();
  Error CorruptAt(const std::string& what) const;

  /// Where the scan of the current block stands (offsets from pos_).
  struct Scan {
    enum class Stage { kHeader, kName, kType, kNullMap, kValues, kDone };
    Stage stage = Stage::kHeader;
    size_t offset = 0;
    size_t column = 0;
    size_t rows = 0;     ///< the block's row count
    size_t scanned = 0;  ///< values of the current string column scanned
  };

  ByteSource source_;
  std::vector<std::pair<std::string, std::string>> columns_;
  std::shared_ptr<const Schema> schema_;
  RowBinaryDecoder decoder_;
  TypeMappingOptions options_;
  std::vector<std::string> seen_types_;  ///< per column: a block spelling already checked
  std::vector<size_t> value_widths_;     ///< NativeValueWidth per column
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t consumed_ = 0;  ///< stream offset of buffer_[pos_]
  Scan scan_;
  bool done_ = false;
  std::optional<Error> error_;
  uint64_t rows_read_ = 0;
  size_t peak_buffer_ = 0;
};

}  // namespace k2::warm
