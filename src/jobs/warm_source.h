#pragma once
/// Where the offload, the late-row check and the audit read a table's rows in
/// ClickHouse, so that all three see exactly the same rows of a window:
///   - the query: the table's `query:` template, else the reference table's
///     offload select, else SELECT * filtered on the time column;
///   - the time column, compared in its own type (warm/time_column.h:
///     DateTime, DateTime64, Date, Date32, or an integer epoch in
///     `time_unit`), so ClickHouse's primary key still prunes;
///   - FINAL, for sources of the ReplacingMergeTree family (read as
///     ClickHouse means them: the deduplicated rows).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "columnar/column_batch.h"
#include "common/config.h"
#include "common/result.h"
#include "jobs/window.h"
#include "jobs/window_stats.h"
#include "warm/time_column.h"
#include "warm/warm_driver.h"

namespace k2::jobs {

/// The engines whose rows ClickHouse deduplicates or collapses at merge time
/// (and their Replicated forms): read with FINAL.
bool IsMergingEngine(const std::string& engine);

struct WarmSource {
  std::string table;           ///< the k2 name (for messages)
  std::string query_template;  ///< SQL with {start} and {end}
  warm::TimeColumn time;
  bool final = false;               ///< rows read with FINAL
  std::vector<WarmColumn> columns;  ///< the query's columns (DESCRIBE)

  /// The rows of `window`: the template filled by warm::FillWindow.
  std::string WindowSql(const Window& window) const;
  /// Every row from 1970 to 2100 (probes: the oldest warm row).
  std::string AllRowsSql() const;
};

/// Resolves `table`'s source against the server: its engine (FINAL), the time
/// column's type, the query's columns. Unsupported time columns and missing
/// columns fail here, before any data moves.
Result<WarmSource> ResolveWarmSource(warm::WarmDriver& driver, const TableConfig& table);

/// Start of the oldest row in the source (its epoch second, in
/// microseconds), or nullopt when it holds none.
Result<std::optional<int64_t>> OldestWarmUs(warm::WarmDriver& driver, const WarmSource& source);

/// Rows per window of `window_s` seconds in [from_us, to_us), by window
/// start, in one grouped query (windows without rows are absent).
Result<std::map<int64_t, int64_t>> WarmRowsByWindow(warm::WarmDriver& driver,
                                                    const WarmSource& source, int64_t from_us,
                                                    int64_t to_us, int64_t window_s);

}  // namespace k2::jobs
