#pragma once
/// Streams one window's rows from ClickHouse into Parquet files: each row's
/// checksum hash (row_hash.h: computed by k2 from the decoded values, or by
/// the server in one extra column dropped before writing) is summed, so the
/// window's count and checksum are those of exactly the rows written, in one
/// pass. A prefetch
/// thread decodes the next batch while the current one is encoded (HTTP
/// driver); files roll at the target size. Memory: three batches and one row
/// group of the open file.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/file_io.h"
#include "jobs/offload/table_context.h"
#include "jobs/rolling_writer.h"
#include "jobs/window_stats.h"
#include "parquet/file_writer.h"
#include "warm/warm_driver.h"

namespace k2::jobs {

/// The offload's Parquet writer options (codec, 32 MiB row groups, two
/// encoding threads).
parquet::WriterOptions WriterOptionsFor(const OffloadPolicy& policy);

/// Streams `sql` (one window of the source) into Parquet files; `stats` gets
/// the count and checksum (kCommitChecksumKind) of exactly the rows written,
/// `partition` the window's partition. `writer` is set before the first
/// write, for Abort() by the caller when the commit does not happen.
Result<std::vector<WrittenFile>> WriteWindow(warm::WarmDriver& driver, FileIO& io,
                                             const Config& config, TableContext& ctx,
                                             const std::string& sql, WindowStats& stats,
                                             iceberg::PartitionValues& partition,
                                             std::unique_ptr<RollingParquetWriter>& writer);

/// What StreamWindowGroups hands over per group of windows: its files (not
/// committed yet), their partition, the count and checksum of each window
/// with rows (by window start), and the writer (for Abort()).
struct WrittenGroup {
  std::vector<WrittenFile> files;
  iceberg::PartitionValues partition;
  std::map<int64_t, WindowStats> windows;
  std::unique_ptr<RollingParquetWriter> writer;
};

/// Streams `sql`, whose rows must come ordered by the time column, into
/// Parquet files cut at the boundaries of `groups` (consecutive runs of
/// windows of `window_s` seconds, each in one partition), and calls
/// `on_group(i, group)` as soon as group i's last row has passed (also for
/// groups without rows). One query for many commits: the engine plans the
/// source once. A row out of order or outside the groups is an error.
Status StreamWindowGroups(warm::WarmDriver& driver, FileIO& io, const Config& config,
                          TableContext& ctx, const std::string& sql, int64_t window_s,
                          const std::vector<std::vector<Window>>& groups,
                          const std::function<Status(size_t, WrittenGroup&)>& on_group);

}  // namespace k2::jobs
