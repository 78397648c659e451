#pragma once
/// The medallion reference schema k2 is built and tested against (modern
/// ClickHouse / chDB 26.x): raw exchange messages -> bronze (parsed, typed) ->
/// silver (validated, de-duplicated, normalized symbols) -> gold OHLCV candles
/// at 1m/5m/15m/30m/1h/1d, fed by materialized views, and each table's default
/// offload query. The same SQL is checked in as sql/reference_schema.sql and
/// documented in docs/warm.md.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "warm/warm_driver.h"

namespace k2::warm {

/// One table of the reference schema.
struct ReferenceTable {
  std::string name;               ///< "silver_trades", "gold_ohlcv_1m", ...
  std::string layer;              ///< "raw" | "bronze" | "silver" | "gold"
  std::string time_column;        ///< the offload window's column
  int64_t window_seconds = 3600;  ///< default offload window: 1h (1d for daily candles)
  std::string create_sql;         ///< CREATE TABLE IF NOT EXISTS ...
  std::string view_sql;           ///< CREATE MATERIALIZED VIEW feeding it ("" for raw)
  /// The default offload SELECT with {start} and {end} placeholders for the
  /// window [start, end) on time_column; fill it with FillWindow. Gold tables
  /// are read finalized (-Merge combinators, GROUP BY), silver with FINAL.
  std::string offload_select;
};

/// The reference tables in dependency order (raw, bronze, silver, gold 1m..1d).
const std::vector<ReferenceTable>& ReferenceTables();

/// Every statement creating the schema, in order: tables, then views.
std::vector<std::string> ReferenceSchemaStatements();

/// The schema as one SQL script (what sql/reference_schema.sql holds).
std::string ReferenceSchemaScript();

/// Creates the schema (idempotent: IF NOT EXISTS everywhere).
Status ApplyReferenceSchema(WarmDriver& driver);

/// Replaces {start} and {end} in `select_template` with DateTime64(6, 'UTC')
/// literals for microseconds since epoch (safely quoted).
std::string FillWindow(const std::string& select_template, int64_t start_micros,
                       int64_t end_micros);

}  // namespace k2::warm
