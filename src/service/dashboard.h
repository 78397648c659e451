#pragma once
/// The operator's dashboard: the JSON behind it (/api/dashboard) and the page
/// itself, whose files (src/service/ui/ and uPlot from node_modules) are
/// embedded in the binary at build time (cmake/embed_assets.cmake), so it
/// works offline and needs no CDN.

#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "service/alerts.h"
#include "service/job_store.h"
#include "service/scheduler.h"
#include "service/table_stats.h"

namespace k2::service {

/// The maintenance jobs whose last run the dashboard shows per table.
inline constexpr std::string_view kDashboardMaintenanceJobs[] = {"compaction", "expire", "orphans",
                                                                 "manifests", "audit"};

/// What the dashboard reads from.
struct DashboardSources {
  Scheduler& scheduler;
  JobStore& store;
  AlertManager& alerts;
  /// Per-table detail for windows starting at or after the argument (may be empty).
  std::function<Result<std::vector<TableDetail>>(TimePoint since)> details;
  bool token_required = false;
};

/// Everything the page shows, as of `now`, with windows of the last `hours`:
///   {"generated", "hours", "token_required", "tables": [TableDetail + "maintenance":
///    {job: last run touching the table}], "jobs": [...], "history": [...], "alerts": [...]}
/// Errors of the table provider or the job store (kIo, kRemote) are returned.
Result<nlohmann::json> BuildDashboard(const DashboardSources& sources, TimePoint now, int hours);

/// The last run of `job` in `runs` (newest first) that concerns `table`: one
/// whose outcome lists it, or a failed run (which lists no tables). Null if none.
nlohmann::json LastRunFor(const std::vector<JobRun>& runs, const std::string& table);

/// A file of the page, embedded at build time.
struct UiAsset {
  std::string_view path;  ///< URL path: "/" or "/ui/<file>"
  std::string_view content_type;
  std::string_view body;
};
/// The embedded asset served at `path`, or null.
const UiAsset* FindUiAsset(std::string_view path);

}  // namespace k2::service
