#include "jobs/warm_views.h"

namespace k2::jobs {

namespace {

/// `name` qualified by `database` (bare when `database` is empty).
std::string Qualified(const std::string& database, const std::string& name) {
  if (database.empty()) return warm::QuoteIdentifier(name);
  return warm::QuoteIdentifier(database) + "." + warm::QuoteIdentifier(name);
}

}  // namespace

std::string ColdRangesTableDdl(const std::string& database) {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (table_name String, version Int64, "
      "ranges Array(Tuple(Int64, Int64)), written_at DateTime DEFAULT now()) "
      "ENGINE = ReplacingMergeTree(version) ORDER BY table_name",
      Qualified(database, kColdRangesTable));
}

std::string ColdRangesInsertSql(const std::string& database, const std::string& table,
                                int64_t version, const std::map<int64_t, int64_t>& ranges) {
  std::string list;
  for (const auto& [start, end] : ranges) {
    list += fmt::format("{}({}, {})", list.empty() ? "" : ", ", start, end);
  }
  return fmt::format("INSERT INTO {} (table_name, version, ranges) VALUES ({}, {}, [{}])",
                     Qualified(database, kColdRangesTable), warm::QuoteLiteral(table), version,
                     list);
}

std::string InColdRangesSql(const warm::TimeColumn& time, const std::string& database,
                            const std::string& table) {
  // The scalar subquery runs once per query; argMax over no rows is [].
  const std::string second = time.WarmEpochSeconds(warm::QuoteIdentifier(time.name));
  return fmt::format(
      "arrayExists(k2_r -> ({0} >= intDiv(k2_r.1, 1000000) AND {0} < intDiv(k2_r.2, 1000000)), "
      "(SELECT argMax(ranges, version) FROM {1} WHERE table_name = {2}))",
      second, Qualified(database, kColdRangesTable), warm::QuoteLiteral(table));
}

std::string WarmViewSql(const TierTable& t, const std::string& database,
                        const std::vector<std::string>& configured) {
  const std::string view = Qualified(database, t.name + kViewSuffix);
  const std::string all_warm = QualifyTables(t.warm.AllRowsSql(), configured, database);
  std::string names;
  for (const auto& [name, type] : t.warm.columns) {
    names += (names.empty() ? "" : ", ") + warm::QuoteIdentifier(name);
  }
  if (!t.cold || !t.cold->has_snapshot) {
    return fmt::format("CREATE OR REPLACE VIEW {} AS\nSELECT {} FROM ({})", view, names, all_warm);
  }
  // Cold columns cast to the warm types (UNION ALL matches by position); the
  // filter runs on the cast columns, as k2 query's does.
  const std::string in_cold = InColdRangesSql(t.warm.time, database, t.name);
  return fmt::format(
      "CREATE OR REPLACE VIEW {} AS\n"
      "SELECT * FROM (SELECT {} FROM icebergLocal({})) WHERE {}\n"
      "UNION ALL\n"
      "SELECT {} FROM ({}) WHERE NOT {}",
      view, ColdColumnsAs(t.cold->schema, t.warm.columns), warm::QuoteLiteral(t.cold->location),
      in_cold, names, all_warm, in_cold);
}

Status CheckServerReadsIceberg(warm::WarmDriver& driver) {
  auto count =
      driver.Execute("SELECT count() FROM system.table_functions WHERE name = 'icebergLocal'");
  if (count) {
    auto row = warm::TsvFirstRow(*count);
    if (!row.empty() && row[0] == "1") return OkStatus();
  }
  return MakeError(ErrorKind::kUnsupported,
                   "ClickHouse {} cannot read Iceberg (no icebergLocal table function{}): "
                   "k2 warm views needs ClickHouse 24.x or later (or chDB); k2 query reads both "
                   "tiers from any server",
                   driver.ServerVersion(),
                   count ? "" : ": " + count.error().message.substr(0, 200));
}

Status PublishColdRanges(warm::WarmDriver& driver, const std::string& table, int64_t version,
                         const std::map<int64_t, int64_t>& ranges) {
  K2_ASSIGN_OR_RETURN(std::string exists,
                      driver.Execute(fmt::format("EXISTS TABLE {}", kColdRangesTable)));
  if (!exists.starts_with("1")) return OkStatus();
  K2_RETURN_IF_ERROR(driver.Execute(ColdRangesInsertSql("", table, version, ranges)));
  return OkStatus();
}

}  // namespace k2::jobs
