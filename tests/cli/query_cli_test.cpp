// Runs the real k2 binary: k2 query over warm and cold after old warm rows
// were dropped (equals the count taken before), its output formats (read
// back by chDB for parquet), --stats, and error exit codes with positions;
// k2 scan --where with OR/IN/NOT.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/support.h"

namespace k2::testing {
namespace {

/// The suite's config (set once the data dir exists).
std::string& ConfigPath() {
  static std::string path;
  return path;
}

ProcessResult K2(std::vector<std::string> args) {
  args.insert(args.begin(), K2_BINARY);
  args.insert(args.begin() + 1, {"--log-format", "text"});
  if (!ConfigPath().empty()) args.insert(args.begin() + 1, {"--config", ConfigPath()});
  return RunProcess(args);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

/// The value of a one-value TabSeparatedWithNames answer.
std::string One(const std::string& out) {
  std::string s = Trim(out);
  return s.substr(s.rfind('\n') + 1);
}

/// One data dir for the suite: 4 hours of trades, 00:00..02:00 offloaded,
/// warm rows before 01:00 dropped.
class QueryCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!ChdbLibraryPath()) return;
    dir_ = new TempDir();
    config_ = dir_->path() + "/k2.yaml";
    ProcessResult example = K2({"config", "example"});
    ASSERT_EQ(example.exit_code, 0) << example.err;
    std::ofstream(config_) << example.out;
    ConfigPath() = config_;
    ProcessResult gen = K2({"generate", "--hours", "4", "--rate", "4", "--symbols", "3", "--seed",
                            "9", "--start", "2026-11-20T00:00:00Z"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    ProcessResult off = K2({"offload", "--table", "silver_trades", "--window", "2026-11-20T00:00Z",
                            "--until", "2026-11-20T02:00Z"});
    ASSERT_EQ(off.exit_code, 0) << off.err << off.out;
    ProcessResult full = K2({"warm", "query", "SELECT count() FROM silver_trades FINAL"});
    ASSERT_EQ(full.exit_code, 0) << full.err;
    full_count_ = Trim(full.out);
    ProcessResult drop =
        K2({"warm", "query",
            "ALTER TABLE silver_trades DELETE WHERE event_time < "
            "toDateTime('2026-11-20 01:00:00', 'UTC') SETTINGS mutations_sync = 2"});
    ASSERT_EQ(drop.exit_code, 0) << drop.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!ChdbLibraryPath()) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  }

