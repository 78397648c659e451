// Compaction applies the table's sort order: DuckDB reads the output file in
// file order and the rows come back sorted by the order, every input row once,
// whether the group is sorted in memory or spills runs to disk and merges them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <random>
#include <tuple>

#include "jobs/maintenance/compaction.h"
#include "jobs/maintenance/maintenance_fixture.h"
#include "parquet/file_writer.h"

namespace k2::jobs {
namespace {

using testing::kTradesId;
using testing::MaintenanceTest;

class CompactionSortTest : public testing::CatalogKindTest<MaintenanceTest> {
 protected:
  /// Day-partitioned trades ordered by symbol (asc, nulls first), qty desc.
  Result<iceberg::Table> CreateSortedTable() {
    Schema schema = iceberg::testing::TradesSchema();
    K2_ASSIGN_OR_RETURN(iceberg::PartitionSpec spec,
                        iceberg::PartitionSpec::Make(schema, {{"ts", "day"}}));
    iceberg::CreateOptions opts;
    opts.location = dir_ / "warehouse/market/trades";
    opts.sort_order.order_id = 1;
    opts.sort_order.fields = {{iceberg::Transform::Identity(), 2, iceberg::SortDirection::kAsc,
                               iceberg::NullOrder::kNullsFirst},
                              {iceberg::Transform::Identity(), 4, iceberg::SortDirection::kDesc,
                               iceberg::NullOrder::kNullsLast}};
    return iceberg::Table::Create(*catalog_, *io_, kTradesId, schema, spec, opts);
  }

  /// (symbol, qty) of a Parquet file in file order, read by DuckDB.
  static Result<std::vector<std::pair<std::string, int64_t>>> FileRows(const std::string& path) {
    K2_ASSIGN_OR_RETURN(
        nlohmann::json rows,
        k2::testing::QueryDuckDB("SELECT symbol, qty FROM read_parquet('" + path + "')"));
    std::vector<std::pair<std::string, int64_t>> out;
    for (const auto& r : rows) {
      const auto& q = r["qty"];
      out.emplace_back(r["symbol"].get<std::string>(),
                       q.is_string() ? std::stoll(q.get<std::string>()) : q.get<int64_t>());
    }
    return out;
  }
};

TEST_P(CompactionSortTest, OutputIsSortedByTheTableSortOrder) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateSortedTable());
  const int order_id = table.metadata().DefaultSortOrder().order_id;
  ASSERT_GT(order_id, 0);
  std::mt19937_64 rng(3);
  const char* symbols[] = {"SOL", "BTC", "ETH", "ADA", "XRP"};
  std::vector<std::pair<std::string, int64_t>> input;
  for (int h = 0; h < 5; ++h) {
    std::vector<iceberg::testing::TradeRow> rows;
    for (int i = 0; i < 40; ++i) {
      const std::string sym = symbols[rng() % 5];
      const int64_t qty = static_cast<int64_t>(rng() % 1000);
      rows.push_back({fmt::format("2026-11-20T{:02d}:{:02d}:00", h, i), sym, 1.0, qty});
      input.emplace_back(sym, qty);
    }
    K2_ASSERT_OK_AND_ASSIGN(iceberg::DataFile f, iceberg::testing::WriteTrades(table, rows));
    K2_ASSERT_OK(table.NewFastAppend().AppendFile(f).Commit());
  }
  K2_ASSERT_OK_AND_ASSIGN(auto totals_before, ChdbTotals(table.metadata().location));

  CompactionOptions o;
  o.min_file_size_bytes = 1 << 20;
  o.skip_open_partitions = false;
  o.batch_rows = 16;
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport r, CompactTable(*catalog_, *io_, kTradesId, o));
  ASSERT_EQ(r.groups_committed, 1) << r.ToJson().dump();
  EXPECT_EQ(r.sort_order_id, order_id);
  EXPECT_TRUE(r.groups[0].sorted);

  K2_ASSERT_OK(table.Refresh());
  EXPECT_EQ(table.metadata().CurrentSnapshot()->summary.at("k2.compaction.sort-order-id"),
            std::to_string(order_id));
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, table.NewScan().PlanFiles());
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].file.sort_order_id, order_id);
  K2_ASSERT_OK_AND_ASSIGN(auto rows, FileRows(tasks[0].file.file_path));
  ASSERT_EQ(rows.size(), input.size());
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second > b.second;
  }));
  std::sort(input.begin(), input.end());
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, input) << "every input row exactly once";
  K2_ASSERT_OK_AND_ASSIGN(auto totals_after, ChdbTotals(table.metadata().location));
  EXPECT_EQ(totals_after, totals_before);
}

