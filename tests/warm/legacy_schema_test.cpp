// The legacy flavour of the reference schema on a real Debian clickhouse-server
// 18.16: generated trades flow through all nine tables, and every gold candle
// equals the candle computed here from the silver rows (and, when chDB is
// installed, the modern flavour's candle for the same seed on chDB).

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "support/clickhouse_server.h"
#include "warm/binance_loader.h"
#include "warm/reference_schema.h"
#include "warm/time_column.h"
#include "warm/trade_generator.h"
#include "warm/warm_test_util.h"

namespace k2::warm {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(LegacySchemaTest, SameTablesAsModern) {
  const auto& modern = ReferenceTables(SchemaFlavor::kModern);
  const auto& legacy = ReferenceTables(SchemaFlavor::kLegacy);
  ASSERT_EQ(legacy.size(), 9u);
  ASSERT_EQ(modern.size(), legacy.size());
  EXPECT_EQ(&ReferenceTables(), &modern);
  for (size_t i = 0; i < legacy.size(); ++i) {
    EXPECT_EQ(legacy[i].name, modern[i].name);
    EXPECT_EQ(legacy[i].layer, modern[i].layer);
    EXPECT_EQ(legacy[i].time_column, modern[i].time_column);
    EXPECT_EQ(legacy[i].window_seconds, modern[i].window_seconds);
    EXPECT_NE(legacy[i].create_sql, modern[i].create_sql) << legacy[i].name;
    // None of what 18.16 lacks.
    for (const char* absent : {"DateTime64", "JSONExtract", "isValidJSON", "Bool,", "Bool\n",
                               "LowCardinality", "OrNull", "toStartOfInterval"}) {
      EXPECT_EQ(legacy[i].create_sql.find(absent), std::string::npos) << legacy[i].name << absent;
      EXPECT_EQ(legacy[i].view_sql.find(absent), std::string::npos) << legacy[i].name << absent;
      EXPECT_EQ(legacy[i].offload_select.find(absent), std::string::npos)
          << legacy[i].name << absent;
    }
  }
}

TEST(LegacySchemaTest, CheckedInScriptMatchesCode) {
  std::ifstream f(k2::testing::SourceDir() + "/sql/reference_schema_legacy.sql");
  ASSERT_TRUE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), ReferenceSchemaScript(SchemaFlavor::kLegacy))
      << "regenerate sql/reference_schema_legacy.sql with `k2 warm schema print --flavor legacy`";
}

