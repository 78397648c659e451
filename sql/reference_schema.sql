-- k2 medallion reference schema (ClickHouse 22+ / chDB 26.x).
-- Generated from src/warm/reference_schema.cpp (`k2 warm schema print`); a test keeps them equal.
-- raw_trades -> bronze_trades -> silver_trades -> gold_ohlcv_{1m,5m,15m,30m,1h,1d}

CREATE TABLE IF NOT EXISTS raw_trades
(
    exchange LowCardinality(String) COMMENT 'source exchange/feed, e.g. binance',
    message String COMMENT 'the exchange message exactly as received',
    ingested_at DateTime64(6, 'UTC') COMMENT 'when k2 (or the collector) received it'
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (exchange, ingested_at);

CREATE TABLE IF NOT EXISTS bronze_trades
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
ORDER BY (exchange, symbol, event_time, trade_id);

CREATE TABLE IF NOT EXISTS silver_trades
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
ORDER BY (exchange, symbol, trade_id);

CREATE TABLE IF NOT EXISTS gold_ohlcv_1m
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_5m
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_15m
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_30m
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_1h
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_1d
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
ORDER BY (exchange, symbol, candle_time);

CREATE MATERIALIZED VIEW IF NOT EXISTS raw_to_bronze_mv TO bronze_trades AS
WITH
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
FROM raw_trades
WHERE isValidJSON(message)
    AND JSONExtractString(message, 'data', 'e') = 'trade'
    AND JSONHas(message, 'data', 't') AND JSONHas(message, 'data', 'T')
    AND isNotNull(toDecimal64OrNull(p_text, 8))
    AND isNotNull(toDecimal64OrNull(q_text, 8));

CREATE MATERIALIZED VIEW IF NOT EXISTS bronze_to_silver_mv TO silver_trades AS
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
    ingested_at
FROM bronze_trades
WHERE price > 0 AND quantity > 0 AND trade_id > 0
    AND symbol != '' AND event_time >= toDateTime64('2009-01-03 00:00:00', 6, 'UTC')
    AND (exchange, upper(replaceRegexpAll(symbol, '[^A-Za-z0-9]', '')), trade_id) NOT IN (
        SELECT exchange, symbol, trade_id FROM silver_trades
        WHERE trade_id IN (SELECT trade_id FROM bronze_trades))
ORDER BY event_time, trade_id
LIMIT 1 BY exchange, symbol, trade_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_1m_mv TO gold_ohlcv_1m AS
SELECT
    exchange,
    symbol,
    toDateTime(toStartOfMinute(event_time), 'UTC') AS candle_time,
    argMinState(price, (event_time, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM silver_trades
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_5m_mv TO gold_ohlcv_5m AS
SELECT
    exchange,
    symbol,
    toDateTime(toStartOfFiveMinutes(event_time), 'UTC') AS candle_time,
    argMinState(price, (event_time, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM silver_trades
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_15m_mv TO gold_ohlcv_15m AS
SELECT
    exchange,
    symbol,
    toDateTime(toStartOfFifteenMinutes(event_time), 'UTC') AS candle_time,
    argMinState(price, (event_time, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM silver_trades
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_30m_mv TO gold_ohlcv_30m AS
SELECT
    exchange,
    symbol,
    toDateTime(toStartOfInterval(event_time, INTERVAL 30 MINUTE), 'UTC') AS candle_time,
    argMinState(price, (event_time, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM silver_trades
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_1h_mv TO gold_ohlcv_1h AS
SELECT
    exchange,
    symbol,
    toDateTime(toStartOfHour(event_time), 'UTC') AS candle_time,
    argMinState(price, (event_time, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM silver_trades
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_1d_mv TO gold_ohlcv_1d AS
SELECT
    exchange,
    symbol,
    toDateTime(toStartOfDay(event_time), 'UTC') AS candle_time,
    argMinState(price, (event_time, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM silver_trades
GROUP BY exchange, symbol, candle_time;

-- Default offload queries: the window [{start}, {end}) on each table's time column.

-- raw_trades (raw layer, window 3600s on ingested_at)
-- SELECT exchange, message, ingested_at
-- FROM raw_trades
-- WHERE ingested_at >= {start} AND ingested_at < {end}

-- bronze_trades (bronze layer, window 3600s on event_time)
-- SELECT exchange, symbol, trade_id, price, quantity, side, is_buyer_maker, event_time, ingested_at
-- FROM bronze_trades
-- WHERE event_time >= {start} AND event_time < {end}

-- silver_trades (silver layer, window 3600s on event_time)
-- SELECT exchange, symbol, trade_id, price, quantity, quote_quantity, side, is_buyer_maker, event_time, ingested_at
-- FROM silver_trades FINAL
-- WHERE event_time >= {start} AND event_time < {end}

-- gold_ohlcv_1m (gold layer, window 3600s on candle_time)
-- SELECT
--     exchange,
--     symbol,
--     candle_time,
--     argMinMerge(open) AS open,
--     maxMerge(high) AS high,
--     minMerge(low) AS low,
--     argMaxMerge(close) AS close,
--     CAST(sumMerge(volume) AS Decimal(38, 8)) AS volume,
--     CAST(sumMerge(quote_volume) AS Decimal(38, 16)) AS quote_volume,
--     countMerge(trade_count) AS trade_count,
--     CAST(round(toDecimal256(quote_volume, 16) / volume, 8) AS Decimal(38, 8)) AS vwap
-- FROM gold_ohlcv_1m
-- WHERE candle_time >= {start} AND candle_time < {end}
-- GROUP BY exchange, symbol, candle_time
-- ORDER BY exchange, symbol, candle_time

-- gold_ohlcv_5m (gold layer, window 3600s on candle_time)
-- SELECT
--     exchange,
--     symbol,
--     candle_time,
--     argMinMerge(open) AS open,
--     maxMerge(high) AS high,
--     minMerge(low) AS low,
--     argMaxMerge(close) AS close,
--     CAST(sumMerge(volume) AS Decimal(38, 8)) AS volume,
--     CAST(sumMerge(quote_volume) AS Decimal(38, 16)) AS quote_volume,
--     countMerge(trade_count) AS trade_count,
--     CAST(round(toDecimal256(quote_volume, 16) / volume, 8) AS Decimal(38, 8)) AS vwap
-- FROM gold_ohlcv_5m
-- WHERE candle_time >= {start} AND candle_time < {end}
-- GROUP BY exchange, symbol, candle_time
-- ORDER BY exchange, symbol, candle_time

-- gold_ohlcv_15m (gold layer, window 3600s on candle_time)
-- SELECT
--     exchange,
--     symbol,
--     candle_time,
--     argMinMerge(open) AS open,
--     maxMerge(high) AS high,
--     minMerge(low) AS low,
--     argMaxMerge(close) AS close,
--     CAST(sumMerge(volume) AS Decimal(38, 8)) AS volume,
--     CAST(sumMerge(quote_volume) AS Decimal(38, 16)) AS quote_volume,
--     countMerge(trade_count) AS trade_count,
--     CAST(round(toDecimal256(quote_volume, 16) / volume, 8) AS Decimal(38, 8)) AS vwap
-- FROM gold_ohlcv_15m
-- WHERE candle_time >= {start} AND candle_time < {end}
-- GROUP BY exchange, symbol, candle_time
-- ORDER BY exchange, symbol, candle_time

-- gold_ohlcv_30m (gold layer, window 3600s on candle_time)
-- SELECT
--     exchange,
--     symbol,
--     candle_time,
--     argMinMerge(open) AS open,
--     maxMerge(high) AS high,
--     minMerge(low) AS low,
--     argMaxMerge(close) AS close,
--     CAST(sumMerge(volume) AS Decimal(38, 8)) AS volume,
--     CAST(sumMerge(quote_volume) AS Decimal(38, 16)) AS quote_volume,
--     countMerge(trade_count) AS trade_count,
--     CAST(round(toDecimal256(quote_volume, 16) / volume, 8) AS Decimal(38, 8)) AS vwap
-- FROM gold_ohlcv_30m
-- WHERE candle_time >= {start} AND candle_time < {end}
-- GROUP BY exchange, symbol, candle_time
-- ORDER BY exchange, symbol, candle_time

-- gold_ohlcv_1h (gold layer, window 3600s on candle_time)
-- SELECT
--     exchange,
--     symbol,
--     candle_time,
--     argMinMerge(open) AS open,
--     maxMerge(high) AS high,
--     minMerge(low) AS low,
--     argMaxMerge(close) AS close,
--     CAST(sumMerge(volume) AS Decimal(38, 8)) AS volume,
--     CAST(sumMerge(quote_volume) AS Decimal(38, 16)) AS quote_volume,
--     countMerge(trade_count) AS trade_count,
--     CAST(round(toDecimal256(quote_volume, 16) / volume, 8) AS Decimal(38, 8)) AS vwap
-- FROM gold_ohlcv_1h
-- WHERE candle_time >= {start} AND candle_time < {end}
-- GROUP BY exchange, symbol, candle_time
-- ORDER BY exchange, symbol, candle_time

-- gold_ohlcv_1d (gold layer, window 86400s on candle_time)
-- SELECT
--     exchange,
--     symbol,
--     candle_time,
--     argMinMerge(open) AS open,
--     maxMerge(high) AS high,
--     minMerge(low) AS low,
--     argMaxMerge(close) AS close,
--     CAST(sumMerge(volume) AS Decimal(38, 8)) AS volume,
--     CAST(sumMerge(quote_volume) AS Decimal(38, 16)) AS quote_volume,
--     countMerge(trade_count) AS trade_count,
--     CAST(round(toDecimal256(quote_volume, 16) / volume, 8) AS Decimal(38, 8)) AS vwap
-- FROM gold_ohlcv_1d
-- WHERE candle_time >= {start} AND candle_time < {end}
-- GROUP BY exchange, symbol, candle_time
-- ORDER BY exchange, symbol, candle_time

