#pragma once
/// The audit of a backfill's branch before it is published, run by the
/// embedded ClickHouse engine over the Iceberg files (an engine k2's writer
/// did not write):
///   - per window, the branch's rows and checksum (read back, cast to the
///     producer's column types, hashed as the writer hashed them) against
///     what the backfill recorded when it wrote them;
///   - for candles (the gold reference tables): high >= max(open, close),
///     low <= min(open, close), trade_count > 0, and every candle against
///     its source trades (open and close are the first and last trade,
///     volume their summed quantity, trade_count their number): the view's
///     aggregates recomputed over the cold source;
///   - a diff against main: windows changed, rows added and removed, and
///     per measure the largest change and the candle where it is.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jobs/backfill/backfill.h"

namespace k2::jobs {

struct BackfillWindowCheck {
  Window window;
  int64_t written_rows = 0;
  std::string written_checksum;
  int64_t branch_rows = 0;
  std::string branch_checksum = "0";
  int64_t main_rows = 0;
  std::string main_checksum = "0";

  bool ok() const { return branch_rows == written_rows && branch_checksum == written_checksum; }
  bool changed() const { return branch_rows != main_rows || branch_checksum != main_checksum; }
};

/// A measure's change between main and the branch, over rows of the same key.
struct MeasureChange {
  std::string column;
  int64_t rows_changed = 0;
  double max_abs_change = 0;
  std::string key;  ///< where the largest change is
};

struct BackfillAudit {
  std::string id;
  std::string table;
  int64_t branch_snapshot_id = 0;
  int64_t main_snapshot_id = 0;
  std::vector<BackfillWindowCheck> windows;
  std::vector<std::string> checks;    ///< what was checked, with its counts
  std::vector<std::string> failures;  ///< why it must not be published
  int64_t windows_changed = 0;
  int64_t rows_added = 0;
  int64_t rows_removed = 0;
  std::vector<MeasureChange> measures;

  bool ok() const { return failures.empty(); }
  nlohmann::json ToJson() const;
};

/// Audits backfill `id` (written or running: the windows written so far).
Result<BackfillAudit> AuditBackfill(const BackfillEnv& env, const std::string& id);

}  // namespace k2::jobs
