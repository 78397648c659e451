#pragma once
/// The warm-vs-cold audit: for every window a table's Iceberg ledger says was
/// offloaded, does ClickHouse (warm) still hold what was committed, and does
/// the Iceberg table (cold) hold the same rows?
///
/// Phases per table (tables run one after the other):
///   1. Ledger: every committed window (start >= since) the table's ledger
///      knows (jobs/offload_ledger.h), whether or not its snapshot still
///      exists; old windows kept as ranges only are judged warm against cold.
///   2. Cold: one k2 scan of the table (time >= since) buckets rows by window:
///      row count and the exact sum of every integer and decimal column.
///   3. Warm: per window, through the offload's own source
///      (jobs/warm_source.h: the same query, time column and FINAL): row count and the offload
///      checksum (jobs/window_stats.h, the kind and columns the commit recorded), then count() and
///      sum() of the same integer/decimal columns (as Decimal128, exact).
///   4. Verdict per window:
///      - ok: warm count and checksum equal the committed ones, and cold count
///        and every column sum equal warm's;
///      - mismatch: any of those differ (the detail names which);
///      - warm_expired: warm has no rows for the window and nothing older
///        (ClickHouse TTL dropped it) while cold still has the committed count:
///        not a mismatch;
///      - missing_in_warm: warm has no rows for a committed window but does
///        hold older rows (something deleted them);
///      - missing_in_cold: a window between committed ones that warm has rows
///        for but the ledger does not (or cold rows outside any committed
///        window).
/// The checksum itself is only computed by ClickHouse, so cold is compared
/// by count and column sums, and warm by count and checksum against the
/// commit: a changed string in warm is caught by the checksum, a lost or
/// altered row in cold by the count or a sum.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cancellation.h"
#include "common/config.h"
#include "iceberg/catalog.h"
#include "io/file_io.h"
#include "jobs/offload.h"
#include "jobs/window.h"

namespace k2::jobs {

struct AuditOptions {
  std::vector<std::string> tables;            ///< k2 names or targets; empty: every enabled table
  std::string layer;                          ///< raw|bronze|silver|gold; empty: all
  int64_t since_us = 0;                       ///< audit windows starting at or after this; 0: all
  const CancellationToken* cancel = nullptr;  ///< checked between windows: stops with kCancelled
};

enum class AuditStatus { kOk, kWarmExpired, kMismatch, kMissingInWarm, kMissingInCold };
/// "ok", "warm_expired", "mismatch", "missing_in_warm", "missing_in_cold".
const char* AuditStatusName(AuditStatus status);
/// Whether the status is a disagreement (mismatch or missing).
bool IsAuditFailure(AuditStatus status);

/// One integer/decimal column's sum over a window, as decimal text.
struct ColumnSum {
  std::string column;
  std::string warm;
  std::string cold;
};

struct WindowAudit {
  Window window;
  AuditStatus status = AuditStatus::kOk;
  int64_t committed_rows = -1;  ///< -1: not in the ledger
  int64_t warm_rows = -1;       ///< -1: not queried
  int64_t cold_rows = 0;
  std::string committed_checksum;
  std::string warm_checksum;
  /// The backfill that committed the window ("backfill:<id>:warm|derive",
  /// its ledger run id); "" for the hourly offload.
  std::string backfill;
  std::vector<ColumnSum> sums;  ///< every compared column
  std::string detail;           ///< what differs, for humans
};

struct TableAudit {
  std::string table;
  std::string target;
  std::vector<WindowAudit> windows;  ///< oldest first
  std::optional<Error> error;        ///< the audit of this table stopped here
  int64_t Count(AuditStatus status) const;
  bool failed() const;  ///< any window mismatched or missing
};

struct AuditReport {
  std::vector<TableAudit> tables;
  bool mismatch() const;  ///< any table's window disagrees
  bool errors() const;    ///< any table could not be audited
  nlohmann::json ToJson() const;
};

class AuditJob {
 public:
  /// `catalog` and `io` must outlive the job.
  AuditJob(const Config& config, Catalog& catalog, FileIO& io, WarmFactory warm);

  /// Audits the selected tables. Per-table failures are in the report;
  /// kInvalidInput for bad options (unknown table or layer), kCancelled when
  /// `cancel` was cancelled.
  Result<AuditReport> Run(const AuditOptions& options);

 private:
  TableAudit RunTable(const TableConfig& table, const AuditOptions& options);

  const Config& config_;
  Catalog& catalog_;
  FileIO& io_;
  WarmFactory warm_;
};

}  // namespace k2::jobs
