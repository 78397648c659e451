#include "warm/time_column.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "columnar/value.h"

namespace k2::warm {

namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

/// The type inside Nullable(...) / LowCardinality(...).
std::string BareType(std::string type) {
  for (bool again = true; again;) {
    again = false;
    for (std::string_view wrapper : {"Nullable(", "LowCardinality("}) {
      if (type.starts_with(wrapper) && type.ends_with(")")) {
        type = type.substr(wrapper.size(), type.size() - wrapper.size() - 1);
        again = true;
      }
    }
  }
  return type;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int64_t CeilDays(int64_t us) {
  return -FloorDiv(-us, kMicrosPerDay);
}

std::string DateText(int64_t days) {
  return FormatTimestampMicros(days * kMicrosPerDay).substr(0, 10);
}

/// `us` in the integer column's unit, clamped to Int64.
int64_t ToUnits(int64_t us, int64_t units_per_second) {
  __int128 v = static_cast<__int128>(us) * units_per_second;
  v = v >= 0 ? v / kMicrosPerSecond : -((-v + kMicrosPerSecond - 1) / kMicrosPerSecond);
  v = std::clamp<__int128>(v, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(v);
}

}  // namespace

std::string TimeColumn::WarmLiteral(int64_t us) const {
  switch (kind) {
    case Kind::kDateTime:
    case Kind::kDateTime64:
      // Whole seconds (windows are aligned); compares exactly with DateTime
      // and DateTime64 on every ClickHouse version k2 supports.
      return fmt::format("toDateTime({}, 'UTC')", FloorDiv(us, kMicrosPerSecond));
    case Kind::kDate:
      return fmt::format("toDate('{}')", DateText(std::max<int64_t>(0, CeilDays(us))));
    case Kind::kDate32:
      return fmt::format("toDate32('{}')", DateText(CeilDays(us)));
    case Kind::kInteger:
      return std::to_string(ToUnits(us, units_per_second));
  }
  return {};
}

std::string TimeColumn::WarmEpochSeconds(const std::string& expr) const {
  switch (kind) {
    case Kind::kDateTime:
    case Kind::kDateTime64:
      return fmt::format("toInt64(toUnixTimestamp({}))", expr);
    case Kind::kDate:
    case Kind::kDate32:
      return fmt::format("toInt64(toUnixTimestamp(toDateTime({}, 'UTC')))", expr);
    case Kind::kInteger:
      return fmt::format("intDiv(toInt64({}), {})", expr, units_per_second);
  }
  return {};
}

std::optional<int64_t> TimeColumn::ColdMicros(const Column& c, size_t row) const {
  if (!c.IsValid(row)) return std::nullopt;
  switch (c.type().id) {
    case TypeId::kDate:
    case TypeId::kInt32:
      return MicrosOf(c.type().id, c.Value<int32_t>(row));
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
    case TypeId::kInt64:
      return MicrosOf(c.type().id, c.Value<int64_t>(row));
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> TimeColumn::MicrosOf(TypeId type, int64_t v) const {
  switch (type) {
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return v;
    case TypeId::kTimestampNs:
      return FloorDiv(v, 1000);
    case TypeId::kDate:
      return v * kMicrosPerDay;
    case TypeId::kInt32:
    case TypeId::kInt64:
      break;
    default:
      return std::nullopt;
  }
  if (kind != Kind::kInteger || units_per_second <= 0) return std::nullopt;
  __int128 us = static_cast<__int128>(v) * kMicrosPerSecond;
  us = us >= 0 ? us / units_per_second : -((-us + units_per_second - 1) / units_per_second);
  return static_cast<int64_t>(std::clamp<__int128>(us, std::numeric_limits<int64_t>::min(),
                                                   std::numeric_limits<int64_t>::max()));
}

std::string TimeColumn::ColdLiteral(int64_t us) const {
  switch (kind) {
    case Kind::kDate:
    case Kind::kDate32:
      return DateText(CeilDays(us));
    case Kind::kInteger:
      return std::to_string(ToUnits(us, units_per_second));
    default:
      return FormatTimestampMicros(us);
  }
}

Result<TimeColumn> ResolveTimeColumn(
    const std::vector<std::pair<std::string, std::string>>& columns, const std::string& name,
    const std::string& unit) {
  auto it =
      std::find_if(columns.begin(), columns.end(), [&](const auto& c) { return c.first == name; });
  if (it == columns.end()) {
    return MakeError(ErrorKind::kInvalidInput, "time column '{}' is not among the query's columns",
                     name);
  }
  std::string type = BareType(it->second);
  TimeColumn t;
  t.name = name;
  static const std::vector<std::string> kIntegers = {"Int8",  "Int16",  "Int32",  "Int64",
                                                     "UInt8", "UInt16", "UInt32", "UInt64"};
  bool integer = std::find(kIntegers.begin(), kIntegers.end(), type) != kIntegers.end();
  if (type == "DateTime" || type.starts_with("DateTime(")) {
    t.kind = TimeColumn::Kind::kDateTime;
  } else if (type.starts_with("DateTime64")) {
    t.kind = TimeColumn::Kind::kDateTime64;
  } else if (type == "Date") {
    t.kind = TimeColumn::Kind::kDate;
  } else if (type == "Date32") {
    t.kind = TimeColumn::Kind::kDate32;
  } else if (integer) {
    t.kind = TimeColumn::Kind::kInteger;
    if (unit.empty()) {
      return MakeError(ErrorKind::kInvalidInput,
                       "time column '{}' is {}: an integer time column needs time_unit "
                       "(s, ms, us or ns) in the table's config",
                       name, it->second);
    }
    t.units_per_second = unit == "s"    ? 1
                         : unit == "ms" ? 1000
                         : unit == "us" ? 1000000
                                        : 1000000000;
    return t;
  } else {
    return MakeError(ErrorKind::kInvalidInput,
                     "time column '{}' is {}, which cannot be a time column (DateTime, "
                     "DateTime64, Date, Date32, or an integer epoch with time_unit)",
                     name, it->second);
  }
  if (!unit.empty()) {
    return MakeError(ErrorKind::kInvalidInput,
                     "time_unit '{}' is for integer time columns; '{}' is {}", unit, name,
                     it->second);
  }
  return t;
}

std::string FillWindow(std::string_view query_template, const TimeColumn& time, int64_t start_us,
                       int64_t end_us) {
  std::string out;
  out.reserve(query_template.size() + 64);
  for (size_t i = 0; i < query_template.size();) {
    if (query_template.compare(i, 7, "{start}") == 0) {
      out += time.WarmLiteral(start_us);
      i += 7;
    } else if (query_template.compare(i, 5, "{end}") == 0) {
      out += time.WarmLiteral(end_us);
      i += 5;
    } else {
      out.push_back(query_template[i++]);
    }
  }
  return out;
}

}  // namespace k2::warm
