// Crash safety of the real binary: `k2 offload` killed with SIGKILL at random
// instants, 20 times, then a clean run. chDB must read the table after every
// kill, and at the end every window is committed exactly once with cold equal
// to warm.
#include <fcntl.h>
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

pid_t Spawn(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

TEST(OffloadCrashTest, KilledRunsNeverDuplicateOrLoseAWindow) {
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  TempDir dir;
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: data\nwarm: {kind: embedded, chdb_library: " << *lib
                        << "}\noffload: {max_windows_per_run: 100}\n"
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
  for (int i = 0; i < 20; ++i) {
    pid_t pid = Spawn({K2_BINARY, "--config", config, "offload"});
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 4000)(rng)));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ++killed_mid_run;
    }
    if (std::filesystem::exists(location + "/metadata")) {
      auto rows = QueryChdb(fmt::format("SELECT count() AS n FROM icebergLocal('{}')", location));
      ASSERT_TRUE(rows) << "table unreadable after kill " << i << ": " << rows.error().ToString();
    }
  }
  EXPECT_GT(killed_mid_run, 0) << "no run was interrupted: the test proved nothing";

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
  EXPECT_EQ(cold[0]["c"].get<std::string>() + "\t" + cold[0]["s"].get<std::string>(),
            warm.out.substr(0, warm.out.find('\n')));
  // Each window appears once in the history of the table.
  ProcessResult snaps = k2({"snapshots", "market.raw_trades", "--json"});
  ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
  auto list = nlohmann::json::parse(snaps.out, nullptr, false);
  ASSERT_FALSE(list.is_discarded()) << snaps.out;
  std::set<std::string> windows;
  int commits = 0;
  for (const auto& s : list) {
    if (!s.contains("summary") || !s["summary"].contains("k2.window")) continue;
    ++commits;
    EXPECT_TRUE(windows.insert(s["summary"]["k2.window"].get<std::string>()).second)
        << "window committed twice: " << s["summary"]["k2.window"];
  }
  EXPECT_GE(commits, 30);
}

}  // namespace
}  // namespace k2::testing