K2_MAINTENANCE_ON_CATALOG_KINDS(CompactionSortTest);

}  // namespace
}  // namespace k2::jobs

namespace k2::jobs {
namespace {

using testing::kTradesId;
using testing::MaintenanceTest;

/// A row as DuckDB reads it back: (ts µs, symbol, qty, price); nullopt = null.
using Row = std::tuple<int64_t, std::optional<std::string>, std::optional<int64_t>, double>;

/// FileIO over the local disk that refuses to create table data files: a
/// compaction fails when it opens its first output (the merge phase, after the
/// sort spilled its runs).
class NoDataOutputIO final : public FileIO {
 public:
  Result<std::unique_ptr<InputFile>> OpenInput(const std::string& path) override {
    return local_->OpenInput(path);
  }
  Result<std::unique_ptr<OutputFile>> OpenOutput(const std::string& path, bool exclusive) override {
    if (path.find("/data/") != std::string::npos) {
      return MakeError(ErrorKind::kIo, "{}: injected failure", path);
    }
    return local_->OpenOutput(path, exclusive);
  }
  Result<bool> Exists(const std::string& path) override { return local_->Exists(path); }
  Status Delete(const std::string& path) override { return local_->Delete(path); }
  Result<std::vector<FileInfo>> List(const std::string& prefix) override {
    return local_->List(prefix);
  }

 private:
  std::unique_ptr<FileIO> local_ = NewLocalFileIO();
};

/// Day-partitioned trades ordered by hour(ts) desc, symbol desc nulls first,
/// qty asc nulls last; hourly files whose rows (some with null symbol or
/// qty) are spread over the whole day, so no file is in order.
class CompactionSpillTest : public MaintenanceTest {
 protected:
  void SetUp() override {
    MaintenanceTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(Fill(kTradesId, table_, inputs_));
    std::filesystem::create_directories(spill_dir());
  }

  /// Creates table `id` and appends kFiles hourly files (the same rows for every table).
  void Fill(const TableIdentifier& id, std::optional<iceberg::Table>& table,
            std::vector<std::string>& inputs) {
    Schema schema = iceberg::testing::TradesSchema();
    K2_ASSERT_OK_AND_ASSIGN(iceberg::PartitionSpec spec,
                            iceberg::PartitionSpec::Make(schema, {{"ts", "day"}}));
    iceberg::CreateOptions opts;
    opts.location = dir_ / ("warehouse/market/" + id.name);
    opts.sort_order.order_id = 1;
    opts.sort_order.fields = {{iceberg::Transform::Hour(), 1, iceberg::SortDirection::kDesc,
                               iceberg::NullOrder::kNullsLast},
                              {iceberg::Transform::Identity(), 2, iceberg::SortDirection::kDesc,
                               iceberg::NullOrder::kNullsFirst},
                              {iceberg::Transform::Identity(), 4, iceberg::SortDirection::kAsc,
                               iceberg::NullOrder::kNullsLast}};
    K2_ASSERT_OK_AND_ASSIGN(table, iceberg::Table::Create(*catalog_, *io_, id, schema, spec, opts));
    std::mt19937_64 rng(11);
    const char* symbols[] = {"SOL", "BTC", "ETH", "ADA", "XRP"};
    auto schema_ptr = std::make_shared<const Schema>(table->schema());
    const iceberg::PartitionSpec pspec =
        table->metadata().DefaultSpec();  // a copy: commits replace the metadata
    for (int f = 0; f < kFiles; ++f) {
      ColumnBatch batch(schema_ptr);
      for (int i = 0; i < kRowsPerFile; ++i) {
        const int64_t us = 1795132800000000LL + static_cast<int64_t>(rng() % 86400) * 1000000;
        batch.columns[0].Append<int64_t>(us);
        const uint64_t s = rng() % 7;
        if (s < 5) {
          batch.columns[1].AppendBytes(symbols[s]);
        } else {
          batch.columns[1].AppendNull();
        }
        batch.columns[2].Append<double>(static_cast<double>(rng() % 1000) / 4);
        if (rng() % 9 != 0) {
          batch.columns[3].Append<int64_t>(static_cast<int64_t>(rng() % 50));
        } else {
          batch.columns[3].AppendNull();
        }
      }
      K2_ASSERT_OK_AND_ASSIGN(iceberg::PartitionValues part, pspec.PartitionFor(batch, 0));
      const std::string path = table->NewDataFilePath(pspec.PartitionPath(part));
      K2_ASSERT_OK_AND_ASSIGN(auto out, io_->OpenOutput(path));
      K2_ASSERT_OK_AND_ASSIGN(auto writer, parquet::FileWriter::Open(std::move(out), schema_ptr));
      K2_ASSERT_OK(writer->Write(batch));
      K2_ASSERT_OK_AND_ASSIGN(auto metrics, writer->Finish());
      K2_ASSERT_OK(table->NewFastAppend()
                       .AppendFile(iceberg::MakeDataFile(metrics, path, pspec.spec_id, part))
                       .Commit());
      inputs.push_back(path);
    }
  }

