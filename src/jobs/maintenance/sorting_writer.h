#pragma once
/// SortingWriter: applies an Iceberg sort order to the rows compaction writes,
/// in bounded memory, with an external merge sort. The output is fully sorted
/// across the whole group, whatever its size.
///
/// Phases, in order (single-threaded; the Parquet writers may encode on
/// `encode_threads`):
///   1. Buffer: Write() copies batches until their in-memory size reaches
///      `memory_bytes`.
///   2. Spill (only when the budget is passed): the buffer is sorted (leading
///      keys normalized to 64-bit words beside each row where exact, see
///      RowComparator::NormalizableKeys) and
///      written as one run file (k2's Parquet writer, LZ4, small row groups)
///      under a directory of its own created in `spill_dir`; the buffer is
///      released and phase 1 resumes.
///   3. Finish: with no run spilled, the buffer is sorted in memory and
///      written to the output (no file touched). Otherwise the buffer becomes
///      the last run and the runs are merged: one cursor per run (one small
///      row group and one batch each), a binary heap over the cursors ordered
///      by the sort order, ties broken by run number so equal keys keep their
///      arrival order (the sort is stable), rows streamed to the output.
///   4. Cleanup: the spill directory is removed by Finish, by Abort and by
///      the destructor, success or failure: nothing is left behind.
/// Memory: `memory_bytes` of buffered rows, the sort's index (24 bytes a row,
/// leading keys as words) included, while buffering; while merging, per run one row group of the
/// run file and one batch, plus one output batch.
///
/// Sort fields: see RowComparator.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "iceberg/partition_spec.h"
#include "jobs/maintenance/row_comparator.h"
#include "jobs/rolling_writer.h"

namespace k2::jobs {

/// How SortingWriter uses memory and disk.
struct SortOptions {
  /// Buffered rows (in-memory column bytes) that trigger a spill.
  int64_t memory_bytes = 96LL << 20;
  /// Local directory for run files; empty = the system temp directory.
  std::string spill_dir;
  /// Rows per batch written to the output (and to run files).
  size_t batch_rows = 8192;
  /// Rows per batch read back from a run file, per cursor while merging.
  size_t run_batch_rows = 2048;
  /// Encoded bytes per row group and per page of a run file: a cursor holds
  /// one row group's chunks and one page per column.
  int64_t run_row_group_bytes = 256LL << 10;
  int64_t run_page_bytes = 64LL << 10;
  int encode_threads = 1;  ///< for the run files' writer
};

class SortingWriter {
 public:
  /// `out` must outlive the writer. kInvalidInput when a sort field's source
  /// column is not in `schema` (names the field id).
  static Result<std::unique_ptr<SortingWriter>> Make(std::shared_ptr<const Schema> schema,
                                                     const iceberg::SortOrder& order,
                                                     RollingParquetWriter& out,
                                                     SortOptions options);
  /// Removes the spill directory if Finish/Abort did not (discarding only).
  ~SortingWriter();
  SortingWriter(const SortingWriter&) = delete;
  SortingWriter& operator=(const SortingWriter&) = delete;

  /// Buffers `batch` (copied); spills a sorted run when the buffer passes the
  /// budget. kIo creating or writing a run file (names it).
  Status Write(const ColumnBatch& batch);
  /// As above, taking the batch's buffers instead of copying them.
  Status Write(ColumnBatch&& batch);
  /// Writes every row to `out` in order and removes the spill directory. Call
  /// before out.Finish(). kIo/kCorrupt from run files; errors of `out`.
  Status Finish();
  /// Removes the spill directory and drops what is buffered.
  void Abort();

  int runs_spilled() const { return static_cast<int>(runs_.size()); }
  int64_t bytes_spilled() const { return bytes_spilled_; }
  /// The directory holding this writer's runs ("" until the first spill).
  const std::string& spill_path() const { return spill_path_; }

 private:
  SortingWriter(std::shared_ptr<const Schema> schema, RowComparator cmp, RollingParquetWriter& out,
                SortOptions options);
  /// The buffered rows as (chunk, row) in sorted order.
  struct RowRef {
    uint32_t chunk;
    uint32_t row;
  };
  Result<std::vector<RowRef>> SortBuffered(std::vector<RowComparator::Keyed>& keyed) const;
  /// Writes the buffered rows in order to `sink`, batch by batch, and clears the buffer.
  template <typename Sink>
  Status DrainSorted(Sink&& sink);
  Status SpillRun();
  Status MergeRuns();
  void RemoveSpill();

  std::shared_ptr<const Schema> schema_;
  RowComparator cmp_;
  RollingParquetWriter& out_;
  SortOptions options_;
  std::unique_ptr<FileIO> spill_io_;
  std::vector<ColumnBatch> buffered_;
  int64_t buffered_bytes_ = 0;
  std::string spill_path_;
  std::vector<std::string> runs_;
  int64_t bytes_spilled_ = 0;
};

}  // namespace k2::jobs
