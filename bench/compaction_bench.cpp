// Compaction benchmark: one day of 24 hourly trade files (1M rows each by
// default) appended to an Iceberg table whose sort order is (symbol,
// timestamp), then, in the same run, each k2 case against its DuckDB peer with
// the same threads, k2 first and DuckDB right after:
//   plain   k2 CompactTable (sort off: streaming read + rolling write +
//           RewriteFiles commit) vs DuckDB `SET threads=N; COPY (SELECT * FROM
//           read_parquet([...])) TO ... (FORMAT parquet, COMPRESSION zstd)`;
//   sorted  k2 CompactTable applying the sort order (external merge sort under
//           CompactionOptions::sort_memory_bytes) vs DuckDB `COPY (SELECT * ...
//           ORDER BY symbol, timestamp) TO ...`;
// for N = 1 and 2 (k2's encode_threads), then k2 sorted with a small sort
// budget (--small-budget-mb) to show the spill bounding memory. Each side runs
// in its own child process; peak RSS is the child's. Every output is checked:
// DuckDB reads back count and sum(price * quantity), equal to the inputs', and
// sorted outputs are read back with k2's Parquet reader and checked in order.
// Run from the repository root:
//   build/bench/compaction_bench [--rows N] [--dir DIR] [--row-group-bytes B]
//       [--sort-memory-mb M] [--small-budget-mb S] [--spill-dir D]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_support.h"
#include "catalog/memory_catalog.h"
#include "iceberg/table.h"
#include "io/file_io.h"
#include "jobs/maintenance/compaction.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"

namespace {

using k2::ColumnBatch;
using k2::DataType;
using k2::Field;
using k2::Schema;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

k2::Schema TradesSchema() {
  k2::Schema s;
  s.fields = {
      Field{1, "exchange", DataType::String(), true, ""},
      Field{2, "symbol", DataType::String(), true, ""},
      Field{3, "trade_id", DataType::Int64(), true, ""},
      Field{4, "timestamp", DataType::TimestampTz(), false, ""},
      Field{5, "price", DataType::Decimal(18, 8), true, ""},
      Field{6, "quantity", DataType::Decimal(18, 8), true, ""},
      Field{7, "side", DataType::String(), true, ""},
  };
  return s;
}

constexpr const char* kExchanges[] = {"binance", "coinbase", "kraken"};
constexpr const char* kBases[] = {"BTC",  "ETH", "SOL",  "BNB", "XRP",  "ADA",  "DOGE",
                                  "AVAX", "DOT", "LINK", "LTC", "TRX",  "ATOM", "NEAR",
                                  "APT",  "ARB", "OP",   "SUI", "PEPE", "TON"};

/// Writes hour `h` of 2026-11-20 (`rows` trades) to `path`.
k2::Result<k2::parquet::DataFileMetrics> WriteHour(k2::FileIO& io, const std::string& path,
                                                   std::shared_ptr<const Schema> schema, int h,
                                                   int64_t rows) {
  K2_ASSIGN_OR_RETURN(auto out, io.OpenOutput(path));
  K2_ASSIGN_OR_RETURN(auto writer, k2::parquet::FileWriter::Open(std::move(out), schema));
  Rng rng{static_cast<uint64_t>(h) * 7919 + 1};
  std::vector<int64_t> prices;
  for (int i = 0; i < 20; ++i)
    prices.push_back(static_cast<int64_t>(1000 + i * 4700) * 100000000LL);
  const int64_t base = 1795132800000000LL + h * 3600000000LL;  // 2026-11-20T00:00Z + h
  const int64_t step = std::max<int64_t>(1, 3600000000LL / rows);
  ColumnBatch batch(schema);
  for (int64_t row = 0; row < rows;) {
    batch.Clear();
    for (int i = 0; i < 65536 && row < rows; ++i, ++row) {
      uint64_t r = rng.Next();
      int ex = static_cast<int>(r % 10 < 6 ? 0 : r % 10 < 9 ? 1 : 2);
      auto sym = static_cast<size_t>((r >> 8) % 20);
      prices[sym] += static_cast<int64_t>((r >> 16) % 3) * 1000000 - 1000000;
      batch.columns[0].AppendBytes(kExchanges[ex]);
      batch.columns[1].AppendBytes(fmt::format("{}USDT", kBases[sym]));
      batch.columns[2].Append<int64_t>(h * 100000000LL + row);
      batch.columns[3].Append<int64_t>(base + row * step);
      batch.columns[4].Append<int64_t>(prices[sym]);
      batch.columns[5].Append<int64_t>(static_cast<int64_t>((r >> 24) % 200000 + 1) * 1000);
      batch.columns[6].AppendBytes(((r >> 44) & 1) ? "sell" : "buy");
    }
    K2_RETURN_IF_ERROR(writer->Write(batch));
  }
  return writer->Finish();
}

/// VmRSS of this process in KiB (0 if unknown).
int64_t CurrentRssKb() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  int64_t kb = 0;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::atoll(line + 6);
  }
  std::fclose(f);
  return kb;
}

