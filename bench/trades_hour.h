#pragma once
// The hour of trades the offload benchmarks move: their command line, a
// deterministic `default.bench_trades` table in a ClickHouse server, and
// chDB's read-back of the Iceberg table k2 makes of it (count and notional,
// compared with ClickHouse's).

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "bench_support.h"
#include "common/result.h"
#include "warm/warm_driver.h"

namespace k2::bench {

/// The hour's window, as `k2 offload --window` takes it and as SQL bounds.
constexpr const char* kTradesWindow = "2026-11-01T10:00:00Z";
constexpr const char* kTradesStart = "toDateTime('2026-11-01 10:00:00', 'UTC')";
constexpr const char* kTradesEnd = "toDateTime('2026-11-01 11:00:00', 'UTC')";

inline std::string TrimNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

/// The offload benchmarks' command line: --rows N, --rounds R, --k2 PATH,
/// and the bench's own `--name value` options in `extra` (given with their
/// defaults).
struct OffloadBenchArgs {
  long rows = 10000000;
  int rounds = 3;
  std::string k2_path;  ///< absolute; default: k2 beside the bench's folder
  std::map<std::string, std::string> extra;
};

/// Parses argv; kInvalidInput names an unknown option or a missing k2 binary.
inline Result<OffloadBenchArgs> ParseOffloadBenchArgs(
    int argc, char** argv, std::map<std::string, std::string> extra = {}) {
  namespace fs = std::filesystem;
  OffloadBenchArgs a;
  a.extra = std::move(extra);
  a.k2_path = (fs::path(argv[0]).parent_path().parent_path() / "k2").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--rows") {
      a.rows = std::atol(argv[i + 1]);
    } else if (name == "--rounds") {
      a.rounds = std::atoi(argv[i + 1]);
    } else if (name == "--k2") {
      a.k2_path = argv[i + 1];
    } else if (name.starts_with("--") && a.extra.contains(name.substr(2))) {
      a.extra[name.substr(2)] = argv[i + 1];
    } else {
      std::string known = "--rows N, --rounds R, --k2 PATH";
      for (const auto& [k, v] : a.extra) known += fmt::format(", --{} (default {})", k, v);
      return MakeError(ErrorKind::kInvalidInput, "unknown option {} ({})", name, known);
    }
  }
  if (!fs::exists(a.k2_path)) {
    return MakeError(ErrorKind::kInvalidInput, "no k2 binary at {} (use --k2 PATH)", a.k2_path);
  }
  a.k2_path = fs::absolute(a.k2_path).string();
  return a;
}

