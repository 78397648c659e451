#pragma once
/// Writes and commits one planned window: stream it (window_writer), then an
/// append, or an exact replace (exact_replace), whose validation re-runs
/// against the latest table state on every attempt: a window committed
/// meanwhile by another run abandons this commit and deletes its files; one
/// committed by this very run (an unknown outcome that did land) counts as
/// done; files that may have been committed are never deleted. The same
/// metadata version records the window in the ledger property (and the empty
/// windows written since the last commit). A replace that would empty a
/// window ClickHouse no longer holds is refused unless forced.

#include <optional>
#include <string>
#include <vector>

#include "jobs/offload.h"
#include "jobs/offload/table_context.h"
#include "jobs/offload_ledger.h"
#include "jobs/offload_plan.h"

namespace k2::jobs {

/// What the offload of one table's windows shares across them.
struct WindowJob {
  const Config& config;
  FileIO& io;
  TableContext& ctx;
  warm::WarmDriver& warm;
  const OffloadOptions& options;
  const std::string& run_id;
  /// Empty windows written since the last commit: recorded by the next one.
  std::vector<WindowRecord> empties;
  std::optional<std::optional<int64_t>> oldest_warm;  ///< asked once, when needed
};

/// Streams and commits one planned window (retrying a lost commit race).
Result<WindowOutcome> OffloadWindow(WindowJob& j, const PlannedWindow& p);

/// Whether ClickHouse no longer holds window `w`: no rows this old at all
/// (the oldest warm row asked once per table, kept in `oldest_cache`).
Result<bool> WarmExpired(warm::WarmDriver& warm, const WarmSource& source, const Window& w,
                         std::optional<std::optional<int64_t>>& oldest_cache);

}  // namespace k2::jobs
