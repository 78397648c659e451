#pragma once
/// The medallion reference schema k2 is built and tested against: raw exchange
/// messages -> bronze (parsed, typed) -> silver (validated, de-duplicated,
/// normalized symbols) -> gold OHLCV candles at 1m/5m/15m/30m/1h/1d, fed by
/// materialized views, and each table's default offload query. Two flavours:
/// modern (ClickHouse 22+ / chDB 26.x; sql/reference_schema.sql) and legacy
/// (the old Debian clickhouse-server 18.16: DateTime plus a milliseconds
/// column, visitParamExtract* parsing, views chained through the upstream
/// view's name; sql/reference_schema_legacy.sql). Documented in docs/warm.md.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "warm/warm_driver.h"

namespace k2::warm {

/// Which SQL dialect the reference schema is written for.
enum class SchemaFlavor {
  kModern,  ///< ClickHouse 22+ and chDB: DateTime64, JSONExtract*, Bool, LowCardinality
  kLegacy,  ///< ClickHouse 18.16 .. 21.x: DateTime + milliseconds, visitParamExtract*
};

/// "modern" / "legacy".
std::string_view SchemaFlavorName(SchemaFlavor flavor);
/// Parses "modern" / "legacy" (kInvalidInput otherwise, naming the value).
Result<SchemaFlavor> ParseSchemaFlavor(std::string_view name);
/// The flavour for a server version string ("18.16.1" -> legacy, "24.3.1.2" ->
/// modern): major version below 22 is legacy. kInvalidInput for an unparsable
/// version.
Result<SchemaFlavor> SchemaFlavorForVersion(std::string_view version);
/// Asks the server (SELECT version()) and picks the flavour by
/// SchemaFlavorForVersion. Errors of the driver pass through.
Result<SchemaFlavor> DetectSchemaFlavor(WarmDriver& driver);

/// One table of the reference schema.
struct ReferenceTable {
  std::string name;               ///< "silver_trades", "gold_ohlcv_1m", ...
  std::string layer;              ///< "raw" | "bronze" | "silver" | "gold"
  std::string time_column;        ///< the offload window's column
  int64_t window_seconds = 3600;  ///< default offload window: 1h (1d for daily candles)
  std::string create_sql;         ///< CREATE TABLE IF NOT EXISTS ...
  std::string view_sql;           ///< CREATE MATERIALIZED VIEW feeding it ("" for raw)
  /// The default offload SELECT with {start} and {end} placeholders for the
  /// window [start, end) on time_column; fill it with FillWindow
  /// (warm/time_column.h) and a DateTime time column. Gold tables
  /// are read finalized (-Merge combinators, GROUP BY), silver with FINAL.
  std::string offload_select;
  /// The reference table this one is derived from ("" for raw and for the
  /// legacy flavour) and the derivation: the view's definition as a SELECT
  /// of window [{start}, {end}) over `{source}` (the upstream table's cold
  /// rows), finalized like offload_select (backfill --derive).
  std::string derive_from;
  std::string derive_select;
  /// Candles: the bucket of a trade's event_time (e.g. toStartOfMinute(event_time)).
  std::string candle_bucket;
};

/// The reference table `name` of the modern flavour, or nullptr.
const ReferenceTable* FindReferenceTable(std::string_view name);

/// The reference tables of the modern flavour in dependency order (raw,
/// bronze, silver, gold 1m..1d).
const std::vector<ReferenceTable>& ReferenceTables();
/// The reference tables of a flavour: the same nine names, layers, time
/// columns and windows in the same order; SQL in that flavour's dialect. The
/// legacy offload queries compare the time column with DateTime values, as
/// FillWindow's literals of a DateTime column (toDateTime(N, 'UTC')) do in
/// both flavours.
const std::vector<ReferenceTable>& ReferenceTables(SchemaFlavor flavor);

/// Every statement creating the schema, in order: tables, then views.
std::vector<std::string> ReferenceSchemaStatements(SchemaFlavor flavor = SchemaFlavor::kModern);

/// The schema as one SQL script (what sql/reference_schema.sql, or
/// sql/reference_schema_legacy.sql for the legacy flavour, holds).
std::string ReferenceSchemaScript(SchemaFlavor flavor = SchemaFlavor::kModern);

/// Creates the modern schema (idempotent: IF NOT EXISTS everywhere).
Status ApplyReferenceSchema(WarmDriver& driver);
/// Creates the schema of `flavor` (idempotent). Errors name the statement.
Status ApplyReferenceSchema(WarmDriver& driver, SchemaFlavor flavor);

}  // namespace k2::warm
