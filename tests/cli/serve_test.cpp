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

namespace k2::testing {
namespace {

TEST(ServeTest, ServesApiAndStopsOnSigterm) {
  TempDir dir;
  int port = FreeLoopbackPort();
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "data")
                        << "\nservice:\n  listen: 127.0.0.1:" << port << "\n  shutdown_grace: 5s\n";
  ServeProcess serve(K2_BINARY, config, "", port, {}, "warn");
  ASSERT_TRUE(serve.AwaitUp()) << "k2 serve did not answer /health on port " << port;
  const std::string& base = serve.base();
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

  long rss = RssKiB(serve.pid());
  EXPECT_GT(rss, 0);
  EXPECT_LE(rss, 32 * 1024) << "idle k2 serve RSS " << rss << " KiB";

  EXPECT_EQ(serve.Terminate(), 0) << "SIGTERM stops the daemon with exit code 0";

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
  ServeProcess serve(K2_BINARY, config, "", port, {"K2_TEST_REST_TOKEN=rest-secret"}, "warn");
  ASSERT_TRUE(serve.AwaitUp()) << "k2 serve did not answer /health on port " << port;
  const std::string& base = serve.base();
  ProcessResult denied = RunProcess(
      {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/iceberg/v1/config"});
  EXPECT_EQ(denied.out, "401");
  ProcessResult js = RunProcess(
      {"node", SourceDir() + "/tools/oracle/rest_client.mjs", base + "/iceberg", "rest-secret"});
  EXPECT_EQ(js.exit_code, 0) << js.err << js.out;
  nlohmann::json out = nlohmann::json::parse(js.out, nullptr, false);
  EXPECT_EQ(out["commit"]["currentSnapshotId"], 101) << js.out;
  EXPECT_EQ(out["conflict"]["status"], 409) << js.out;

  EXPECT_EQ(serve.Terminate(), 0) << "SIGTERM stops the daemon with exit code 0";
}

}  // namespace
}  // namespace k2::testing
