#pragma once
/// The hourly offload: every closed window of every configured table moves
/// from ClickHouse into its Iceberg table, exactly once.
///
/// Phases per table (tables run in parallel up to offload.max_parallel_tables;
/// one table's windows run in order, oldest first):
///   1. Resolve: source query and time column (config, else the reference
///      schema), the ClickHouse schema (DESCRIBE; unsupported types fail here,
///      before any data moves), the Iceberg table (created on first offload,
///      partitioned by day of the time column; new ClickHouse columns are added
///      as optional fields).
///   2. Plan: the ledger of committed windows from the main branch's snapshot
///      summaries; due windows after the cold watermark (or the oldest warm
///      row for a new table), bounded by max_windows_per_run; previous windows
///      whose warm count or checksum changed (late rows) become replaces.
///   3. Write: stream the window's rows into Parquet files rolled at the
///      target size (memory: one batch + one row group).
///   4. Commit: append (or overwrite for a replace) with the window recorded in
///      the summary. Validation re-runs against the latest table state on every
///      retry: a window committed meanwhile by another run aborts this commit
///      and deletes its uncommitted files; one committed by this very run (an
///      unknown outcome that did land) counts as done.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "common/config.h"
#include "io/file_io.h"
#include "jobs/window.h"
#include "warm/reference_schema.h"
#include "warm/warm_driver.h"

namespace k2::jobs {

/// What `k2 offload` was asked to do.
struct OffloadOptions {
  std::vector<std::string> tables;  ///< k2 names or targets; empty: every enabled table
  std::string layer;                ///< raw|bronze|silver|gold; empty: all
  std::string window;               ///< one window start ("2026-11-24T10:00Z"); empty: catch up
  std::string until;                ///< with window: offload [window, until)
  bool replace = false;             ///< re-offload the given windows even if committed
  bool dry_run = false;             ///< plan only
  int64_t now_us = 0;               ///< 0: the system clock
  std::function<bool()> cancelled;  ///< polled before each commit; true stops the run
};

/// The outcome of one window.
struct WindowOutcome {
  Window window;
  std::string action;  ///< append | replace | skipped (already committed) | planned
  std::string reason;  ///< why a replace/skip happened
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t files = 0;
  double seconds = 0;
  int64_t snapshot_id = 0;
};

/// The outcome of one table.
struct TableOutcome {
  std::string table;
  std::string target;
  std::vector<WindowOutcome> windows;
  std::optional<Error> error;  ///< the table stopped at this error
  std::optional<int64_t> watermark_us;
  int64_t lag_seconds = -1;  ///< newest closed warm window end - cold watermark (-1 unknown)
};

struct OffloadReport {
  std::vector<TableOutcome> tables;

  bool ok() const;
  bool all_failed() const;
  int64_t total_rows() const;
  nlohmann::json ToJson() const;
};

/// Opens a warm driver for the current thread.
using WarmFactory = std::function<Result<std::unique_ptr<warm::WarmDriver>>()>;

/// Where the offload reads a table's rows (also used by the audit, so both
/// see exactly the same rows of a window).
struct WarmSource {
  std::string query_template;  ///< SQL with {start} and {end}
  std::string time_column;
};
/// The source of `table`: its `query`, else the reference table's offload
/// select, else SELECT * filtered on its time column. kInvalidInput when
/// there is no time column.
/// Reference tables use the query of `flavor` (warm::DetectSchemaFlavor).
Result<WarmSource> ResolveWarmSource(const TableConfig& table,
                                     warm::SchemaFlavor flavor = warm::SchemaFlavor::kModern);
/// The source's SQL for the rows of `window`.
std::string WarmWindowSql(const WarmSource& source, const Window& window);

/// Opens the warm driver the config describes.
Result<std::unique_ptr<warm::WarmDriver>> OpenWarmDriver(const Config& config);

class OffloadJob {
 public:
  /// `catalog` and `io` must outlive the job and be thread-safe.
  OffloadJob(const Config& config, Catalog& catalog, FileIO& io, WarmFactory warm);

  /// Runs the offload. Per-table failures are in the report (other tables go
  /// on); an error result means nothing could run (bad options).
  Result<OffloadReport> Run(const OffloadOptions& options);

 private:
  TableOutcome RunTable(const TableConfig& table, const OffloadOptions& options, int64_t now_us,
                        const std::string& run_id);

  const Config& config_;
  Catalog& catalog_;
  FileIO& io_;
  WarmFactory warm_;
};

}  // namespace k2::jobs
