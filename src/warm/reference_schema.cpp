#include "warm/reference_schema.h"

#include "columnar/value.h"
#include "common/strings.h"

namespace k2::warm {
namespace {

constexpr const char* kRawCreate = R"(CREATE TABLE IF NOT EXISTS raw_trades
(
    exchange LowCardinality(String) COMMENT 'source exchange/feed, e.g. binance',
    message String COMMENT 'the exchange message exactly as received',
    ingested_at DateTime64(6, 'UTC') COMMENT 'when k2 (or the collector) received it'
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (exchange, ingested_at))";

constexpr const char* kBronzeCreate = R"(CREATE TABLE IF NOT EXISTS bronze_trades
(
    exchange LowCardinality(String),
    symbol LowCardinality(String) COMMENT 'as the exchange spelled it',
    trade_id UInt64,
    price Decimal(18, 8),
    quantity Decimal(18, 8),
    side Enum8('buy' = 1, 'sell' = 2) COMMENT 'aggressor side',
    is_buyer_maker Bool,
    event_time DateTime64(6, 'UTC') COMMENT 'exchange trade time',
    ingested_at DateTime64(6, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (exchange, symbol, event_time, trade_id))";

// Binance combined-stream trade messages:
// {"stream":"btcusdt@trade","data":{"e":"trade","E":..,"s":"BTCUSDT","t":..,"p":"..","q":"..","T":..,"m":true,"M":true}}
// Messages that are not trades or do not parse are dropped here (they stay in raw).
// The bronze rows of raw messages read from {from}: the view's definition,
// and the derivation of bronze from cold raw rows (backfill --derive).
constexpr const char* kBronzeSelect = R"(WITH
    JSONExtractString(message, 'data', 'p') AS p_text,
    JSONExtractString(message, 'data', 'q') AS q_text,
    JSONExtractBool(message, 'data', 'm') AS maker
SELECT
    exchange,
    JSONExtractString(message, 'data', 's') AS symbol,
    JSONExtractUInt(message, 'data', 't') AS trade_id,
    assumeNotNull(toDecimal64OrNull(p_text, 8)) AS price,
    assumeNotNull(toDecimal64OrNull(q_text, 8)) AS quantity,
    if(maker, 'sell', 'buy') AS side,
    maker AS is_buyer_maker,
    toDateTime64(fromUnixTimestamp64Milli(JSONExtractInt(message, 'data', 'T'), 'UTC'), 6, 'UTC') AS event_time,
    ingested_at
FROM {from}
WHERE isValidJSON(message)
    AND JSONExtractString(message, 'data', 'e') = 'trade'
    AND JSONHas(message, 'data', 't') AND JSONHas(message, 'data', 'T')
    AND isNotNull(toDecimal64OrNull(p_text, 8))
    AND isNotNull(toDecimal64OrNull(q_text, 8)))";

constexpr const char* kSilverCreate = R"(CREATE TABLE IF NOT EXISTS silver_trades
(
    exchange LowCardinality(String),
    symbol LowCardinality(String) COMMENT 'normalized: upper case, no separators (BTCUSDT)',
    trade_id UInt64,
    price Decimal(18, 8),
    quantity Decimal(18, 8),
    quote_quantity Decimal(38, 16) COMMENT 'price * quantity, exact',
    side Enum8('buy' = 1, 'sell' = 2),
    is_buyer_maker Bool,
    event_time DateTime64(6, 'UTC'),
    ingested_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (exchange, symbol, trade_id))";

// Validation and normalization of bronze rows read from {from}; {dedup} is
// the view's check against what silver already holds (empty in the
// derivation, which reads whole windows). De-duplication by (exchange,
// symbol, trade_id) within the rows read (LIMIT 1 BY) and, in the view,
// against silver (NOT IN), so that the gold views downstream count each trade
// once. ReplacingMergeTree plus FINAL in the offload query is the backstop
// for concurrent inserts.
constexpr const char* kSilverSelect = R"(SELECT
    exchange,
    upper(replaceRegexpAll(symbol, '[^A-Za-z0-9]', '')) AS symbol,
    trade_id,
    price,
    quantity,
    toDecimal128(price, 8) * quantity AS quote_quantity,
    side,
    is_buyer_maker,
    event_time,
    ingested_at
FROM {from}
WHERE price > 0 AND quantity > 0 AND trade_id > 0
    AND symbol != '' AND event_time >= toDateTime64('2009-01-03 00:00:00', 6, 'UTC'){dedup}
ORDER BY event_time, trade_id
LIMIT 1 BY exchange, symbol, trade_id)";

constexpr const char* kSilverViewDedup = R"(
    AND (exchange, upper(replaceRegexpAll(symbol, '[^A-Za-z0-9]', '')), trade_id) NOT IN (
        SELECT exchange, symbol, trade_id FROM silver_trades
        WHERE trade_id IN (SELECT trade_id FROM bronze_trades)))";

