// Writers racing through k2's REST catalog server (`k2 serve`, a child
// process): two `k2 offload` processes (warm tier: Debian's ClickHouse server)
// and ClickHouse inserts (chDB's DataLakeCatalog with catalog_type = 'rest')
// commit to the same table at once. No commit is lost and none is applied
// twice: every window once, every acknowledged insert's rows once, by chDB's
// count and distinct ids.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "support/clickhouse_server.h"
#include "support/support.h"

namespace k2::testing {
namespace {

TEST(RestConcurrencyTest, TwoOffloadsAndClickHouseInsertsCommitEverythingOnce) {
  K2_START_CLICKHOUSE(server);
  // 18.16 has no DateTime64: a DateTime time column, 48 hours of rows.
  K2_ASSERT_OK(server->Query(
      "CREATE TABLE trades (ts DateTime, symbol String, trade_id UInt32, price Decimal(18, 8), "
      "qty Float64, note Nullable(String)) ENGINE = MergeTree ORDER BY (symbol, ts)"));
  K2_ASSERT_OK(server->Query(
      "INSERT INTO trades SELECT toDateTime(1795132800 + number * 7), "
      "concat('SYM', toString(number % 5)), toUInt32(number), toDecimal64(number / 100, 8), "
      "number * 0.5, if(number % 3 = 0, NULL, toString(number)) FROM numbers(24686)"));

  TempDir dir;
  const int port = FreeLoopbackPort();
  // ClickHouse wants a scheme on every location.
  const std::string lake = "file://" + (dir / "lake");
  std::string serve_config = dir / "serve.yaml";
  std::ofstream(serve_config) << RestCatalogServeConfig(dir / "serve", dir / "catalog.db", lake,
                                                        port);
  ServeProcess serve(K2_BINARY, serve_config, dir / "serve.log", port, {}, "warn");
  ASSERT_TRUE(serve.AwaitUp()) << "k2 serve did not answer on port " << port;
  const std::string catalog_uri = "http://127.0.0.1:" + std::to_string(port) + "/iceberg";

  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "client") << "\nwarm: {kind: http, url: \""
                        << server->url() << "\"}\ncatalog: {type: rest, uri: \"" << catalog_uri
                        << "\"}\nwarehouse: {location: \"" << lake
                        << "\"}\ntables:\n  - {name: trades, layer: silver, time_column: ts}\n";
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  // The first hour creates the table.
  ProcessResult created = k2({"offload", "--json", "--window", "2026-11-20T00:00Z"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;

  const std::string attach =
      "CREATE DATABASE lake ENGINE = DataLakeCatalog('" + catalog_uri +
      "/v1') SETTINGS catalog_type = 'rest', warehouse = 'k2', vended_credentials = false";
  auto clickhouse = [&](const std::vector<std::string>& statements) {
    std::vector<std::string> all = {"SET allow_experimental_database_iceberg = 1",
                                    "SET allow_experimental_insert_into_iceberg = 1", attach};
    all.insert(all.end(), statements.begin(), statements.end());
    return QueryOracle("chdb", all);
  };

  // The other 47 hours by two processes, while ClickHouse inserts two rows at
  // a time in one session (ids from 1,000,000 up; each insert is acknowledged
  // or refused).
  constexpr int kInserts = 20;
  std::vector<std::string> session = {"node", SourceDir() + "/tools/oracle/chdb_each.mjs",
                                      "SET allow_experimental_database_iceberg = 1",
                                      "SET allow_experimental_insert_into_iceberg = 1", attach};
  for (int i = 0; i < kInserts; ++i) {
    session.push_back(fmt::format(
        "INSERT INTO lake.`market.trades` VALUES ('2026-11-19 12:00:00', 'CH', {}, 1.5, 2.5, "
        "'clickhouse'), ('2026-11-19 12:00:01', 'CH', {}, 1.5, 2.5, 'clickhouse')",
        1000000 + 2 * i, 1000001 + 2 * i));
  }
  ProcessResult a, b, c;
  const std::vector<std::string> offload = {"offload",           "--json",  "--window",
                                            "2026-11-20T01:00Z", "--until", "2026-11-22T00:00Z"};
  std::thread tc([&] { c = RunProcess(session); });
  std::thread ta([&] { a = k2(offload); });
  std::thread tb([&] { b = k2(offload); });
  ta.join();
  tb.join();
  tc.join();
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  auto outcomes = nlohmann::json::parse(c.out, nullptr, false);
  ASSERT_TRUE(outcomes.is_array() && outcomes.size() == 3u + kInserts) << c.out;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(outcomes[i]["ok"].get<bool>()) << c.out;
  int inserts = 0;
  for (int i = 3; i < 3 + kInserts; ++i) inserts += outcomes[i]["ok"].get<bool>();
  // A refused insert (a conflict ClickHouse did not retry) is not a lost
  // commit, but most must get through for the test to mean anything.
  EXPECT_GE(inserts, kInserts / 2) << c.out;

  ProcessResult snaps = k2({"snapshots", "market.trades", "--json"});
  ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
  auto list = nlohmann::json::parse(snaps.out, nullptr, false);
  ASSERT_TRUE(list.is_array()) << snaps.out;
  const SnapshotWindows committed = WindowsOfSnapshots(list);
  EXPECT_TRUE(committed.repeated.empty())
      << "window committed twice: " << committed.repeated.front();
  const std::set<std::string>& windows = committed.windows;
  // Rows span 2026-11-20 00:00 to 2026-11-21 23:59:55: 48 hourly windows.
  EXPECT_EQ(windows.size(), 48u);

  K2_ASSERT_OK_AND_ASSIGN(
      std::string warm,
      server->Query("SELECT count(), sum(trade_id), countIf(note IS NULL) FROM trades"));
  K2_ASSERT_OK_AND_ASSIGN(
      auto cold,
      clickhouse({"SELECT toString(countIf(symbol != 'CH')) AS c, "
                  "toString(sumIf(trade_id, symbol != 'CH')) AS t, "
                  "toString(countIf(note IS NULL)) AS n, toString(countIf(symbol = 'CH')) AS ch, "
                  "toString(uniqExactIf(trade_id, symbol = 'CH')) AS ch_ids, "
                  "toString(count()) AS all_rows, toString(uniqExact(trade_id)) AS all_ids "
                  "FROM lake.`market.trades`"}));
  const auto& row = cold.back()[0];
  EXPECT_EQ(fmt::format("{}\t{}\t{}\n", row["c"].get<std::string>(), row["t"].get<std::string>(),
                        row["n"].get<std::string>()),
            warm)
      << "every warm row once";
  EXPECT_EQ(row["ch"], std::to_string(2 * inserts)) << "every acknowledged insert once";
  EXPECT_EQ(row["ch_ids"], std::to_string(2 * inserts));
  EXPECT_EQ(row["all_ids"], row["all_rows"]) << "no row twice";
  EXPECT_EQ(serve.Terminate(), 0);
}

}  // namespace
}  // namespace k2::testing
