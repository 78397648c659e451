#pragma once
/// Compaction job (Iceberg's rewrite_data_files, bin-pack strategy): per
/// partition, data files under the minimum size are grouped into outputs of
/// the target size (hourly files into daily files with the defaults).
///
/// Phases, in order:
///   1. Plan from the current snapshot S: live data files of the default spec
///      under min_file_size, grouped by partition; partitions still receiving
///      offloads (a time-transform partition containing "now") are skipped;
///      each partition is bin-packed into groups of at most target size with
///      at least min_input_files files.
///   2. Per group, streaming merge: one input file at a time is read batch by
///      batch (Parquet FileReader) and written to a rolling Parquet writer that
///      closes a file at the target size. A group whose files have delete
///      files is read through the table scan instead, which applies them: the
///      outputs hold only live rows. With a table sort order, rows pass
///      through a SortingWriter: an external merge sort whose buffered rows
///      are bounded by `sort_memory_bytes` (sorted runs spill to local temp
///      files, merged into the outputs), so each output group is fully
///      sorted. Memory: one input row group plus one output row group, plus
///      the sort budget with a sort order.
///   3. Per group, commit a RewriteFiles (replace) validated against every
///      snapshot since S: a concurrent overwrite/delete of the partition, new
///      delete files for it (any spec), or a removed input fails the group
///      (outputs deleted) and the partition is re-planned from the new head,
///      up to `max_attempts` times. The outputs get the new snapshot's
///      sequence number, so the delete files already applied stop applying to
///      them; they stay in the table for files not rewritten, except position
///      delete files whose only target was rewritten, which the replace
///      removes. Groups commit independently: a failed group loses nothing
///      and keeps no files. The summary records the group's numbers
///      (k2.compaction.*).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "iceberg/catalog.h"
#include "io/file_io.h"

namespace k2 {
class CancellationToken;
}

namespace k2::jobs {

/// Options; defaults follow config `maintenance` (daily files from hourly ones).
struct CompactionOptions {
  int64_t target_file_size_bytes = 512LL << 20;
  int64_t min_file_size_bytes = 96LL << 20;  ///< files at or above are left alone
  int min_input_files = 2;
  /// A small file alone is rewritten (to apply its deletes) when at least this
  /// many delete files apply to it (Iceberg's delete-file-threshold); 0 = never.
  int delete_file_threshold = 0;
  bool skip_open_partitions = true;
  bool dry_run = false;
  int max_attempts = 3;                  ///< per partition, on commit conflicts
  int64_t now_ms = 0;                    ///< 0 = wall clock
  size_t batch_rows = 65536;             ///< read batch size
  int64_t row_group_bytes = 32LL << 20;  ///< output row groups (bounds memory)
  /// Threads encoding the output's columns (the maintenance job's budget is
  /// 2 CPUs; the bytes written are the same pages).
  int encode_threads = 2;
  /// Sort rewritten rows by the table's default sort order when it has one:
  /// each output group is fully sorted (external merge sort, SortingWriter).
  bool sort = true;
  /// Memory for buffered rows while sorting; a group larger than this spills
  /// sorted runs to `sort_spill_dir` and merges them. The default keeps a
  /// day of 24 x 1M trades under 256 MB peak RSS (bench/RESULTS.md).
  int64_t sort_memory_bytes = 96LL << 20;
  /// Local directory for sort runs (one subdirectory per group, removed when
  /// the group ends, committed or not); empty = the system temp directory.
  /// Local even when the warehouse is on S3.
  std::string sort_spill_dir;
};

/// One group's outcome.
struct CompactionGroupReport {
  std::string partition;  ///< partition path ("ts_day=2026-11-24"; "" unpartitioned)
  std::string status;     ///< "committed", "planned" (dry run), "skipped", "failed"
  std::string reason;     ///< why skipped or failed
  int attempts = 0;
  int64_t files_before = 0;
  int64_t bytes_before = 0;
  int64_t files_after = 0;
  int64_t bytes_after = 0;
  int64_t rows = 0;                  ///< rows read (planned) or written (committed)
  int64_t deleted_rows_applied = 0;  ///< rows removed by applying delete files
  int64_t delete_files_applied = 0;  ///< delete files that applied to the inputs
  int64_t delete_files_removed = 0;  ///< position delete files left with no target
  bool sorted = false;
  int sort_runs_spilled = 0;       ///< sorted runs written to disk (0: sorted in memory)
  int64_t sort_bytes_spilled = 0;  ///< bytes of those runs
  int64_t snapshot_id = 0;         ///< the replace snapshot when committed

  nlohmann::json ToJson() const;
};

/// What a compaction did.
struct CompactionReport {
  std::string table;
  bool dry_run = false;
  int64_t start_snapshot_id = 0;
  int64_t files_before = 0;  ///< rewritten input files (committed groups)
  int64_t bytes_before = 0;
  int64_t files_after = 0;
  int64_t bytes_after = 0;
  int64_t rows_rewritten = 0;
  int64_t deleted_rows_applied = 0;
  int64_t delete_files_removed = 0;
  int sort_order_id = 0;  ///< the order applied; 0 = unsorted
  int groups_committed = 0;
  int groups_failed = 0;
  int groups_skipped = 0;
  std::vector<CompactionGroupReport> groups;

  nlohmann::json ToJson() const;
};

/// Compacts table `id`. Group failures are reported in the report, not as an
/// error; errors: kNotFound (table), kCorrupt/kIo reading metadata,
/// kCancelled when `cancel` fired (committed groups stay committed).
Result<CompactionReport> CompactTable(Catalog& catalog, FileIO& io, const TableIdentifier& id,
                                      const CompactionOptions& options,
                                      const CancellationToken* cancel = nullptr);

}  // namespace k2::jobs