  static ProcessResult Query(std::vector<std::string> args) {
    args.insert(args.begin(), "query");
    return K2(args);
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string config_;
  static inline std::string full_count_;
};

TEST_F(QueryCliTest, CountsEachRowOnceAcrossTiers) {
  ProcessResult warm = Query({"SELECT count() FROM warm.silver_trades"});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_NE(One(warm.out), full_count_);  // the old rows are gone from ClickHouse
  ProcessResult all = Query({"SELECT count() FROM silver_trades;"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(One(all.out), full_count_);
  // The same from a file.
  std::string file = dir_->path() + "/q.sql";
  std::ofstream(file) << "-- all trades\nSELECT count()\nFROM silver_trades\n";
  ProcessResult from_file = Query({"-f", file});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(One(from_file.out), full_count_);
}

TEST_F(QueryCliTest, OutputFormats) {
  const std::string sql =
      "SELECT symbol, count() AS n, min(price) AS lo FROM silver_trades GROUP BY symbol ORDER BY "
      "symbol";
  ProcessResult csv = Query({sql, "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_TRUE(csv.out.starts_with("\"symbol\",\"n\",\"lo\"\n")) << csv.out;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 4) << csv.out;

  ProcessResult json = Query({sql, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::istringstream lines(json.out);
  int64_t total = 0;
  for (std::string line; std::getline(lines, line);) {
    auto row = nlohmann::json::parse(line);
    ASSERT_TRUE(row["n"].is_number_integer()) << line;
    total += row["n"].get<int64_t>();
  }
  EXPECT_EQ(std::to_string(total), full_count_);

  ProcessResult table = Query({sql, "--format", "table"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("┌─symbol─"), std::string::npos) << table.out;

  // Parquet into a file, read back by chDB.
  std::string out = dir_->path() + "/result.parquet";
  ProcessResult pq = Query({sql, "--format", "parquet", "--output", out});
  ASSERT_EQ(pq.exit_code, 0) << pq.err;
  auto rows = QueryChdb(fmt::format("SELECT toString(sum(n)) AS n FROM file('{}', Parquet)", out));
  ASSERT_TRUE(rows) << rows.error().ToString();
  EXPECT_EQ((*rows)[0]["n"].get<std::string>(), full_count_);

  ProcessResult tsv_file = Query({"SELECT count() FROM silver_trades", "-o", out + ".tsv"});
  ASSERT_EQ(tsv_file.exit_code, 0) << tsv_file.err;
  EXPECT_EQ(tsv_file.out, "");
  std::ifstream in(out + ".tsv");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "count()\n" + full_count_ + "\n");
}

TEST_F(QueryCliTest, StatsReportColdFilesRead) {
  ProcessResult all = Query({"SELECT count() FROM silver_trades", "--stats"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.err.find("silver_trades: cold snapshot"), std::string::npos) << all.err;
  EXPECT_NE(all.err.find("cold windows 2026-11-20T00:00:00"), std::string::npos) << all.err;
  EXPECT_NE(all.err.find("cold files read: 2 of 2"), std::string::npos) << all.err;
  // A filter on the time column prunes the other hour's file.
  ProcessResult one =
      Query({"SELECT count() FROM silver_trades WHERE event_time < "
             "toDateTime('2026-11-20 00:30:00', 'UTC')",
             "--stats"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.err.find("cold files read: 1 of 2"), std::string::npos) << one.err;
  ProcessResult explain = Query({"SELECT 1 FROM silver_trades", "--explain"});
  ASSERT_EQ(explain.exit_code, 0) << explain.err;
  EXPECT_NE(explain.out.find("iceberg_metadata_file_path"), std::string::npos) << explain.out;
}

TEST_F(QueryCliTest, ErrorsAndExitCodes) {
  ProcessResult syntax = Query({"SELECT count() FROM silver_trades WHER symbol = 'X'"});
  EXPECT_EQ(syntax.exit_code, 2) << syntax.err;
  EXPECT_NE(syntax.err.find("position 40"), std::string::npos) << syntax.err;
  EXPECT_NE(syntax.err.find("^"), std::string::npos) << syntax.err;
  ProcessResult column = Query({"SELECT nope FROM silver_trades"});
  EXPECT_EQ(column.exit_code, 1) << column.err;
  EXPECT_NE(column.err.find("nope"), std::string::npos) << column.err;
  EXPECT_EQ(Query({}).exit_code, 2);
  EXPECT_EQ(Query({"SELECT 1", "-f", "/nonexistent.sql"}).exit_code, 2);
  EXPECT_EQ(Query({"-f", dir_->path() + "/absent.sql"}).exit_code, 2);
  EXPECT_EQ(Query({"SELECT 1", "--format", "xml"}).exit_code, 2);
  ProcessResult insert = Query({"INSERT INTO silver_trades SELECT * FROM silver_trades"});
  EXPECT_EQ(insert.exit_code, 2) << insert.err;
  EXPECT_NE(insert.err.find("one SELECT"), std::string::npos) << insert.err;
  EXPECT_EQ(Query({"SELECT 1; SELECT 2"}).exit_code, 2);
}

TEST_F(QueryCliTest, ScanWhereWithOrInNot) {
  auto scan = [&](const std::string& where) {
    ProcessResult r = K2({"scan", "market.silver_trades", "--where", where});
    EXPECT_EQ(r.exit_code, 0) << where << r.err;
    return static_cast<int64_t>(std::count(r.out.begin(), r.out.end(), '\n')) - 1;
  };
  ProcessResult counts =
      Query({"SELECT symbol, count() FROM cold.silver_trades GROUP BY symbol "
             "ORDER BY symbol",
             "--format", "csv"});
  ASSERT_EQ(counts.exit_code, 0) << counts.err;
  std::vector<std::pair<std::string, int64_t>> by_symbol;
  std::istringstream in(counts.out);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    auto comma = line.find(',');
    by_symbol.emplace_back(line.substr(1, comma - 2), std::stoll(line.substr(comma + 1)));
  }
  ASSERT_EQ(by_symbol.size(), 3u) << counts.out;
  const auto& [a, na] = by_symbol[0];
  const auto& [b, nb] = by_symbol[1];
  EXPECT_EQ(scan(fmt::format("symbol = '{}' OR symbol = '{}'", a, b)), na + nb);
  EXPECT_EQ(scan(fmt::format("symbol IN ('{}', '{}')", a, b)), na + nb);
  EXPECT_EQ(scan(fmt::format("NOT (symbol = '{}' OR symbol = '{}')", a, b)), by_symbol[2].second);
  EXPECT_EQ(scan(fmt::format("symbol NOT IN ('{}') AND (symbol = '{}' OR price < 0)", a, b)), nb);
  ProcessResult bad = K2({"scan", "market.silver_trades", "--where", "(symbol = 'A'"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

}  // namespace
}  // namespace k2::testing
