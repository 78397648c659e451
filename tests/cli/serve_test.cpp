// Runs the real `k2 serve` daemon: HTTP API up, `k2 jobs` talks to it, idle
// memory bounded, SIGTERM stops it cleanly with exit code 0.
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

/// VmRSS of a process in KiB, or -1.
long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(ServeTest, ServesApiAndStopsOnSigterm) {
  TempDir dir;
  int port = FreeLoopbackPort();
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "data")
                        << "\nservice:\n  listen: 127.0.0.1:" << port << "\n  shutdown_grace: 5s\n";
  std::vector<std::string> args = {K2_BINARY, "--config", config, "--log-level", "warn", "serve"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, K2_BINARY, nullptr, nullptr, argv.data(), environ), 0);

  // Wait for the server to come up (process start-up, bounded).
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
  ProcessResult metrics = RunProcess({"curl", "-sf", base + "/metrics"});
  EXPECT_EQ(metrics.exit_code, 0);
  EXPECT_NE(metrics.out.find("# TYPE k2_job_runs_total counter"), std::string::npos);

  ProcessResult jobs = RunProcess({K2_BINARY, "--config", config, "jobs", "--json"});
  EXPECT_EQ(jobs.exit_code, 0) << jobs.err;
  EXPECT_TRUE(nlohmann::json::parse(jobs.out, nullptr, false).is_array()) << jobs.out;
  ProcessResult history = RunProcess({K2_BINARY, "--config", config, "jobs", "history", "--json"});
  EXPECT_EQ(history.exit_code, 0) << history.err;
  EXPECT_TRUE(nlohmann::json::parse(history.out, nullptr, false).is_array()) << history.out;
  ProcessResult unknown = RunProcess({K2_BINARY, "--config", config, "jobs", "run", "no_such_job"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no_such_job"), std::string::npos) << unknown.err;

  long rss = RssKiB(pid);
  EXPECT_GT(rss, 0);
  EXPECT_LE(rss, 32 * 1024) << "idle k2 serve RSS " << rss << " KiB";

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);

  // `k2 jobs` reads the job store itself; only `jobs run` needs the daemon.
  ProcessResult down = RunProcess({K2_BINARY, "--config", config, "jobs", "--json"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  auto schedule = [](const std::string& out) {
    std::vector<std::string> jobs;  // next_fire may move on between the two calls
    for (const auto& j : nlohmann::json::parse(out, nullptr, false)) {
      jobs.push_back(j.value("name", "") + " " + j.value("cron", "") + " " + j["enabled"].dump());
    }
    return jobs;
  };
  EXPECT_EQ(schedule(down.out), schedule(jobs.out)) << "the store's view differs from the daemon's";
  ProcessResult run = RunProcess({K2_BINARY, "--config", config, "jobs", "run", "compaction"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("k2 serve"), std::string::npos) << run.err;
}

TEST(ServeTest, ServesTheRestCatalogUnderIceberg) {
  TempDir dir;
  int port = FreeLoopbackPort();
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "data")
                        << "\nservice:\n  listen: 127.0.0.1:" << port
                        << "\n  shutdown_grace: 5s\n  rest_catalog:\n    enabled: true\n"
                           "    tokens: [\"${K2_TEST_REST_TOKEN}\"]\n";
  std::vector<std::string> args = {K2_BINARY, "--config", config, "--log-level", "warn", "serve"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("K2_TEST_REST_TOKEN=rest-secret");
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, K2_BINARY, nullptr, nullptr, argv.data(), envp.data()), 0);

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
  ProcessResult denied = RunProcess(
      {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/iceberg/v1/config"});
  EXPECT_EQ(denied.out, "401");
  ProcessResult js = RunProcess(
      {"node", SourceDir() + "/tools/oracle/rest_client.mjs", base + "/iceberg", "rest-secret"});
  EXPECT_EQ(js.exit_code, 0) << js.err << js.out;
  nlohmann::json out = nlohmann::json::parse(js.out, nullptr, false);
  EXPECT_EQ(out["commit"]["currentSnapshotId"], 101) << js.out;
  EXPECT_EQ(out["conflict"]["status"], 409) << js.out;

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
}  // namespace k2::testing
