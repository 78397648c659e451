#include "warm/reference_schema.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "support/support.h"
#include "warm/binance_loader.h"
#include "warm/time_column.h"
#include "warm/trade_generator.h"
#include "warm/warm_test_util.h"

namespace k2::warm {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(ReferenceSchemaTest, TablesAndTemplates) {
  const auto& tables = ReferenceTables();
  ASSERT_EQ(tables.size(), 9u);
  EXPECT_EQ(tables[0].name, "raw_trades");
  EXPECT_EQ(tables[0].time_column, "ingested_at");
  EXPECT_EQ(tables[2].name, "silver_trades");
  EXPECT_NE(tables[2].offload_select.find("FINAL"), std::string::npos);
  EXPECT_EQ(tables.back().name, "gold_ohlcv_1d");
  EXPECT_EQ(tables.back().window_seconds, 86400);
  EXPECT_EQ(tables[3].window_seconds, 3600);
  for (const auto& t : tables) {
    EXPECT_NE(t.offload_select.find("{start}"), std::string::npos) << t.name;
    EXPECT_NE(t.offload_select.find("{end}"), std::string::npos) << t.name;
    if (t.layer == "gold") {
      EXPECT_NE(t.offload_select.find("argMinMerge"), std::string::npos);
    }
  }
  std::string q = FillWindow("SELECT 1 WHERE t >= {start} AND t < {end}", TimeColumn{"t"},
                             1723161600000000, 1723165200000000);
  EXPECT_EQ(q,
            "SELECT 1 WHERE t >= toDateTime(1723161600, 'UTC') AND t < toDateTime(1723165200, "
            "'UTC')");
}

TEST(ReferenceSchemaTest, CheckedInScriptMatchesCode) {
  std::ifstream f(k2::testing::SourceDir() + "/sql/reference_schema.sql");
  ASSERT_TRUE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), ReferenceSchemaScript())
      << "regenerate sql/reference_schema.sql with `k2 warm schema print`";
}

TEST(TradeGeneratorTest, DeterministicBySeedAndRealistic) {
  GeneratorOptions o;
  o.start_micros = 1723161600000000;
  o.hours = 0.25;
  o.rate = 40;
  o.symbols = 5;
  o.seed = 7;
  auto collect = [](GeneratorOptions opt, GeneratorStats* stats) {
    std::vector<std::string> messages;
    auto gen = MakeTradeGenerator(opt, 1000, stats);
    EXPECT_TRUE(gen.has_value());
    int64_t last_ingest = 0;
    while (true) {
      auto b = (*gen)->Next();
      EXPECT_TRUE(b.has_value());
      if (!b.has_value() || !*b) break;
      for (size_t r = 0; r < (*b)->num_rows(); ++r) {
        messages.emplace_back((*b)->columns[1].Bytes(r));
        int64_t at = (*b)->columns[2].Value<int64_t>(r);
        EXPECT_GE(at, last_ingest);  // ingestion order
        last_ingest = at;
      }
    }
    return messages;
  };
  GeneratorStats s1, s2, s3;
  auto a = collect(o, &s1);
  auto b = collect(o, &s2);
  EXPECT_EQ(a, b);
  o.seed = 8;
  auto c = collect(o, &s3);
  EXPECT_NE(a, c);
  EXPECT_EQ(s1.messages, a.size());
  EXPECT_EQ(s1.messages, s1.trades + s1.duplicates + s1.malformed);
  // ~40/s for 900 s plus bursts.
  EXPECT_GT(s1.trades, 900u * 30);
  EXPECT_LT(s1.trades, 900u * 200);
  EXPECT_GT(s1.duplicates, 0u);
  EXPECT_GT(s1.malformed, 0u);
  EXPECT_GT(s1.late, 0u);
  K2_ASSERT_ERROR_KIND(MakeTradeGenerator({.hours = -1}), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(MakeTradeGenerator({.symbols = 0}), ErrorKind::kInvalidInput);
}

// Generated trades through raw -> bronze -> silver -> gold on the embedded engine.
TEST(ReferenceSchemaTest, GeneratedTradesFlowThroughTheMedallion) {
  K2_EMBEDDED(driver);
  K2_ASSERT_OK(driver->Execute("CREATE DATABASE IF NOT EXISTS gen"));
  K2_ASSERT_OK(driver->Execute("USE gen"));
  K2_ASSERT_OK(ApplyReferenceSchema(*driver));
  K2_ASSERT_OK(ApplyReferenceSchema(*driver));  // idempotent
  GeneratorOptions o;
  o.start_micros = 1723161600000000;
  o.hours = 0.5;
  o.rate = 30;
  o.symbols = 6;
  o.seed = 42;
  GeneratorStats stats;
  K2_ASSERT_OK_AND_ASSIGN(auto gen, MakeTradeGenerator(o, 5000, &stats));
  K2_ASSERT_OK_AND_ASSIGN(uint64_t rows, InsertAll(*driver, "raw_trades", *gen));
  EXPECT_EQ(rows, stats.messages);
  K2_ASSERT_OK_AND_ASSIGN(auto raw, driver->Execute("SELECT count() FROM raw_trades"));
  EXPECT_EQ(Trim(raw), std::to_string(stats.messages));
  K2_ASSERT_OK_AND_ASSIGN(auto bronze, driver->Execute("SELECT count() FROM bronze_trades"));
  EXPECT_EQ(Trim(bronze), std::to_string(stats.trades + stats.duplicates));
  K2_ASSERT_OK_AND_ASSIGN(
      auto silver, driver->Execute("SELECT count(), uniqExact(symbol) FROM silver_trades FINAL"));
  EXPECT_EQ(Trim(silver), fmt::format("{}\t6", stats.trades));
  K2_ASSERT_OK_AND_ASSIGN(auto gold,
                          driver->Execute("SELECT countMerge(trade_count) FROM gold_ohlcv_1h"));
  EXPECT_EQ(Trim(gold), std::to_string(stats.trades));
  // The silver offload query of the first 10 minutes equals a direct count.
  const auto& silver_t = ReferenceTables()[2];
  std::string q = FillWindow(silver_t.offload_select, TimeColumn{silver_t.time_column},
                             o.start_micros, o.start_micros + 600000000);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, driver->Query(q));
  uint64_t n = 0;
  while (true) {
    K2_ASSERT_OK_AND_ASSIGN(auto b, reader->Next());
    if (!b) break;
    n += b->num_rows();
  }
  K2_ASSERT_OK_AND_ASSIGN(
      auto direct, driver->Execute("SELECT count() FROM silver_trades FINAL WHERE event_time < "
                                   "toDateTime64('2024-08-09 00:10:00', 6, 'UTC')"));
  EXPECT_EQ(std::to_string(n), Trim(direct));
  EXPECT_GT(n, 0u);
  K2_ASSERT_OK(driver->Execute("USE default"));
}

