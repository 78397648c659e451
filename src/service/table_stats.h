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

struct TableStats {
  std::string table;                   ///< Iceberg "namespace.table"
  std::optional<TimePoint> watermark;  ///< end of the last offloaded window
  double lag_seconds = 0;              ///< now - watermark (cold lag)
  int64_t data_files = 0;
  int64_t total_bytes = 0;
  int64_t total_rows = 0;
  int64_t snapshots = 0;

  nlohmann::json ToJson() const;
};

/// Called on scrape, on /api/tables and on every lag check; may be slow
/// (catalog round trips) but must be thread-safe. kRemote/kIo on failure.
using TableStatsProvider = std::function<Result<std::vector<TableStats>>()>;

}  // namespace k2::service