std::string BronzeView() {
  return "CREATE MATERIALIZED VIEW IF NOT EXISTS raw_to_bronze_mv TO bronze_trades AS\n" +
         ReplaceAll(kBronzeSelect, "{from}", "raw_trades");
}

std::string SilverView() {
  return "CREATE MATERIALIZED VIEW IF NOT EXISTS bronze_to_silver_mv TO silver_trades AS\n" +
         ReplaceAll(ReplaceAll(kSilverSelect, "{from}", "bronze_trades"), "{dedup}",
                    kSilverViewDedup);
}

/// The window's rows of a derived trade table: `select` over {source} (the
/// cold upstream table), kept when their event_time is in [{start}, {end}).
std::string TradesDerivation(std::string select) {
  return fmt::format(
      "SELECT * FROM (\n{}\n)\nWHERE event_time >= {{start}} AND event_time < {{end}}",
      std::move(select));
}

struct Interval {
  const char* suffix;
  const char* bucket;  // expression of event_time
  int64_t bucket_seconds;
  int64_t window_seconds;
};

constexpr Interval kIntervals[] = {
    {"1m", "toStartOfMinute(event_time)", 60, 3600},
    {"5m", "toStartOfFiveMinutes(event_time)", 300, 3600},
    {"15m", "toStartOfFifteenMinutes(event_time)", 900, 3600},
    {"30m", "toStartOfInterval(event_time, INTERVAL 30 MINUTE)", 1800, 3600},
    {"1h", "toStartOfHour(event_time)", 3600, 3600},
    {"1d", "toStartOfDay(event_time)", 86400, 86400},
};

std::string GoldCreate(const Interval& iv) {
  return fmt::format(R"(CREATE TABLE IF NOT EXISTS gold_ohlcv_{}
(
    exchange LowCardinality(String),
    symbol LowCardinality(String),
    candle_time DateTime('UTC') COMMENT 'candle open time',
    open AggregateFunction(argMin, Decimal(18, 8), Tuple(DateTime64(6, 'UTC'), UInt64)),
    high AggregateFunction(max, Decimal(18, 8)),
    low AggregateFunction(min, Decimal(18, 8)),
    close AggregateFunction(argMax, Decimal(18, 8), Tuple(DateTime64(6, 'UTC'), UInt64)),
    volume AggregateFunction(sum, Decimal(18, 8)),
    quote_volume AggregateFunction(sum, Decimal(38, 16)),
    trade_count AggregateFunction(count)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(candle_time)
ORDER BY (exchange, symbol, candle_time))",
                     iv.suffix);
}

/// One measure of a candle: the aggregate over silver trades, kept as its
/// state by the view (`fn`State), finalized by the offload query (`fn`Merge)
/// and computed directly by the derivation (`fn`), each cast the same way.
struct CandleMeasure {
  const char* name;
  const char* fn;
  const char* args;
  const char* cast;  ///< the finalized type, "" to keep the aggregate's
};

constexpr CandleMeasure kCandleMeasures[] = {
    {"open", "argMin", "price, (event_time, trade_id)", ""},
    {"high", "max", "price", ""},
    {"low", "min", "price", ""},
    {"close", "argMax", "price, (event_time, trade_id)", ""},
    {"volume", "sum", "quantity", "Decimal(38, 8)"},
    {"quote_volume", "sum", "quote_quantity", "Decimal(38, 16)"},
    {"trade_count", "count", "", ""},
};

/// The finalized candle's volume-weighted average price (after the measures).
constexpr const char* kCandleVwap =
    "CAST(round(toDecimal256(quote_volume, 16) / volume, 8) AS Decimal(38, 8)) AS vwap";

