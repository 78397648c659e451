#pragma once
/// FileReader: a Parquet file -> ColumnBatches of its top-level columns
/// (primitive, or struct/list/map assembled from nested leaves, see nested_reader.h).
///
/// Open reads and validates the footer (bounded by the file size). Read plans
/// the row groups (skipping those whose statistics rule out the predicate) and
/// returns a BatchReader that loads one column chunk per projected column at a
/// time, decodes page by page and hands out batches of `batch_rows`. Memory is
/// bounded by one row group's projected column chunks plus one batch.
///
/// Supported: PLAIN, PLAIN_DICTIONARY/RLE_DICTIONARY, RLE (booleans, levels),
/// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
/// BYTE_STREAM_SPLIT; data pages v1 and v2; codecs none, snappy, gzip, zstd,
/// lz4 (raw and Hadoop framing); INT96 timestamps; page CRCs are verified.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "columnar/predicate.h"
#include "columnar/types.h"
#include "columnar/value.h"
#include "common/result.h"
#include "io/file_io.h"
#include "parquet/metadata.h"

namespace k2::parquet {

struct NestedColumn;

/// What to read.
struct ReadOptions {
  std::vector<int> columns;  ///< indices into FileReader::schema(); empty = all
  /// Bound to FileReader::schema(); skips row groups by statistics (rows are
  /// NOT filtered, only groups). Must outlive the BatchReader.
  const Predicate* predicate = nullptr;
  size_t batch_rows = 65536;
  /// How a row group's column chunks are merged into reads where the file's
  /// reads are costly (InputFile::CoalesceReads: S3); unused on local disk.
  CoalesceOptions coalesce;
};

/// Reads one Parquet file. The BatchReaders it returns borrow the file: the
/// FileReader must outlive them.
class FileReader {
 public:
  /// Reads the footer. kCorrupt (naming the file and offset) for a malformed
  /// file, kUnsupported for an encrypted one, kIo from the input.
  static Result<std::unique_ptr<FileReader>> Open(std::unique_ptr<InputFile> in);

  /// Top-level columns; Field::id = Parquet field_id (0 if absent). Groups,
  /// LIST, MAP and repeated fields become struct/list/map types whose children
  /// carry their own field ids. Unmappable columns are listed (as binary) but
  /// fail with kUnsupported if read.
  const Schema& schema() const { return *schema_; }
  int64_t num_rows() const { return metadata_.num_rows; }
  int num_row_groups() const { return static_cast<int>(metadata_.row_groups.size()); }
  /// The parsed footer (for inspect).
  const format::FileMetaData& metadata() const { return metadata_; }
  /// The Parquet schema element of schema() field `i` (nullptr for nested fields).
  const format::SchemaElement* element(size_t i) const { return columns_[i].element; }
  /// Index of schema() field `i` in RowGroup::columns (-1 for nested fields).
  int leaf_index(size_t i) const { return columns_[i].leaf_index; }
  const std::string& path() const { return in_->path(); }

  /// Batches of the projected columns, in that order. kInvalidInput for a bad
  /// column index, kUnsupported naming a projected column k2 cannot read.
  Result<std::unique_ptr<BatchReader>> Read(const ReadOptions& options);

  /// True if row group `g` might hold rows matching `predicate` (by statistics).
  bool RowGroupMightMatch(int g, const Predicate& predicate) const;

  /// Column statistics of row group `g`, field `i`, as k2 values (nullopt if absent/unusable).
  struct ColumnStats {
    std::optional<Value> min, max;
    std::optional<int64_t> null_count;
    int64_t value_count = 0;
  };
  ColumnStats Statistics(int g, size_t i) const;

  /// Internal: the leaf behind a schema field.
  struct LeafInfo {
    const format::SchemaElement* element = nullptr;  ///< nullptr for unsupported fields
    int leaf_index = -1;                             ///< index in RowGroup::columns
    int max_def = 0;
    std::string unsupported;                     ///< why the field cannot be read, if it cannot
    std::shared_ptr<const NestedColumn> nested;  ///< set for nested fields
  };

 private:
  FileReader(std::unique_ptr<InputFile> in, uint64_t size) : in_(std::move(in)), size_(size) {}
  Status BuildSchema();

  std::unique_ptr<InputFile> in_;
  uint64_t size_;
  format::FileMetaData metadata_;
  std::shared_ptr<Schema> schema_;
  std::vector<LeafInfo> columns_;
  int num_leaves_ = 0;
};

}  // namespace k2::parquet
