#pragma once
/// FileWriter: ColumnBatches -> one Parquet file, plus the per-column metrics an
/// Iceberg manifest needs.
///
/// Phases, in order (single-threaded):
///   1. Open: maps the k2 schema to Parquet leaves (field ids become field_id).
///   2. Write: each batch is cut into slices; every column writer appends the
///      slice to its current page (dictionary indices or plain values), closes
///      pages when either their encoded size or their unencoded buffers reach
///      `page_bytes` (encode -> compress -> buffer in the chunk) and
///      falls back from dictionary to PLAIN/DELTA when the dictionary stops paying.
///   3. Row group flush: when the buffered chunks reach `row_group_bytes`, each
///      column writes [dictionary page][data pages] to the file, in schema order.
///   4. Finish: flushes the last row group, writes the footer, publishes the file.
/// Memory is bounded by about one row group of encoded pages plus, per column,
/// one open page and one dictionary (MemoryUsage() reports it); the file's
/// zstd context is shared by its columns.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "columnar/column_batch.h"
#include "columnar/types.h"
#include "common/result.h"
#include "io/file_io.h"

namespace k2::parquet {

/// Page compression codec.
enum class Codec { kUncompressed, kSnappy, kGzip, kZstd, kLz4Raw };

/// Writer configuration.
struct WriterOptions {
  Codec codec = Codec::kZstd;
  int compression_level = 3;
  int64_t row_group_bytes = 128 << 20;  ///< target encoded bytes per row group
  int64_t page_bytes = 1 << 20;         ///< target page size
  bool dictionary = true;               ///< with fallback to plain when it stops paying
  int64_t dictionary_page_bytes = 1 << 20;
  size_t max_bound_length = 16;  ///< Iceberg metrics: truncate string/binary bounds
  /// Threads that encode and compress columns in parallel (columns split into
  /// this many groups, each with its own page scratch and codec context).
  /// The same pages whatever the count; row groups may end at other rows.
  int encode_threads = 1;
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
};

/// Per field, what an Iceberg manifest needs.
struct ColumnMetrics {
  int field_id = 0;
  int64_t column_size = 0;  ///< compressed bytes of the column chunks
  int64_t value_count = 0;  ///< including nulls
  int64_t null_count = 0;
  int64_t nan_count = -1;  ///< -1 = not applicable (non-float)
  /// Iceberg single-value binary (EncodeSingleValue). String/binary bounds are
  /// truncated to max_bound_length (lower truncated, upper truncated then
  /// incremented; upper omitted if it cannot be incremented).
  std::optional<std::string> lower_bound, upper_bound;
};

/// The outcome of a finished file.
struct DataFileMetrics {
  int64_t record_count = 0;
  int64_t file_size_in_bytes = 0;
  std::vector<ColumnMetrics> columns;  ///< schema order
  std::vector<int64_t> split_offsets;  ///< row group start offsets
};

class ColumnWriter;
struct WriterScratch;

/// Writes one Parquet file. Not thread-safe (it may run its own encoder
/// threads: WriterOptions::encode_threads).
class FileWriter {
 public:
  /// The schema's field ids are written as Parquet field_id. Takes ownership of
  /// `out`. kInvalidInput for a schema Parquet cannot hold (bad decimal/fixed).
  static Result<std::unique_ptr<FileWriter>> Open(std::unique_ptr<OutputFile> out,
                                                  std::shared_ptr<const Schema> schema,
                                                  WriterOptions options = {});
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  /// Appends a batch; its schema must equal the writer's (kInvalidInput
  /// otherwise, or for nulls in required fields). kIo from the output.
  Status Write(const ColumnBatch& batch);
  /// Bytes written + buffered (for rolling files at a target size).
  uint64_t EstimatedSize() const;
  int64_t rows_written() const { return rows_written_; }
  /// Heap bytes the writer holds now: every column's buffered pages, open-page
  /// buffers, dictionaries and hash tables, plus the shared page scratch, at
  /// allocated capacity (not the codec context or the footer's row-group list).
  /// Bounded by about row_group_bytes + columns x (a few page_bytes +
  /// dictionary_page_bytes), whatever the number of rows written.
  uint64_t MemoryUsage() const;
  /// Writes the footer and publishes the file (OutputFile::Finish). The writer
  /// is unusable afterwards.
  Result<DataFileMetrics> Finish();
  /// Discards the file.
  void Abort();

 private:
  FileWriter(std::unique_ptr<OutputFile> out, std::shared_ptr<const Schema> schema,
             WriterOptions options);
  Status FlushRowGroup();
  uint64_t BufferedBytes() const;

  std::unique_ptr<OutputFile> out_;
  std::shared_ptr<const Schema> schema_;
  WriterOptions options_;
  std::vector<std::unique_ptr<ColumnWriter>> columns_;
  std::vector<std::shared_ptr<WriterScratch>> scratches_;  ///< one per column group
  std::vector<std::vector<size_t>> groups_;                ///< column indexes per group
  class Encoders;  // the extra threads of encode_threads > 1
  std::unique_ptr<Encoders> encoders_;
  struct Footer;  // the row groups written so far (format structs)
  std::unique_ptr<Footer> footer_;
  std::vector<int64_t> split_offsets_;
  int64_t rows_written_ = 0;
  int64_t rows_in_group_ = 0;
  bool finished_ = false;
};

}  // namespace k2::parquet
