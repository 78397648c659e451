// Costs that stay flat as a table ages: a year of hourly offload commits
// (8,760) to one table, each recording its window in the ledger property and
// its snapshot summary as the offload does, with the daily maintenance the
// daemon runs (manifest rewrite, expiry keeping 7 days of snapshots). At 10,
// 1,000 and 8,760 windows it reports the mean commit time of the last 10
// commits, the time to plan the next offload from the table's metadata
// (ledger read + catch-up plan: what the offload does before it asks
// ClickHouse anything), the metadata file size, this process's RSS, and the
// daemon's: `k2 serve` started on the table's catalog, asked for /api/tables
// (it loads the table's metadata and reads its stats) and /metrics, then its
// resident and peak memory (VmRSS, VmHWM) are read and it is stopped.
//
// Data files are registered, not written (one entry of 100k rows per window):
// this measures the commit path, which is what grows with age; the writing of
// a window is measured by offload_bench.
//
//   build/bench/table_age_bench [--windows 8760] [--k2 build/k2]

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_support.h"
#include "catalog/catalog_factory.h"
#include "iceberg/table.h"
#include "iceberg/update/expire_snapshots.h"
#include "io/file_io.h"
#include "jobs/maintenance/manifest_rewrite.h"
#include "jobs/offload_ledger.h"
#include "jobs/offload_plan.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kHourUs = 3600LL * 1000000;
constexpr int64_t kStartUs = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z

/// A field of /proc/<pid>/status in KiB ("VmRSS", "VmHWM"), -1 if absent.
long StatusKiB(const std::string& pid, const char* field) {
  FILE* f = std::fopen(fmt::format("/proc/{}/status", pid).c_str(), "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  const std::string pattern = fmt::format("{}: %ld", field);
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, pattern.c_str(), &kib) == 1) break;
  }
  std::fclose(f);
  return kib;
}

long RssKiB() {
  return StatusKiB("self", "VmRSS");
}

struct DaemonMemory {
  long rss_kib = -1;
  long peak_kib = -1;
};