// Decimal text with up to 8 decimals -> units of 1e-8.
int64_t Units(const std::string& s) {
  size_t dot = s.find('.');
  int64_t whole = std::stoll(s.substr(0, dot));
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  frac.resize(8, '0');
  return whole * 100000000 + std::stoll(frac);
}

struct Candle {
  int64_t open = 0, high = 0, low = 0, close = 0;
  int128_t volume = 0;  // 1e-8
  int128_t quote = 0;   // 1e-16
  int64_t count = 0;
};

// The real BTCUSDT captures through the pipeline give exactly the published
// counts, sums and VWAP in silver, and gold 1m candles equal to candles
// computed here from the derived CSV.
TEST(ReferenceSchemaTest, BinanceCapturesMatchPublishedStatsAndCandles) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_EMBEDDED(driver);
  K2_ASSERT_OK(driver->Execute("CREATE DATABASE IF NOT EXISTS bn"));
  K2_ASSERT_OK(driver->Execute("USE bn"));
  K2_ASSERT_OK(ApplyReferenceSchema(*driver));
  const std::string raw_dir = fixtures + "/market-data/hftbacktest-binance-raw/spot/";
  LoadStats stats;
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenBinanceCaptures({raw_dir + "btcusdt_20240808.gz",
                                                            raw_dir + "btcusdt_20240809.gz"},
                                                           "binance", 4096, &stats));
  K2_ASSERT_OK_AND_ASSIGN(uint64_t rows, InsertAll(*driver, "raw_trades", *reader));
  EXPECT_EQ(rows, stats.messages);
  EXPECT_GT(stats.skipped, 0u);

  std::ifstream sf(fixtures + "/market-data/binance-trades-derived/STATS.json");
  nlohmann::json all = nlohmann::json::parse(sf);
  nlohmann::json spot;
  for (const auto& s : all) {
    if (s["file"] == "binance-trades-derived/binance_spot_btcusdt_trades.csv") spot = s;
  }
  ASSERT_FALSE(spot.is_null());
  K2_ASSERT_OK_AND_ASSIGN(
      auto got,
      driver->Execute("SELECT count(), min(trade_id), max(trade_id), min(price), max(price), "
                      "sum(quantity), sum(quote_quantity), "
                      "CAST(round(toDecimal256(sum(quote_quantity), 16) / sum(quantity), 8) "
                      "AS Decimal(38, 8)), countIf(is_buyer_maker) FROM silver_trades FINAL "
                      "SETTINGS output_format_decimal_trailing_zeros = 1"));
  std::string want =
      fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", spot["rows"].get<int64_t>(),
                  spot["first_trade_id"].get<int64_t>(), spot["last_trade_id"].get<int64_t>(),
                  spot["min_price"].get<std::string>(), spot["max_price"].get<std::string>(),
                  spot["sum_qty"].get<std::string>(), spot["sum_price_x_qty"].get<std::string>(),
                  spot["vwap"].get<std::string>(), spot["buyer_maker_true"].get<int64_t>());
  EXPECT_EQ(Trim(got), want);
  K2_ASSERT_OK_AND_ASSIGN(
      auto per_day, driver->Execute("SELECT toDate(event_time), count() FROM silver_trades FINAL "
                                    "GROUP BY 1 ORDER BY 1"));
  EXPECT_EQ(per_day, fmt::format("2024-08-08\t{}\n2024-08-09\t{}\n",
                                 spot["trades_per_utc_day"]["2024-08-08"].get<int64_t>(),
                                 spot["trades_per_utc_day"]["2024-08-09"].get<int64_t>()));

  // Candles from the CSV, independently.
  std::ifstream csv(fixtures +
                    "/market-data/binance-trades-derived/binance_spot_btcusdt_trades.csv");
  std::string line;
  std::getline(csv, line);            // header
  std::map<int64_t, Candle> candles;  // minute start (s) -> candle
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    ASSERT_GE(f.size(), 10u);
    int64_t t_ms = std::stoll(f[4]);
    int64_t price = Units(f[7]);
    int64_t qty = Units(f[8]);
    Candle& c = candles[t_ms / 60000 * 60];
    if (c.count == 0) {
      c.open = c.high = c.low = price;
    }
    c.high = std::max(c.high, price);
    c.low = std::min(c.low, price);
    c.close = price;  // rows are in trade id order
    c.volume += qty;
    c.quote += static_cast<int128_t>(price) * qty;
    ++c.count;
  }
  ASSERT_EQ(candles.size(), 12u);  // 23:54 .. 00:05
  const auto& gold = ReferenceTables()[3];
  ASSERT_EQ(gold.name, "gold_ohlcv_1m");
  K2_ASSERT_OK_AND_ASSIGN(
      auto gr, driver->Query(FillWindow(gold.offload_select, TimeColumn{gold.time_column},
                                        1723161000000000, 1723162000000000)));
  size_t seen = 0;
  while (true) {
    K2_ASSERT_OK_AND_ASSIGN(auto b, gr->Next());
    if (!b) break;
    const Schema& s = gr->schema();
    auto col = [&](const char* name) -> const Column& { return b->columns[*s.IndexOf(name)]; };
    for (size_t r = 0; r < b->num_rows(); ++r, ++seen) {
      int64_t minute = col("candle_time").Value<int64_t>(r) / 1000000;
      ASSERT_TRUE(candles.count(minute)) << minute;
      const Candle& c = candles[minute];
      EXPECT_EQ(col("open").DecimalValue(r), c.open) << minute;
      EXPECT_EQ(col("high").DecimalValue(r), c.high) << minute;
      EXPECT_EQ(col("low").DecimalValue(r), c.low) << minute;
      EXPECT_EQ(col("close").DecimalValue(r), c.close) << minute;
      EXPECT_TRUE(col("volume").DecimalValue(r) == c.volume) << minute;
      EXPECT_TRUE(col("quote_volume").DecimalValue(r) == c.quote) << minute;
      EXPECT_EQ(col("trade_count").Value<int64_t>(r), c.count) << minute;
      // VWAP rounded half-up to 8 decimals (quote 1e-16 / volume 1e-8 = 1e-8 units).
      int128_t q = c.quote / c.volume;  // 1e-8 units, truncated
      int128_t rem = c.quote % c.volume;
      if (rem * 2 >= c.volume) ++q;
      EXPECT_TRUE(col("vwap").DecimalValue(r) == q) << minute;
    }
  }
  EXPECT_EQ(seen, candles.size());
  K2_ASSERT_OK(driver->Execute("USE default"));
}

}  // namespace
}  // namespace k2::warm
