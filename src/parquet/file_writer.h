#pragma once
/// FileWriter: ColumnBatches -> one Parquet file, plus the per-column metrics an
/// Iceberg manifest needs.
///
/// Phases, in order (the caller's thread drives them; Write may fan out):
///   1. Open: maps the k2 schema to Parquet leaves (field ids become field_id)
///      and splits the columns into `encode_threads` groups balanced by
///      encoding cost, each group with its own page scratch and compression
///      context (WriterScratch).
///   2. Write: each batch is cut into slices; every column writer appends the
///      slice to its current page (dictionary indices or plain values), closes
///      pages when either their encoded size or their unencoded buffers reach
///      `page_bytes` (encode -> compress -> buffer in the chunk) and
///      falls back from dictionary to PLAIN/DELTA when the dictionary stops paying.
///      With encode_threads > 1 the groups append the same slice in parallel
///      (group 0 on the caller's thread, the others on the writer's own encoder
///      threads), and the caller waits for all of them before the next slice.
///   3. Row group flush (caller's thread, no encoder running): when the
///      buffered chunks reach `row_group_bytes`, each column writes
///      [dictionary page][data pages] to the file, in schema order.
///   4. Finish: flushes the last row group, writes the footer, publishes the file.
/// Memory is bounded by about one row group of encoded pages plus, per column,
/// one open page and one dictionary (MemoryUsage() reports it); the page
/// buffers and the zstd context are shared by the columns of one group (one
/// group, hence one context, for the default encode_threads = 1).

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
#include "parquet/writer/column_metrics.h"
#include "parquet/writer/writer_options.h"

namespace k2::parquet {

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