/// The select list of a candle: its key, then each measure as `form` makes
/// it from (measure, aggregate call).
template <typename Form>
std::string CandleColumns(const Interval& iv, bool key_from_trades, Form form) {
  std::string out = "    exchange,\n    symbol,\n";
  out += key_from_trades ? fmt::format("    toDateTime({}, 'UTC') AS candle_time", iv.bucket)
                         : std::string("    candle_time");
  for (const CandleMeasure& m : kCandleMeasures) out += ",\n    " + form(m);
  return out;
}

std::string Finalized(const CandleMeasure& m, const std::string& call) {
  if (*m.cast == 0) return fmt::format("{} AS {}", call, m.name);
  return fmt::format("CAST({} AS {}) AS {}", call, m.cast, m.name);
}

std::string GoldView(const Interval& iv) {
  return fmt::format(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_{0}_mv TO gold_ohlcv_{0} AS\n"
      "SELECT\n{1}\nFROM silver_trades\nGROUP BY exchange, symbol, candle_time",
      iv.suffix, CandleColumns(iv, true, [](const CandleMeasure& m) {
        return fmt::format("{}State({}) AS {}", m.fn, m.args, m.name);
      }));
}

std::string GoldSelect(const Interval& iv) {
  return fmt::format(
      "SELECT\n{},\n    {}\nFROM gold_ohlcv_{}\n"
      "WHERE candle_time >= {{start}} AND candle_time < {{end}}\n"
      "GROUP BY exchange, symbol, candle_time\nORDER BY exchange, symbol, candle_time",
      CandleColumns(iv, false,
                    [](const CandleMeasure& m) {
                      return Finalized(m, fmt::format("{}Merge({})", m.fn, m.name));
                    }),
      kCandleVwap, iv.suffix);
}

/// The candles of window [{start}, {end}) computed from silver trades read
/// from {source}: the view's aggregates, finalized as the offload query
/// finalizes them.
std::string GoldDerivation(const Interval& iv) {
  return fmt::format(
      "SELECT\n{},\n    {}\nFROM {{source}}\n"
      "WHERE event_time >= {{start}} AND event_time < {{end}}\n"
      "GROUP BY exchange, symbol, candle_time\nORDER BY exchange, symbol, candle_time",
      CandleColumns(
          iv, true,
          [](const CandleMeasure& m) { return Finalized(m, fmt::format("{}({})", m.fn, m.args)); }),
      kCandleVwap);
}

std::vector<ReferenceTable> Build() {
  std::vector<ReferenceTable> out;
  out.push_back({"raw_trades", "raw", "ingested_at", 3600, kRawCreate, "",
                 "SELECT exchange, message, ingested_at\nFROM raw_trades\n"
                 "WHERE ingested_at >= {start} AND ingested_at < {end}"});
  out.push_back({"bronze_trades", "bronze", "event_time", 3600, kBronzeCreate, BronzeView(),
                 "SELECT exchange, symbol, trade_id, price, quantity, side, is_buyer_maker, "
                 "event_time, ingested_at\nFROM bronze_trades\n"
                 "WHERE event_time >= {start} AND event_time < {end}",
                 "raw_trades", TradesDerivation(ReplaceAll(kBronzeSelect, "{from}", "{source}"))});
  out.push_back({"silver_trades", "silver", "event_time", 3600, kSilverCreate, SilverView(),
                 "SELECT exchange, symbol, trade_id, price, quantity, quote_quantity, side, "
                 "is_buyer_maker, event_time, ingested_at\nFROM silver_trades FINAL\n"
                 "WHERE event_time >= {start} AND event_time < {end}",
                 "bronze_trades",
                 TradesDerivation(
                     ReplaceAll(ReplaceAll(kSilverSelect, "{from}", "{source}"), "{dedup}", ""))});
  for (const auto& iv : kIntervals) {
    out.push_back({fmt::format("gold_ohlcv_{}", iv.suffix), "gold", "candle_time",
                   iv.window_seconds, GoldCreate(iv), GoldView(iv), GoldSelect(iv), "silver_trades",
                   GoldDerivation(iv), iv.bucket});
  }
  return out;
}

// The legacy flavour, for ClickHouse 18.16 .. 21.x (checked on Debian's
// 18.16.1): no DateTime64 (DateTime seconds plus the exchange's milliseconds in
// event_time_ms), no JSONExtract*/isValidJSON (visitParamExtract* finds a key
// anywhere in the message, which is unambiguous for Binance trade messages),
// no Bool (UInt8), no LowCardinality, no toDecimal*OrNull (a regex admits the
// texts Decimal(18, 8) holds; toDecimal64 of other text is 0 or an exception),
// no toStartOfInterval, and round() leaves decimals unchanged. A view writing
// into a table does not trigger that table's views on 18.16, but views whose
// FROM names the upstream view are triggered, so each layer reads from the
// view that feeds the layer above it.