/// Runs argv (no shell) and returns wall seconds, exit code, the child's peak
/// RSS and CPU seconds (user + system).
nlohmann::json RunTimed(const std::vector<std::string>& argv) {
  const double t0 = Now();
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 1);
    execvp(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  return {{"seconds", Now() - t0},
          {"exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1},
          {"maxrss_kb", ru.ru_maxrss},
          {"cpu_seconds", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                              ru.ru_stime.tv_usec / 1e6}};
}

/// 'a', 'b', ... for read_parquet([...]).
std::string SqlList(const std::vector<std::string>& files) {
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "'" : ", '") + f + "'";
  return list;
}

/// DuckDB's "count<TAB>sum(price * quantity)" of `files`; its output as is on failure.
std::string DuckTotals(const std::vector<std::string>& files) {
  k2::bench::ChildRun r = k2::bench::RunChild(
      {"node", "tools/oracle/query.mjs", "duckdb",
       "SELECT count(*)::VARCHAR AS n, sum(price::DECIMAL(38, 8) * quantity)::VARCHAR AS s "
       "FROM read_parquet([" +
           SqlList(files) + "])"});
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  if (j.is_discarded() || j.size() != 1 || j[0].size() != 1) return r.output;
  return j[0][0]["n"].get<std::string>() + "\t" + j[0][0]["s"].get<std::string>();
}

/// Reads each file with k2's reader and checks its rows are in (symbol,
/// timestamp) order; returns the rows read. kCorrupt names the first row out of order.
k2::Result<int64_t> CheckSorted(const std::vector<std::string>& files) {
  auto io = k2::NewLocalFileIO();
  int64_t rows = 0;
  for (const std::string& f : files) {
    K2_ASSIGN_OR_RETURN(auto in, io->OpenInput(f));
    K2_ASSIGN_OR_RETURN(auto reader, k2::parquet::FileReader::Open(std::move(in)));
    auto sym = reader->schema().IndexOf("symbol");
    auto ts = reader->schema().IndexOf("timestamp");
    if (!sym || !ts)
      return k2::MakeError(k2::ErrorKind::kInvalidInput, "{}: no symbol/timestamp", f);
    k2::parquet::ReadOptions ro;
    ro.columns = {static_cast<int>(*sym), static_cast<int>(*ts)};
    K2_ASSIGN_OR_RETURN(auto batches, reader->Read(ro));
    std::string prev_sym;
    int64_t prev_ts = 0;
    int64_t file_row = 0;
    for (;;) {
      K2_ASSIGN_OR_RETURN(const ColumnBatch* b, batches->Next());
      if (b == nullptr) break;
      for (size_t r = 0; r < b->num_rows(); ++r, ++file_row) {
        const std::string_view s = b->columns[0].Bytes(r);
        const int64_t t = b->columns[1].Value<int64_t>(r);
        if (file_row > 0 && (s < prev_sym || (s == prev_sym && t < prev_ts))) {
          return k2::MakeError(k2::ErrorKind::kCorrupt,
                               "{}: row {} is out of (symbol, timestamp) order", f, file_row);
        }
        prev_sym.assign(s);
        prev_ts = t;
      }
    }
    rows += file_row;
  }
  return rows;
}

