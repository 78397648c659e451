// REST catalog cost: a metadata commit (one property set) and a table load,
// through k2's REST client against k2's REST server on loopback, against the
// peer measured in the same run: the same operations on the SQL catalog
// directly (k2 writes the metadata file and swaps the pointer). Same SQLite
// database settings, same local disk. Reports throughput, p50/p99 latency and
// the whole process's CPU time per operation (proc_cpu_us: client, server
// threads and SQLite; unlike wall time it does not move with the disk's fsync
// latency, which other work on a shared machine changes run to run).
//
//   build/bench/rest_catalog_bench --benchmark_counters_tabular=true
//   K2_BENCH_ITERATIONS=300 TMPDIR=/dev/shm build/bench/rest_catalog_bench ...  (no fsync)

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.h"
#include "catalog/catalog_factory.h"
#include "catalog/rest/rest_catalog.h"
#include "catalog/rest_server/rest_catalog_server.h"
#include "catalog/rest_server/rest_http_listener.h"
#include "iceberg/table.h"

namespace {

using Clock = std::chrono::steady_clock;

/// A scratch dir with a SQLite catalog and a warehouse; for "rest" also the
/// server on loopback and a client for it.
struct Setup {
  std::string dir;
  std::unique_ptr<k2::Catalog> sql;
  std::unique_ptr<k2::FileIO> io;
  std::unique_ptr<k2::rest::RestCatalogServer> server;
  std::unique_ptr<k2::rest::RestCatalogListener> listener;
  std::unique_ptr<k2::Catalog> client;

  k2::Catalog& catalog() { return client ? *client : *sql; }

  ~Setup() {
    client.reset();
    if (listener) listener->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::unique_ptr<Setup> MakeSetup(bool rest, std::string* error) {
  auto s = std::make_unique<Setup>();
  const char* tmp = std::getenv("TMPDIR");
  s->dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/k2-rest-bench-" + std::to_string(getpid()) +
           (rest ? "-rest" : "-sql");
  std::filesystem::remove_all(s->dir);
  std::filesystem::create_directories(s->dir);
  auto sql = k2::OpenSqlCatalog(s->dir + "/catalog.db", "bench");
  if (!sql) {
    *error = sql.error().ToString();
    return nullptr;
  }
  s->sql = std::move(*sql);
  s->io = k2::NewLocalFileIO();
  if (rest) {
    k2::rest::RestServerOptions options;
    options.warehouse = s->dir + "/warehouse";
    s->server = std::make_unique<k2::rest::RestCatalogServer>(*s->sql, *s->io, options);
    auto* server = s->server.get();
    s->listener = std::make_unique<k2::rest::RestCatalogListener>(
        [server](const k2::rest::RestRequest& r) { return server->Handle(r); }, 16u << 20);
    if (auto st = s->listener->Start("127.0.0.1", 0); !st) {
      *error = st.error().ToString();
      return nullptr;
    }
    k2::rest::RestCatalogOptions client;
    client.uri = "http://127.0.0.1:" + std::to_string(s->listener->port()) + "/iceberg";
    auto c = k2::rest::RestCatalog::Open(client);
    if (!c) {
      *error = c.error().ToString();
      return nullptr;
    }
    s->client = std::move(*c);
  }
  if (!s->catalog().CreateNamespace({"ns"}, {})) {
    *error = "create namespace failed";
    return nullptr;
  }
  k2::iceberg::CreateOptions create;
  create.location = s->dir + "/warehouse/ns/t";
  k2::Schema schema{{{1, "id", k2::DataType::Int64(), false, ""}}};
  auto table = k2::iceberg::Table::Create(s->catalog(), *s->io, {{"ns"}, "t"}, schema,
                                          k2::iceberg::PartitionSpec::Unpartitioned(), create);
  if (!table) {
    *error = table.error().ToString();
    return nullptr;
  }
  return s;
}

/// K2_BENCH_ITERATIONS=N runs every benchmark exactly N times: each commit
/// adds a metadata file that the next commit's directory listing reads, so
/// the two commit paths compare fairly only over the same number of commits.
void FixedIterations(benchmark::internal::Benchmark* b) {
  if (const char* n = std::getenv("K2_BENCH_ITERATIONS"); n && std::atoll(n) > 0) {
    b->Iterations(std::atoll(n));
  }
}

void Percentiles(benchmark::State& state, std::vector<double>& micros) {
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
}

/// One property commit per iteration.
void BM_Commit(benchmark::State& state, bool rest) {
  std::string error;
  auto s = MakeSetup(rest, &error);
  if (!s) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto table = k2::iceberg::Table::Load(s->catalog(), *s->io, {{"ns"}, "t"});
  if (!table) {
    state.SkipWithError(table.error().ToString().c_str());
    return;
  }
  std::vector<double> micros;
  int64_t n = 0;
  const double cpu_start = k2::bench::SelfCpuSeconds();
  for (auto _ : state) {
    auto start = Clock::now();
    auto update = table->NewUpdateProperties();
    update.Set("bench.n", std::to_string(n++));
    auto st = table->CommitUpdate(update);
    if (!st) {
      state.SkipWithError(st.error().ToString().c_str());
      return;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  state.counters["commits_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.counters["proc_cpu_us"] =
      (k2::bench::SelfCpuSeconds() - cpu_start) * 1e6 / static_cast<double>(n);
  Percentiles(state, micros);
}
BENCHMARK_CAPTURE(BM_Commit, sql_direct, false)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Apply(FixedIterations);
BENCHMARK_CAPTURE(BM_Commit, rest, true)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Apply(FixedIterations);

/// One table load (pointer + metadata) per iteration.
void BM_LoadTable(benchmark::State& state, bool rest) {
  std::string error;
  auto s = MakeSetup(rest, &error);
  if (!s) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::vector<double> micros;
  int64_t n = 0;
  const double cpu_start = k2::bench::SelfCpuSeconds();
  for (auto _ : state) {
    auto start = Clock::now();
    auto table = k2::iceberg::Table::Load(s->catalog(), *s->io, {{"ns"}, "t"});
    if (!table) {
      state.SkipWithError(table.error().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(table->metadata().table_uuid);
    ++n;
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  state.counters["loads_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.counters["proc_cpu_us"] =
      (k2::bench::SelfCpuSeconds() - cpu_start) * 1e6 / static_cast<double>(n);
  Percentiles(state, micros);
}
BENCHMARK_CAPTURE(BM_LoadTable, sql_direct, false)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Apply(FixedIterations);
BENCHMARK_CAPTURE(BM_LoadTable, rest, true)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Apply(FixedIterations);

}  // namespace

BENCHMARK_MAIN();
