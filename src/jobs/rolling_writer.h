#pragma once
/// RollingParquetWriter: a stream of batches -> Parquet data files of about a
/// target size each. Holds one open file writer (one row group of encoded
/// pages) at a time, never the stream.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "io/file_io.h"
#include "parquet/file_writer.h"

namespace k2::jobs {

/// A finished, not yet committed data file.
struct WrittenFile {
  std::string path;
  parquet::DataFileMetrics metrics;
};

class RollingParquetWriter {
 public:
  /// `io` must outlive the writer. `next_path` names each new file (unique:
  /// files are created exclusively). A file is closed when its estimated size
  /// reaches `target_bytes`.
  RollingParquetWriter(FileIO& io, std::shared_ptr<const Schema> schema,
                       parquet::WriterOptions options, int64_t target_bytes,
                       std::function<std::string()> next_path);

  /// Appends a batch of the writer's schema (kInvalidInput otherwise).
  Status Write(const ColumnBatch& batch);
  /// Closes the open file; returns every file written (none for an empty stream).
  /// The writer keeps the list: Abort() after Finish() still deletes them.
  Result<std::vector<WrittenFile>> Finish();
  /// Discards the open file and deletes the finished ones, also after Finish()
  /// (a window whose commit did not happen). Only for files that were never
  /// committed.
  void Abort();

  int64_t rows_written() const { return rows_; }

 private:
  Status Roll();

  FileIO& io_;
  std::shared_ptr<const Schema> schema_;
  parquet::WriterOptions options_;
  int64_t target_bytes_;
  std::function<std::string()> next_path_;
  std::unique_ptr<parquet::FileWriter> current_;
  std::string current_path_;
  std::vector<WrittenFile> done_;
  int64_t rows_ = 0;
};

}  // namespace k2::jobs