constexpr const char* kLegacyRawCreate = R"(CREATE TABLE IF NOT EXISTS raw_trades
(
    exchange String COMMENT 'source exchange/feed, e.g. binance',
    message String COMMENT 'the exchange message exactly as received',
    ingested_at DateTime('UTC') COMMENT 'when k2 (or the collector) received it, whole seconds'
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (exchange, ingested_at))";

constexpr const char* kLegacyBronzeCreate = R"(CREATE TABLE IF NOT EXISTS bronze_trades
(
    exchange String,
    symbol String COMMENT 'as the exchange spelled it',
    trade_id UInt64,
    price Decimal(18, 8),
    quantity Decimal(18, 8),
    side Enum8('buy' = 1, 'sell' = 2) COMMENT 'aggressor side',
    is_buyer_maker UInt8,
    event_time DateTime('UTC') COMMENT 'exchange trade time, whole seconds',
    event_time_ms UInt64 COMMENT 'exchange trade time, milliseconds since epoch',
    ingested_at DateTime('UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (exchange, symbol, event_time, trade_id))";

constexpr const char* kLegacyBronzeView =
    R"(CREATE MATERIALIZED VIEW IF NOT EXISTS raw_to_bronze_mv TO bronze_trades AS
SELECT
    exchange,
    visitParamExtractString(message, 's') AS symbol,
    visitParamExtractUInt(message, 't') AS trade_id,
    toDecimal64(visitParamExtractString(message, 'p'), 8) AS price,
    toDecimal64(visitParamExtractString(message, 'q'), 8) AS quantity,
    CAST(if(visitParamExtractBool(message, 'm'), 'sell', 'buy') AS Enum8('buy' = 1, 'sell' = 2)) AS side,
    visitParamExtractBool(message, 'm') AS is_buyer_maker,
    toDateTime(intDiv(visitParamExtractUInt(message, 'T'), 1000), 'UTC') AS event_time,
    visitParamExtractUInt(message, 'T') AS event_time_ms,
    ingested_at
FROM raw_trades
WHERE visitParamExtractString(message, 'e') = 'trade'
    AND visitParamHas(message, 't') AND visitParamHas(message, 'T')
    AND match(visitParamExtractString(message, 'p'), '^[0-9]{1,10}(\\.[0-9]{1,8})?$')
    AND match(visitParamExtractString(message, 'q'), '^[0-9]{1,10}(\\.[0-9]{1,8})?$'))";

constexpr const char* kLegacySilverCreate = R"(CREATE TABLE IF NOT EXISTS silver_trades
(
    exchange String,
    symbol String COMMENT 'normalized: upper case, no separators (BTCUSDT)',
    trade_id UInt64,
    price Decimal(18, 8),
    quantity Decimal(18, 8),
    quote_quantity Decimal(38, 16) COMMENT 'price * quantity, exact',
    side Enum8('buy' = 1, 'sell' = 2),
    is_buyer_maker UInt8,
    event_time DateTime('UTC'),
    event_time_ms UInt64,
    ingested_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (exchange, symbol, trade_id))";

// Reads from raw_to_bronze_mv (what it writes to bronze_trades): see above.
constexpr const char* kLegacySilverView =
    R"(CREATE MATERIALIZED VIEW IF NOT EXISTS bronze_to_silver_mv TO silver_trades AS
SELECT
    exchange,
    upper(replaceRegexpAll(symbol, '[^A-Za-z0-9]', '')) AS symbol,
    trade_id,
    price,
    quantity,
    toDecimal128(price, 8) * quantity AS quote_quantity,
    side,
    is_buyer_maker,
    event_time,
    event_time_ms,
    ingested_at
FROM raw_to_bronze_mv
WHERE price > 0 AND quantity > 0 AND trade_id > 0
    AND symbol != '' AND event_time >= toDateTime('2009-01-03 00:00:00', 'UTC')
    AND (exchange, upper(replaceRegexpAll(symbol, '[^A-Za-z0-9]', '')), trade_id) NOT IN (
        SELECT exchange, symbol, trade_id FROM silver_trades
        WHERE trade_id IN (SELECT trade_id FROM bronze_trades))
ORDER BY event_time_ms, trade_id
LIMIT 1 BY exchange, symbol, trade_id)";

