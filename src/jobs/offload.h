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
///   2. Plan (jobs/offload_plan.h): the ledger of committed windows (the
///      table's k2.ledger property, jobs/offload_ledger.h); due windows after
///      the cold watermark (or the oldest warm row for a new table), bounded
///      by max_windows_per_run; previous windows whose warm count or checksum
///      changed (late rows) become replaces, unless ClickHouse dropped them.
///   3. Write: stream the window's rows into Parquet files rolled at the
///      target size (memory: three batches + one row group). An empty window
///      writes nothing and is recorded by the next commit (no snapshot).
///   4. Commit: append (or overwrite for a replace) with the window recorded in
///      the ledger property and the snapshot summary, in one metadata version. Validation re-runs
///      against the latest table state on every retry: a window committed meanwhile by another run
///      aborts this commit and deletes its uncommitted files; one committed by this very run (an
///      unknown outcome that did land) counts as done.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cancellation.h"
#include "common/config.h"
#include "iceberg/catalog.h"
#include "io/file_io.h"
#include "jobs/warm_source.h"
#include "jobs/window.h"
#include "warm/driver_factory.h"
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
  bool force = false;               ///< a replace may empty a window ClickHouse no longer holds
  bool dry_run = false;             ///< plan only
  int64_t now_us = 0;               ///< 0: the system clock
  const CancellationToken* cancel = nullptr;  ///< checked before each commit: stops the run
};

/// The outcome of one window.
struct WindowOutcome {
  Window window;
  /// append | replace | empty (no rows: recorded without a snapshot) |
  /// skipped (already committed) | planned / committed (dry run)
  std::string action;
  std::string reason;  ///< why a replace/skip happened
  int64_t rows = 0;    ///< rows written (dry run: rows the warm tier holds now)
  int64_t bytes = 0;
  int64_t files = 0;
  double seconds = 0;
  int64_t snapshot_id = 0;
};

/// What the offload did to one table, window by window (the audit's twin is
/// TableAudit). The daemon keeps only its totals: service::TableOutcome, the
/// one record of what any job did to a table, is summed from this report's
/// JSON (cli/builtin_jobs.cpp), which is also what an embedded-engine child prints.
struct TableOffload {
  std::string table;   ///< k2 name
  std::string target;  ///< Iceberg "namespace.table"
  std::vector<WindowOutcome> windows;
  std::optional<Error> error;  ///< the table stopped at this error
  std::optional<int64_t> watermark_us;
  int64_t lag_seconds = -1;  ///< newest closed warm window end - cold watermark (-1 unknown)
};

struct OffloadReport {
  std::vector<TableOffload> tables;

  bool ok() const;
  bool all_failed() const;
  int64_t total_rows() const;
  nlohmann::json ToJson() const;
};

/// Opens a warm driver for the current thread.
using WarmFactory = std::function<Result<std::unique_ptr<warm::WarmDriver>>()>;

/// Refuses options that cannot be right, before anything is opened: --replace
/// or --until without --window, --force without --replace, a window that is
/// not a window start of the selected tables, outside 1970..9999, or an
/// --until not after it (kInvalidInput: a usage error); unknown tables or
/// layers (kNotFound / kInvalidInput).
Status CheckOffloadOptions(const Config& config, const OffloadOptions& options);

/// Opens the warm driver the config describes (warm/driver_factory.h).
inline Result<std::unique_ptr<warm::WarmDriver>> OpenWarmDriver(const Config& config) {
  return warm::OpenWarmDriver(config);
}

class OffloadJob {
 public:
  /// `catalog` and `io` must outlive the job and be thread-safe.
  OffloadJob(const Config& config, Catalog& catalog, FileIO& io, WarmFactory warm);

  /// Runs the offload. Per-table failures are in the report (other tables go
  /// on); an error result means nothing could run (bad options).
  Result<OffloadReport> Run(const OffloadOptions& options);

  /// The --window/--until range, checked once for every table.
  struct RunWindows {
    std::optional<int64_t> from_us;  ///< set: offload [from, until) only
    int64_t until_us = 0;
  };
  /// kInvalidInput for options that cannot be right (see CheckOffloadOptions).
  static Result<RunWindows> ParseWindows(const OffloadOptions& options,
                                         const std::vector<const TableConfig*>& selected);

 private:
  TableOffload RunTable(const TableConfig& table, const OffloadOptions& options,
                        const RunWindows& windows, int64_t now_us, const std::string& run_id);

  const Config& config_;
  Catalog& catalog_;
  FileIO& io_;
  WarmFactory warm_;
};

}  // namespace k2::jobs
