// `k2 backfill` end to end on the real binary, with the embedded ClickHouse
// (chDB) as the warm tier and chDB's own Iceberg reader as the oracle:
//   - candles of a day ClickHouse has dropped, re-derived from cold silver,
//     equal what the materialized views produced, every column;
//   - hourly offloads keep committing to main during a backfill: nothing is
//     lost or duplicated by the publish; readers of main see the old rows
//     until then; a window main changed since the fork makes publish refuse;
//   - kill -9 at random points, then resume: the same table as without kills;
//   - Ctrl-C stops a run between commits (exit 130) and leaves a backfill that
//     abort drops and resume finishes, main unchanged meanwhile.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "support/support.h"

namespace k2::testing {
namespace {

constexpr const char* kDay = "2026-11-01 00:00:00";
constexpr const char* kNextDay = "2026-11-02 00:00:00";

/// Every column of a finalized candle as one text, in the warm tier (merged
/// aggregate states) or the cold one (Iceberg columns).
std::string CandleText(bool warm) {
  auto col = [warm](const char* fn, const char* name) {
    return warm ? fmt::format("toString({}Merge({}))", fn, name)
                : fmt::format("toString({})", name);
  };
  std::string vwap =
      warm ? "toString(CAST(round(toDecimal256(CAST(sumMerge(quote_volume) AS Decimal(38, 16)), "
             "16) / CAST(sumMerge(volume) AS Decimal(38, 8)), 8) AS Decimal(38, 8)))"
           : "toString(vwap)";
  return fmt::format(
      "concat(exchange, '|', symbol, '|', toString(toUnixTimestamp(candle_time)), '|', {}, '|', "
      "{}, '|', {}, '|', {}, '|', {}, '|', {}, '|', {}, '|', {})",
      col("argMin", "open"), col("max", "high"), col("min", "low"), col("argMax", "close"),
      col("sum", "volume"), col("sum", "quote_volume"), col("count", "trade_count"), vwap);
}

std::string DayFilter(const char* column) {
  return fmt::format("{0} >= toDateTime('{1}', 'UTC') AND {0} < toDateTime('{2}', 'UTC')", column,
                     kDay, kNextDay);
}

class BackfillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lib = ChdbLibraryPath();
    if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
    config_ = dir_ / "k2.yaml";
    std::ofstream(config_) << "data_dir: data\nwarm: {kind: embedded, chdb_library: " << *lib
                           << "}\noffload: {max_windows_per_run: 100}\n"
                           << "tables:\n  - {name: silver_trades}\n"
                           << "  - {name: gold_ohlcv_1m}\n  - {name: gold_ohlcv_5m}\n"
                           << "  - {name: gold_ohlcv_15m}\n  - {name: gold_ohlcv_30m}\n"
                           << "  - {name: gold_ohlcv_1h}\n  - {name: gold_ohlcv_1d}\n";
    warehouse_ = dir_.path() + "/data/warehouse/market/";
  }

