// `k2 offload` through k2's REST catalog server (`k2 serve`, a child process)
// while the server dies in the middle of a commit (K2_TEST_REST_CRASH): after
// writing the metadata file and swapping the pointer but before answering, and
// after writing the file but before the swap. The client cannot know whether
// its commit happened, keeps its files, and the next run (server restarted)
// resolves it by reading the table back: every window committed exactly once,
// no window lost, no committed file deleted (chDB reads every row).
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "support/support.h"

namespace k2::testing {
namespace {

TEST(RestFaultTest, ServerKilledMidCommitLeavesNoDuplicateNoLostWindowNoDeletedFile) {
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  TempDir dir;
  const int port = FreeLoopbackPort();
  const std::string lake = dir / "lake";
  // The server: the SQL catalog, the REST catalog, no scheduled job.
  std::string serve_config = dir / "serve.yaml";
  std::ofstream(serve_config) << RestCatalogServeConfig(dir / "serve", dir / "catalog.db", lake,
                                                        port);
  // The client: the embedded engine as the warm tier, the catalog over REST.
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "client") << "\nwarm: {kind: embedded, "
                        << "chdb_library: " << *lib << "}\ncatalog: {type: rest, uri: "
                        << "\"http://127.0.0.1:" << port
                        << "/iceberg\"}\nwarehouse: {location: " << lake
                        << "}\noffload: {max_windows_per_run: 100}\n"
                        << "tables:\n  - {name: raw_trades}\n";
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  const std::string start = WholeHoursAgo(7);
  ProcessResult gen = k2({"generate", "--hours", "6", "--rate", "1", "--symbols", "3", "--seed",
                          "11", "--start", start});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  // Commits are counted per server process; table creation registers a file
  // and is not one of them.
  for (const std::string crash : {"after-swap:2", "after-write:2"}) {
    const std::string log = dir / ("serve-" + crash + ".log");
    ServeProcess serve(K2_BINARY, serve_config, log, port, {"K2_TEST_REST_CRASH=" + crash}, "warn");
    ASSERT_TRUE(serve.AwaitUp()) << "k2 serve did not answer on port " << port;
    ProcessResult run = k2({"offload", "--json"});
    EXPECT_NE(run.exit_code, 0) << crash << ": the server died, the run cannot succeed\n"
                                << run.out << run.err;
    EXPECT_NE((run.out + run.err).find("commit_state_unknown"), std::string::npos)
        << crash << ": the outcome of the interrupted commit is unknown\n"
        << run.out << run.err;
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("crash point " + crash.substr(0, crash.find(':')) + " of commit 2"),
              std::string::npos)
        << "the server did not die where the test says: " << text;
  }
  {
    ServeProcess serve(K2_BINARY, serve_config, dir / "serve-clean.log", port, {}, "warn");
    ASSERT_TRUE(serve.AwaitUp());
    ProcessResult run = k2({"offload", "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

    ProcessResult snaps = k2({"snapshots", "market.raw_trades", "--json"});
    ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
    auto list = nlohmann::json::parse(snaps.out, nullptr, false);
    ASSERT_TRUE(list.is_array()) << snaps.out;
    const SnapshotWindows committed = WindowsOfSnapshots(list);
    EXPECT_TRUE(committed.repeated.empty())
        << "window committed twice: " << committed.repeated.front();
    const std::set<std::string>& windows = committed.windows;
    EXPECT_EQ(windows.size(), 6u) << "six hours of rows, each committed once: " << snaps.out;

    // chDB reads the highest-numbered metadata file and every data file it
    // references: none was deleted, and a file the dead server wrote but never
    // swapped in does not outrank the committed one.
    std::string closed = fmt::format(
        " FROM raw_trades WHERE ingested_at < toDateTime('{}', 'UTC') + INTERVAL 6 HOUR",
        start.substr(0, 10) + " " + start.substr(11, 8));
    ProcessResult warm = k2({"warm", "query", "SELECT count(), sum(cityHash64(message))" + closed});
    ASSERT_EQ(warm.exit_code, 0) << warm.err;
    K2_ASSERT_OK_AND_ASSIGN(auto cold,
                            QueryChdb(fmt::format("SELECT toString(count()) AS c, "
                                                  "toString(sum(cityHash64(message))) AS s FROM "
                                                  "icebergLocal('{}/market/raw_trades')",
                                                  lake)));
    EXPECT_EQ(cold[0]["c"].get<std::string>() + "\t" + cold[0]["s"].get<std::string>(),
              warm.out.substr(0, warm.out.find('\n')));
    ProcessResult audit = k2({"audit", "--json"});
    EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
    EXPECT_EQ(serve.Terminate(), 0);
  }
}

}  // namespace
}  // namespace k2::testing
