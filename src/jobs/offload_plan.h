#pragma once
/// The offload's window planner: which windows of one table to write, and
/// why. A pure function of the ledger, the clock and what the warm tier said
/// about recent windows (no I/O), so every rule is unit-tested without
/// ClickHouse.
///
///   - catch-up: every window after the cold watermark (or from the oldest
///     warm row, for a new table) that closed at least the settle delay ago,
///     and any gap between committed ranges (left by an explicit --window
///     ahead of the watermark), at most max_windows of them;
///   - late rows: a committed window whose warm count or checksum moved since
///     its commit is replaced exactly, unless ClickHouse no longer holds it
///     (warm expired: its rows are only in cold now, never emptied);
///   - explicit (--window [--until]): the windows asked for, committed ones
///     only with --replace.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "jobs/offload_ledger.h"
#include "jobs/window.h"

namespace k2::jobs {

enum class PlanReason { kNew, kLateRows, kChangedRows, kForced };
/// "new", "late_rows", "changed_rows", "forced".
const char* PlanReasonName(PlanReason reason);

struct PlannedWindow {
  Window window;
  bool replace = false;
  bool skip = false;  ///< already committed and not to be replaced: reported, not written
  PlanReason reason = PlanReason::kNew;
  std::string detail;  ///< for humans: what the check found
};

/// A committed window re-checked in the warm tier.
struct WarmCheck {
  WindowRecord record;
  int64_t warm_rows = 0;
  std::string warm_checksum;
  bool checksum_comparable = true;  ///< false: the commit's columns are gone from ClickHouse
  bool warm_expired = false;        ///< no warm rows for the window and none older
};

struct CatchUpInput {
  const OffloadLedger* ledger = nullptr;
  std::vector<WarmCheck> checks;          ///< the newest committed windows, re-checked
  std::optional<int64_t> oldest_warm_us;  ///< for a table with an empty ledger
  int64_t now_us = 0;
  int64_t window_s = 3600;
  int64_t settle_s = 300;
  size_t max_windows = 48;
};

/// The catch-up plan, oldest first: replaces of changed windows, then new ones.
std::vector<PlannedWindow> PlanCatchUp(const CatchUpInput& input);

/// The windows from `first` through `last` (both windows of the table's
/// length): each must have closed `settle_s` before `now_us` (kInvalidInput
/// naming it otherwise); committed ones are replaced with `replace`, skipped
/// without.
Result<std::vector<PlannedWindow>> PlanExplicit(const OffloadLedger& ledger, const Window& first,
                                                const Window& last, int64_t window_s, bool replace,
                                                int64_t now_us, int64_t settle_s);

}  // namespace k2::jobs
