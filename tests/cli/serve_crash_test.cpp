// Crash safety of the daemon: `k2 serve` is killed with SIGKILL while its
// offload job runs (triggered through POST /api/jobs/offload_raw/run), at
// several instants into the run, and restarted each time; the restarted
// daemon takes over the dead process's lease and finishes. At the end chDB
// reads every hourly window from the Iceberg table with the warm tier's
// count, and each window was committed exactly once.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/support.h"

namespace k2::testing {
namespace {

/// The daemon's view of one job (GET /api/jobs), or null if it does not answer.
nlohmann::json JobState(const std::string& base, const std::string& job) {
  ProcessResult r = RunProcess({"curl", "-sf", "--max-time", "5", base + "/api/jobs"});
  if (r.exit_code != 0) return nullptr;
  auto body = nlohmann::json::parse(r.out, nullptr, false);
  if (!body.is_object() || !body["jobs"].is_array()) return nullptr;
  for (const auto& j : body["jobs"]) {
    if (j.value("name", "") == job) return j;
  }
  return nullptr;
}

TEST(ServeCrashTest, KilledDuringAnOffloadThenRestartedCommitsEachWindowOnce) {
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  TempDir dir;
  int port = FreeLoopbackPort();
  std::string config = dir / "k2.yaml";
  std::string data = dir / "data";
  std::string log = dir / "serve.log";
  std::ofstream(config) << "data_dir: " << data << "\nwarm: {kind: embedded, chdb_library: " << *lib
                        << "}\noffload: {max_windows_per_run: 100}\n"
                        << "tables:\n  - {name: raw_trades}\n"
                        << "service:\n  listen: 127.0.0.1:" << port
                        << "\n  shutdown_grace: 10s\n  retry_max_attempts: 1\n";
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  // 30 hours ending an hour before now: every window has closed, and the
  // offload (which commits every closed window up to now) has ~31 to do.
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  std::chrono::sys_seconds first{std::chrono::seconds{(now_s / 3600 - 31) * 3600}};
  auto day = std::chrono::floor<std::chrono::days>(first);
  std::chrono::year_month_day ymd{day};
  std::string start =
      fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:00:00Z", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  std::chrono::duration_cast<std::chrono::hours>(first - day).count());
  ProcessResult gen = k2({"generate", "--hours", "30", "--rate", "1", "--symbols", "3", "--seed",
                          "8", "--start", start});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  std::string location = data + "/warehouse/market/raw_trades";

  std::string metrics;
  // Kill points: milliseconds after the daemon reports the offload running.
  int killed_running = 0;
  for (int delay_ms : {0, 250, 700, 1500, 3000}) {
    ServeProcess daemon(K2_BINARY, config, log, port);
    ASSERT_TRUE(daemon.AwaitUp()) << "k2 serve did not come up; log in " << log;
    ProcessResult post =
        RunProcess({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d", "",
                    daemon.base() + "/api/jobs/offload_raw/run"});
    ASSERT_EQ(post.out, "202") << "POST /api/jobs/offload_raw/run";
    bool running = false;
    for (int i = 0; i < 200 && !running; ++i) {
      nlohmann::json state = JobState(daemon.base(), "offload_raw");
      running = state.is_object() && state.value("running", false);
      if (!running && state.is_object() && !state["last_run"].is_null()) break;  // already done
      if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    nlohmann::json before = JobState(daemon.base(), "offload_raw");
    bool still_running = before.is_object() && before.value("running", false);
    daemon.Kill();
    if (still_running) ++killed_running;
    if (std::filesystem::exists(location + "/metadata")) {
      auto rows = QueryChdb(fmt::format("SELECT count() AS n FROM icebergLocal('{}')", location));
      ASSERT_TRUE(rows) << "table unreadable after a kill at +" << delay_ms
                        << " ms: " << rows.error().ToString();
    }
  }
  EXPECT_GT(killed_running, 0) << "no kill hit a running offload: the test proved nothing";

  // Restart: the dead daemons' lease is taken over and the run completes.
  {
    ServeProcess daemon(K2_BINARY, config, log, port);
    ASSERT_TRUE(daemon.AwaitUp());
    ProcessResult run = k2({"jobs", "run", "offload_raw"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::string status;
    for (int i = 0; i < 1200; ++i) {
      nlohmann::json state = JobState(daemon.base(), "offload_raw");
      if (state.is_object() && !state.value("running", true) && state["last_run"].is_object() &&
          state["last_run"].value("trigger", "") == "manual") {
        status = state["last_run"].value("status", "");
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status, "succeeded") << "log in " << log;
    ProcessResult history = k2({"jobs", "history", "--job", "offload_raw", "--json"});
    EXPECT_EQ(history.exit_code, 0) << history.err;
    ProcessResult scrape = RunProcess({"curl", "-sf", daemon.base() + "/metrics"});
    ASSERT_EQ(scrape.exit_code, 0);
    metrics = scrape.out;
    EXPECT_EQ(daemon.Terminate(), 0);
  }
  // The real daemon's exposition passes promtool and its table gauges are
  // the catalog's (checked against chDB and `k2 snapshots` below).
  std::ofstream(dir / "metrics.txt") << metrics;
  ProcessResult promtool =
      RunProcess({"/bin/sh", "-c", "promtool check metrics < '" + (dir / "metrics.txt") + "'"});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err;
  auto sample = [&](const std::string& series) -> double {
    size_t at = metrics.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(metrics.substr(at + series.size() + 2));
  };
  EXPECT_EQ(sample("k2_job_runs_total{job=\"offload_raw\",status=\"succeeded\"}"), 1);

  // Cold per window equals warm per window (chDB reads the Iceberg metadata).
  ProcessResult warm = k2({"warm", "query",
                           "SELECT intDiv(toUnixTimestamp(ingested_at), 3600) AS h, count() "
                           "FROM raw_trades GROUP BY h ORDER BY h"});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  K2_ASSERT_OK_AND_ASSIGN(
      auto cold, QueryChdb(fmt::format("SELECT toString(intDiv(toUnixTimestamp(ingested_at), "
                                       "3600)) AS h, toString(count()) AS c FROM "
                                       "icebergLocal('{}') GROUP BY h ORDER BY h",
                                       location)));
  std::string cold_text;
  for (const auto& r : cold) {
    cold_text += r["h"].get<std::string>() + "\t" + r["c"].get<std::string>() + "\n";
  }
  EXPECT_EQ(cold.size(), 30u) << "30 hourly windows";
  EXPECT_EQ(cold_text, warm.out);
  K2_ASSERT_OK_AND_ASSIGN(
      auto total,
      QueryChdb(fmt::format("SELECT toString(count()) AS c FROM icebergLocal('{}')", location)));
  EXPECT_EQ(sample("k2_table_rows{table=\"market.raw_trades\"}"),
            std::stod(total[0]["c"].get<std::string>()));

  // Each window was committed once in the table's history.
  ProcessResult snaps = k2({"snapshots", "market.raw_trades", "--json"});
  ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
  auto list = nlohmann::json::parse(snaps.out, nullptr, false);
  ASSERT_FALSE(list.is_discarded()) << snaps.out;
  const SnapshotWindows committed = WindowsOfSnapshots(list);
  EXPECT_TRUE(committed.repeated.empty())
      << "window committed twice: " << committed.repeated.front();
  const std::set<std::string>& windows = committed.windows;
  EXPECT_EQ(sample("k2_table_snapshots{table=\"market.raw_trades\"}"),
            static_cast<double>(list.size()));
  EXPECT_GE(windows.size(), 30u);  // 30 with rows, plus the empty hour before now once closed
}

}  // namespace
}  // namespace k2::testing
