// Runs the real k2 binary: k2 generate, k2 load binance, k2 warm schema
// apply|print and k2 warm query (text, --json, error exit codes) against a real
// Debian clickhouse-server 18.16 and the embedded engine.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "support/clickhouse_server.h"
#include "support/support.h"

namespace k2::testing {
namespace {

ProcessResult K2(std::vector<std::string> args) {
  args.insert(args.begin(), K2_BINARY);
  args.insert(args.begin() + 1, {"--log-format", "text"});
  return RunProcess(args);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(WarmCliTest, HelpForEveryWarmCommand) {
  for (std::vector<std::string> cmd : {std::vector<std::string>{"generate"},
                                       {"load", "binance"},
                                       {"warm", "schema", "apply"},
                                       {"warm", "schema", "print"},
                                       {"warm", "query"}}) {
    cmd.push_back("--help");
    ProcessResult r = K2(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd[0] << r.err;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << cmd[0];
  }
  EXPECT_NE(K2({"warm", "schema", "apply", "--help"}).out.find("--flavor"), std::string::npos);
}

TEST(WarmCliTest, SchemaPrintEqualsCheckedInSql) {
  ProcessResult modern = K2({"warm", "schema", "print"});
  ASSERT_EQ(modern.exit_code, 0) << modern.err;
  EXPECT_EQ(modern.out, ReadFile(SourceDir() + "/sql/reference_schema.sql"));
  ProcessResult legacy = K2({"warm", "schema", "print", "--flavor", "legacy"});
  ASSERT_EQ(legacy.exit_code, 0) << legacy.err;
  EXPECT_EQ(legacy.out, ReadFile(SourceDir() + "/sql/reference_schema_legacy.sql"));
  EXPECT_NE(legacy.out, modern.out);
  ProcessResult bad = K2({"warm", "schema", "print", "--flavor", "ancient"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("ancient"), std::string::npos) << bad.err;
}

// The whole warm workflow on the old Debian server: the legacy schema is picked
// from the server's version, generated trades reach silver and gold.
TEST(WarmCliTest, GenerateSchemaAndQueryOnClickHouse1816) {
  K2_START_CLICKHOUSE(server);
  const std::string url = server->url();
  ProcessResult print = K2({"warm", "schema", "print", "--flavor", "auto", "--url", url});
  ASSERT_EQ(print.exit_code, 0) << print.err;
  EXPECT_EQ(print.out, ReadFile(SourceDir() + "/sql/reference_schema_legacy.sql"));

  ProcessResult apply = K2({"warm", "schema", "apply", "--url", url});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_NE(apply.out.find("legacy reference schema applied (9 tables) on ClickHouse 18.16"),
            std::string::npos)
      << apply.out;
  ProcessResult again = K2({"warm", "schema", "apply", "--flavor", "legacy", "--url", url});
  EXPECT_EQ(again.exit_code, 0) << again.err;  // idempotent
  ProcessResult gen = K2({"generate", "--url", url, "--hours", "0.25", "--rate", "20", "--symbols",
                          "3", "--seed", "5", "--start", "2024-08-09T00:00:00Z"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(gen.out, m,
                                std::regex(R"(generated (\d+) raw_trades messages from )"
                                           R"(2024-08-09T00:00:00(\.0+)?Z: (\d+) trades)")))
      << gen.out;
  const std::string messages = m[1], trades = m[3];
  ASSERT_GT(std::stoll(trades), 15 * 60 * 10);

  ProcessResult q = K2({"warm", "query", "--url", url,
                        "SELECT (SELECT count() FROM raw_trades), count(), uniqExact(symbol), "
                        "(SELECT countMerge(trade_count) FROM gold_ohlcv_1d) FROM silver_trades"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_EQ(Trim(q.out), fmt::format("{}\t{}\t3\t{}", messages, trades, trades));

  ProcessResult js = K2({"warm", "query", "--json", "--url", url,
                         "SELECT symbol, count() AS n FROM silver_trades GROUP BY symbol "
                         "ORDER BY symbol"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  std::stringstream lines(js.out);
  std::string line;
  int64_t total = 0;
  int n_lines = 0;
  while (std::getline(lines, line)) {
    nlohmann::json row = nlohmann::json::parse(line);
    ASSERT_TRUE(row.contains("symbol")) << line;
    total +=
        row["n"].is_string() ? std::stoll(row["n"].get<std::string>()) : row["n"].get<int64_t>();
    ++n_lines;
  }
  EXPECT_EQ(n_lines, 3);
  EXPECT_EQ(total, std::stoll(trades));

  // ClickHouse errors reach the user with their code and the query id.
  ProcessResult syntax = K2({"warm", "query", "--url", url, "SELEC 1"});
  EXPECT_EQ(syntax.exit_code, 2);  // invalid input
  EXPECT_NE(syntax.err.find("Code: 62"), std::string::npos) << syntax.err;
  EXPECT_NE(syntax.err.find("k2-"), std::string::npos) << syntax.err;  // query id
  ProcessResult missing = K2({"warm", "query", "--url", url, "SELECT * FROM no_such_table"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("Code: 60"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("no_such_table"), std::string::npos) << missing.err;
  ProcessResult both =
      K2({"warm", "query", "--url", url, "--embedded", "/tmp/nowhere", "SELECT 1"});
  EXPECT_EQ(both.exit_code, 2);
  server->Kill();
  ProcessResult down = K2({"warm", "query", "--url", url, "SELECT 1"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find(url), std::string::npos) << down.err;
}

// Real Binance captures into the embedded engine through the CLI give the
// published trade count in silver.
TEST(WarmCliTest, LoadBinanceCapturesEmbedded) {
  K2_REQUIRE_FIXTURES(fixtures);
  if (!ChdbLibraryPath()) GTEST_SKIP() << "libchdb.so is not installed (scripts/install-deps)";
  TempDir dir;
  const std::string raw = fixtures + "/market-data/hftbacktest-binance-raw/spot/";
  ProcessResult load = K2({"load", "binance", "--embedded", dir / "ch", raw + "btcusdt_20240808.gz",
                           raw + "btcusdt_20240809.gz"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_NE(load.out.find("loaded "), std::string::npos) << load.out;
  std::ifstream sf(fixtures + "/market-data/binance-trades-derived/STATS.json");
  nlohmann::json all = nlohmann::json::parse(sf);
  int64_t want = -1;
  std::string vwap;
  for (const auto& s : all) {
    if (s["file"] == "binance-trades-derived/binance_spot_btcusdt_trades.csv") {
      want = s["rows"].get<int64_t>();
      vwap = s["vwap"].get<std::string>();
    }
  }
  ASSERT_GT(want, 0);
  ProcessResult q = K2({"warm", "query", "--embedded", dir / "ch", "--json",
                        "SELECT count() AS n, toString(CAST(round(toDecimal256(sum(quote_quantity),"
                        " 16) / sum(quantity), 8) AS Decimal(38, 8))) AS vwap FROM silver_trades "
                        "FINAL"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  nlohmann::json row = nlohmann::json::parse(Trim(q.out));
  std::string n = row["n"].is_string() ? row["n"].get<std::string>() : row["n"].dump();
  EXPECT_EQ(n, std::to_string(want));
  // Compared as numbers: chDB may drop trailing zeros.
  auto strip = [](std::string v) {
    if (v.find('.') == std::string::npos) return v;
    while (v.back() == '0') v.pop_back();
    if (v.back() == '.') v.pop_back();
    return v;
  };
  EXPECT_EQ(strip(row["vwap"].get<std::string>()), strip(vwap));
  ProcessResult absent = K2({"load", "binance", "--embedded", dir / "ch", dir / "absent.gz"});
  EXPECT_EQ(absent.exit_code, 2);
}

TEST(WarmCliTest, GenerateOnTheEmbeddedEngineExitsWithItsStatusAndSummary) {
  // Three hours or more used to crash inside libchdb at exit (background
  // merges beside its static destructors) and still exit 0.
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  for (int run = 0; run < 2; ++run) {
    TempDir dir;
    std::string config = dir / "k2.yaml";
    std::ofstream(config) << "data_dir: " << (dir / "data") << "\nwarm: {kind: embedded, "
                          << "chdb_library: " << *lib << "}\n";
    ProcessResult r = K2({"--config", config, "generate", "--hours", "3", "--rate", "30", "--seed",
                          std::to_string(run + 1)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("generated "), std::string::npos) << r.out << r.err;
    EXPECT_EQ(r.err.find("Segmentation"), std::string::npos) << r.err;
    ProcessResult q =
        K2({"--config", config, "warm", "query", "SELECT count() > 0 FROM raw_trades"});
    EXPECT_EQ(q.exit_code, 0) << q.err;
    EXPECT_EQ(Trim(q.out), "1");
  }
}

}  // namespace
}  // namespace k2::testing