  ProcessResult K2(std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config_, "--log-level", "warn"});
    return RunProcess(args);
  }

  void Generate(int hours) {
    ProcessResult gen = K2({"generate", "--hours", std::to_string(hours), "--rate", "1",
                            "--symbols", "3", "--seed", "11", "--start", "2026-11-01T00:00:00Z"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }

  void Offload(const std::string& table, const std::string& from, const std::string& until,
               bool replace = false) {
    std::vector<std::string> args = {"offload", "--table", table, "--window",
                                     from,      "--until", until};
    if (replace) args.push_back("--replace");
    ProcessResult r = K2(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  /// The warm tier's rows of a query, one per line.
  std::vector<std::string> WarmLines(const std::string& sql) {
    ProcessResult r = K2({"warm", "query", sql});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  /// chDB's answer (column r of each row) over the cold table.
  std::vector<std::string> ColdLines(const std::string& table, const std::string& select_r,
                                     const std::string& where) {
    auto rows = QueryChdb(fmt::format("SELECT {} AS r FROM icebergLocal('{}') WHERE {} ORDER BY r",
                                      select_r, warehouse_ + table, where));
    EXPECT_TRUE(rows) << rows.error().ToString();
    std::vector<std::string> out;
    if (rows) {
      for (const auto& row : *rows) out.push_back(row["r"].get<std::string>());
    }
    return out;
  }

  /// Every candle of `table` in the warm tier (of the day, unless `where` says otherwise).
  std::vector<std::string> WarmCandles(const std::string& table,
                                       const std::string& where = DayFilter("candle_time")) {
    return WarmLines(fmt::format(
        "SELECT {} AS r FROM {} WHERE {} GROUP BY exchange, symbol, candle_time ORDER BY r",
        CandleText(true), table, where));
  }

  std::vector<std::string> ColdCandles(const std::string& table) {
    return ColdLines(table, CandleText(false), DayFilter("candle_time"));
  }

  /// Rows, distinct trades and a hash of silver's trades in the cold tier.
  std::string ColdSilver(const std::string& where = "1") {
    auto rows = QueryChdb(fmt::format(
        "SELECT toString(count()) AS n, toString(uniqExact(trade_id)) AS u, "
        "toString(sum(cityHash64(trade_id, price, quantity))) AS h FROM icebergLocal('{}') "
        "WHERE {}",
        warehouse_ + "silver_trades", where));
    if (!rows) return "error: " + rows.error().ToString();
    return (*rows)[0]["n"].get<std::string>() + "/" + (*rows)[0]["u"].get<std::string>() + "/" +
           (*rows)[0]["h"].get<std::string>();
  }

  std::string WarmSilver(const std::string& where = "1") {
    auto lines = WarmLines(
        fmt::format("SELECT count(), uniqExact(trade_id), sum(cityHash64(toInt64(trade_id), price, "
                    "quantity)) FROM silver_trades FINAL WHERE {}",
                    where));
    if (lines.empty()) return "";
    std::string s = lines[0];
    std::replace(s.begin(), s.end(), '\t', '/');
    return s;
  }

  nlohmann::json Json(const ProcessResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  TempDir dir_;
  std::string config_;
  std::string warehouse_;
};

const char* kIntervals[] = {"1m", "5m", "15m", "30m", "1h", "1d"};

TEST_F(BackfillTest, CandlesOfADayClickHouseDroppedReDerivedFromColdSilverEqualTheViews) {
  Generate(26);
  Offload("silver_trades", "2026-11-01T00:00:00Z", "2026-11-02T02:00:00Z");
  std::map<std::string, std::vector<std::string>> before;
  for (const char* iv : kIntervals) {
    before[iv] = WarmCandles(std::string("gold_ohlcv_") + iv);
    ASSERT_GE(before[iv].size(), 3u) << iv;  // 3 symbols, a day
  }
  // ClickHouse drops the day (and gold's month partition).
  for (const std::string stmt : {"ALTER TABLE silver_trades DROP PARTITION 20261101",
                                 "ALTER TABLE bronze_trades DROP PARTITION 20261101"}) {
    ASSERT_EQ(K2({"warm", "query", stmt}).exit_code, 0) << stmt;
  }
  for (const char* iv : kIntervals) {
    std::string stmt = fmt::format("ALTER TABLE gold_ohlcv_{} DROP PARTITION 202611", iv);
    ASSERT_EQ(K2({"warm", "query", stmt}).exit_code, 0) << stmt;
    ASSERT_TRUE(WarmCandles(std::string("gold_ohlcv_") + iv).empty());
  }

  for (const char* iv : kIntervals) {
    const std::string table = std::string("gold_ohlcv_") + iv;
    const std::string id = std::string("day-") + iv;
    ProcessResult start = K2({"backfill", "start", table, "--from", "2026-11-01T00:00:00Z", "--to",
                              "2026-11-02T00:00:00Z", "--derive", "--id", id, "--json"});
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    auto j = Json(start);
    EXPECT_EQ(j["status"], "written") << start.out;
    EXPECT_TRUE(j["audit"]["ok"].get<bool>()) << start.out;
    EXPECT_EQ(j["audit"]["checks"].size(), 3u) << "rows/checksums, invariants, against source";
    // Nothing reaches readers before the publish: the table has no snapshot on main.
    auto main_rows = QueryChdb(
        fmt::format("SELECT toString(count()) AS n FROM icebergLocal('{}')", warehouse_ + table));
    ASSERT_TRUE(main_rows) << table << ": " << main_rows.error().ToString();
    EXPECT_EQ((*main_rows)[0]["n"].get<std::string>(), "0") << table;
    ProcessResult publish = K2({"backfill", "publish", id});
    ASSERT_EQ(publish.exit_code, 0) << publish.out << publish.err;
    EXPECT_EQ(ColdCandles(table), before[iv]) << table << ": every column of every candle";
  }
  // The offload's ledger holds the backfilled windows: a catch-up over the day
  // commits nothing again.
  ProcessResult again = K2({"offload", "--table", "gold_ohlcv_1m", "--window",
                            "2026-11-01T00:00:00Z", "--until", "2026-11-02T00:00:00Z", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const auto& w : Json(again)[0]["windows"]) {
    EXPECT_EQ(w["action"], "skipped") << again.out;
  }
  EXPECT_EQ(ColdCandles("gold_ohlcv_1m"), before["1m"]);
  // The audit knows these windows came from a backfill (ClickHouse no longer holds them).
  ProcessResult audit = K2({"audit", "--table", "gold_ohlcv_1h", "--json"});
  auto audited = Json(audit)[0]["windows"];
  ASSERT_FALSE(audited.empty()) << audit.out;
  for (const auto& w : audited) {
    EXPECT_EQ(w["backfill"], "backfill:day-1h:derive") << audit.out;
    EXPECT_EQ(w["status"], "warm_expired") << audit.out;
  }
  ProcessResult status = K2({"backfill", "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(Json(status).size(), 6u);
  for (const auto& s : Json(status)) EXPECT_EQ(s["status"], "published") << status.out;
}

TEST_F(BackfillTest, PublishKeepsConcurrentOffloadsAndRefusesAChangedWindow) {
  Generate(6);
  Offload("silver_trades", "2026-11-01T00:00:00Z", "2026-11-01T03:00:00Z");
  ProcessResult views = K2({"warm", "views", "--apply"});
  ASSERT_EQ(views.exit_code, 0) << views.err;
  const std::string old_main = ColdSilver();
  // Late trades for 01:00 arrive in ClickHouse after that hour was offloaded.
  ASSERT_EQ(K2({"warm", "query",
                "INSERT INTO silver_trades SELECT exchange, symbol, trade_id + 900000000, price, "
                "quantity, quote_quantity, side, is_buyer_maker, event_time, ingested_at FROM "
                "silver_trades WHERE event_time >= '2026-11-01 01:00:00' AND event_time < "
                "'2026-11-01 01:10:00'"})
                .exit_code,
            0);
  ProcessResult start =
      K2({"backfill", "start", "silver_trades", "--from", "2026-11-01T00:00:00Z", "--to",
          "2026-11-01T03:00:00Z", "--from-warm", "--id", "wap", "--json"});
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  auto j = Json(start);
  EXPECT_EQ(j["audit"]["windows_changed"], 1) << start.out;
  EXPECT_GT(j["audit"]["rows_added"].get<int64_t>(), 0) << start.out;
  // Readers of main still see the old rows.
  EXPECT_EQ(ColdSilver(), old_main);
  {
    // The daemon shows the backfill awaiting its publish (API and metrics).
    const int port = FreeLoopbackPort();
    const std::string serve_config = dir_ / "serve.yaml";
    std::ofstream(serve_config)
        << "data_dir: data\nwarm: {kind: embedded, chdb_library: " << *ChdbLibraryPath()
        << "}\nservice: {listen: 127.0.0.1:" << port
        << "}\ntables:\n  - {name: silver_trades, schedule: '0 0 0 1 1 *'}\n";
    ServeProcess serve(K2_BINARY, serve_config, dir_ / "serve.log", port);
    ASSERT_TRUE(serve.AwaitUp());
    ProcessResult api = RunProcess({"curl", "-sf", serve.base() + "/api/tables"});
    ASSERT_EQ(api.exit_code, 0) << api.err;
    auto tables = nlohmann::json::parse(api.out, nullptr, false);
    ASSERT_FALSE(tables.is_discarded()) << api.out;
    ASSERT_EQ(tables["tables"][0]["backfills"].size(), 1u) << api.out;
    EXPECT_EQ(tables["tables"][0]["backfills"][0]["id"], "wap");
    EXPECT_EQ(tables["tables"][0]["backfills"][0]["status"], "written");
    EXPECT_EQ(tables["tables"][0]["backfills"][0]["windows_written"], 3);
    ProcessResult metrics = RunProcess({"curl", "-sf", serve.base() + "/metrics"});
    EXPECT_NE(
        metrics.out.find(
            R"(k2_backfill_windows{table="market.silver_trades",id="wap",state="written"} 3)"),
        std::string::npos)
        << metrics.out;
    serve.Terminate();
  }
  // The hourly offload keeps committing later hours to main meanwhile.
  Offload("silver_trades", "2026-11-01T03:00:00Z", "2026-11-01T06:00:00Z");
  ProcessResult publish = K2({"backfill", "publish", "wap"});
  ASSERT_EQ(publish.exit_code, 0) << publish.out << publish.err;
  // The views' committed ranges are those of the published table version.
  ProcessResult meta = K2({"table", "show", "market.silver_trades", "--json"});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;
  EXPECT_EQ(WarmLines("SELECT max(version) FROM k2_cold_ranges WHERE table_name = "
                      "'silver_trades'"),
            std::vector<std::string>{std::to_string(Json(meta)["last-updated-ms"].get<int64_t>())});
  // Every trade of the six hours once: cold equals warm, the late ones included.
  EXPECT_EQ(ColdSilver(), WarmSilver());
  ProcessResult audit = K2({"audit", "--table", "silver_trades"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;

  // A second backfill; main replaces 01:00 meanwhile: publish names it and
  // changes nothing.
  ProcessResult second = K2({"backfill", "start", "silver_trades", "--from", "2026-11-01T00:00:00Z",
                             "--to", "2026-11-01T02:00:00Z", "--from-warm", "--id", "late"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  Offload("silver_trades", "2026-11-01T01:00:00Z", "2026-11-01T02:00:00Z", /*replace=*/true);
  const std::string before_refusal = ColdSilver();
  ProcessResult refused = K2({"backfill", "publish", "late"});
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  EXPECT_NE(refused.err.find("2026-11-01T01:00:00Z/2026-11-01T02:00:00Z"), std::string::npos)
      << refused.err;
  EXPECT_EQ(ColdSilver(), before_refusal);
  ProcessResult abort = K2({"backfill", "abort", "late"});
  EXPECT_EQ(abort.exit_code, 0) << abort.err;
  ProcessResult status = K2({"backfill", "status", "late", "--json"});
  EXPECT_EQ(Json(status)["status"], "aborted");
}

TEST_F(BackfillTest, RefusesBadRequestsByName) {
  Generate(3);
  Offload("silver_trades", "2026-11-01T00:00:00Z", "2026-11-01T03:00:00Z");
  struct Case {
    std::vector<std::string> args;
    std::string message;
    int exit_code = 2;
  } cases[] = {
      {{"silver_trades", "--from", "2026-11-01T00:30:00Z", "--to", "2026-11-01T02:00:00Z",
        "--from-warm"},
       "not on a 3600s window boundary"},
      {{"silver_trades", "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-01T02:00:00Z"},
       "give one of --from-warm and --derive"},
      {{"silver_trades", "--from", "2026-11-01T02:00:00Z", "--to", "2026-11-01T01:00:00Z",
        "--from-warm"},
       "is not after"},
      {{"nope", "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-01T01:00:00Z", "--from-warm"},
       "nope",
       1},
      {{"gold_ohlcv_1m", "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-01T01:00:00Z",
        "--derive", "--source", "gold_ohlcv_1h"},
       "source gold_ohlcv_1h",
       1},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"backfill", "start"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    ProcessResult r = K2(args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  // ClickHouse drops 01:00: a re-offload of it is refused by name, or skipped.
  ASSERT_EQ(K2({"warm", "query",
                "ALTER TABLE silver_trades DELETE WHERE event_time < '2026-11-01 02:00:00' "
                "SETTINGS mutations_sync = 1"})
                .exit_code,
            0);
  ProcessResult expired =
      K2({"backfill", "start", "silver_trades", "--from", "2026-11-01T00:00:00Z", "--to",
          "2026-11-01T03:00:00Z", "--from-warm"});
  EXPECT_EQ(expired.exit_code, 2) << expired.err;
  EXPECT_NE(expired.err.find("2026-11-01T01:00:00Z/2026-11-01T02:00:00Z"), std::string::npos)
      << expired.err;
  const std::string before = ColdSilver();
  ProcessResult skipped =
      K2({"backfill", "start", "silver_trades", "--from", "2026-11-01T00:00:00Z", "--to",
          "2026-11-01T03:00:00Z", "--from-warm", "--skip-expired", "--id", "skip", "--json"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_EQ(Json(skipped)["skipped"].size(), 2u) << skipped.out;
  ASSERT_EQ(K2({"backfill", "publish", "skip"}).exit_code, 0);
  EXPECT_EQ(ColdSilver(), before) << "the expired windows are kept as they were";
  ProcessResult unknown = K2({"backfill", "publish", "nope"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_NE(unknown.err.find("no backfill nope"), std::string::npos) << unknown.err;
}

TEST_F(BackfillTest, KilledAtRandomPointsThenResumedPublishesTheSameTable) {
  Generate(12);
  Offload("silver_trades", "2026-11-01T00:00:00Z", "2026-11-01T12:00:00Z");
  const std::string where = "candle_time < toDateTime('2026-11-01 12:00:00', 'UTC')";
  const auto expected = WarmCandles("gold_ohlcv_1m", where);
  ASSERT_GT(expected.size(), 100u);
  std::mt19937 rng(20261206);
  const std::vector<std::string> base = {K2_BINARY,     "--config", config_,
                                         "--log-level", "warn",     "backfill"};
  const std::string location = warehouse_ + "gold_ohlcv_1m";
  int kills = 0;
  bool published = false;
  for (int round = 0; round < 40 && !published; ++round) {
    ProcessResult st = K2({"backfill", "status", "bf", "--json"});
    std::vector<std::string> argv = base;
    const std::string status = st.exit_code == 0 ? Json(st)["status"].get<std::string>() : "";
    if (status.empty()) {
      argv.insert(argv.end(),
                  {"start", "gold_ohlcv_1m", "--from", "2026-11-01T00:00:00Z", "--to",
                   "2026-11-01T12:00:00Z", "--derive", "--id", "bf", "--windows-per-commit", "2"});
    } else if (status == "running" && round % 2) {
      argv.insert(argv.end(), {"resume", "bf", "--windows-per-commit", "3", "--parallel", "2"});
    } else if (status == "running") {
      argv.insert(argv.end(), {"resume", "bf", "--windows-per-commit", "1"});
    } else if (status == "written") {
      argv.insert(argv.end(), {"publish", "bf"});
    } else {
      ASSERT_EQ(status, "published");
      published = true;
      break;
    }
    pid_t pid = SpawnProcess(argv);
    if (kills < 10) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 900)(rng)));
      int wstatus = 0;
      if (waitpid(pid, &wstatus, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        waitpid(pid, &wstatus, 0);
        ++kills;
      }
    } else {
      int wstatus = 0;
      waitpid(pid, &wstatus, 0);
    }
    // Main stays readable, and shows nothing of the backfill before its publish.
    // The backfill creates main: a run killed while writing its first metadata
    // file leaves metadata/ with only the hidden temporary (no table yet).
    bool has_metadata = false;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(location + "/metadata", ec)) {
      has_metadata |= e.path().filename().string().ends_with(".metadata.json");
    }
    if (has_metadata) {
      auto n =
          QueryChdb(fmt::format("SELECT toString(count()) AS n FROM icebergLocal('{}')", location));
      ASSERT_TRUE(n) << "unreadable after round " << round << ": " << n.error().ToString();
      const std::string rows = (*n)[0]["n"].get<std::string>();
      EXPECT_TRUE(rows == "0" || rows == std::to_string(expected.size()))
          << "a half-done backfill is visible on main: " << rows;
    }
  }
  EXPECT_GE(kills, 5) << "few runs were interrupted: the test proved little";
  ASSERT_TRUE(published);
  EXPECT_EQ(ColdLines("gold_ohlcv_1m", CandleText(false), where), expected);
}

/// Ctrl-C during the write phase (docs/backfill.md: `resume` continues "after a crash or
/// Ctrl-C"): SIGINT stops the run before its next commit with exit code 130, main keeps
/// its rows, the branch and the state agree, and both ways on work: `abort` drops it,
/// `resume` finishes it and the publish holds every candle exactly once.
TEST_F(BackfillTest, CtrlCStopsBetweenCommitsThenAbortOrResumeWork) {
  Generate(12);
  Offload("silver_trades", "2026-11-01T00:00:00Z", "2026-11-01T12:00:00Z");
  Offload("gold_ohlcv_1m", "2026-11-01T00:00:00Z", "2026-11-01T12:00:00Z");
  const std::string where = "candle_time < toDateTime('2026-11-01 12:00:00', 'UTC')";
  const auto expected = WarmCandles("gold_ohlcv_1m", where);
  ASSERT_GT(expected.size(), 100u);
  ASSERT_EQ(ColdLines("gold_ohlcv_1m", CandleText(false), where), expected);

  auto status = [&](const std::string& id) {
    ProcessResult st = K2({"backfill", "status", id, "--json"});
    return st.exit_code == 0 ? Json(st) : nlohmann::json::object();
  };
  // Starts backfill `id` one window per commit and sends SIGINT once its first
  // commit landed (the write phase, where `start` and `resume` take Ctrl-C).
  auto start_and_interrupt = [&](const std::string& id) {
    pid_t pid =
        SpawnProcess({K2_BINARY, "--config", config_, "--log-level", "warn", "backfill", "start",
                      "gold_ohlcv_1m", "--from", "2026-11-01T00:00:00Z", "--to",
                      "2026-11-01T12:00:00Z", "--derive", "--id", id, "--windows-per-commit", "1"});
    int wstatus = 0;
    bool written_one = false;
    for (int i = 0; i < 6000 && !written_one; ++i) {
      if (waitpid(pid, &wstatus, WNOHANG) != 0) {
        ADD_FAILURE() << "backfill " << id << " ended before a window was written: status "
                      << wstatus;
        return -1;
      }
      written_one = status(id).value("written_windows", 0) >= 1;
      if (!written_one) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(written_one) << "no window of backfill " << id << " was written in time";
    ::kill(pid, SIGINT);
    waitpid(pid, &wstatus, 0);
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  };
  auto expect_stopped_midway = [&](const std::string& id) {
    nlohmann::json st = status(id);
    EXPECT_EQ(st.value("status", ""), "running") << st.dump();
    EXPECT_GE(st.value("written_windows", 0), 1) << st.dump();
    EXPECT_LT(st.value("written_windows", 0), st.value("planned_windows", 0))
        << "the run was not stopped before its last commit: " << st.dump();
    EXPECT_EQ(ColdLines("gold_ohlcv_1m", CandleText(false), where), expected)
        << "main changed under an interrupted backfill";
  };

  ASSERT_EQ(start_and_interrupt("bf1"), 130);
  expect_stopped_midway("bf1");
  ProcessResult aborted = K2({"backfill", "abort", "bf1"});
  ASSERT_EQ(aborted.exit_code, 0) << aborted.out << aborted.err;
  EXPECT_EQ(status("bf1").value("status", ""), "aborted");
  EXPECT_EQ(ColdLines("gold_ohlcv_1m", CandleText(false), where), expected);

  ASSERT_EQ(start_and_interrupt("bf2"), 130);
  expect_stopped_midway("bf2");
  ProcessResult resumed = K2({"backfill", "resume", "bf2"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  nlohmann::json st = status("bf2");
  EXPECT_EQ(st.value("written_windows", 0), st.value("planned_windows", -1)) << st.dump();
  ProcessResult published = K2({"backfill", "publish", "bf2"});
  ASSERT_EQ(published.exit_code, 0) << published.out << published.err;
  EXPECT_EQ(status("bf2").value("status", ""), "published");
  // Every candle once: none lost with the interrupted chunk, none written twice by the resume.
  EXPECT_EQ(ColdLines("gold_ohlcv_1m", CandleText(false), where), expected);
}

}  // namespace
}  // namespace k2::testing