  std::string spill_dir() const { return dir_ / "spill"; }

  CompactionOptions Options(int64_t sort_memory_bytes) const {
    CompactionOptions o;
    o.min_file_size_bytes = 1 << 20;
    o.skip_open_partitions = false;
    o.batch_rows = 100;
    o.sort_memory_bytes = sort_memory_bytes;
    o.sort_spill_dir = spill_dir();
    return o;
  }

  bool SpillDirEmpty() const { return std::filesystem::is_empty(spill_dir()); }

  /// Rows of `files` as DuckDB reads them, in file order.
  static Result<std::vector<Row>> DuckRows(const std::vector<std::string>& files) {
    std::vector<Row> out;
    std::string list;
    for (const std::string& f : files) list += (list.empty() ? "'" : ", '") + f + "'";
    {
      K2_ASSIGN_OR_RETURN(nlohmann::json rows,
                          k2::testing::QueryDuckDB("SELECT epoch_us(ts) AS us, symbol, qty, price "
                                                   "FROM read_parquet([" +
                                                   list + "])"));
      auto num = [](const nlohmann::json& v) {
        return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>();
      };
      for (const auto& r : rows) {
        Row row{num(r["us"]), std::nullopt, std::nullopt, r["price"].get<double>()};
        if (!r["symbol"].is_null()) std::get<1>(row) = r["symbol"].get<std::string>();
        if (!r["qty"].is_null()) std::get<2>(row) = num(r["qty"]);
        out.push_back(std::move(row));
      }
    }
    return out;
  }

  /// True if `a` may come before `b` in the table's order (hour desc, symbol
  /// desc nulls first, qty asc nulls last).
  static bool InOrder(const Row& a, const Row& b) {
    const int64_t ha = std::get<0>(a) / 3600000000LL, hb = std::get<0>(b) / 3600000000LL;
    if (ha != hb) return ha > hb;
    const auto& sa = std::get<1>(a);
    const auto& sb = std::get<1>(b);
    if (sa != sb) {
      if (!sa || !sb) return !sa;
      return *sa > *sb;
    }
    const auto& qa = std::get<2>(a);
    const auto& qb = std::get<2>(b);
    if (qa == qb) return true;
    if (!qa || !qb) return !qb;
    return *qa < *qb;
  }