std::string LegacyGoldCreate(const Interval& iv) {
  return fmt::format(R"(CREATE TABLE IF NOT EXISTS gold_ohlcv_{}
(
    exchange String,
    symbol String,
    candle_time DateTime('UTC') COMMENT 'candle open time',
    open AggregateFunction(argMin, Decimal(18, 8), Tuple(UInt64, UInt64)),
    high AggregateFunction(max, Decimal(18, 8)),
    low AggregateFunction(min, Decimal(18, 8)),
    close AggregateFunction(argMax, Decimal(18, 8), Tuple(UInt64, UInt64)),
    volume AggregateFunction(sum, Decimal(18, 8)),
    quote_volume AggregateFunction(sum, Decimal(38, 16)),
    trade_count AggregateFunction(count)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(candle_time)
ORDER BY (exchange, symbol, candle_time))",
                     iv.suffix);
}

// Open/close by (event_time_ms, trade_id); buckets by integer division of
// the UTC epoch seconds (independent of the server's time zone).
std::string LegacyGoldView(const Interval& iv) {
  return fmt::format(
      R"(CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_{0}_mv TO gold_ohlcv_{0} AS
SELECT
    exchange,
    symbol,
    toDateTime(intDiv(toUInt32(event_time), {1}) * {1}, 'UTC') AS candle_time,
    argMinState(price, (event_time_ms, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time_ms, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM bronze_to_silver_mv
GROUP BY exchange, symbol, candle_time)",
      iv.suffix, iv.bucket_seconds);
}

// VWAP rounded half-up to 8 decimals: the quotient is truncated at 16
// decimals, so adding 5e-9 and truncating to 8 decimals rounds it exactly.
std::string LegacyGoldSelect(const Interval& iv) {
  return fmt::format(R"(SELECT
    exchange,
    symbol,
    candle_time,
    argMinMerge(open) AS open,
    maxMerge(high) AS high,
    minMerge(low) AS low,
    argMaxMerge(close) AS close,
    CAST(sumMerge(volume) AS Decimal(38, 8)) AS volume,
    CAST(sumMerge(quote_volume) AS Decimal(38, 16)) AS quote_volume,
    countMerge(trade_count) AS trade_count,
    CAST(quote_volume / volume + toDecimal128('0.000000005', 16) AS Decimal(38, 8)) AS vwap
FROM gold_ohlcv_{}
WHERE candle_time >= {{start}} AND candle_time < {{end}}
GROUP BY exchange, symbol, candle_time
ORDER BY exchange, symbol, candle_time)",
                     iv.suffix);
}

std::vector<ReferenceTable> BuildLegacy() {
  std::vector<ReferenceTable> out;
  out.push_back({"raw_trades", "raw", "ingested_at", 3600, kLegacyRawCreate, "",
                 "SELECT exchange, message, ingested_at\nFROM raw_trades\n"
                 "WHERE ingested_at >= {start} AND ingested_at < {end}"});
  out.push_back({"bronze_trades", "bronze", "event_time", 3600, kLegacyBronzeCreate,
                 kLegacyBronzeView,
                 "SELECT exchange, symbol, trade_id, price, quantity, side, is_buyer_maker, "
                 "event_time, event_time_ms, ingested_at\nFROM bronze_trades\n"
                 "WHERE event_time >= {start} AND event_time < {end}"});
  out.push_back(
      {"silver_trades", "silver", "event_time", 3600, kLegacySilverCreate, kLegacySilverView,
       "SELECT exchange, symbol, trade_id, price, quantity, quote_quantity, side, "
       "is_buyer_maker, event_time, event_time_ms, ingested_at\nFROM silver_trades FINAL\n"
       "WHERE event_time >= {start} AND event_time < {end}"});
  for (const auto& iv : kIntervals) {
    out.push_back({fmt::format("gold_ohlcv_{}", iv.suffix), "gold", "candle_time",
                   iv.window_seconds, LegacyGoldCreate(iv), LegacyGoldView(iv),
                   LegacyGoldSelect(iv)});
  }
  return out;
}

}  // namespace

std::string_view SchemaFlavorName(SchemaFlavor flavor) {
  return flavor == SchemaFlavor::kLegacy ? "legacy" : "modern";
}

