// Parquet writer/reader benchmark: one deterministic hour of trades (10M rows
// by default) written by k2, by DuckDB (COPY ... (FORMAT parquet, COMPRESSION
// zstd), threads=1) and by chDB (INSERT INTO FUNCTION file(..., 'Parquet')),
// in the same run; then every file read back (count + sum(price*quantity)) by
// k2, DuckDB and chDB. Run from the repository root:
//   build/parquet_bench [--rows N] [--dir DIR]
// Peers run through node bench/scripts/parquet_peer.mjs (tools/oracle modules).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_support.h"
#include "columnar/value.h"
#include "io/file_io.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"

namespace {

using k2::Column;
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

std::shared_ptr<const Schema> TradesSchema() {
  auto s = std::make_shared<Schema>();
  s->fields = {
      Field{1, "exchange", DataType::String(), true, ""},
      Field{2, "symbol", DataType::String(), true, ""},
      Field{3, "trade_id", DataType::Int64(), true, ""},
      Field{4, "timestamp", DataType::TimestampTz(), true, ""},
      Field{5, "price", DataType::Decimal(18, 8), true, ""},
      Field{6, "quantity", DataType::Decimal(18, 8), true, ""},
      Field{7, "side", DataType::String(), true, ""},
      Field{8, "is_buyer_maker", DataType::Boolean(), true, ""},
      Field{9, "ingested_at", DataType::TimestampTz(), true, ""},
  };
  return s;
}

/// Deterministic trades: 3 exchanges, 20 symbols with random-walk prices,
/// timestamps increasing through 2026-11-24T10:00Z..11:00Z.
class TradeGenerator {
 public:
  explicit TradeGenerator(int64_t rows) : rows_(rows) {
    for (int i = 0; i < 20; ++i) {
      symbols_.push_back(fmt::format("{}USDT", kBases[i]));
      prices_.push_back(static_cast<int64_t>(1000 + i * 4700) * 100000000LL);
    }
  }

  /// Fills `batch` with up to `n` rows; false when done.
  bool Next(ColumnBatch& batch, size_t n) {
    batch.Clear();
    if (row_ >= rows_) return false;
    n = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(n), rows_ - row_));
    const int64_t hour = 1795514400000000LL;  // 2026-11-24T10:00:00Z in micros
    const int64_t step = 3600000000LL / rows_;
    for (size_t i = 0; i < n; ++i, ++row_) {
      uint64_t r = rng_.Next();
      int ex = static_cast<int>(r % 10 < 6 ? 0 : r % 10 < 9 ? 1 : 2);
      auto sym = static_cast<size_t>((r >> 8) % 20);
      int64_t& px = prices_[sym];
      px += static_cast<int64_t>((r >> 16) % 3) * 1000000 - 1000000;  // +-0.01
      int64_t qty = static_cast<int64_t>((r >> 24) % 200000 + 1) * 1000;
      bool sell = ((r >> 44) & 1) != 0;
      int64_t ts =
          hour + row_ * step +
          static_cast<int64_t>((r >> 45) % static_cast<uint64_t>(std::max<int64_t>(step, 1)));
      batch.columns[0].AppendBytes(kExchanges[ex]);
      batch.columns[1].AppendBytes(symbols_[sym]);
      batch.columns[2].Append<int64_t>(7000000000LL + row_);
      batch.columns[3].Append<int64_t>(ts);
      batch.columns[4].Append<int64_t>(px);
      batch.columns[5].Append<int64_t>(qty);
      batch.columns[6].AppendBytes(sell ? "sell" : "buy");
      batch.columns[7].Append<uint8_t>(sell ? 1 : 0);
      batch.columns[8].Append<int64_t>(ts + 1000 + static_cast<int64_t>((r >> 52) % 49000));
    }
    return true;
  }

 private:
  static constexpr const char* kExchanges[] = {"binance", "coinbase", "kraken"};
  static constexpr const char* kBases[] = {"BTC",  "ETH", "SOL",  "BNB", "XRP",  "ADA",  "DOGE",
                                           "AVAX", "DOT", "LINK", "LTC", "TRX",  "ATOM", "NEAR",
                                           "APT",  "ARB", "OP",   "SUI", "PEPE", "TON"};
  int64_t rows_;
  int64_t row_ = 0;
  Rng rng_{42};
  std::vector<std::string> symbols_;
  std::vector<int64_t> prices_;
};

