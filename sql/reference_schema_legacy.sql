-- k2 medallion reference schema, legacy flavour (ClickHouse 18.16 .. 21.x).
-- Generated from src/warm/reference_schema.cpp (`k2 warm schema print --flavor legacy`); a test keeps them equal.
-- raw_trades -> bronze_trades -> silver_trades -> gold_ohlcv_{1m,5m,15m,30m,1h,1d}

CREATE TABLE IF NOT EXISTS raw_trades
(
    exchange String COMMENT 'source exchange/feed, e.g. binance',
    message String COMMENT 'the exchange message exactly as received',
    ingested_at DateTime('UTC') COMMENT 'when k2 (or the collector) received it, whole seconds'
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (exchange, ingested_at);

CREATE TABLE IF NOT EXISTS bronze_trades
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
ORDER BY (exchange, symbol, event_time, trade_id);

CREATE TABLE IF NOT EXISTS silver_trades
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
ORDER BY (exchange, symbol, trade_id);

CREATE TABLE IF NOT EXISTS gold_ohlcv_1m
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_5m
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_15m
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_30m
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_1h
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
ORDER BY (exchange, symbol, candle_time);

CREATE TABLE IF NOT EXISTS gold_ohlcv_1d
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
ORDER BY (exchange, symbol, candle_time);

CREATE MATERIALIZED VIEW IF NOT EXISTS raw_to_bronze_mv TO bronze_trades AS
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
    AND match(visitParamExtractString(message, 'q'), '^[0-9]{1,10}(\\.[0-9]{1,8})?$');

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
    event_time_ms,
    ingested_at
FROM raw_to_bronze_mv
WHERE price > 0 AND quantity > 0 AND trade_id > 0
    AND symbol != '' AND event_time >= toDateTime('2009-01-03 00:00:00', 'UTC')
    AND (exchange, upper(replaceRegexpAll(symbol, '[^A-Za-z0-9]', '')), trade_id) NOT IN (
        SELECT exchange, symbol, trade_id FROM silver_trades
        WHERE trade_id IN (SELECT trade_id FROM bronze_trades))
ORDER BY event_time_ms, trade_id
LIMIT 1 BY exchange, symbol, trade_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_1m_mv TO gold_ohlcv_1m AS
SELECT
    exchange,
    symbol,
    toDateTime(intDiv(toUInt32(event_time), 60) * 60, 'UTC') AS candle_time,
    argMinState(price, (event_time_ms, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time_ms, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM bronze_to_silver_mv
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_5m_mv TO gold_ohlcv_5m AS
SELECT
    exchange,
    symbol,
    toDateTime(intDiv(toUInt32(event_time), 300) * 300, 'UTC') AS candle_time,
    argMinState(price, (event_time_ms, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time_ms, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM bronze_to_silver_mv
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_15m_mv TO gold_ohlcv_15m AS
SELECT
    exchange,
    symbol,
    toDateTime(intDiv(toUInt32(event_time), 900) * 900, 'UTC') AS candle_time,
    argMinState(price, (event_time_ms, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time_ms, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM bronze_to_silver_mv
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_30m_mv TO gold_ohlcv_30m AS
SELECT
    exchange,
    symbol,
    toDateTime(intDiv(toUInt32(event_time), 1800) * 1800, 'UTC') AS candle_time,
    argMinState(price, (event_time_ms, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time_ms, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM bronze_to_silver_mv
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_1h_mv TO gold_ohlcv_1h AS
SELECT
    exchange,
    symbol,
    toDateTime(intDiv(toUInt32(event_time), 3600) * 3600, 'UTC') AS candle_time,
    argMinState(price, (event_time_ms, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time_ms, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM bronze_to_silver_mv
GROUP BY exchange, symbol, candle_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS silver_to_gold_1d_mv TO gold_ohlcv_1d AS
SELECT
    exchange,
    symbol,
    toDateTime(intDiv(toUInt32(event_time), 86400) * 86400, 'UTC') AS candle_time,
    argMinState(price, (event_time_ms, trade_id)) AS open,
    maxState(price) AS high,
    minState(price) AS low,
    argMaxState(price, (event_time_ms, trade_id)) AS close,
    sumState(quantity) AS volume,
    sumState(quote_quantity) AS quote_volume,
    countState() AS trade_count
FROM bronze_to_silver_mv
GROUP BY exchange, symbol, candle_time;

-- Default offload queries: the window [{start}, {end}) on each table's time column.

-- raw_trades (raw layer, window 3600s on ingested_at)
-- SELECT exchange, message, ingested_at
-- FROM raw_trades
-- WHERE ingested_at >= {start} AND ingested_at < {end}

-- bronze_trades (bronze layer, window 3600s on event_time)
-- SELECT exchange, symbol, trade_id, price, quantity, side, is_buyer_maker, event_time, event_time_ms, ingested_at
-- FROM bronze_trades
-- WHERE event_time >= {start} AND event_time < {end}

-- silver_trades (silver layer, window 3600s on event_time)
-- SELECT exchange, symbol, trade_id, price, quantity, quote_quantity, side, is_buyer_maker, event_time, event_time_ms, ingested_at
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
--     CAST(quote_volume / volume + toDecimal128('0.000000005', 16) AS Decimal(38, 8)) AS vwap
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
--     CAST(quote_volume / volume + toDecimal128('0.000000005', 16) AS Decimal(38, 8)) AS vwap
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
--     CAST(quote_volume / volume + toDecimal128('0.000000005', 16) AS Decimal(38, 8)) AS vwap
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
--     CAST(quote_volume / volume + toDecimal128('0.000000005', 16) AS Decimal(38, 8)) AS vwap
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
--     CAST(quote_volume / volume + toDecimal128('0.000000005', 16) AS Decimal(38, 8)) AS vwap
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
--     CAST(quote_volume / volume + toDecimal128('0.000000005', 16) AS Decimal(38, 8)) AS vwap
-- FROM gold_ohlcv_1d
-- WHERE candle_time >= {start} AND candle_time < {end}
-- GROUP BY exchange, symbol, candle_time
-- ORDER BY exchange, symbol, candle_time