Result<SchemaFlavor> ParseSchemaFlavor(std::string_view name) {
  if (name == "modern") return SchemaFlavor::kModern;
  if (name == "legacy") return SchemaFlavor::kLegacy;
  return MakeError(ErrorKind::kInvalidInput, "schema flavour must be modern or legacy, got '{}'",
                   name);
}

Result<SchemaFlavor> SchemaFlavorForVersion(std::string_view version) {
  int major = 0;
  size_t i = 0;
  while (i < version.size() && version[i] >= '0' && version[i] <= '9' && i < 6) {
    major = major * 10 + (version[i] - '0');
    ++i;
  }
  if (i == 0 || (i < version.size() && version[i] != '.')) {
    return MakeError(ErrorKind::kInvalidInput, "cannot read a ClickHouse version from '{}'",
                     version);
  }
  // Bool, DateTime64 and the JSONExtract family all exist from 22.1 on.
  return major < 22 ? SchemaFlavor::kLegacy : SchemaFlavor::kModern;
}

Result<SchemaFlavor> DetectSchemaFlavor(WarmDriver& driver) {
  K2_ASSIGN_OR_RETURN(std::string version, driver.Execute("SELECT version()"));
  while (!version.empty() && (version.back() == '\n' || version.back() == '\r')) {
    version.pop_back();
  }
  return SchemaFlavorForVersion(version);
}

const std::vector<ReferenceTable>& ReferenceTables() {
  return ReferenceTables(SchemaFlavor::kModern);
}

const std::vector<ReferenceTable>& ReferenceTables(SchemaFlavor flavor) {
  static const std::vector<ReferenceTable> modern = Build();
  static const std::vector<ReferenceTable> legacy = BuildLegacy();
  return flavor == SchemaFlavor::kLegacy ? legacy : modern;
}

const ReferenceTable* FindReferenceTable(std::string_view name) {
  for (const auto& t : ReferenceTables()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> ReferenceSchemaStatements(SchemaFlavor flavor) {
  std::vector<std::string> out;
  for (const auto& t : ReferenceTables(flavor)) out.push_back(t.create_sql);
  for (const auto& t : ReferenceTables(flavor)) {
    if (!t.view_sql.empty()) out.push_back(t.view_sql);
  }
  return out;
}

std::string ReferenceSchemaScript(SchemaFlavor flavor) {
  std::string out =
      flavor == SchemaFlavor::kLegacy
          ? "-- k2 medallion reference schema, legacy flavour (ClickHouse 18.16 .. 21.x).\n"
            "-- Generated from src/warm/reference_schema.cpp "
            "(`k2 warm schema print --flavor legacy`); a test keeps them equal.\n"
          : "-- k2 medallion reference schema (ClickHouse 22+ / chDB 26.x).\n"
            "-- Generated from src/warm/reference_schema.cpp (`k2 warm schema print`); "
            "a test keeps them equal.\n";
  out += "-- raw_trades -> bronze_trades -> silver_trades -> gold_ohlcv_{1m,5m,15m,30m,1h,1d}\n\n";
  for (const auto& s : ReferenceSchemaStatements(flavor)) out += s + ";\n\n";
  out += "-- Default offload queries: the window [{start}, {end}) on each table's time column.\n\n";
  for (const auto& t : ReferenceTables(flavor)) {
    out += fmt::format("-- {} ({} layer, window {}s on {})\n", t.name, t.layer, t.window_seconds,
                       t.time_column);
    std::string q = t.offload_select;
    size_t pos = 0;
    while ((pos = q.find('\n', pos)) != std::string::npos) {
      q.replace(pos, 1, "\n-- ");
      pos += 4;
    }
    out += "-- " + q + "\n\n";
  }
  return out;
}

Status ApplyReferenceSchema(WarmDriver& driver) {
  return ApplyReferenceSchema(driver, SchemaFlavor::kModern);
}

Status ApplyReferenceSchema(WarmDriver& driver, SchemaFlavor flavor) {
  for (const auto& s : ReferenceSchemaStatements(flavor)) {
    auto r = driver.Execute(s);
    if (!r) {
      return std::unexpected(
          r.error().WithContext(fmt::format("applying the {} reference schema statement '{}'",
                                            SchemaFlavorName(flavor), s.substr(0, s.find('\n')))));
    }
  }
  return OkStatus();
}

}  // namespace k2::warm