constexpr size_t kBatchRows = 65536;

nlohmann::json RunNode(const std::string& args) {
  std::string cmd = "node bench/scripts/parquet_peer.mjs " + args;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {{"error", "popen"}};
  std::string out;
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof(tmp), p)) > 0) out.append(tmp, n);
  int rc = pclose(p);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (rc != 0 || j.is_discarded()) return {{"error", "peer failed: " + cmd}};
  return j;
}

nlohmann::json K2Read(const std::string& path) {
  auto io = k2::NewLocalFileIO();
  double t0 = Now();
  auto in = io->OpenInput(path);
  if (!in) return {{"error", in.error().ToString()}};
  auto reader = k2::parquet::FileReader::Open(std::move(*in));
  if (!reader) return {{"error", reader.error().ToString()}};
  auto price = (*reader)->schema().IndexOf("price");
  auto qty = (*reader)->schema().IndexOf("quantity");
  if (!price || !qty) return {{"error", "no price/quantity"}};
  k2::parquet::ReadOptions ro;
  ro.columns = {static_cast<int>(*price), static_cast<int>(*qty)};
  auto batches = (*reader)->Read(ro);
  if (!batches) return {{"error", batches.error().ToString()}};
  int64_t rows = 0;
  k2::int128_t sum = 0;
  int scale =
      (*reader)->schema().fields[*price].type.scale + (*reader)->schema().fields[*qty].type.scale;
  while (true) {
    auto b = (*batches)->Next();
    if (!b) return {{"error", b.error().ToString()}};
    if (*b == nullptr) break;
    const ColumnBatch& batch = **b;
    rows += static_cast<int64_t>(batch.num_rows());
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      if (batch.columns[0].IsValid(r) && batch.columns[1].IsValid(r)) {
        sum += batch.columns[0].DecimalValue(r) * batch.columns[1].DecimalValue(r);
      }
    }
  }
  return {{"seconds", Now() - t0},
          {"rows", std::to_string(rows)},
          {"notional", k2::FormatDecimal(sum, scale)}};
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 10000000;
  std::string dir = "/tmp/k2-parquet-bench";
  int64_t row_group_bytes = 32 << 20;
  bool k2_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--k2-only") {
      k2_only = true;
    } else if (a == "--rows" && has_value) {
      rows = std::stoll(argv[++i]);
    } else if (a == "--dir" && has_value) {
      dir = argv[++i];
    } else if (a == "--row-group-bytes" && has_value) {
      row_group_bytes = std::stoll(argv[++i]);
    } else {
      fmt::print(stderr,
                 "usage: parquet_bench [--rows N] [--dir DIR] [--row-group-bytes B] [--k2-only]\n");
      return 2;
    }
  }
  std::filesystem::create_directories(dir);
  std::string k2_path = dir + "/k2.parquet", duck_path = dir + "/duckdb.parquet",
              chdb_path = dir + "/chdb.parquet";
  for (const auto& p : {k2_path, duck_path, chdb_path}) std::filesystem::remove(p);
  auto schema = TradesSchema();

  nlohmann::json gen = k2::bench::InChild([&] {
    TradeGenerator g(rows);
    ColumnBatch batch(schema);
    double t0 = Now();
    size_t total = 0;
    while (g.Next(batch, kBatchRows)) total += batch.num_rows();
    return nlohmann::json{{"seconds", Now() - t0}, {"rows", total}};
  });
  nlohmann::json k2w = k2::bench::InChild([&] {
    auto io = k2::NewLocalFileIO();
    auto out = io->OpenOutput(k2_path, false);
    k2::parquet::WriterOptions o;
    o.row_group_bytes = row_group_bytes;
    auto w = k2::parquet::FileWriter::Open(std::move(*out), schema, o);
    if (!w) return nlohmann::json{{"error", w.error().ToString()}};
    TradeGenerator g(rows);
    ColumnBatch batch(schema);
    double t0 = Now();
    while (g.Next(batch, kBatchRows)) {
      if (auto st = (*w)->Write(batch); !st)
        return nlohmann::json{{"error", st.error().ToString()}};
    }
    auto m = (*w)->Finish();
    if (!m) return nlohmann::json{{"error", m.error().ToString()}};
    return nlohmann::json{{"total_seconds", Now() - t0}, {"row_groups", m->split_offsets.size()}};
  });
  if (k2w.contains("error")) {
    fmt::print(stderr, "k2 write failed: {}\n", k2w.dump());
    return 1;
  }
  k2w["seconds"] = k2w["total_seconds"].get<double>() - gen["seconds"].get<double>();
  if (k2_only) {
    fmt::print("k2: {:.2f} s, {} row groups, peak RSS {:.1f} MB (generator alone {:.1f} MB)\n",
               k2w["seconds"].get<double>(), k2w["row_groups"].dump(),
               k2w["maxrss_kb"].get<double>() / 1024, gen["maxrss_kb"].get<double>() / 1024);
    return 0;
  }
  nlohmann::json duckw = RunNode("duckdb-write " + k2_path + " " + duck_path);
  nlohmann::json chw = RunNode("chdb-write " + k2_path + " " + chdb_path);

  auto size = [](const std::string& p) {
    std::error_code ec;
    auto s = std::filesystem::file_size(p, ec);
    return ec ? 0.0 : static_cast<double>(s);
  };
  double raw_mb = 0;  // logical bytes per row: 3 strings (avg) + 5 x 8 + 1
  raw_mb = static_cast<double>(rows) * (8.0 + 8.0 + 4.0 + 5 * 8.0 + 1.0) / 1e6;

  fmt::print("## Parquet writer: {} rows of trades (generation alone {:.2f} s, excluded)\n\n", rows,
             gen["seconds"].get<double>());
  fmt::print(
      "| writer | seconds | rows/s | MB/s (logical) | file MB | size vs DuckDB | peak RSS MB |\n");
  fmt::print("|---|---|---|---|---|---|---|\n");
  double duck_size = size(duck_path);
  auto row = [&](const std::string& name, const nlohmann::json& j, const std::string& path,
                 const std::string& rss_note) {
    if (j.contains("error")) {
      fmt::print("| {} | error: {} |||||\n", name, j["error"].get<std::string>());
      return;
    }
    double s = j["seconds"].get<double>();
    fmt::print("| {} | {:.2f} | {:.2f} M | {:.1f} | {:.2f} | {:+.1f}% | {:.1f}{} |\n", name, s,
               static_cast<double>(rows) / s / 1e6, raw_mb / s, size(path) / 1e6,
               duck_size > 0 ? (size(path) / duck_size - 1) * 100 : 0.0,
               j["maxrss_kb"].get<double>() / 1024, rss_note);
  };
  row("k2 (zstd 3, 1 thread)", k2w, k2_path, "");
  row("DuckDB COPY (zstd, threads=1)", duckw, duck_path, " (node + in-memory table)");
  row("chDB INSERT INTO FUNCTION file", chw, chdb_path, " (node + chDB)");
  if (gen.contains("maxrss_kb")) {
    fmt::print("\nGenerator-only child peak RSS: {:.1f} MB (part of the k2 figure).\n",
               gen["maxrss_kb"].get<double>() / 1024);
  }

  fmt::print("\n## Read back: count(*), sum(price * quantity)\n\n");
  fmt::print("| reader | file | seconds | rows | notional |\n|---|---|---|---|---|\n");
  for (const auto& [fname, path] : std::vector<std::pair<std::string, std::string>>{
           {"k2", k2_path}, {"duckdb", duck_path}, {"chdb", chdb_path}}) {
    std::vector<std::pair<std::string, nlohmann::json>> reads = {
        {"k2", K2Read(path)},
        {"DuckDB", RunNode("duckdb-read " + path)},
        {"chDB", RunNode("chdb-read " + path)}};
    for (const auto& [reader, j] : reads) {
      if (j.contains("error")) {
        fmt::print("| {} | {} | error: {} | | |\n", reader, fname, j["error"].dump());
        continue;
      }
      fmt::print("| {} | {} | {:.2f} | {} | {} |\n", reader, fname, j["seconds"].get<double>(),
                 j["rows"].get<std::string>(), j["notional"].get<std::string>());
    }
  }
  return 0;
}
