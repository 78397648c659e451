#pragma once
/// Per-table state the daemon reports (/api/tables, k2_table_* gauges, lag
/// alerts). The daemon does not read Iceberg metadata itself: the CLI wires a
/// provider that does (current snapshot summary, watermark property).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "service/clock.h"

namespace k2::service {

/// A backfill of a table not yet published or aborted (jobs/backfill).
struct BackfillStat {
  std::string id;
  std::string status;  ///< running | written
  std::string mode;    ///< warm | derive
  int64_t windows_planned = 0;
  int64_t windows_written = 0;
  int64_t rows_written = 0;
};

struct TableStats {
  std::string table;                   ///< Iceberg "namespace.table"
  std::optional<TimePoint> watermark;  ///< end of the last offloaded window
  double lag_seconds = 0;              ///< now - watermark (cold lag)
  int64_t data_files = 0;
  int64_t total_bytes = 0;
  int64_t total_rows = 0;
  int64_t snapshots = 0;
  std::vector<BackfillStat> backfills;  ///< running or awaiting publish

  nlohmann::json ToJson() const;
};

/// Called on scrape, on /api/tables and on every lag check; may be slow
/// (catalog round trips) but must be thread-safe. kRemote/kIo on failure.
using TableStatsProvider = std::function<Result<std::vector<TableStats>>()>;

/// One committed offload window, from its snapshot summary.
struct WindowStat {
  TimePoint start;
  TimePoint end;
  TimePoint committed;  ///< the commit's snapshot timestamp
  int64_t rows = 0;     ///< rows the commit added
  int64_t bytes = 0;    ///< bytes of the data files the commit added
  int64_t files = 0;    ///< data files the commit added

  nlohmann::json ToJson() const;
};

/// Upper bounds (bytes) of the data file size buckets in TableDetail; a last
/// bucket holds the larger files.
inline constexpr int64_t kFileSizeBucketBounds[] = {1LL << 20, 8LL << 20, 32LL << 20, 128LL << 20,
                                                    512LL << 20};

/// What the dashboard shows of a table beyond TableStats. Building it plans
/// the current snapshot's files (reads its manifests), so it is built on
/// request (/api/dashboard), never on a scrape.
struct TableDetail {
  TableStats stats;
  int64_t delete_files = 0;      ///< position and equality delete files
  int64_t position_deletes = 0;  ///< deleted rows recorded by position deletes
  int64_t equality_deletes = 0;  ///< rows recorded by equality deletes
  /// Data files per size bucket: one count per kFileSizeBucketBounds, plus the rest.
  std::vector<int64_t> file_size_buckets;
  int64_t smallest_file_bytes = 0;
  int64_t largest_file_bytes = 0;
  /// Files below the compaction's minimum size (maintenance.compaction.min_file_size):
  /// what compaction would rewrite, the table's small-file debt.
  int64_t small_files = 0;
  int64_t small_file_bytes = 0;
  int64_t small_file_threshold_bytes = 0;
  std::optional<WindowStat> last_offload;  ///< the newest offload commit
  std::vector<WindowStat> windows;         ///< windows starting after `since`, oldest first

  nlohmann::json ToJson() const;
};

/// Builds every configured table's detail, with the windows that start at or
/// after `since`. Thread-safe; kRemote/kIo on failure.
using TableDetailProvider = std::function<Result<std::vector<TableDetail>>(TimePoint since)>;

}  // namespace k2::service