  /// Compacts, checks the output is one fully sorted file holding exactly the
  /// input rows and no spill file is left; returns its rows in file order.
  std::vector<Row> CompactAndCheck(const CompactionOptions& o, CompactionGroupReport& group) {
    return CompactAndCheck(kTradesId, *table_, inputs_, o, group);
  }
  std::vector<Row> CompactAndCheck(const TableIdentifier& id, iceberg::Table& table,
                                   const std::vector<std::string>& inputs,
                                   const CompactionOptions& o, CompactionGroupReport& group) {
    auto input = DuckRows(inputs);
    EXPECT_TRUE(input.has_value()) << input.error().ToString();
    auto r = CompactTable(*catalog_, *io_, id, o);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (!r || r->groups.size() != 1) return {};
    group = r->groups[0];
    EXPECT_EQ(group.status, "committed") << r->ToJson().dump();
    EXPECT_TRUE(group.sorted);
    EXPECT_TRUE(SpillDirEmpty()) << "spill files left behind";
    EXPECT_TRUE(table.Refresh().has_value());
    auto tasks = table.NewScan().PlanFiles();
    EXPECT_TRUE(tasks.has_value());
    if (!tasks || tasks->size() != 1) return {};
    auto rows = DuckRows({(*tasks)[0].file.file_path});
    EXPECT_TRUE(rows.has_value());
    if (!rows) return {};
    EXPECT_EQ(rows->size(), static_cast<size_t>(kFiles * kRowsPerFile));
    for (size_t i = 1; i < rows->size(); ++i) {
      if (!InOrder((*rows)[i - 1], (*rows)[i])) {
        ADD_FAILURE() << "rows " << i - 1 << " and " << i << " out of order";
        break;
      }
    }
    std::vector<Row> a = *rows, b = *input;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_TRUE(a == b) << "the output holds exactly the input rows";
    return *rows;
  }

  static constexpr int kFiles = 6;
  static constexpr int kRowsPerFile = 400;
  std::optional<iceberg::Table> table_;
  std::vector<std::string> inputs_;
};

TEST_F(CompactionSpillTest, AGroupOverTheBudgetSpillsRunsAndMergesThemFullySorted) {
  CompactionGroupReport spilled;
  // 4 KiB of buffered rows: every 100-row batch passes the budget, one run each.
  const std::vector<Row> merged = CompactAndCheck(Options(4 << 10), spilled);
  EXPECT_GE(spilled.sort_runs_spilled, kFiles) << "at least one run per input file";
  EXPECT_GT(spilled.sort_bytes_spilled, 0);
  ASSERT_FALSE(HasFailure());
  const nlohmann::json totals = spilled.ToJson();
  EXPECT_EQ(totals["sort_runs_spilled"], spilled.sort_runs_spilled);
  EXPECT_EQ(ChdbTotals(table_->metadata().location)->first, kFiles * kRowsPerFile);
}

TEST_F(CompactionSpillTest, AGroupWithinTheBudgetSortsInMemoryToTheSameRows) {
  // The same rows in the same order as the spilled merge (both are stable).
  CompactionGroupReport spilled;
  CompactionGroupReport in_memory;
  const std::vector<Row> merged = CompactAndCheck(Options(4 << 10), spilled);
  ASSERT_FALSE(HasFailure());
  ASSERT_GT(spilled.sort_runs_spilled, 1);
  const TableIdentifier twin{{"market"}, "twin"};
  std::optional<iceberg::Table> twin_table;
  std::vector<std::string> twin_inputs;
  ASSERT_NO_FATAL_FAILURE(Fill(twin, twin_table, twin_inputs));
  const std::vector<Row> sorted =
      CompactAndCheck(twin, *twin_table, twin_inputs, Options(64 << 20), in_memory);
  EXPECT_EQ(in_memory.sort_runs_spilled, 0);
  EXPECT_EQ(in_memory.sort_bytes_spilled, 0);
  EXPECT_TRUE(sorted == merged) << "spilled and in-memory sorts give the same sequence";
}

TEST_F(CompactionSpillTest, AFailedMergeLeavesNoSpillFilesAndNoOutputs) {
  const std::set<std::string> before = FilesOnDisk(dir_ / "warehouse");
  NoDataOutputIO failing;
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport r,
                          CompactTable(*catalog_, failing, kTradesId, Options(4 << 10)));
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].status, "failed");
  EXPECT_NE(r.groups[0].reason.find("injected failure"), std::string::npos) << r.groups[0].reason;
  EXPECT_TRUE(SpillDirEmpty()) << "spill files left behind";
  EXPECT_EQ(FilesOnDisk(dir_ / "warehouse"), before);
}

TEST_F(CompactionSpillTest, AFailedReadAfterSpillingLeavesNoSpillFiles) {
  // The last input disappears: runs of the first files are on disk by then.
  std::filesystem::remove(inputs_.back());
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport r,
                          CompactTable(*catalog_, *io_, kTradesId, Options(4 << 10)));
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].status, "failed");
  EXPECT_TRUE(SpillDirEmpty()) << "spill files left behind";
}

}  // namespace
}  // namespace k2::jobs
