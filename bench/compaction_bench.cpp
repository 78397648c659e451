// Compaction benchmark: one day of 24 hourly trade files (1M rows each by
// default) appended to an Iceberg table, then compacted by k2 (CompactTable:
// streaming read + rolling write + RewriteFiles commit) into daily files, against
// DuckDB reading the same 24 files and writing one file (SET threads=1;
// COPY ... TO ... (FORMAT parquet, COMPRESSION zstd)) in the same run.
// Each side runs in its own child process; peak RSS is the child's. Run from
// the repository root:
//   build/compaction_bench [--rows N] [--dir DIR] [--row-group-bytes B]
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

/// Runs argv (no shell) and returns wall seconds, exit code and the child's peak RSS.
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
          {"maxrss_kb", ru.ru_maxrss}};
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 1000000;
  int64_t row_group_bytes = k2::jobs::CompactionOptions{}.row_group_bytes;
  std::string dir = "/tmp/k2-compaction-bench";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--rows") == 0) rows = std::stoll(argv[++i]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[++i];
    if (std::strcmp(argv[i], "--row-group-bytes") == 0) row_group_bytes = std::stoll(argv[++i]);
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string location = dir + "/warehouse/market/trades";
  const std::string catalog_db = dir + "/catalog.json";

  // 1. 24 hourly files, appended one commit per hour (like the offloads).
  //    The memory catalog lives in one process, so the table is created,
  //    filled and compacted in the same child; generation is timed apart.
  nlohmann::json k2run = k2::bench::InChild([&]() -> nlohmann::json {
    auto io = k2::NewLocalFileIO();
    auto catalog = k2::NewMemoryCatalog("bench");
    (void)catalog->CreateNamespace({"market"}, {});
    const k2::TableIdentifier id{{"market"}, "trades"};
    auto spec = k2::iceberg::PartitionSpec::Make(TradesSchema(), {{"timestamp", "day"}});
    if (!spec) return {{"error", spec.error().ToString()}};
    k2::iceberg::CreateOptions opts;
    opts.location = location;
    auto table = k2::iceberg::Table::Create(*catalog, *io, id, TradesSchema(), *spec, opts);
    if (!table) return {{"error", table.error().ToString()}};
    auto schema = std::make_shared<const Schema>(table->schema());
    nlohmann::json files = nlohmann::json::array();
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
    // Drop what generation touched from this process's accounting as far as
    // possible: the compaction is measured by its own child below.
    const int64_t parent_rss_kb = CurrentRssKb();  // inherited by the compaction child
    nlohmann::json compact = k2::bench::InChild([&]() -> nlohmann::json {
      k2::jobs::CompactionOptions o;  // defaults: 512 MiB target, 96 MiB minimum
      o.min_file_size_bytes = 1LL << 40;
      o.skip_open_partitions = false;
      o.row_group_bytes = row_group_bytes;
      const double t0 = Now();
      auto r = k2::jobs::CompactTable(*catalog, *io, id, o);
      const double secs = Now() - t0;
      if (!r) return {{"error", r.error().ToString()}};
      return {{"seconds", secs}, {"report", r->ToJson()}};
    });
    compact["parent_rss_kb"] = parent_rss_kb;
    return {{"generate_seconds", generate_s},
            {"input_bytes", input_bytes},
            {"files", files},
            {"compact", compact}};
  });
  if (k2run.contains("error")) {
    fmt::print(stderr, "k2 failed: {}\n", k2run.dump());
    return 1;
  }
  std::string list;
  for (const auto& f : k2run["files"])
    list += (list.empty() ? "'" : ", '") + f.get<std::string>() + "'";
  const std::string duck_out = dir + "/duckdb-day.parquet";
  nlohmann::json duck = RunTimed({"node", "tools/oracle/query.mjs", "duckdb", "SET threads=1",
                                  "COPY (SELECT * FROM read_parquet([" + list + "])) TO '" +
                                      duck_out + "' (FORMAT parquet, COMPRESSION zstd)"});
  const auto& c = k2run["compact"];
  if (c.contains("error")) {
    fmt::print(stderr, "compaction failed: {}\n", c.dump());
    return 1;
  }
  const auto& rep = c["report"];
  const double k2s = c["seconds"].get<double>();
  const double dks = duck["seconds"].get<double>();
  const double total_rows = static_cast<double>(rows) * 24;
  std::error_code ec;
  const auto duck_bytes = std::filesystem::file_size(duck_out, ec);
  fmt::print("compaction_bench: 24 hourly files x {} rows ({:.1f} MB in)\n", rows,
             k2run["input_bytes"].get<int64_t>() / 1e6);
  fmt::print(
      "  {:<44} {:>8.2f} s {:>8.2f} Mrows/s  peak RSS {:>6.0f} MB  out {:.1f} MB in {} file(s)\n",
      "k2 CompactTable (read+write+commit)", k2s, total_rows / k2s / 1e6,
      c["maxrss_kb"].get<double>() / 1024, rep["bytes_after"].get<int64_t>() / 1e6,
      rep["files_after"].get<int64_t>());
  fmt::print(
      "  {:<44} {:>8.2f} s {:>8.2f} Mrows/s  peak RSS {:>6.0f} MB  out {:.1f} MB (exit {})\n",
      "DuckDB COPY zstd threads=1 (node incl.)", dks, total_rows / dks / 1e6,
      duck["maxrss_kb"].get<double>() / 1024, static_cast<double>(duck_bytes) / 1e6,
      duck["exit"].get<int>());
  fmt::print("  (k2 child inherited {:.0f} MB resident from the generating parent at fork)\n",
             c["parent_rss_kb"].get<double>() / 1024);
  fmt::print("  speed ratio k2/DuckDB: {:.2f}x   rows rewritten {}\n", dks / k2s,
             rep["rows_rewritten"].get<int64_t>());
  return 0;
}