/// One k2 case: compaction options and what the peer runs.
struct Case {
  std::string name;
  bool sorted = false;
  int threads = 1;
  int64_t sort_memory_bytes = 0;  ///< 0: CompactionOptions' default
  bool peer = true;               ///< runs DuckDB with the same threads after k2
};

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 1000000;
  int64_t row_group_bytes = k2::jobs::CompactionOptions{}.row_group_bytes;
  int64_t sort_memory_bytes = k2::jobs::CompactionOptions{}.sort_memory_bytes;
  int64_t small_budget_bytes = 32LL << 20;
  std::string dir = "/tmp/k2-compaction-bench";
  std::string spill_dir;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--rows") == 0) rows = std::stoll(argv[++i]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[++i];
    if (std::strcmp(argv[i], "--row-group-bytes") == 0) row_group_bytes = std::stoll(argv[++i]);
    if (std::strcmp(argv[i], "--sort-memory-mb") == 0)
      sort_memory_bytes = std::stoll(argv[++i]) << 20;
    if (std::strcmp(argv[i], "--small-budget-mb") == 0)
      small_budget_bytes = std::stoll(argv[++i]) << 20;
    if (std::strcmp(argv[i], "--spill-dir") == 0) spill_dir = argv[++i];
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string location = dir + "/warehouse/market/trades";
  const std::vector<Case> cases = {
      {"plain", false, 1, 0, true},
      {"plain", false, 2, 0, true},
      {"sorted", true, 1, 0, true},
      {"sorted", true, 2, 0, true},
      {fmt::format("sorted, {} MiB budget", small_budget_bytes >> 20), true, 2, small_budget_bytes,
       false},
  };

  // 24 hourly files, appended one commit per hour (like the offloads). The
  // memory catalog lives in one process, so the table is created and filled
  // in one child and each compaction runs in a grandchild forked from it
  // (each starts from the same 24-file table); generation is timed apart.
  nlohmann::json run = k2::bench::InChild([&]() -> nlohmann::json {
    auto io = k2::NewLocalFileIO();
    auto catalog = k2::NewMemoryCatalog("bench");
    (void)catalog->CreateNamespace({"market"}, {});
    const k2::TableIdentifier id{{"market"}, "trades"};
    auto spec = k2::iceberg::PartitionSpec::Make(TradesSchema(), {{"timestamp", "day"}});
    if (!spec) return {{"error", spec.error().ToString()}};
    k2::iceberg::CreateOptions opts;
    opts.location = location;
    opts.sort_order.order_id = 1;
    opts.sort_order.fields = {
        {k2::iceberg::Transform::Identity(), 2, k2::iceberg::SortDirection::kAsc,
         k2::iceberg::NullOrder::kNullsLast},
        {k2::iceberg::Transform::Identity(), 4, k2::iceberg::SortDirection::kAsc,
         k2::iceberg::NullOrder::kNullsLast}};
    auto table = k2::iceberg::Table::Create(*catalog, *io, id, TradesSchema(), *spec, opts);
    if (!table) return {{"error", table.error().ToString()}};
    auto schema = std::make_shared<const Schema>(table->schema());
    std::vector<std::string> files;
    int64_t input_bytes = 0;
    const double g0 = Now();
    for (int h = 0; h < 24; ++h) {
      const std::string path = fmt::format("{}/hour-{:02d}.parquet", dir, h);
      auto m = WriteHour(*io, path, schema, h, rows);
      if (!m) return {{"error", m.error().ToString()}};
      // Iceberg files live under the table: link the same bytes there.
      const std::string data =
          location + fmt::format("/data/timestamp_day=2026-11-20/hour-{:02d}.parquet", h);
      std::filesystem::create_directories(std::filesystem::path(data).parent_path());
      std::filesystem::create_hard_link(path, data);
      k2::iceberg::PartitionValues part;
      k2::Value v;
      v.type = DataType::Date();
      v.data = static_cast<int32_t>(20777);  // 2026-11-20
      part.push_back(v);
      auto st = table->NewFastAppend()
                    .AppendFile(k2::iceberg::MakeDataFile(*m, data, spec->spec_id, part))
                    .Commit();
      if (!st) return {{"error", st.error().ToString()}};
      files.push_back(path);
      input_bytes += m->file_size_in_bytes;
    }
    const double generate_s = Now() - g0;
    const int64_t parent_rss_kb = CurrentRssKb();  // inherited by each compaction child
    nlohmann::json results = nlohmann::json::array();
    for (size_t c = 0; c < cases.size(); ++c) {
      const Case& k = cases[c];
      nlohmann::json k2side = k2::bench::InChild([&]() -> nlohmann::json {
        k2::jobs::CompactionOptions o;  // defaults: 512 MiB target, 96 MiB minimum
        o.min_file_size_bytes = 1LL << 40;
        o.skip_open_partitions = false;
        o.row_group_bytes = row_group_bytes;
        o.encode_threads = k.threads;
        o.sort = k.sorted;
        o.sort_memory_bytes = k.sort_memory_bytes > 0 ? k.sort_memory_bytes : sort_memory_bytes;
        o.sort_spill_dir = spill_dir;
        const double t0 = Now();
        auto r = k2::jobs::CompactTable(*catalog, *io, id, o);
        const double secs = Now() - t0;
        if (!r) return {{"error", r.error().ToString()}};
        auto t = k2::iceberg::Table::Load(*catalog, *io, id);
        if (!t) return {{"error", t.error().ToString()}};
        auto tasks = t->NewScan().PlanFiles();
        if (!tasks) return {{"error", tasks.error().ToString()}};
        std::vector<std::string> out;
        for (const auto& task : *tasks) out.push_back(task.file.file_path);
        return {{"seconds", secs}, {"report", r->ToJson()}, {"files", out}};
      });
      nlohmann::json duck;
      if (k.peer) {
        const std::string duck_out =
            fmt::format("{}/duckdb-{}-{}t.parquet", dir, k.name, k.threads);
        const std::string select = "SELECT * FROM read_parquet([" + SqlList(files) + "])" +
                                   (k.sorted ? " ORDER BY symbol, timestamp" : "");
        duck = RunTimed(
            {"node", "tools/oracle/query.mjs", "duckdb", fmt::format("SET threads={}", k.threads),
             "COPY (" + select + ") TO '" + duck_out + "' (FORMAT parquet, COMPRESSION zstd)"});
        std::error_code ec;
        duck["bytes"] = std::filesystem::file_size(duck_out, ec);
        duck["files"] = std::vector<std::string>{duck_out};
      }
      results.push_back({{"k2", k2side}, {"duckdb", duck}});
    }
    return {{"generate_seconds", generate_s},
            {"input_bytes", input_bytes},
            {"files", files},
            {"parent_rss_kb", parent_rss_kb},
            {"results", results}};
  });
  if (run.contains("error")) {
    fmt::print(stderr, "k2 failed: {}\n", run.dump());
    return 1;
  }
  const std::vector<std::string> inputs = run["files"].get<std::vector<std::string>>();
  const double total_rows = static_cast<double>(rows) * 24;
  fmt::print("compaction_bench: 24 hourly files x {} rows ({:.1f} MB in), sort budget {} MiB\n",
             rows, run["input_bytes"].get<int64_t>() / 1e6, sort_memory_bytes >> 20);
  fmt::print("  (each k2 child inherited {:.0f} MB resident from the generating parent at fork)\n",
             run["parent_rss_kb"].get<double>() / 1024);
  const std::string want = DuckTotals(inputs);
  fmt::print("  inputs, DuckDB count and sum(price*quantity): {}\n", want);
  bool ok = true;
  // Checks one side's outputs: DuckDB totals equal the inputs', sorted ones in order.
  auto check = [&](const nlohmann::json& side, bool sorted) -> std::string {
    const auto out = side["files"].get<std::vector<std::string>>();
    const std::string got = DuckTotals(out);
    std::string verdict = got == want ? "totals ok" : "TOTALS DIFFER: " + got;
    if (got != want) ok = false;
    if (sorted) {
      auto n = CheckSorted(out);
      verdict += n ? fmt::format(", sorted ({} rows)", *n) : ", " + n.error().ToString();
      if (!n) ok = false;
    }
    return verdict;
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    const Case& k = cases[c];
    const auto& res = run["results"][c];
    const auto& ks = res["k2"];
    if (ks.contains("error")) {
      fmt::print(stderr, "compaction failed: {}\n", ks.dump());
      return 1;
    }
    const auto& g = ks["report"]["groups"][0];
    const double k2s = ks["seconds"].get<double>();
    const std::string spill =
        k.sorted ? fmt::format(", {} runs spilled ({:.0f} MB)", g["sort_runs_spilled"].get<int>(),
                               g["sort_bytes_spilled"].get<double>() / 1e6)
                 : "";
    fmt::print(
        "  {:<10} {} thread(s)  k2     {:>7.2f} s (CPU {:>6.2f} s) {:>6.2f} Mrows/s  peak RSS "
        "{:>5.0f} MB  out {:.1f} MB in {} file(s){}; {}\n",
        k.name, k.threads, k2s, ks["cpu_seconds"].get<double>(), total_rows / k2s / 1e6,
        ks["maxrss_kb"].get<double>() / 1024, g["bytes_after"].get<int64_t>() / 1e6,
        g["files_after"].get<int64_t>(), spill, check(ks, k.sorted));
    if (!k.peer) continue;
    const auto& ds = res["duckdb"];
    const double dks = ds["seconds"].get<double>();
    fmt::print(
        "  {:<10} {} thread(s)  DuckDB {:>7.2f} s (CPU {:>6.2f} s) {:>6.2f} Mrows/s  peak RSS "
        "{:>5.0f} MB  out {:.1f} MB (exit {}); {}\n",
        k.name, k.threads, dks, ds["cpu_seconds"].get<double>(), total_rows / dks / 1e6,
        ds["maxrss_kb"].get<double>() / 1024, ds["bytes"].get<double>() / 1e6,
        ds["exit"].get<int>(), check(ds, k.sorted));
    fmt::print("  {:<10} {} thread(s)  speed ratio k2/DuckDB: {:.2f}x (by CPU {:.2f}x)\n", k.name,
               k.threads, dks / k2s,
               ds["cpu_seconds"].get<double>() / ks["cpu_seconds"].get<double>());
  }
  if (!ok) fmt::print(stderr, "compaction_bench: a check failed\n");
  return ok ? 0 : 1;
}
