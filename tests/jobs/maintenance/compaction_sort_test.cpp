// Compaction applies the table's sort order: DuckDB reads the output file in
// file order and the rows come back sorted by the order, every input row once.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "jobs/maintenance/compaction.h"
#include "jobs/maintenance/maintenance_fixture.h"

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

TEST_P(CompactionSortTest, RunsAreSortedWhenTheGroupExceedsOneRun) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateSortedTable());
  std::mt19937_64 rng(5);
  for (int h = 0; h < 4; ++h) {
    std::vector<iceberg::testing::TradeRow> rows;
    for (int i = 0; i < 500; ++i) {
      rows.push_back({fmt::format("2026-11-20T{:02d}:{:02d}:00", h, i % 60), "BTC", 1.0,
                      static_cast<int64_t>(rng() % 100000)});
    }
    K2_ASSERT_OK_AND_ASSIGN(iceberg::DataFile f, iceberg::testing::WriteTrades(table, rows));
    K2_ASSERT_OK(table.NewFastAppend().AppendFile(f).Commit());
  }
  CompactionOptions o;
  o.min_file_size_bytes = 1 << 20;
  o.skip_open_partitions = false;
  o.batch_rows = 100;
  o.row_group_bytes = 16 << 10;  // runs of about 16 KiB of column data: several runs
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport r, CompactTable(*catalog_, *io_, kTradesId, o));
  ASSERT_EQ(r.groups_committed, 1) << r.ToJson().dump();
  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, table.NewScan().PlanFiles());
  ASSERT_EQ(tasks.size(), 1u);
  K2_ASSERT_OK_AND_ASSIGN(auto rows, FileRows(tasks[0].file.file_path));
  ASSERT_EQ(rows.size(), 2000u);
  // The file is a sequence of descending-qty runs: count the breaks.
  int breaks = 0;
  for (size_t i = 1; i < rows.size(); ++i) breaks += rows[i].second > rows[i - 1].second;
  EXPECT_GT(breaks, 0) << "expected several runs at this run size";
  EXPECT_LT(breaks, 40) << "runs are far longer than one input batch";
}

K2_MAINTENANCE_ON_CATALOG_KINDS(CompactionSortTest);

}  // namespace
}  // namespace k2::jobs
