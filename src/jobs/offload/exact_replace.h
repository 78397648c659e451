#pragma once
/// The exact replace of a window: every file holding rows of the window goes;
/// a file that also holds other windows (after compaction) is rewritten
/// without the window's rows (its deletes applied) in the same commit.

#include <memory>
#include <vector>

#include "columnar/predicate.h"
#include "common/config.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "jobs/rolling_writer.h"
#include "jobs/warm_source.h"

namespace k2::jobs {

/// A time-column predicate selecting [start, end) in the column's own type.
Predicate WindowPredicate(const warm::TimeColumn& time, const Window& w);

/// Whether the file's bounds on the time column lie inside `w`: every row it
/// holds belongs to the window.
bool FileInsideWindow(const iceberg::DataFile& file, const Field& time_field,
                      const warm::TimeColumn& time, const Window& w);

/// The rows of a file that lie outside a window, rewritten into new files.
struct KeptRows {
  std::unique_ptr<RollingParquetWriter> writer;  ///< for Abort() if the commit fails
  std::vector<iceberg::DataFile> files;
};

/// Rewrites the live rows of `task` (its deletes applied) outside every
/// window of `windows` into new files of the same partition. One streaming
/// read; holds the batch read, its kept rows and one row group at a time.
Result<KeptRows> RewriteOutsideWindow(const iceberg::Table& table, FileIO& io, const Config& config,
                                      const iceberg::FileScanTask& task,
                                      const warm::TimeColumn& time,
                                      const std::vector<Window>& windows);

}  // namespace k2::jobs
