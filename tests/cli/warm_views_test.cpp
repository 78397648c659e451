// Runs the real k2 binary: k2 warm views --apply on the embedded engine acting
// as a ClickHouse server that reads Iceberg; the `_all` views answer as k2
// query does, before and after old warm rows are dropped, and after a later
// offload commits more windows (the split moves without re-applying). A
// ClickHouse server that cannot read Iceberg (Debian's 18.16) is refused.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/clickhouse_server.h"
#include "support/support.h"

namespace k2::testing {
namespace {

class WarmViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ChdbLibraryPath()) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
    config_ = dir_.path() + "/k2.yaml";
    ProcessResult example = K2({"config", "example"});
    ASSERT_EQ(example.exit_code, 0) << example.err;
    std::ofstream(config_) << example.out;
  }

  ProcessResult K2(std::vector<std::string> args) const {
    args.insert(args.begin(), K2_BINARY);
    args.insert(args.begin() + 1, {"--log-format", "text"});
    if (!config_.empty()) args.insert(args.begin() + 1, {"--config", config_});
    return RunProcess(args);
  }

  /// `sql` (with {t} for the table) through the view and through k2 query:
  /// both answers, CSV.
  std::pair<std::string, std::string> BothWays(const std::string& sql) const {
    const std::string view_sql = fmt::format(fmt::runtime(sql), fmt::arg("t", "silver_trades_all"));
    const std::string query_sql = fmt::format(fmt::runtime(sql), fmt::arg("t", "silver_trades"));
    ProcessResult view = K2({"warm", "query", view_sql + " FORMAT CSV"});
    EXPECT_EQ(view.exit_code, 0) << view.err;
    ProcessResult query = K2({"query", query_sql + " FORMAT CSV"});
    EXPECT_EQ(query.exit_code, 0) << query.err;
    return {view.out, query.out};
  }

  void ExpectViewEqualsQuery(const std::string& full_count) const {
    auto [view_count, query_count] = BothWays("SELECT count() FROM {t}");
    EXPECT_EQ(view_count, query_count);
    EXPECT_EQ(view_count, full_count + "\n");
    auto [view, query] = BothWays(
        "SELECT symbol, toStartOfHour(event_time) AS h, count(), sum(quantity), "
        "sum(quote_quantity), min(price), max(price), min(trade_id), max(trade_id) "
        "FROM {t} GROUP BY symbol, h ORDER BY symbol, h");
    EXPECT_EQ(view, query);
    EXPECT_GE(std::count(view.begin(), view.end(), '\n'), 15) << view;  // 3 symbols x >= 5 hours
  }

  TempDir dir_;
  std::string config_;
};

TEST_F(WarmViewsTest, ViewsAnswerAsK2QueryAcrossOffloads) {
  ProcessResult gen = K2({"generate", "--hours", "6", "--rate", "3", "--symbols", "3", "--seed",
                          "5", "--start", "2026-11-20T00:00:00Z"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ProcessResult off = K2({"offload", "--table", "silver_trades", "--window", "2026-11-20T00:00Z",
                          "--until", "2026-11-20T03:00Z"});
  ASSERT_EQ(off.exit_code, 0) << off.err << off.out;
  ProcessResult full = K2({"warm", "query", "SELECT count() FROM silver_trades FINAL"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const std::string full_count = full.out.substr(0, full.out.find('\n'));

  // Printed, not applied: the DDL names the table root and the ranges table.
  ProcessResult print = K2({"warm", "views"});
  ASSERT_EQ(print.exit_code, 0) << print.err;
  EXPECT_NE(print.out.find("CREATE OR REPLACE VIEW `default`.`silver_trades_all`"),
            std::string::npos)
      << print.out;
  EXPECT_NE(print.out.find("icebergLocal('"), std::string::npos) << print.out;
  EXPECT_NE(print.out.find("k2_cold_ranges"), std::string::npos) << print.out;
  EXPECT_NE(K2({"warm", "query", "EXISTS TABLE k2_cold_ranges"}).out, "1\n");

  ProcessResult apply = K2({"warm", "views", "--apply", "--json"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  auto report = nlohmann::json::parse(apply.out);
  EXPECT_TRUE(report["applied"].get<bool>());
  bool found = false;
  for (const auto& v : report["views"]) {
    if (v["view"] != "silver_trades_all") continue;
    found = true;
    EXPECT_FALSE(v["cold_location"].is_null()) << v.dump();
    ASSERT_EQ(v["cold_windows"].size(), 1u) << v.dump();
    EXPECT_EQ(v["cold_windows"][0][1], "2026-11-20T03:00:00.000000") << v.dump();
  }
  EXPECT_TRUE(found) << apply.out;
  ExpectViewEqualsQuery(full_count);

  // Old warm rows dropped: the view reads those hours from Iceberg.
  ProcessResult drop = K2({"warm", "query",
                           "ALTER TABLE silver_trades DELETE WHERE event_time < "
                           "toDateTime('2026-11-20 01:00:00', 'UTC') SETTINGS mutations_sync = 2"});
  ASSERT_EQ(drop.exit_code, 0) << drop.err;
  ExpectViewEqualsQuery(full_count);

  // A later offload commits two more windows and rewrites k2_cold_ranges:
  // the same views split at the new edge (nothing counted twice).
  ProcessResult more = K2({"offload", "--table", "silver_trades", "--window", "2026-11-20T03:00Z",
                           "--until", "2026-11-20T05:00Z"});
  ASSERT_EQ(more.exit_code, 0) << more.err << more.out;
  ProcessResult ranges =
      K2({"warm", "query",
          "SELECT toString(argMax(ranges, version)) FROM k2_cold_ranges WHERE table_name = "
          "'silver_trades'"});
  ASSERT_EQ(ranges.exit_code, 0) << ranges.err;
  EXPECT_EQ(ranges.out, "[(1795132800000000,1795150800000000)]\n");
  ExpectViewEqualsQuery(full_count);
}

TEST_F(WarmViewsTest, HelpNamesTheViews) {
  ProcessResult help = K2({"warm", "views", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("<table>_all"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--apply"), std::string::npos) << help.out;
}

TEST_F(WarmViewsTest, ServerWithoutIcebergIsRefused) {
  K2_START_CLICKHOUSE(server);
  ProcessResult r = K2({"warm", "views", "--apply", "--url", server->url()});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("cannot read Iceberg (no icebergLocal table function"), std::string::npos)
      << r.err;
  auto tables = server->Query("EXISTS TABLE k2_cold_ranges");
  ASSERT_TRUE(tables) << tables.error().ToString();
  EXPECT_EQ(*tables, "0\n");
}

}  // namespace
}  // namespace k2::testing
