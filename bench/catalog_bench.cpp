// SQL catalog commit throughput: k2's SqlCatalog::SwapTable on SQLite against
// the peer, the same compare-and-swap UPDATE issued through the raw sqlite3 C
// API with a cached prepared statement on an identically configured file (WAL,
// default synchronous). The ratio is k2's overhead per commit (statement
// preparation, the conflict check, error plumbing).
//
//   build-x/catalog_bench --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "catalog/catalog_factory.h"

namespace {

void RemoveDatabase(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
  std::filesystem::remove(std::filesystem::path(path).parent_path(), ec);  // once empty
}

std::string FreshPath(const char* name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/k2-catalog-bench-" + std::to_string(getpid());
  std::string path = dir + "/" + name;
  RemoveDatabase(path);
  std::filesystem::create_directories(dir);
  return path;
}

void BM_SqlCatalogSwap(benchmark::State& state) {
  std::string path = FreshPath("k2.db");
  auto catalog = k2::OpenSqlCatalog(path, "bench");
  if (!catalog) {
    state.SkipWithError(catalog.error().ToString().c_str());
    return;
  }
  k2::TableIdentifier t{{"ns"}, "t"};
  if (!(*catalog)->CreateNamespace({"ns"}, {}) || !(*catalog)->CreateTable(t, "v0")) {
    state.SkipWithError("setup failed");
    return;
  }
  int64_t n = 0;
  for (auto _ : state) {
    auto swapped = (*catalog)->SwapTable(t, "v" + std::to_string(n), "v" + std::to_string(n + 1));
    if (!swapped) {
      state.SkipWithError(swapped.error().ToString().c_str());
      return;
    }
    ++n;
  }
  state.counters["commits_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  catalog->reset();
  RemoveDatabase(path);
}
BENCHMARK(BM_SqlCatalogSwap)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_RawSqliteCas(benchmark::State& state) {
  std::string path = FreshPath("raw.db");
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    state.SkipWithError("cannot open raw.db");
    return;
  }
  sqlite3_busy_timeout(db, 60000);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) "
               "NOT NULL, table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT "
               "NULL, metadata_location VARCHAR(1000), previous_metadata_location "
               "VARCHAR(1000), iceberg_type VARCHAR(5), PRIMARY KEY (catalog_name, "
               "table_namespace, table_name)); INSERT INTO iceberg_tables VALUES ('bench', "
               "'ns', 't', 'v0', NULL, 'TABLE');",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "UPDATE iceberg_tables SET metadata_location = ?, "
                     "previous_metadata_location = ? WHERE catalog_name = 'bench' AND "
                     "table_namespace = 'ns' AND table_name = 't' AND metadata_location = ?",
                     -1, &stmt, nullptr);
  int64_t n = 0;
  for (auto _ : state) {
    std::string expected = "v" + std::to_string(n);
    std::string next = "v" + std::to_string(n + 1);
    sqlite3_bind_text(stmt, 1, next.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, expected.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, expected.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) != SQLITE_DONE || sqlite3_changes(db) != 1) {
      state.SkipWithError("raw CAS failed");
      break;
    }
    sqlite3_reset(stmt);
    ++n;
  }
  state.counters["commits_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  RemoveDatabase(path);
}
BENCHMARK(BM_RawSqliteCas)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
