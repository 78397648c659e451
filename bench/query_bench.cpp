// `k2 query` over both tiers against chDB querying the cold Iceberg table
// alone: 30 days of trades, all but the last 6 hours offloaded to cold
// silver by k2 (warm rows before that dropped, as ClickHouse's TTL would),
// one aggregation over everything (count, sum(quantity), min/max price per
// symbol). Each side is a child process, rounds interleaved; its wall time
// includes starting the engine. Sides:
//   - k2 query: the whole table (cold rows of the committed windows at the
//     pinned metadata file, plus the warm rows of the last hours);
//   - chDB, icebergLocal pinned to the same metadata file (as k2 pins it);
//   - chDB, icebergLocal unpinned (lists the metadata dir to find the newest).
// Check: k2's answer equals chDB's cold answer combined with the warm rows'
// (counts and sums added, min/max of both), exactly.
//
// The data is made once in --dir and reused by later runs. --compact first
// compacts cold silver (k2 maintain compact): then both sides read the
// compacted table (the state is kept in --dir).
//
//   build/bench/query_bench [--days 30] [--rate 1] [--symbols 3] [--rounds 3]
//                           [--dir /tmp/k2-query-bench] [--compact 1]

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench_support.h"

namespace {

using k2::bench::ChildRun;
using k2::bench::RunChild;

int Fail(const std::string& what, const ChildRun& r) {
  std::fprintf(stderr, "query_bench: %s failed (exit %d):\n%s\n", what.c_str(), r.exit_code,
               r.output.c_str());
  return 1;
}

/// A decimal as an integer of 1e-8 units (the columns' scale).
__int128 Scaled(const std::string& text) {
  __int128 v = 0;
  bool neg = false;
  int frac = -1;
  for (char c : text) {
    if (c == '-') neg = true;
    if (c == '.') frac = 0;
    if (c < '0' || c > '9') continue;
    if (frac >= 8) continue;
    v = v * 10 + (c - '0');
    if (frac >= 0) ++frac;
  }
  for (int f = frac < 0 ? 0 : frac; f < 8; ++f) v *= 10;
  return neg ? -v : v;
}

/// Per symbol: count, sum(quantity), min(price), max(price).
struct Agg {
  __int128 count = 0, sum = 0, min = 0, max = 0;
  bool operator==(const Agg&) const = default;
};

/// The CSV answer (a header line, if any, skipped) by symbol.
std::map<std::string, Agg> ParseCsv(const std::string& csv) {
  std::map<std::string, Agg> out;
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.starts_with("\"symbol\"")) continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    if (f.size() != 5) continue;
    std::string symbol = f[0];
    std::erase(symbol, '"');
    out[symbol] = {Scaled(f[1]), Scaled(f[2]), Scaled(f[3]), Scaled(f[4])};
  }
  return out;
}

