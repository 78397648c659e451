// Re-deriving 30 days of 1m candles from cold silver: `k2 backfill start
// gold_ohlcv_1m --derive` (derivation on the embedded chDB over the pinned
// Iceberg snapshot, k2's Parquet writer, commits on the branch, the audit)
// against chDB running the same aggregation over the same Iceberg table into
// one Parquet file (bench/scripts/chdb_derive.mjs), in one run, rounds
// interleaved. Each side is a child process; its wall time includes starting
// the engine; peak RSS is that child's ru_maxrss.
//
// The data (generated trades, offloaded to cold silver by k2) is made once in
// --dir and reused by later runs.
//
//   build/bench/backfill_bench [--days 30] [--rate 1] [--symbols 3] [--rounds 3]
//                              [--dir /tmp/k2-backfill-bench]

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.h"
#include "common/strings.h"
#include "jobs/backfill/producer.h"
#include "warm/reference_schema.h"
#include "warm/time_column.h"

namespace {

using k2::bench::ChildRun;
using k2::bench::RunChild;

int Fail(const std::string& what, const ChildRun& r) {
  std::fprintf(stderr, "backfill_bench: %s failed (exit %d):\n%s\n", what.c_str(), r.exit_code,
               r.output.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = k2::bench::TradesBenchArgs::Parse(argc, argv, "/tmp/k2-backfill-bench");
  const int days = args.days, rate = args.rate, symbols = args.symbols, rounds = args.rounds;
  const std::string& dir = args.dir;
  const std::string k2 = std::filesystem::absolute(K2_BENCH_BINARY).string();
  const std::string peer =
      std::filesystem::absolute(K2_BENCH_SOURCE_DIR "/bench/scripts/chdb_derive.mjs").string();
  const std::string config = dir + "/k2.yaml";
  const std::string from = "2026-10-01T00:00:00Z";
  const std::string to = fmt::format("2026-10-{:02}T00:00:00Z", 1 + days);
  auto run_k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {k2, "--config", config, "--log-level", "warn"});
    return RunChild(args);
  };
  const std::string silver = dir + "/data/warehouse/market/silver_trades";
  if (!std::filesystem::exists(silver + "/metadata")) {
    std::ofstream(config) << "data_dir: data\ntables:\n  - {name: silver_trades}\n"
                          << "  - {name: gold_ohlcv_1m}\n";
    std::printf("generating %d days of trades and offloading silver (once, in %s)\n", days,
                dir.c_str());
    ChildRun gen =
        run_k2({"generate", "--hours", std::to_string(days * 24), "--rate", std::to_string(rate),
                "--symbols", std::to_string(symbols), "--seed", "3", "--start", from});
    if (gen.exit_code != 0) return Fail("generate", gen);
    ChildRun off = run_k2({"offload", "--table", "silver_trades", "--window", from, "--until", to});
    if (off.exit_code != 0) return Fail("offload", off);
  }
  if (!std::filesystem::exists(dir + "/warm-trimmed")) {
    // ClickHouse keeps the last hours; the history to re-derive is in Iceberg.
    std::printf("trimming the warm tier to the last 6 hours of every layer (once)\n");
    if (auto failed = k2::bench::TrimWarmTier(run_k2, days, 18)) {
      return Fail("trimming the warm tier", *failed);
    }
    std::ofstream(dir + "/warm-trimmed") << "ok\n";
  }
  // The peer's query: the reference derivation over the same table, the whole range.
  const auto* ref = k2::warm::FindReferenceTable("gold_ohlcv_1m");
  auto us = [](const std::string& t) {
    std::tm tm{};
    strptime(t.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return static_cast<int64_t>(timegm(&tm)) * 1000000;
  };
  std::string sql = k2::warm::FillWindow(
      k2::ReplaceAll(ref->derive_select, "{source}", fmt::format("icebergLocal('{}')", silver)),
      k2::warm::TimeColumn{ref->time_column}, us(from), us(to));

  std::printf("%-6s %-28s %9s %10s %12s %10s\n", "round", "side", "seconds", "rows", "peak RSS",
              "CPU s");
  for (int round = 1; round <= rounds; ++round) {
    const std::string id = fmt::format("bench{}-{}", round, ::getpid());
    // The derivation written on the branch; then its audit, timed apart.
    ChildRun k = run_k2({"backfill", "start", "gold_ohlcv_1m", "--from", from, "--to", to,
                         "--derive", "--id", id, "--no-audit", "--json"});
    if (k.exit_code != 0) return Fail("k2 backfill start", k);
    auto j = nlohmann::json::parse(k.output.substr(k.output.find('{')), nullptr, false);
    if (j.is_discarded()) return Fail("k2 backfill start output", k);
    int64_t k2_rows = 0;
    for (const auto& w : j["windows"]) k2_rows += w[1].get<int64_t>();
    ChildRun audit = run_k2({"backfill", "diff", id, "--json"});
    if (audit.exit_code != 0) return Fail("k2's audit", audit);
    ChildRun abort = run_k2({"backfill", "abort", id});
    if (abort.exit_code != 0) return Fail("k2 backfill abort", abort);
    std::printf("%-6d %-28s %9.2f %10lld %9ld MB %10.2f\n", round, "k2 backfill start --derive",
                k.seconds, static_cast<long long>(k2_rows), k.maxrss_kb / 1024, k.cpu_seconds);
    std::printf("%-6d %-28s %9.2f %10s %9ld MB %10.2f\n", round, "k2 backfill diff (audit)",
                audit.seconds, "", audit.maxrss_kb / 1024, audit.cpu_seconds);

    const std::string out = dir + "/peer.parquet";
    ChildRun c = k2::bench::RunChildFromRoot({"node", peer, out, sql});
    if (c.exit_code != 0) return Fail("chDB peer", c);
    auto p = nlohmann::json::parse(c.output, nullptr, false);
    if (p.is_discarded()) return Fail("chDB peer output", c);
    std::printf("%-6d %-28s %9.2f %10lld %9ld MB %10.2f   (query alone %.2f s)\n", round,
                "chDB icebergLocal -> Parquet", c.seconds,
                static_cast<long long>(p["rows"].get<int64_t>()), c.maxrss_kb / 1024, c.cpu_seconds,
                p["seconds"].get<double>());
    // The same, with the engine on k2's warm data directory, as k2's embedded engine starts.
    ChildRun cw = k2::bench::RunChildFromRoot({"node", peer, out, sql, dir + "/data/clickhouse"});
    if (cw.exit_code != 0) return Fail("chDB peer on the warm data dir", cw);
    auto pw = nlohmann::json::parse(cw.output, nullptr, false);
    if (pw.is_discarded()) return Fail("chDB peer output", cw);
    std::printf("%-6d %-28s %9.2f %10lld %9ld MB %10.2f   (query alone %.2f s)\n", round,
                "chDB, warm data dir opened", cw.seconds,
                static_cast<long long>(pw["rows"].get<int64_t>()), cw.maxrss_kb / 1024,
                cw.cpu_seconds, pw["seconds"].get<double>());
    if (p["rows"].get<int64_t>() != k2_rows || pw["rows"].get<int64_t>() != k2_rows) {
      std::fprintf(stderr, "backfill_bench: k2 wrote %lld candles, chDB %lld\n",
                   static_cast<long long>(k2_rows),
                   static_cast<long long>(p["rows"].get<int64_t>()));
      return 1;
    }
    std::printf("%-6d ratio k2/chDB wall %.2f (chDB on the warm data dir: %.2f)\n", round,
                k.seconds / c.seconds, k.seconds / cw.seconds);
    std::fflush(stdout);
  }
  return 0;
}
