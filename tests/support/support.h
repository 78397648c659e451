#pragma once
/// Test support shared by every stage's tests: independent oracles (DuckDB for
/// Parquet, chDB for Iceberg, both through node), the shared fixtures folder,
/// temp dirs, subprocesses, and assertions on Result kinds.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace k2::testing {

/// Runs `statements` on an independent engine ("duckdb" or "chdb") through
/// tools/oracle/query.mjs. Returns one JSON array of row objects per statement.
/// DuckDB: BIGINT/DECIMAL/TIMESTAMP come back as strings. chDB: JSONEachRow
/// with 64-bit integers and decimals quoted. kRemote carries the engine's error.
Result<nlohmann::json> QueryOracle(const std::string& engine,
                                   const std::vector<std::string>& statements);
/// One statement; returns its rows.
Result<nlohmann::json> QueryDuckDB(const std::string& sql);
Result<nlohmann::json> QueryChdb(const std::string& sql);

/// The windows of k2's commits in `k2 snapshots --json` output (the
/// `k2.window` summaries), and those found more than once: a window
/// committed twice.
struct SnapshotWindows {
  std::set<std::string> windows;
  std::vector<std::string> repeated;
};
SnapshotWindows WindowsOfSnapshots(const nlohmann::json& snapshots);

/// The shared fixtures folder ($K2_FIXTURES or ../shared/fixtures from the repo
/// root), or nullopt if absent.
std::optional<std::string> FixturesDir();

/// Skips the current test with a reason when fixtures are absent; otherwise
/// assigns the fixtures dir to `var`.
#define K2_REQUIRE_FIXTURES(var)                                                           \
  auto k2_fixtures_opt_ = ::k2::testing::FixturesDir();                                    \
  if (!k2_fixtures_opt_) GTEST_SKIP() << "../shared/fixtures is absent (set K2_FIXTURES)"; \
  const std::string var = *k2_fixtures_opt_

/// A fresh directory under $TMPDIR, removed (recursively) on destruction
/// unless K2_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Output of a finished subprocess.
struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs argv[0] with arguments, capturing stdout and stderr. `env` entries
/// ("K=V") are added to the environment.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {});

/// Starts argv[0] (a path) with arguments in the background, output
/// discarded; the caller waits for or kills the returned pid (crash tests).
int SpawnProcess(const std::vector<std::string>& argv);

/// `<k2> serve` in the background (`k2`: the binary under test): `--config config` with
/// output appended to `log` (inherited when empty) and `env` ("K=V") added to
/// the environment; killed if still running when destroyed.
class ServeProcess {
 public:
  ServeProcess(const std::string& k2, const std::string& config, const std::string& log, int port,
               const std::vector<std::string>& env = {}, const std::string& log_level = "info");
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  /// Waits (bounded, for process start-up) until /health answers; false if
  /// it never does or the process ended.
  bool AwaitUp();
  void Kill();
  /// SIGTERM, then the exit code (-1 when ended by a signal).
  int Terminate();
  const std::string& base() const { return base_; }
  int pid() const { return pid_; }

 private:
  std::string base_;
  int pid_ = 0;
};

/// VmRSS of a process in KiB, or -1.
long RssKiB(int pid);

/// A free TCP port on 127.0.0.1 (bound and released; racy but fine for tests).
int FreeLoopbackPort();

/// Path to libchdb.so installed by scripts/test (tools/oracle/node_modules), or nullopt.
std::optional<std::string> ChdbLibraryPath();

/// The embedded engine's data dir for this test process: chDB opens one data
/// dir per process, so every test of a binary that uses it shares this one.
const std::string& EmbeddedEngineDir();

/// The repository root (where CMakeLists.txt is).
std::string SourceDir();

/// "YYYY-MM-DDTHH:00:00Z", `hours` whole hours before the current hour: a
/// `k2 generate --start` whose windows are all closed and recent.
std::string WholeHoursAgo(int hours);

/// The config of a `k2 serve` that only serves the Iceberg REST catalog on
/// 127.0.0.1:`port`, over the SQLite catalog `catalog_db` with tables under
/// `warehouse`, and schedules no job; its own files go under `data_dir`.
std::string RestCatalogServeConfig(const std::string& data_dir, const std::string& catalog_db,
                                   const std::string& warehouse, int port);

}  // namespace k2::testing

/// Asserts a Result/Status is OK, printing its error otherwise.
#define K2_ASSERT_OK(expr)                                                       \
  do {                                                                           \
    const auto& k2_r_ = (expr);                                                  \
    ASSERT_TRUE(k2_r_.has_value()) << #expr << ": " << k2_r_.error().ToString(); \
  } while (false)
#define K2_EXPECT_OK(expr)                                                       \
  do {                                                                           \
    const auto& k2_r_ = (expr);                                                  \
    EXPECT_TRUE(k2_r_.has_value()) << #expr << ": " << k2_r_.error().ToString(); \
  } while (false)
/// Asserts a Result/Status failed with error kind `kind`.
#define K2_ASSERT_ERROR_KIND(expr, expected_kind)                             \
  do {                                                                        \
    const auto& k2_r_ = (expr);                                               \
    ASSERT_FALSE(k2_r_.has_value()) << #expr << " unexpectedly succeeded";    \
    ASSERT_EQ(k2_r_.error().kind, expected_kind) << k2_r_.error().ToString(); \
  } while (false)
/// Binds the value of a Result or fails the test.
#define K2_ASSERT_OK_AND_ASSIGN(lhs, expr)                                 \
  auto K2_CONCAT(k2_res_, __LINE__) = (expr);                              \
  ASSERT_TRUE(K2_CONCAT(k2_res_, __LINE__).has_value())                    \
      << #expr << ": " << K2_CONCAT(k2_res_, __LINE__).error().ToString(); \
  lhs = std::move(*K2_CONCAT(k2_res_, __LINE__))
