// The offload against a real ClickHouse server (Debian's clickhouse-server
// 18.16 on loopback, over HTTP): two `k2 offload` processes started together
// commit every window once, and chDB reads back what the server holds.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "support/clickhouse_server.h"
#include "support/support.h"

namespace k2::testing {
namespace {

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
  std::set<std::string> windows;
  for (const auto& s : list) {
    if (!s["summary"].contains("k2.window")) continue;
    EXPECT_TRUE(windows.insert(s["summary"]["k2.window"].get<std::string>()).second)
        << "window committed twice: " << s["summary"]["k2.window"];
  }
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

  // A rerun commits nothing.
  ProcessResult again = k2(offload);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto report = nlohmann::json::parse(again.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << again.out;
  EXPECT_TRUE(report.at(0).at("windows").empty()) << again.out;
}

}  // namespace
}  // namespace k2::testing
