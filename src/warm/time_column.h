#pragma once
/// The time column an offload window is cut on, by its ClickHouse type, and
/// the one window filler: a query template's {start} and {end} become
/// literals the column compares in its own type (DateTime, DateTime64, Date,
/// Date32, or an integer epoch in `time_unit`), so ClickHouse's primary key
/// still prunes. The offload, the late-row check, the audit and the backfill
/// (jobs/warm_source.h) and the reference schema's tests fill windows here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "columnar/column_batch.h"
#include "common/result.h"

namespace k2::warm {

/// A time column by its ClickHouse type.
struct TimeColumn {
  enum class Kind { kDateTime, kDateTime64, kDate, kDate32, kInteger };
  std::string name;
  Kind kind = Kind::kDateTime;
  int64_t units_per_second = 0;  ///< kInteger: 1, 1000, 1000000 or 1000000000

  /// The ClickHouse literal of instant `us` as the column compares it: whole
  /// seconds (floored) for DateTime and DateTime64, as windows are aligned;
  /// for Date columns the first day starting at or after `us` (a date's rows
  /// are at its midnight), so `col >= lit(start) AND col < lit(end)` is
  /// exactly the window's rows.
  std::string WarmLiteral(int64_t us) const;
  /// ClickHouse SQL giving `expr` (a value of the column) in epoch seconds.
  std::string WarmEpochSeconds(const std::string& expr) const;
  /// The instant (microseconds) of a cold value of this column (as the type
  /// mapping stored it in Iceberg), or nullopt for a null or another type.
  std::optional<int64_t> ColdMicros(const Column& column, size_t row) const;
  /// The instant of `raw`, a cold value of Iceberg type `type` (timestamp
  /// micros or nanos, date days, or the integer column's units).
  std::optional<int64_t> MicrosOf(TypeId type, int64_t raw) const;
  /// A k2 predicate literal (text) for instant `us` on the Iceberg column,
  /// with the same rounding as WarmLiteral.
  std::string ColdLiteral(int64_t us) const;
};

/// The time column `name` among `columns` (name and ClickHouse type, as
/// DESCRIBE prints them) with `unit` ("" for date/time columns).
/// kInvalidInput naming the column and its type when it cannot be a time
/// column, when an integer column has no unit, or a date/time one has one.
Result<TimeColumn> ResolveTimeColumn(
    const std::vector<std::pair<std::string, std::string>>& columns, const std::string& name,
    const std::string& unit);

/// `query_template` with {start} and {end} replaced by `time`'s literals of
/// the window [start_us, end_us).
std::string FillWindow(std::string_view query_template, const TimeColumn& time, int64_t start_us,
                       int64_t end_us);

}  // namespace k2::warm