/// Starts `k2 serve` on the bench's catalog, waits until /api/tables answers
/// with the table, scrapes /metrics, reads its memory and stops it.
DaemonMemory MeasureDaemon(const std::string& k2, const std::string& dir, int port) {
  const std::string config = dir + "/k2.yaml";
  std::ofstream(config) << fmt::format(
      "data_dir: {0}/daemon\n"
      "warm: {{kind: http, url: 'http://127.0.0.1:1'}}\n"
      "catalog: {{uri: {0}/catalog.db, name: bench}}\n"
      "warehouse: {{location: {0}/warehouse}}\n"
      "service: {{listen: '127.0.0.1:{1}'}}\n"
      "tables:\n"
      "  - {{name: aging, layer: raw, source: default.aging, time_column: ts}}\n",
      dir, port);
  std::fflush(stdout);  // the child must not flush the parent's buffer again
  pid_t pid = fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen((dir + "/daemon.log").c_str(), "w", stderr);
    execl(k2.c_str(), k2.c_str(), "--config", config.c_str(), "serve", nullptr);
    _exit(127);
  }
  DaemonMemory m;
  if (pid < 0) return m;
  const std::string api = fmt::format(
      "curl -sf -o {0}/tables.json http://127.0.0.1:{1}/api/tables && grep -q aging "
      "{0}/tables.json && curl -sf -o /dev/null http://127.0.0.1:{1}/metrics",
      dir, port);
  for (int i = 0; i < 200; ++i) {
    if (std::system(api.c_str()) == 0) {
      const std::string p = std::to_string(pid);
      m.rss_kib = StatusKiB(p, "VmRSS");
      m.peak_kib = StatusKiB(p, "VmHWM");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream listed(dir + "/tables.json");
  std::string tables((std::istreambuf_iterator<char>(listed)), std::istreambuf_iterator<char>());
  if (tables.find("\"snapshots\"") == std::string::npos) m.rss_kib = -1;  // stats not read
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  return m;
}

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

int Fail(const k2::Error& e, const char* what) {
  std::fprintf(stderr, "table_age_bench: %s: %s\n", what, e.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int windows = 8760;
  std::string k2 = "build/k2";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "table_age_bench [--windows N] [--k2 PATH]\n"
          "  Commits N hourly offload windows (default 8760) to one table with the daily\n"
          "  maintenance, and at 10, 1,000 and N windows prints: the mean wall and CPU time\n"
          "  of the last 10 commits, the next offload's planning time, the metadata file's\n"
          "  size, the snapshots kept, this process's RSS and that of `k2 serve` (PATH,\n"
          "  default build/k2) on the table.\n");
      return 0;
    }
    if (i + 1 >= argc || (arg != "--windows" && arg != "--k2")) {
      std::fprintf(stderr, "table_age_bench: unknown or incomplete argument '%s' (--help)\n",
                   arg.c_str());
      return 2;
    }
    if (arg == "--windows") windows = std::atoi(argv[++i]);
    if (arg == "--k2") k2 = argv[++i];
  }
  if (windows < 10) {
    std::fprintf(stderr, "table_age_bench: --windows must be at least 10\n");
    return 2;
  }
  if (access(k2.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "table_age_bench: no k2 binary at %s (--k2 PATH)\n", k2.c_str());
    return 2;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = fmt::format("{}/k2-table-age-{}", tmp && *tmp ? tmp : "/tmp", getpid());
  std::filesystem::create_directories(dir);

  auto catalog = k2::OpenSqlCatalog(dir + "/catalog.db", "bench");
  if (!catalog) return Fail(catalog.error(), "catalog");
  auto io = k2::NewFileIOFor(dir);
  if (!io) return Fail(io.error(), "io");
  k2::TableIdentifier id{{"market"}, "aging"};
  (void)(*catalog)->CreateNamespace({"market"}, {});
  k2::Schema schema;
  schema.fields = {{1, "ts", k2::DataType::Timestamp(), false},
                   {2, "symbol", k2::DataType::String(), false},
                   {3, "price", k2::DataType::Int64(), false}};
  k2::iceberg::CreateOptions opts;
  opts.location = dir + "/warehouse/market/aging";
  // As the offload creates its tables (jobs/offload/schema_drift.cpp).
  opts.properties = {{"write.metadata.delete-after-commit.enabled", "true"}};
  auto created = k2::iceberg::Table::Create(**catalog, **io, id, schema,
                                            k2::iceberg::PartitionSpec::Unpartitioned(), opts);
  if (!created) return Fail(created.error(), "create");
  k2::iceberg::Table table = std::move(*created);

  std::fprintf(stdout, "%8s %10s %10s %10s %16s %10s %10s %12s %12s\n", "windows", "commit_ms",
               "commit_cpu", "plan_ms", "metadata_bytes", "snapshots", "rss_kib", "daemon_rss",
               "daemon_peak");
  std::vector<double> recent, recent_cpu;
  for (int w = 0; w < windows; ++w) {
    k2::jobs::WindowRecord record;
    record.window = {kStartUs + w * kHourUs, kStartUs + (w + 1) * kHourUs};
    record.source_rows = 100000;
    record.source_checksum = std::to_string(1234567890123ULL * (w + 1));
    record.checksum_kind = "binary";
    record.run_id = "bench";
    k2::iceberg::DataFile file;
    file.file_path = fmt::format("{}/data/w{}.parquet", opts.location, w);
    file.record_count = record.source_rows;
    file.file_size_in_bytes = 2 << 20;

    auto t0 = Clock::now();
    const double cpu0 = k2::bench::SelfCpuSeconds();
    if (auto st = table.Refresh(); !st) return Fail(st.error(), "refresh");
    auto append = table.NewFastAppend();
    append.AppendFile(file);
    for (const auto& [k, v] : k2::jobs::SummaryFor("aging", record, false)) append.Set(k, v);
    append.ChangeMetadata([&append, record](const k2::iceberg::TableMetadata& latest)
                              -> k2::Result<k2::iceberg::TableMetadata> {
      K2_ASSIGN_OR_RETURN(k2::jobs::OffloadLedger ledger,
                          k2::jobs::OffloadLedger::FromMetadata(latest));
      k2::jobs::WindowRecord r = record;
      r.snapshot_id = append.snapshot_id();
      r.schema_id = latest.current_schema_id;
      ledger.Record(r);
      k2::iceberg::TableMetadata next = latest;
      next.properties[k2::jobs::kLedgerProperty] = ledger.ToProperty();
      return next;
    });
    if (auto c = append.Commit(); !c) return Fail(c.error(), "commit");
    recent.push_back(Ms(Clock::now() - t0));
    recent_cpu.push_back((k2::bench::SelfCpuSeconds() - cpu0) * 1e3);
    if (recent.size() > 10) recent.erase(recent.begin());
    if (recent_cpu.size() > 10) recent_cpu.erase(recent_cpu.begin());

    if ((w + 1) % 24 == 0) {
      // The daily maintenance: manifest rewrite, expiry keeping 7 days.
      auto mr = k2::jobs::RewriteManifests(**catalog, **io, id, k2::jobs::ManifestRewriteOptions{});
      if (!mr) return Fail(mr.error(), "manifest rewrite");
      if (auto st = table.Refresh(); !st) return Fail(st.error(), "refresh");
      k2::iceberg::ExpireSnapshots expire(&table);
      expire.ExpireOlderThan(k2::iceberg::NowMillis() + 1000);
      expire.RetainLast(7 * 24);
      if (auto r = expire.Commit(); !r) return Fail(r.error(), "expire");
    }

    int n = w + 1;
    if (n == 10 || n == 1000 || n == windows) {
      if (auto st = table.Refresh(); !st) return Fail(st.error(), "refresh");
      auto p0 = Clock::now();
      auto ledger = k2::jobs::OffloadLedger::FromMetadata(table.metadata());
      if (!ledger) return Fail(ledger.error(), "ledger");
      k2::jobs::CatchUpInput in;
      in.ledger = &*ledger;
      in.now_us = kStartUs + (w + 2) * kHourUs + 600LL * 1000000;
      auto plan = k2::jobs::PlanCatchUp(in);
      double plan_ms = Ms(Clock::now() - p0);
      if (plan.size() != 1) {
        std::fprintf(stderr, "table_age_bench: planned %zu windows, expected 1\n", plan.size());
        return 1;
      }
      std::error_code ec;
      auto bytes = std::filesystem::file_size(table.metadata_location(), ec);
      DaemonMemory daemon = MeasureDaemon(k2, dir, 20000 + getpid() % 20000);
      if (daemon.rss_kib < 0) {
        std::fprintf(stderr, "table_age_bench: k2 serve did not list the table (see %s)\n",
                     (dir + "/daemon.log").c_str());
        return 1;
      }
      std::fprintf(stdout, "%8d %10.2f %10.2f %10.3f %16ju %10zu %10ld %12ld %12ld\n", n,
                   Mean(recent), Mean(recent_cpu), plan_ms, static_cast<uintmax_t>(bytes),
                   table.metadata().snapshots.size(), RssKiB(), daemon.rss_kib, daemon.peak_kib);
      std::fflush(stdout);
    }
  }
  std::error_code ec;
  if (!std::getenv("K2_BENCH_KEEP")) std::filesystem::remove_all(dir, ec);
  return 0;
}
