// `k2 serve` on the embedded engine: an offload triggered by a POST without a
// body runs at once in a child k2 process, so between jobs the daemon holds
// neither the engine's data dir nor its memory: `k2 warm query` works while
// the daemon runs, and the idle daemon is back under 32 MB after a job. On
// both catalog kinds: the SQL catalog, and a REST catalog (another k2 serve).
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/rest_catalog_fixture.h"
#include "support/support.h"

namespace k2::testing {
namespace {

/// The daemon on each catalog kind: "sql" (its own SQL catalog) or "rest" (a
/// second `k2 serve` serving the REST catalog, which the daemon's jobs commit
/// through, job history in the daemon's state database).
class ServeEmbeddedTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ServeEmbeddedTest, JobsRunInAChildSoTheIdleDaemonIsSmallAndTheEngineFree) {
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  TempDir dir;
  int port = FreeLoopbackPort();
  std::string catalog;
  std::unique_ptr<ServeProcess> rest_server;
  if (GetParam() == "rest") {
    int rest_port = FreeLoopbackPort();
    std::string rest_config = dir / "rest.yaml";
    std::ofstream(rest_config) << RestCatalogServeConfig(dir / "rest", dir / "catalog.db",
                                                         dir / "data/warehouse", rest_port);
    rest_server = std::make_unique<ServeProcess>(K2_BINARY, rest_config, "", rest_port,
                                                 std::vector<std::string>{}, "warn");
    ASSERT_TRUE(rest_server->AwaitUp()) << "the REST catalog server did not answer";
    catalog = fmt::format(
        "catalog: {{type: rest, uri: \"http://127.0.0.1:{}/iceberg\"}}\nstate: {{uri: {}}}\n",
        rest_port, dir / "state.db");
  }
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "data") << "\nwarm: {kind: embedded, "
                        << "chdb_library: " << *lib << "}\nservice:\n  listen: 127.0.0.1:" << port
                        << "\n  shutdown_grace: 5s\ntables:\n  - {name: raw_trades}\n"
                        << catalog;
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  ProcessResult gen = k2({"generate", "--hours", "3", "--rate", "2", "--symbols", "3", "--start",
                          "2026-11-01T00:00:00Z"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  ServeProcess serve(K2_BINARY, config, "", port, {}, "warn");
  ASSERT_TRUE(serve.AwaitUp()) << "k2 serve did not answer /health on port " << port;
  const std::string& base = serve.base();

  // A POST without a body starts the job at once: a 202 within curl's 5 s
  // (a server waiting for a body answered 400 after 10 s).
  ProcessResult post = RunProcess({"curl", "-s", "-m", "5", "-X", "POST", "-w", "\n%{http_code}",
                                   base + "/api/jobs/offload_raw/run"});
  EXPECT_EQ(post.exit_code, 0) << "curl gave up waiting: " << post.err;
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
  long rss = RssKiB(serve.pid());
  EXPECT_GT(rss, 0);
  EXPECT_LE(rss, 32 * 1024) << "idle k2 serve RSS after a job " << rss << " KiB";

  EXPECT_EQ(serve.Terminate(), 0) << "SIGTERM stops the daemon with exit code 0";
  if (rest_server) {
    // The commits went through the REST server into its catalog.
    ProcessResult tables = k2({"tables", "--json"});
    EXPECT_EQ(tables.exit_code, 0) << tables.err;
    EXPECT_NE(tables.out.find("raw_trades"), std::string::npos) << tables.out;
    EXPECT_TRUE(std::filesystem::exists(dir / "catalog.db"));
    EXPECT_TRUE(std::filesystem::exists(dir / "state.db")) << "job history in the state database";
  }
}

INSTANTIATE_TEST_SUITE_P(Catalogs, ServeEmbeddedTest, ::testing::ValuesIn(CatalogKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace k2::testing
