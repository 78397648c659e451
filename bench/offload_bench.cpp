// The hourly offload end to end: one 10-million-row hour of trades in a real
// ClickHouse server, moved into an Iceberg table by `k2 offload` (HTTP driver
// → ColumnBatch → Parquet → SQLite catalog commit), against, in the same run:
//   (a) the raw read of the same window, `curl ... FORMAT RowBinary > /dev/null`
//       (and, for reference, curl of the Native stream k2 reads, with and
//       without the per-row checksum hash);
//   (b) DuckDB writing the same rows to Parquet (zstd) on one thread, from an
//       in-memory table (its read side is not timed at all).
// chDB then reads the Iceberg table (icebergLocal) and must return ClickHouse's
// count and sum(price * quantity) for the window.
//
//   build/bench/offload_bench [--rows N] [--rounds R] [--k2 PATH] [--row-hash server|k2]
// Run from the repository root (the DuckDB peer is bench/scripts/parquet_peer.mjs).
// Uses $K2_BENCH_CLICKHOUSE_URL if set, else starts Debian's clickhouse-server.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "bench_support.h"
#include "trades_hour.h"

namespace {

namespace fs = std::filesystem;
using k2::bench::ChildRun;
using k2::bench::kTradesEnd;
using k2::bench::kTradesStart;
using k2::bench::kTradesWindow;
using k2::bench::RunChild;

int Fail(const std::string& what) {
  fmt::print(stderr, "offload_bench: {}\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = k2::bench::ParseOffloadBenchArgs(argc, argv, {{"row-hash", "server"}});
  if (!args) return Fail(args.error().message);
  const long rows = args->rows;
  const int rounds = args->rounds;
  const std::string k2_path = args->k2_path;

  k2::bench::BenchClickHouse server;
  auto expected = k2::bench::StartTradesHour(server, rows);
  if (!expected) return Fail(expected.error().ToString());
  const std::string want = *expected;

  fs::path dir = fs::temp_directory_path() / fmt::format("k2-offload-bench-{}", getpid());
  fs::create_directories(dir);
  const std::string window_sql =
      fmt::format("SELECT * FROM default.bench_trades WHERE timestamp >= {} AND timestamp < {}",
                  kTradesStart, kTradesEnd);
  std::ofstream(dir / "query.sql") << window_sql << " FORMAT RowBinary";
  // What k2 asks of 18.16: the rows in Native with each row's checksum hash
  // computed by the server (RowHashes::Query's expression, the default), or
  // the rows alone when k2 hashes them (--row-hash k2: offload.row_hash):
  // the server's cost of each.
  std::ofstream(dir / "native.sql") << window_sql << " FORMAT Native";
  std::ofstream(dir / "native_hash.sql")
      << "SELECT *, toInt64(cityHash64(`exchange`, `symbol`, `trade_id`, `timestamp`, "
         "reinterpretAsString(`price`), reinterpretAsString(`quantity`), `side`, "
         "`is_buyer_maker`, `ingested_at`)) AS _k2_row_hash FROM ("
      << window_sql << ") FORMAT Native";
  auto curl_seconds = [&](const char* file) -> std::optional<double> {
    ChildRun c = RunChild({"curl", "-sS", "--fail", "-o", "/dev/null", "--data-binary",
                           "@" + (dir / file).string(), server.url() + "/"});
    if (c.exit_code != 0) return std::nullopt;
    return c.seconds;
  };
  double best_native = 1e9, best_native_hash = 1e9;

  double best_curl = 1e9, best_k2 = 1e9;
  long k2_rss_kb = 0;
  double k2_cpu = 1e9, server_cpu_k2 = 1e9, server_cpu_curl = 1e9;
  std::string warehouse;
  // The server's CPU seconds while `run` runs (-1 with an external server).
  auto server_cpu = [&](auto&& run) {
    const double before = server.pid() > 0 ? k2::bench::ProcessCpuSeconds(server.pid()) : -1;
    auto r = run();
    const double after = server.pid() > 0 ? k2::bench::ProcessCpuSeconds(server.pid()) : -1;
    return std::make_pair(std::move(r), before < 0 || after < 0 ? -1.0 : after - before);
  };
  for (int round = 0; round < rounds; ++round) {
    auto [curl, curl_server_cpu] = server_cpu([&] {
      return RunChild({"curl", "-sS", "--fail", "-o", "/dev/null", "--data-binary",
                       "@" + (dir / "query.sql").string(), server.url() + "/"});
    });
    if (curl.exit_code != 0) return Fail("curl failed: " + curl.output);
    best_curl = std::min(best_curl, curl.seconds);
    server_cpu_curl = std::min(server_cpu_curl, curl_server_cpu);
    auto native = curl_seconds("native.sql");
    auto native_hash = curl_seconds("native_hash.sql");
    if (!native || !native_hash) return Fail("curl of the Native queries failed");
    best_native = std::min(best_native, *native);
    best_native_hash = std::min(best_native_hash, *native_hash);

    // A fresh catalog and warehouse per round: each round is a first offload.
    fs::path run = dir / fmt::format("run{}", round);
    fs::create_directories(run);
    std::ofstream(run / "k2.yaml") << fmt::format(
        "data_dir: {0}\n"
        "warm: {{kind: http, url: '{1}'}}\n"
        "catalog: {{uri: {0}/catalog.db}}\n"
        "warehouse: {{location: {0}/warehouse}}\n"
        "offload: {{row_hash: {2}}}\n"
        "tables:\n"
        "  - {{name: bench_trades, layer: raw, source: default.bench_trades, time_column: "
        "timestamp, partition: [day]}}\n",
        run.string(), server.url(), args->extra.at("row-hash"));
    auto [k2, k2_server_cpu] = server_cpu([&] {
      return RunChild({k2_path, "--config", (run / "k2.yaml").string(), "--log-level", "warn",
                       "offload", "--window", kTradesWindow, "--json"});
    });
    server_cpu_k2 = std::min(server_cpu_k2, k2_server_cpu);
    if (k2.exit_code != 0) return Fail("k2 offload failed: " + k2.output);
    if (k2.seconds < best_k2) {
      best_k2 = k2.seconds;
    }
    k2_rss_kb = std::max(k2_rss_kb, k2.maxrss_kb);
    k2_cpu = std::min(k2_cpu, k2.cpu_seconds);
    warehouse = (run / "warehouse/market/bench_trades").string();
    fmt::print("round {}: curl RowBinary {:.2f} s, k2 offload {:.2f} s ({} MB peak RSS)\n", round,
               curl.seconds, k2.seconds, k2.maxrss_kb / 1024);
  }

  // The same rows, written by DuckDB from memory on one thread, and on two:
  // k2 encodes on two threads (and decodes the stream on a third).
  std::string data_glob = warehouse + "/data/**/*.parquet";
  double best_duck = 1e9, best_duck2 = 1e9;
  for (int round = 0; round < rounds; ++round) {
    for (int threads : {1, 2}) {
      ChildRun duck = RunChild({"node", "bench/scripts/parquet_peer.mjs", "duckdb-write", data_glob,
                                (dir / "duckdb.parquet").string(), std::to_string(threads)});
      auto j = nlohmann::json::parse(duck.output, nullptr, false);
      if (duck.exit_code != 0 || j.is_discarded() || !j.contains("seconds")) {
        return Fail("DuckDB peer failed: " + duck.output);
      }
      double& best = threads == 1 ? best_duck : best_duck2;
      best = std::min(best, j["seconds"].get<double>());
    }
  }

  // Independent check: chDB reads the Iceberg table k2 wrote.
  const std::string got = k2::bench::ChdbTradesTotals(fmt::format("icebergLocal('{}')", warehouse));
  fmt::print("chDB icebergLocal on k2's table: {} ({})\n", got,
             got == want ? "equals ClickHouse" : "DIFFERS from ClickHouse");

  fmt::print("\n| {} rows, best of {} | seconds | rows/s | peak RSS |\n|---|---|---|---|\n", rows,
             rounds);
  fmt::print("| curl FORMAT RowBinary > /dev/null | {:.2f} | {:.2f} M | - |\n", best_curl,
             rows / best_curl / 1e6);
  fmt::print("| curl FORMAT Native > /dev/null | {:.2f} | {:.2f} M | - |\n", best_native,
             rows / best_native / 1e6);
  fmt::print(
      "| curl FORMAT Native with the server's row hash > /dev/null | {:.2f} | {:.2f} M | - |\n",
      best_native_hash, rows / best_native_hash / 1e6);
  fmt::print("| k2 offload (read + Parquet + commit) | {:.2f} | {:.2f} M | {} MB |\n", best_k2,
             rows / best_k2 / 1e6, k2_rss_kb / 1024);
  fmt::print("| DuckDB COPY to Parquet, threads=1 | {:.2f} | {:.2f} M | - |\n", best_duck,
             rows / best_duck / 1e6);
  fmt::print("| DuckDB COPY to Parquet, threads=2 | {:.2f} | {:.2f} M | - |\n", best_duck2,
             rows / best_duck2 / 1e6);
  fmt::print(
      "k2 / raw RowBinary read: {:.2f}x; k2 / Native read: {:.2f}x; k2 / DuckDB rows/s: {:.2f}x "
      "(threads=1), {:.2f}x (threads=2)\n",
      best_curl / best_k2, best_native / best_k2, best_duck / best_k2, best_duck2 / best_k2);
  if (server_cpu_k2 >= 0) {
    fmt::print(
        "server CPU (least of the rounds): {:.2f} s for the raw read, {:.2f} s for k2's "
        "stream\n",
        server_cpu_curl, server_cpu_k2);
  }
  fmt::print("k2's own CPU (user + system, least of the rounds): {:.2f} s, {:.2f} us/row\n", k2_cpu,
             k2_cpu / rows * 1e6);
  fs::remove_all(dir);
  return got == want ? 0 : 1;
}
