// `k2 serve` on the embedded engine: an offload triggered by a POST without a
// body runs at once in a child k2 process, so between jobs the daemon holds
// neither the engine's data dir nor its memory: `k2 warm query` works while
// the daemon runs, and the idle daemon is back under 32 MB after a job.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/support.h"

extern char** environ;

namespace k2::testing {
namespace {

long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(ServeEmbeddedTest, JobsRunInAChildSoTheIdleDaemonIsSmallAndTheEngineFree) {
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  TempDir dir;
  int port = FreeLoopbackPort();
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "data") << "\nwarm: {kind: embedded, "
                        << "chdb_library: " << *lib << "}\nservice:\n  listen: 127.0.0.1:" << port
                        << "\n  shutdown_grace: 5s\ntables:\n  - {name: raw_trades}\n";
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  ProcessResult gen = k2({"generate", "--hours", "3", "--rate", "2", "--symbols", "3", "--start",
                          "2026-11-01T00:00:00Z"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  std::vector<std::string> args = {K2_BINARY, "--config", config, "--log-level", "warn", "serve"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, K2_BINARY, nullptr, nullptr, argv.data(), environ), 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    up = RunProcess({"curl", "-sf", base + "/health"}).exit_code == 0;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!up) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    FAIL() << "k2 serve did not answer /health on port " << port;
  }

  // A POST without a body starts the job at once.
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult post = RunProcess({"curl", "-s", "-m", "5", "-X", "POST", "-w", "\n%{http_code}",
                                   base + "/api/jobs/offload_raw/run"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_NE(post.out.find("202"), std::string::npos) << post.out;
  // Unknown routes answer the JSON error.
  ProcessResult unknown = RunProcess({"curl", "-s", "-w", "\n%{http_code}", base + "/api/nope"});
  EXPECT_NE(unknown.out.find("\"not_found\""), std::string::npos) << unknown.out;
  EXPECT_NE(unknown.out.find("404"), std::string::npos) << unknown.out;

  nlohmann::json run;
  for (int i = 0; i < 600; ++i) {
    ProcessResult h = RunProcess({"curl", "-sf", base + "/api/jobs/history?job=offload_raw"});
    auto j = nlohmann::json::parse(h.out, nullptr, false);
    if (!j.is_discarded() && !j["runs"].empty() && j["runs"][0]["status"] != "running") {
      run = j["runs"][0];
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(run.is_null()) << "the offload did not finish";
  EXPECT_EQ(run["status"], "succeeded") << run.dump(2);
  EXPECT_GT(run["outcome"].value("rows", 0), 0) << run.dump(2);

  // Between jobs the engine is free for other k2 commands, and the daemon small.
  ProcessResult warm = k2({"warm", "query",
                           "SELECT count() FROM raw_trades WHERE ingested_at < "
                           "toDateTime('2026-11-01 03:00:00', 'UTC')"});
  EXPECT_EQ(warm.exit_code, 0) << warm.err;
  K2_ASSERT_OK_AND_ASSIGN(
      auto cold, QueryChdb(fmt::format("SELECT toString(count()) AS c FROM icebergLocal('{}')",
                                       dir / "data/warehouse/market/raw_trades")));
  EXPECT_EQ(cold[0]["c"].get<std::string>() + "\n", warm.out);
  long rss = RssKiB(pid);
  EXPECT_GT(rss, 0);
  EXPECT_LE(rss, 32 * 1024) << "idle k2 serve RSS after a job " << rss << " KiB";

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace k2::testing