std::map<std::string, Agg> Combine(std::map<std::string, Agg> a,
                                   const std::map<std::string, Agg>& b) {
  for (const auto& [symbol, x] : b) {
    auto it = a.find(symbol);
    if (it == a.end()) {
      a[symbol] = x;
      continue;
    }
    it->second.count += x.count;
    it->second.sum += x.sum;
    it->second.min = std::min(it->second.min, x.min);
    it->second.max = std::max(it->second.max, x.max);
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = k2::bench::TradesBenchArgs::Parse(argc, argv, "/tmp/k2-query-bench");
  const int days = args.days, rate = args.rate, symbols = args.symbols, rounds = args.rounds;
  const std::string& dir = args.dir;
  const bool compact = args.other.contains("--compact") && args.other.at("--compact") != "0";
  const std::string k2 = std::filesystem::absolute(K2_BENCH_BINARY).string();
  const std::string peer =
      std::filesystem::absolute(K2_BENCH_SOURCE_DIR "/bench/scripts/chdb_query.mjs").string();
  const std::string config = dir + "/k2.yaml";
  const std::string from = "2026-10-01T00:00:00Z";
  // The last 6 hours stay warm.
  const std::string cut = fmt::format("2026-10-{:02}T18:00:00Z", days);
  const std::string cut_sql = fmt::format("2026-10-{:02} 18:00:00", days);
  auto run_k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {k2, "--config", config, "--log-level", "warn"});
    return RunChild(args);
  };
  const std::string silver = dir + "/data/warehouse/market/silver_trades";
  if (!std::filesystem::exists(dir + "/ready")) {
    std::ofstream(config) << "data_dir: data\ntables:\n  - {name: silver_trades}\n";
    std::printf("generating %d days of trades, offloading silver up to %s (once, in %s)\n", days,
                cut.c_str(), dir.c_str());
    ChildRun gen =
        run_k2({"generate", "--hours", std::to_string(days * 24), "--rate", std::to_string(rate),
                "--symbols", std::to_string(symbols), "--seed", "3", "--start", from});
    if (gen.exit_code != 0) return Fail("generate", gen);
    ChildRun off =
        run_k2({"offload", "--table", "silver_trades", "--window", from, "--until", cut});
    if (off.exit_code != 0) return Fail("offload", off);
    ChildRun drop = run_k2({"warm", "query",
                            fmt::format("ALTER TABLE silver_trades DELETE WHERE event_time < "
                                        "toDateTime('{}', 'UTC') SETTINGS mutations_sync = 2",
                                        cut_sql)});
    if (drop.exit_code != 0) return Fail("dropping the offloaded warm rows", drop);
    std::ofstream(dir + "/ready") << "ok\n";
  }
  if (!std::filesystem::exists(dir + "/warm-trimmed")) {
    std::printf("trimming the warm tier to the last 6 hours of every layer (once)\n");
    if (auto failed = k2::bench::TrimWarmTier(run_k2, days, 18)) {
      return Fail("trimming the warm tier", *failed);
    }
    std::ofstream(dir + "/warm-trimmed") << "ok\n";
  }
  if (compact) {
    ChildRun c = run_k2({"maintain", "compact", "--table", "silver_trades"});
    if (c.exit_code != 0) return Fail("k2 maintain compact", c);
  }
  // The metadata file k2 query pins: the newest one.
  std::string metadata;
  for (const auto& e : std::filesystem::directory_iterator(silver + "/metadata")) {
    std::string name = e.path().filename().string();
    if (name.ends_with(".metadata.json") && e.path().string() > metadata) {
      metadata = e.path().string();
    }
  }
  // The data files of the snapshot both sides read (compaction leaves the
  // replaced files on disk until expiry).
  std::ifstream meta_in(metadata);
  auto meta = nlohmann::json::parse(meta_in, nullptr, false);
  std::string files = "?";
  if (!meta.is_discarded()) {
    for (const auto& snap : meta["snapshots"]) {
      if (snap["snapshot-id"] == meta["current-snapshot-id"]) {
        files = snap["summary"].value("total-data-files", "?");
      }
    }
  }
  std::printf("cold silver: %s data files in the current snapshot%s, metadata %s\n", files.c_str(),
              compact ? " (just compacted)" : "",
              std::filesystem::path(metadata).filename().c_str());

  const std::string aggregate =
      "SELECT symbol, count(), sum(quantity), min(price), max(price) FROM {} GROUP BY symbol "
      "ORDER BY symbol";
  const std::string k2_sql = fmt::format(fmt::runtime(aggregate), "silver_trades");
  const std::string pinned_sql =
      fmt::format(fmt::runtime(aggregate),
                  fmt::format("icebergLocal('{}', SETTINGS iceberg_metadata_file_path = '{}')",
                              silver, metadata));
  const std::string unpinned_sql =
      fmt::format(fmt::runtime(aggregate), fmt::format("icebergLocal('{}')", silver));

  // The warm rows' answer, for the check (not timed).
  ChildRun warm = run_k2(
      {"query", fmt::format(fmt::runtime(aggregate), "warm.silver_trades"), "--format", "csv"});
  if (warm.exit_code != 0) return Fail("k2 query over warm.silver_trades", warm);
  const auto warm_agg = ParseCsv(warm.output);

  std::printf("%-6s %-34s %9s %10s %10s %12s\n", "round", "side", "seconds", "query s", "peak RSS",
              "CPU s");
  for (int round = 1; round <= rounds; ++round) {
    // Interleaved: the side that runs first alternates.
    double k2_s = 0, pinned_s = 0;
    std::string k2_answer;
    nlohmann::json pinned_answer;
    auto side_k2 = [&]() -> int {
      ChildRun k = run_k2({"query", k2_sql, "--format", "csv"});
      if (k.exit_code != 0) return Fail("k2 query", k);
      k2_s = k.seconds;
      k2_answer = k.output;
      std::printf("%-6d %-34s %9.2f %10s %7ld MB %12.2f\n", round, "k2 query (cold + warm)",
                  k.seconds, "", k.maxrss_kb / 1024, k.cpu_seconds);
      return 0;
    };
    auto side_peer = [&](const std::string& sql, const char* name, bool pinned) -> int {
      ChildRun c = k2::bench::RunChildFromRoot({"node", peer, sql});
      if (c.exit_code != 0) return Fail(name, c);
      auto p = nlohmann::json::parse(c.output, nullptr, false);
      if (p.is_discarded()) return Fail(std::string(name) + " output", c);
      if (pinned) {
        pinned_s = c.seconds;
        pinned_answer = p;
      }
      std::printf("%-6d %-34s %9.2f %10.2f %7ld MB %12.2f\n", round, name, c.seconds,
                  p["seconds"].get<double>(), c.maxrss_kb / 1024, c.cpu_seconds);
      return 0;
    };
    int rc = 0;
    if (round % 2 == 1) {
      rc = side_k2();
      if (rc == 0) rc = side_peer(pinned_sql, "chDB icebergLocal, pinned (cold)", true);
      if (rc == 0) rc = side_peer(unpinned_sql, "chDB icebergLocal, unpinned (cold)", false);
    } else {
      rc = side_peer(unpinned_sql, "chDB icebergLocal, unpinned (cold)", false);
      if (rc == 0) rc = side_peer(pinned_sql, "chDB icebergLocal, pinned (cold)", true);
      if (rc == 0) rc = side_k2();
    }
    if (rc != 0) return rc;
    const auto expected = Combine(ParseCsv(pinned_answer["result"].get<std::string>()), warm_agg);
    const auto got = ParseCsv(k2_answer);
    if (got != expected || got.empty()) {
      std::fprintf(stderr,
                   "query_bench: k2's answer is not chDB's cold answer plus the warm rows'\n"
                   "k2:\n%s\nchDB (cold):\n%s\nwarm:\n%s\n",
                   k2_answer.c_str(), pinned_answer["result"].get<std::string>().c_str(),
                   warm.output.c_str());
      return 1;
    }
    int64_t rows = 0;
    for (const auto& [s, a] : got) rows += static_cast<int64_t>(a.count / 100000000);
    std::printf("%-6d ratio k2/chDB-pinned wall %.2f (answers agree: %lld rows = cold + warm)\n",
                round, k2_s / pinned_s, static_cast<long long>(rows));
    std::fflush(stdout);
  }
  return 0;
}
