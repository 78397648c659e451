// The offload against a real ClickHouse server (Debian's clickhouse-server
// 18.16 on loopback, over HTTP): every table of the reference schema (its
// legacy flavour) lands with chDB reading back the server's per-window counts
// and sums; two `k2 offload` processes started together commit every window
// once, and `k2 query` then reads the committed hours from Iceberg and the
// rest from the server.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "support/clickhouse_server.h"
#include "support/support.h"

namespace k2::testing {
namespace {

/// A decimal as text without trailing zeros (18.16 prints every scale digit).
std::string Number(std::string s) {
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

TEST(OffloadServerTest, EveryReferenceTableLandsWithTheServersPerWindowCountsAndSums) {
  K2_START_CLICKHOUSE(server);
  TempDir dir;
  std::string config = dir / "k2.yaml";
  // No tables: the nine reference tables. The server is 18.16, so generate
  // creates the legacy flavour and the offload reads with its queries.
  std::ofstream(config) << "data_dir: data\nwarm: {kind: http, url: \"" << server->url()
                        << "\"}\noffload: {max_windows_per_run: 100}\n";
  // Three hours from yesterday 00:00 UTC: every window up to now has closed
  // or is empty, and the daily candle's day is over.
  std::time_t yesterday = std::time(nullptr) / 86400 * 86400 - 86400;
  std::tm day{};
  gmtime_r(&yesterday, &day);
  std::string start =
      fmt::format("{:04}-{:02}-{:02}T00:00:00Z", day.tm_year + 1900, day.tm_mon + 1, day.tm_mday);
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  ProcessResult gen = k2({"generate", "--hours", "3", "--rate", "2", "--symbols", "3", "--seed",
                          "9", "--start", start});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ProcessResult first = k2({"offload", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;

  struct Check {
    std::string table, time, warm_rows, value;
  };
  auto gold = [](const std::string& interval) {
    return Check{"gold_ohlcv_" + interval, "candle_time",
                 "(SELECT candle_time, countMerge(trade_count) AS trade_count FROM gold_ohlcv_" +
                     interval + " GROUP BY exchange, symbol, candle_time)",
                 "trade_count"};
  };
  std::vector<Check> checks = {
      {"raw_trades", "ingested_at", "raw_trades", "length(message)"},
      {"bronze_trades", "event_time", "bronze_trades", "quantity"},
      {"silver_trades", "event_time", "(SELECT * FROM silver_trades FINAL)", "quote_quantity"},
      gold("1m"),
      gold("5m"),
      gold("15m"),
      gold("30m"),
      gold("1h"),
      gold("1d"),
  };
  for (const auto& c : checks) {
    K2_ASSERT_OK_AND_ASSIGN(
        std::string warm,
        server->Query(fmt::format("SELECT toStartOfHour({0}) AS h, count(), sum({1}) FROM {2} "
                                  "GROUP BY h ORDER BY h",
                                  c.time, c.value, c.warm_rows)));
    K2_ASSERT_OK_AND_ASSIGN(
        auto rows, QueryChdb(fmt::format("SELECT toString(toStartOfHour({0})) AS h, "
                                         "toString(count()) AS c, toString(sum({1})) AS s FROM "
                                         "icebergLocal('{2}/data/warehouse/market/{3}') GROUP BY "
                                         "h ORDER BY h",
                                         c.time, c.value, dir.path(), c.table)));
    std::string expected, cold;
    std::stringstream lines(warm);
    for (std::string line; std::getline(lines, line);) {
      auto tab = line.rfind('\t');
      expected += line.substr(0, tab) + "\t" + Number(line.substr(tab + 1)) + "\n";
    }
    for (const auto& r : rows) {
      cold += r["h"].get<std::string>() + "\t" + r["c"].get<std::string>() + "\t" +
              Number(r["s"].get<std::string>()) + "\n";
    }
    EXPECT_FALSE(rows.empty()) << c.table;
    EXPECT_EQ(cold, expected) << c.table << ": per-window count and sum";
  }

  // A rerun re-commits nothing (at most hours that closed meanwhile, empty:
  // recorded in the ledger, no snapshot).
  ProcessResult again = k2({"offload", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto report = nlohmann::json::parse(again.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << again.out;
  ASSERT_EQ(report.size(), checks.size()) << again.out;
  for (const auto& t : report) {
    for (const auto& w : t.at("windows")) {
      EXPECT_EQ(w.at("action"), "empty") << t.dump();
      EXPECT_EQ(w.at("rows"), 0) << t.dump();
    }
  }
}

TEST(OffloadServerTest, TwoProcessesTogetherCommitEveryWindowOnce) {
  K2_START_CLICKHOUSE(server);
  // 18.16 has no DateTime64: a DateTime time column, 6 hours of rows.
  K2_ASSERT_OK(server->Query(
      "CREATE TABLE trades (ts DateTime, symbol String, trade_id UInt32, price Decimal(18, 8), "
      "qty Float64, note Nullable(String)) ENGINE = MergeTree ORDER BY (symbol, ts)"));
  K2_ASSERT_OK(server->Query(
      "INSERT INTO trades SELECT toDateTime(1795132800 + number * 7), "
      "concat('SYM', toString(number % 5)), toUInt32(number), toDecimal64(number / 100, 8), "
      "number * 0.5, if(number % 3 = 0, NULL, toString(number)) FROM numbers(3085)"));

  TempDir dir;
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: data\nwarm: {kind: http, url: \"" << server->url()
                        << "\", user: k2, password: \"${K2_TEST_CH_PASSWORD}\"}\n"
                        << "tables:\n  - {name: trades, layer: silver, time_column: ts}\n";
  std::vector<std::string> env = {"K2_TEST_CH_PASSWORD=secret"};
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args, env);
  };
  ProcessResult a, b;
  const std::vector<std::string> offload = {"offload",           "--json",  "--window",
                                            "2026-11-20T00:00Z", "--until", "2026-11-20T06:00Z"};
  std::thread ta([&] { a = k2(offload); });
  std::thread tb([&] { b = k2(offload); });
  ta.join();
  tb.join();
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;

  ProcessResult snaps = k2({"snapshots", "market.trades", "--json"});
  ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
  auto list = nlohmann::json::parse(snaps.out, nullptr, false);
  ASSERT_FALSE(list.is_discarded()) << snaps.out;
  const SnapshotWindows committed = WindowsOfSnapshots(list);
  EXPECT_TRUE(committed.repeated.empty())
      << "window committed twice: " << committed.repeated.front();
  const std::set<std::string>& windows = committed.windows;
  // Rows span 2026-11-20 00:00 to 05:59:48: six hourly windows, all closed.
  EXPECT_EQ(windows.size(), 6u);

  K2_ASSERT_OK_AND_ASSIGN(
      std::string warm,
      server->Query("SELECT count(), sum(trade_id), sum(qty), countIf(note IS NULL) FROM trades"));
  std::string location = dir.path() + "/data/warehouse/market/trades";
  K2_ASSERT_OK_AND_ASSIGN(
      auto cold,
      QueryChdb(fmt::format("SELECT toString(count()) AS c, toString(sum(trade_id)) AS t, "
                            "toString(sum(qty)) AS q, toString(countIf(note IS NULL)) AS n "
                            "FROM icebergLocal('{}')",
                            location)));
  ASSERT_EQ(cold.size(), 1u);
  EXPECT_EQ(fmt::format("{}\t{}\t{}\t{}\n", cold[0]["c"].get<std::string>(),
                        cold[0]["t"].get<std::string>(), cold[0]["q"].get<std::string>(),
                        cold[0]["n"].get<std::string>()),
            warm);

  // A rerun commits nothing: each window says it is committed.
  ProcessResult again = k2(offload);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto report = nlohmann::json::parse(again.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << again.out;
  ASSERT_EQ(report.at(0).at("windows").size(), 6u) << again.out;
  for (const auto& w : report.at(0).at("windows")) {
    EXPECT_EQ(w.at("action"), "skipped") << again.out;
    EXPECT_NE(w.value("reason", "").find("--replace"), std::string::npos) << again.out;
  }

  // k2 query across the tiers with the server as the warm tier: a seventh
  // hour arrives on the server (not offloaded). The committed six hours come
  // from Iceberg, the seventh from the server over HTTP (url(), with the
  // configured user and password), each row once.
  K2_ASSERT_OK(server->Query(
      "INSERT INTO trades SELECT toDateTime(1795132800 + 6 * 3600 + number * 11), "
      "concat('SYM', toString(number % 5)), toUInt32(100000 + number), toDecimal64(number, 8), "
      "number * 0.25, NULL FROM numbers(300)"));
  K2_ASSERT_OK_AND_ASSIGN(std::string total,
                          server->Query("SELECT count(), sum(trade_id), countIf(note IS NULL) "
                                        "FROM trades"));
  K2_ASSERT_OK_AND_ASSIGN(
      std::string six_hours,
      server->Query("SELECT count(), sum(trade_id), countIf(note IS NULL) "
                    "FROM trades WHERE ts < toDateTime(1795132800 + 6 * 3600)"));
  auto query = [&](const std::string& table) {
    ProcessResult r = k2({"query", "--format", "tsv",
                          "SELECT count(), sum(trade_id), countIf(note IS NULL) FROM " + table});
    r.out.erase(0, r.out.find('\n') + 1);  // the header line
    return r;
  };
  ProcessResult both = query("trades");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(both.out, total);
  ProcessResult warm_only = query("warm.trades");
  ASSERT_EQ(warm_only.exit_code, 0) << warm_only.err;
  EXPECT_EQ(warm_only.out, total);
  ProcessResult cold_only = query("cold.trades");
  ASSERT_EQ(cold_only.exit_code, 0) << cold_only.err;
  EXPECT_EQ(cold_only.out, six_hours);
  EXPECT_EQ(both.err.find("secret"), std::string::npos) << both.err;
}

}  // namespace
}  // namespace k2::testing