TEST(LegacySchemaTest, FlavorFromVersionAndName) {
  K2_ASSERT_OK_AND_ASSIGN(auto f, SchemaFlavorForVersion("18.16.1"));
  EXPECT_EQ(f, SchemaFlavor::kLegacy);
  K2_ASSERT_OK_AND_ASSIGN(f, SchemaFlavorForVersion("21.8.15.7"));
  EXPECT_EQ(f, SchemaFlavor::kLegacy);
  K2_ASSERT_OK_AND_ASSIGN(f, SchemaFlavorForVersion("22.1.3.7"));
  EXPECT_EQ(f, SchemaFlavor::kModern);
  K2_ASSERT_OK_AND_ASSIGN(f, SchemaFlavorForVersion("26.1.1.1"));
  EXPECT_EQ(f, SchemaFlavor::kModern);
  K2_ASSERT_ERROR_KIND(SchemaFlavorForVersion(""), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(SchemaFlavorForVersion("unknown"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(SchemaFlavorForVersion("18x"), ErrorKind::kInvalidInput);
  K2_ASSERT_OK_AND_ASSIGN(f, ParseSchemaFlavor("legacy"));
  EXPECT_EQ(f, SchemaFlavor::kLegacy);
  K2_ASSERT_ERROR_KIND(ParseSchemaFlavor("old"), ErrorKind::kInvalidInput);
  EXPECT_EQ(SchemaFlavorName(SchemaFlavor::kModern), "modern");
}

// One trade of silver, as read back through the HTTP driver.
struct Trade {
  std::string exchange, symbol;
  int64_t trade_id = 0, time_ms = 0;
  int64_t price = 0, quantity = 0;  // 1e-8
  int128_t quote = 0;               // 1e-16
};

struct Candle {
  std::tuple<int64_t, int64_t> first{INT64_MAX, 0}, last{INT64_MIN, 0};
  int64_t open = 0, high = INT64_MIN, low = INT64_MAX, close = 0, count = 0;
  int128_t volume = 0, quote = 0;
};

using CandleKey = std::tuple<std::string, std::string, int64_t>;  // exchange, symbol, start (s)

std::vector<std::map<std::string, std::string>> ReadAll(BatchReader& reader) {
  std::vector<std::map<std::string, std::string>> rows;
  while (true) {
    auto b = reader.Next();
    EXPECT_TRUE(b.has_value()) << b.error().ToString();
    if (!b.has_value() || !*b) break;
    for (size_t r = 0; r < (*b)->num_rows(); ++r) {
      std::map<std::string, std::string> row;
      for (size_t c = 0; c < (*b)->num_columns(); ++c) {
        const Column& col = (*b)->columns[c];
        const std::string& name = reader.schema().fields[c].name;
        switch (col.type().id) {
          case TypeId::kDecimal:
            row[name] = FormatDecimal(col.DecimalValue(r), col.type().scale);
            break;
          case TypeId::kInt32:
            row[name] = std::to_string(col.Value<int32_t>(r));
            break;
          case TypeId::kInt64:
          case TypeId::kTimestampTz:
            row[name] = std::to_string(col.Value<int64_t>(r));
            break;
          default:
            row[name] = std::string(col.Bytes(r));
        }
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

int128_t Units(const std::string& text, int scale) {
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  frac.resize(static_cast<size_t>(scale), '0');
  int128_t v = 0;
  for (char c : whole + frac) v = v * 10 + (c - '0');
  return v;
}

std::string UnitsText(int128_t v, int scale) {
  return FormatDecimal(v, scale);
}

TEST(LegacySchemaTest, GeneratedTradesFlowThroughAllNineTablesOnClickHouse1816) {
  K2_START_CLICKHOUSE(server);
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver({.url = server->url()}));
  K2_ASSERT_OK_AND_ASSIGN(SchemaFlavor flavor, DetectSchemaFlavor(*driver));
  ASSERT_EQ(flavor, SchemaFlavor::kLegacy) << driver->ServerVersion();
  // The modern flavour does not run there (what the legacy one is for).
  EXPECT_FALSE(ApplyReferenceSchema(*driver, SchemaFlavor::kModern).has_value());
  K2_ASSERT_OK(driver->Execute("CREATE DATABASE lg"));
  K2_ASSERT_OK_AND_ASSIGN(auto lg, OpenHttpDriver({.url = server->url(), .database = "lg"}));
  K2_ASSERT_OK(ApplyReferenceSchema(*lg, SchemaFlavor::kLegacy));
  K2_ASSERT_OK(ApplyReferenceSchema(*lg, SchemaFlavor::kLegacy));  // idempotent

  GeneratorOptions o;
  o.start_micros = 1723161600000000;  // 2024-08-09 00:00 UTC
  o.hours = 0.75;
  o.rate = 25;
  o.symbols = 5;
  o.seed = 42;
  GeneratorStats stats;
  // Several inserts: duplicates are removed within one insert and across inserts.
  K2_ASSERT_OK_AND_ASSIGN(auto gen, MakeTradeGenerator(o, 7000, &stats));
  K2_ASSERT_OK_AND_ASSIGN(uint64_t rows, InsertAll(*lg, "raw_trades", *gen));
  ASSERT_EQ(rows, stats.messages);
  ASSERT_GT(stats.duplicates, 0u);
  ASSERT_GT(stats.malformed, 0u);
  ASSERT_GT(stats.messages, 7000u * 3);

  K2_ASSERT_OK_AND_ASSIGN(auto raw, lg->Execute("SELECT count() FROM raw_trades"));
  EXPECT_EQ(Trim(raw), std::to_string(stats.messages));
  K2_ASSERT_OK_AND_ASSIGN(auto bronze, lg->Execute("SELECT count() FROM bronze_trades"));
  EXPECT_EQ(Trim(bronze), std::to_string(stats.trades + stats.duplicates));
  K2_ASSERT_OK_AND_ASSIGN(
      auto silver_plain,
      lg->Execute("SELECT count(), uniqExact(exchange, symbol, trade_id), uniqExact(symbol) "
                  "FROM silver_trades"));
  EXPECT_EQ(Trim(silver_plain), fmt::format("{0}\t{0}\t5", stats.trades));

  // Silver through its offload query, over the whole span.
  const int64_t day = 1723161600000000;
  const auto& tables = ReferenceTables(SchemaFlavor::kLegacy);
  K2_ASSERT_OK_AND_ASSIGN(
      auto sr, lg->Query(FillWindow(tables[2].offload_select, TimeColumn{tables[2].time_column},
                                    day, day + 86400000000LL)));
  auto silver = ReadAll(*sr);
  ASSERT_EQ(silver.size(), stats.trades);
  std::vector<Trade> trades;
  for (const auto& row : silver) {
    Trade t;
    t.exchange = row.at("exchange");
    t.symbol = row.at("symbol");
    t.trade_id = std::stoll(row.at("trade_id"));
    t.time_ms = std::stoll(row.at("event_time_ms"));
    t.price = static_cast<int64_t>(Units(row.at("price"), 8));
    t.quantity = static_cast<int64_t>(Units(row.at("quantity"), 8));
    t.quote = Units(row.at("quote_quantity"), 16);
    EXPECT_TRUE(t.quote == static_cast<int128_t>(t.price) * t.quantity) << t.trade_id;
    EXPECT_EQ(std::stoll(row.at("event_time")), t.time_ms / 1000 * 1000000) << t.trade_id;
    EXPECT_EQ(t.symbol.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), std::string::npos)
        << t.symbol;
    EXPECT_EQ(row.at("side"), row.at("is_buyer_maker") == "1" ? "sell" : "buy");
    trades.push_back(std::move(t));
  }

  // Every gold table equals candles computed here from the silver rows.
  const int64_t buckets[] = {60, 300, 900, 1800, 3600, 86400};
  std::map<std::string, std::vector<std::map<std::string, std::string>>> gold_rows;
  for (size_t g = 0; g < 6; ++g) {
    const ReferenceTable& table = tables[3 + g];
    std::map<CandleKey, Candle> want;
    for (const Trade& t : trades) {
      int64_t start = t.time_ms / 1000 / buckets[g] * buckets[g];
      Candle& c = want[{t.exchange, t.symbol, start}];
      auto key = std::make_tuple(t.time_ms, t.trade_id);
      if (key < c.first) {
        c.first = key;
        c.open = t.price;
      }
      if (key > c.last) {
        c.last = key;
        c.close = t.price;
      }
      c.high = std::max(c.high, t.price);
      c.low = std::min(c.low, t.price);
      c.volume += t.quantity;
      c.quote += t.quote;
      ++c.count;
    }
    K2_ASSERT_OK_AND_ASSIGN(
        auto gr, lg->Query(FillWindow(table.offload_select, TimeColumn{table.time_column}, day,
                                      day + 86400000000LL)));
    auto got = ReadAll(*gr);
    ASSERT_EQ(got.size(), want.size()) << table.name;
    for (const auto& row : got) {
      CandleKey key{row.at("exchange"), row.at("symbol"),
                    std::stoll(row.at("candle_time")) / 1000000};
      auto it = want.find(key);
      ASSERT_NE(it, want.end()) << table.name << " " << row.at("symbol") << " "
                                << row.at("candle_time");
      const Candle& c = it->second;
      std::string where = table.name + " " + row.at("symbol") + " " + row.at("candle_time");
      EXPECT_EQ(row.at("open"), UnitsText(c.open, 8)) << where;
      EXPECT_EQ(row.at("high"), UnitsText(c.high, 8)) << where;
      EXPECT_EQ(row.at("low"), UnitsText(c.low, 8)) << where;
      EXPECT_EQ(row.at("close"), UnitsText(c.close, 8)) << where;
      EXPECT_EQ(row.at("volume"), UnitsText(c.volume, 8)) << where;
      EXPECT_EQ(row.at("quote_volume"), UnitsText(c.quote, 16)) << where;
      EXPECT_EQ(row.at("trade_count"), std::to_string(c.count)) << where;
      int128_t vwap = c.quote / c.volume;  // 1e-8 units, half-up
      if ((c.quote % c.volume) * 2 >= c.volume) ++vwap;
      EXPECT_EQ(row.at("vwap"), UnitsText(vwap, 8)) << where;
    }
    gold_rows[table.name] = std::move(got);
  }

  // The modern flavour on chDB makes the same candles from the same seed.
  std::string skip;
  WarmDriver* chdb = testing::EmbeddedForTests(&skip);
  if (!chdb) {
    ASSERT_FALSE(skip.empty());
    GTEST_SKIP() << "modern comparison skipped: " << skip;
  }
  K2_ASSERT_OK(chdb->Execute("CREATE DATABASE IF NOT EXISTS legacy_cmp"));
  K2_ASSERT_OK(chdb->Execute("USE legacy_cmp"));
  K2_ASSERT_OK(ApplyReferenceSchema(*chdb, SchemaFlavor::kModern));
  K2_ASSERT_OK_AND_ASSIGN(auto gen2, MakeTradeGenerator(o, 7000));
  K2_ASSERT_OK(InsertAll(*chdb, "raw_trades", *gen2));
  for (size_t g = 0; g < 6; ++g) {
    const ReferenceTable& table = ReferenceTables(SchemaFlavor::kModern)[3 + g];
    K2_ASSERT_OK_AND_ASSIGN(
        auto mr, chdb->Query(FillWindow(table.offload_select, TimeColumn{table.time_column}, day,
                                        day + 86400000000LL)));
    auto modern = ReadAll(*mr);
    EXPECT_EQ(modern, gold_rows[table.name]) << table.name;
  }
  K2_ASSERT_OK(chdb->Execute("USE default"));
}

}  // namespace
}  // namespace k2::warm