/// (Re)creates default.bench_trades with `rows` trades of one hour (50 symbols
/// on 3 exchanges, prices as a walk per symbol, sorted by (symbol, timestamp))
/// and waits until it is one merged part. Returns ClickHouse's
/// "count<TAB>notional" of the window (notional = sum(price * quantity)).
inline Result<std::string> LoadTradesHour(warm::WarmDriver& ch, long rows) {
  for (const std::string& sql : {
           std::string("DROP TABLE IF EXISTS default.bench_trades"),
           std::string("CREATE TABLE default.bench_trades (exchange String, symbol String, "
                       "trade_id Int64, timestamp DateTime('UTC'), price Decimal(18, 8), "
                       "quantity Decimal(18, 8), side String, is_buyer_maker UInt8, "
                       "ingested_at DateTime('UTC')) ENGINE = MergeTree ORDER BY (symbol, "
                       "timestamp)"),
           fmt::format("INSERT INTO default.bench_trades SELECT "
                       "arrayElement(['binance', 'coinbase', 'kraken'], (number % 3) + 1), "
                       "concat('SYM', toString(intHash32(number) % 50), 'USDT'), toInt64(number), "
                       "{0} + intDiv(number * 3600, {1}), "
                       "toDecimal64(100 + (intHash32(number * 7) % 100000) / 1000, 8), "
                       "toDecimal64((intHash32(number * 13) % 1000000) / 100000000, 8), "
                       "if(number % 2 = 0, 'buy', 'sell'), toUInt8(number % 2), "
                       "{0} + intDiv(number * 3600, {1}) + (number % 3) "
                       "FROM system.numbers LIMIT {1}",
                       kTradesStart, rows),
       }) {
    K2_RETURN_IF_ERROR(ch.Execute(sql));
  }
  // Merged into one part before timing: the insert's parts would otherwise
  // merge in the background while the rounds run (taking the server's CPU),
  // and the rows' order would depend on how far merging got. OPTIMIZE does
  // nothing while a merge runs, so wait for merges and repeat until one part.
  std::string parts;
  for (int i = 0; i < 600; ++i) {
    K2_ASSIGN_OR_RETURN(std::string merging,
                        ch.Execute("SELECT count() FROM system.merges WHERE table = "
                                   "'bench_trades'"));
    if (TrimNewlines(merging) == "0") {
      K2_RETURN_IF_ERROR(ch.Execute("OPTIMIZE TABLE default.bench_trades FINAL"));
      K2_ASSIGN_OR_RETURN(std::string active,
                          ch.Execute("SELECT count() FROM system.parts WHERE database = "
                                     "'default' AND table = 'bench_trades' AND active"));
      parts = TrimNewlines(active);
      if (parts == "1") break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (parts != "1") {
    return MakeError(ErrorKind::kRemote, "bench_trades did not merge into one part ({} parts)",
                     parts);
  }
  K2_ASSIGN_OR_RETURN(
      std::string expected,
      ch.Execute(fmt::format("SELECT count(), toString(sum(toDecimal128(price, 8) * "
                             "toDecimal128(quantity, 8))) FROM default.bench_trades WHERE "
                             "timestamp >= {} AND timestamp < {}",
                             kTradesStart, kTradesEnd)));
  return TrimNewlines(expected);
}

/// Starts `server` (or uses $K2_BENCH_CLICKHOUSE_URL), loads the hour with
/// LoadTradesHour and says so on stdout; returns ClickHouse's
/// "count<TAB>notional" of the window.
inline Result<std::string> StartTradesHour(BenchClickHouse& server, long rows) {
  if (!server.Start()) {
    return MakeError(ErrorKind::kIo,
                     "could not start clickhouse-server (set K2_BENCH_CLICKHOUSE_URL)");
  }
  warm::HttpDriverOptions o;
  o.url = server.url();
  K2_ASSIGN_OR_RETURN(auto driver, warm::OpenHttpDriver(o));
  auto t0 = std::chrono::steady_clock::now();
  K2_ASSIGN_OR_RETURN(std::string want, LoadTradesHour(*driver, rows));
  fmt::print("ClickHouse {} at {}: {} rows loaded in {:.1f} s; window count and notional: {}\n",
             driver->ServerVersion(), server.url(), rows, Seconds(t0), want);
  return want;
}

/// chDB's "count<TAB>notional" of an Iceberg table function call such as
/// `icebergLocal('/path')` or `icebergS3(...)` (node tools/oracle/query.mjs,
/// run from the repository root); chDB's output as is when it fails.
inline std::string ChdbTradesTotals(const std::string& table_function) {
  ChildRun check =
      RunChild({"node", "tools/oracle/query.mjs", "chdb",
                fmt::format("SELECT toString(count()) AS n, toString(sum(toDecimal128(price, 8) * "
                            "toDecimal128(quantity, 8))) AS s FROM {}",
                            table_function)});
  auto j = nlohmann::json::parse(check.output, nullptr, false);
  if (j.is_discarded() || j.size() != 1 || j[0].size() != 1) return check.output;
  return j[0][0]["n"].get<std::string>() + "\t" + j[0][0]["s"].get<std::string>();
}

}  // namespace k2::bench
