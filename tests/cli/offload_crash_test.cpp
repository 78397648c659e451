// Crash safety of the real binary: `k2 offload`, compaction, snapshot expiry
// (keeping one snapshot, so the ledger lives only in the table property) and
// replaces, interleaved and killed with SIGKILL at random instants, 40 times,
// then a clean run. chDB must read the table after every kill, and at the end
// every window is committed exactly once with cold equal to warm and the
// audit clean.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "support/support.h"

namespace k2::testing {
namespace {

TEST(OffloadCrashTest, KilledRunsNeverDuplicateOrLoseAWindow) {
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  TempDir dir;
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: data\nwarm: {kind: embedded, chdb_library: " << *lib
                        << "}\noffload: {max_windows_per_run: 100}\n"
                        << "maintenance:\n  compaction: {min_file_size: 1GiB}\n"
                        << "  expire: {older_than: 1s, retain_last: 1}\n"
                        << "tables:\n  - {name: raw_trades}\n";
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  ProcessResult gen = k2({"generate", "--hours", "30", "--rate", "1", "--symbols", "3", "--seed",
                          "5", "--start", "2026-11-01T00:00:00Z"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  std::string location = dir.path() + "/data/warehouse/market/raw_trades";
  std::mt19937 rng(20261124);
  int killed_mid_run = 0;
  std::set<std::string> kinds_killed;
  // 40 runs, then more (at most 80 in all) until enough were killed mid-run:
  // faster jobs finish before more of the random kill times.
  for (int i = 0; i < 80 && (i < 40 || killed_mid_run < 8 || kinds_killed.size() < 3); ++i) {
    std::vector<std::string> argv = {K2_BINARY, "--config", config};
    int pick = std::uniform_int_distribution<int>(0, 9)(rng);
    std::string kind;
    if (pick < 5) {
      kind = "offload";
      argv.push_back("offload");
    } else if (pick < 7) {
      kind = "compact";
      argv.insert(argv.end(), {"maintain", "compact"});
    } else if (pick < 8) {
      kind = "expire";
      argv.insert(argv.end(), {"maintain", "expire"});
    } else {
      kind = "replace";
      int hour = std::uniform_int_distribution<int>(0, 23)(rng);
      argv.insert(argv.end(),
                  {"offload", "--replace", "--window", fmt::format("2026-11-01T{:02}:00Z", hour)});
    }
    pid_t pid = SpawnProcess(argv);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 2500)(rng)));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ++killed_mid_run;
      kinds_killed.insert(kind);
    }
    if (std::filesystem::exists(location + "/metadata")) {
      auto rows = QueryChdb(fmt::format("SELECT count() AS n FROM icebergLocal('{}')", location));
      ASSERT_TRUE(rows) << "table unreadable after kill " << i << ": " << rows.error().ToString();
    }
  }
  EXPECT_GE(killed_mid_run, 8) << "few runs were interrupted: the test proved little";
  EXPECT_GE(kinds_killed.size(), 3u) << "kills should hit several kinds of job";

  ProcessResult clean = k2({"offload", "--json"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  ProcessResult warm =
      k2({"warm", "query", "SELECT count(), sum(cityHash64(message)) FROM raw_trades"});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  K2_ASSERT_OK_AND_ASSIGN(
      auto cold,
      QueryChdb(fmt::format("SELECT toString(count()) AS c, "
                            "toString(sum(cityHash64(message))) AS s FROM icebergLocal('{}')",
                            location)));
  const std::string cold_totals =
      cold[0]["c"].get<std::string>() + "\t" + cold[0]["s"].get<std::string>();
  if (cold_totals != warm.out.substr(0, warm.out.find('\n'))) {
    // chDB reads the highest-numbered metadata file; k2 the catalog's. Say
    // which files there are and which one the catalog holds.
    std::string files;
    for (const auto& e : std::filesystem::directory_iterator(location + "/metadata")) {
      if (e.path().string().ends_with(".metadata.json"))
        files += e.path().filename().string() + " ";
    }
    ProcessResult table = k2({"table", "show", "raw_trades"});
    ADD_FAILURE() << "cold (chDB) " << cold_totals << " != warm " << warm.out
                  << "\nmetadata files: " << files << "\nk2 table: " << table.out << table.err;
  }
  // The ledger holds every window once; the audit agrees window by window.
  ProcessResult audit = k2({"audit", "--json"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  auto report = nlohmann::json::parse(audit.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << audit.out;
  // The 30 hours with rows, and the empty hours since (recorded, no snapshots).
  EXPECT_GE(report[0]["windows_by_status"]["ok"], 30) << audit.out;
  ProcessResult again = k2({"offload", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto planned = nlohmann::json::parse(again.out, nullptr, false);
  ASSERT_FALSE(planned.is_discarded()) << again.out;
  for (const auto& w : planned[0]["windows"]) {
    EXPECT_EQ(w["action"], "empty") << "a rerun commits no rows: " << again.out;
  }
}

}  // namespace
}  // namespace k2::testing
