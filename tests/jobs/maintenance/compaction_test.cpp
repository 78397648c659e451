#include "jobs/maintenance/compaction.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "jobs/maintenance/maintenance_fixture.h"

namespace k2::jobs {
namespace {

using testing::kTradesId;
using testing::MaintenanceTest;

class CompactionTest : public testing::CatalogKindTest<MaintenanceTest> {
 protected:
  static CompactionOptions SmallFiles() {
    CompactionOptions o;
    o.min_file_size_bytes = 1 << 20;
    o.target_file_size_bytes = 16 << 20;
    o.batch_rows = 7;  // several batches per file
    return o;
  }
  /// Live data files per partition path.
  static Result<std::map<std::string, int>> FilesPerDay(const iceberg::Table& table) {
    K2_ASSIGN_OR_RETURN(auto tasks, table.NewScan().PlanFiles());
    std::map<std::string, int> out;
    for (const auto& t : tasks) {
      out[table.metadata().DefaultSpec().PartitionPath(t.file.partition)]++;
    }
    return out;
  }
};

TEST_P(CompactionTest, MergesClosedDaysSkipsTheOpenDayAndKeepsEveryRow) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  for (int h = 0; h < 6; ++h) K2_ASSERT_OK(AppendHour(table, 20, h, 25, h * 1000));
  for (int h = 0; h < 3; ++h) K2_ASSERT_OK(AppendHour(table, 21, h, 25, 100000 + h * 1000));
  const int64_t before_id = table.metadata().CurrentSnapshot()->snapshot_id;
  const std::string loc = table.metadata().location;
  K2_ASSERT_OK_AND_ASSIGN(auto totals, ChdbTotals(loc));

  CompactionOptions o = SmallFiles();
  K2_ASSERT_OK_AND_ASSIGN(const int64_t now_us, ParseTimestampMicros("2026-11-21T03:30:00"));
  o.now_ms = now_us / 1000;  // 2026-11-21 is the open day

  o.dry_run = true;
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport dry, CompactTable(*catalog_, *io_, kTradesId, o));
  EXPECT_EQ(dry.groups_committed, 0);
  K2_ASSERT_OK(table.Refresh());
  EXPECT_EQ(table.metadata().CurrentSnapshot()->snapshot_id, before_id);

  o.dry_run = false;
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport r, CompactTable(*catalog_, *io_, kTradesId, o));
  EXPECT_EQ(r.groups_committed, 1) << r.ToJson().dump();
  EXPECT_EQ(r.groups_skipped, 1);
  EXPECT_EQ(r.files_before, 6);
  EXPECT_EQ(r.files_after, 1);
  EXPECT_EQ(r.rows_rewritten, 150);
  EXPECT_GT(r.bytes_after, 0);
  EXPECT_LT(r.bytes_after, r.bytes_before);

  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK_AND_ASSIGN(auto per_day, FilesPerDay(table));
  EXPECT_EQ(per_day["ts_day=2026-11-20"], 1);
  EXPECT_EQ(per_day["ts_day=2026-11-21"], 3);
  const iceberg::Snapshot* head = table.metadata().CurrentSnapshot();
  EXPECT_EQ(head->operation, "replace");
  EXPECT_EQ(head->summary.at("k2.maintenance"), "compaction");
  EXPECT_EQ(head->summary.at("deleted-data-files"), "6");
  EXPECT_EQ(head->summary.at("total-records"), "225");

  K2_ASSERT_OK_AND_ASSIGN(auto after, ChdbTotals(loc));
  EXPECT_EQ(after, totals);
  K2_ASSERT_OK_AND_ASSIGN(auto travel, ChdbTotals(loc, before_id));
  EXPECT_EQ(travel, totals);
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows,
      iceberg::testing::QueryChdbAt(dir_.path(),
                                    "SELECT count() AS c, uniqExact(qty) AS u, min(ts) AS lo FROM "
                                    "icebergLocal('" +
                                        loc + "') WHERE ts < '2026-11-21 00:00:00'"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["c"], "150");
  EXPECT_EQ(rows[0]["u"], "150");

  // Nothing left: a second run commits nothing.
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport again, CompactTable(*catalog_, *io_, kTradesId, o));
  EXPECT_EQ(again.groups_committed, 0);
}

TEST_P(CompactionTest, TargetSizeRollsOutputsAndMinInputsIsHonoured) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  K2_ASSERT_OK(AppendHour(table, 20, 0, 10, 0));
  CompactionOptions o = SmallFiles();
  o.skip_open_partitions = false;
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport one, CompactTable(*catalog_, *io_, kTradesId, o));
  EXPECT_EQ(one.groups_committed, 0) << "a single file is under min_input_files";
  for (int h = 1; h < 8; ++h) K2_ASSERT_OK(AppendHour(table, 20, h, 10, h * 100));
  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, table.NewScan().PlanFiles());
  // Target of about three input files: the day becomes several groups.
  o.target_file_size_bytes = tasks[0].file.file_size_in_bytes * 3;
  K2_ASSERT_OK_AND_ASSIGN(auto totals, ChdbTotals(table.metadata().location));
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport r, CompactTable(*catalog_, *io_, kTradesId, o));
  EXPECT_GE(r.groups_committed, 2) << r.ToJson().dump();
  EXPECT_EQ(r.rows_rewritten, 80);
  K2_ASSERT_OK_AND_ASSIGN(auto after, ChdbTotals(table.metadata().location));
  EXPECT_EQ(after, totals);
}

// Compaction runs while an offload-like writer appends hours and re-offloads
// whole days (replace partitions), 50 rounds: no row lost or duplicated.
TEST_P(CompactionTest, ConcurrentAppendsAndReOffloadsNeverLoseOrDuplicateRows) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  K2_ASSERT_OK(AppendHour(table, 20, 0, 4, 0));
  std::atomic<bool> done{false};
  std::atomic<int> committed_groups{0};
  std::atomic<int> compaction_errors{0};
  std::thread compactor([&] {
    CompactionOptions o = SmallFiles();
    o.skip_open_partitions = false;
    o.max_attempts = 2;
    while (!done.load()) {
      auto r = CompactTable(*catalog_, *io_, kTradesId, o);
      if (!r) {
        ++compaction_errors;
      } else {
        committed_groups += r->groups_committed;
      }
    }
  });

  // Expected content per day: (rows, sum of qty); qty values are unique.
  std::map<int, std::pair<int64_t, int64_t>> expected;
  expected[20] = {4, 0 + 1 + 2 + 3};
  int64_t next_qty = 1000;
  std::mt19937_64 rng(7);
  Status writer_status = OkStatus();
  // 50 rounds, then (a loaded machine: the compactor lost every race) more,
  // slower, until a compaction committed beside the writer, at most 500.
  for (int round = 0;
       writer_status && (round < 50 || (committed_groups.load() == 0 && round < 500)); ++round) {
    if (round >= 50) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int day = 20 + static_cast<int>(rng() % 3);
    const int n = 3 + static_cast<int>(rng() % 4);
    int64_t sum = 0;
    for (int i = 0; i < n; ++i) sum += next_qty + i;
    if (rng() % 4 != 0) {
      auto s = AppendHour(table, day, round % 24, n, next_qty);
      if (!s) writer_status = std::unexpected(s.error());
      expected[day].first += n;
      expected[day].second += sum;
    } else {
      // Re-offload the day: its whole content is replaced by one new file.
      std::vector<iceberg::testing::TradeRow> rows;
      for (int i = 0; i < n; ++i) {
        rows.push_back(
            {fmt::format("2026-11-{:02d}T05:{:02d}:00", day, i), "BTC", 1.0, next_qty + i});
      }
      auto f = iceberg::testing::WriteTrades(table, rows);
      if (!f) {
        writer_status = std::unexpected(f.error());
        break;
      }
      auto s = table.NewReplacePartitions().AddFile(*f).Commit();
      if (!s) writer_status = std::unexpected(s.error());
      expected[day] = {n, sum};
    }
    next_qty += n;
  }
  done = true;
  compactor.join();
  K2_ASSERT_OK(writer_status);
  EXPECT_EQ(compaction_errors.load(), 0);
  EXPECT_GT(committed_groups.load(), 0) << "compaction never committed: the test proves nothing";

  int64_t rows = 0, sum = 0;
  for (const auto& [day, e] : expected) {
    rows += e.first;
    sum += e.second;
  }
  K2_ASSERT_OK(table.Refresh());
  const std::string loc = table.metadata().location;
  K2_ASSERT_OK_AND_ASSIGN(auto totals, ChdbTotals(loc));
  EXPECT_EQ(totals.first, rows);
  EXPECT_EQ(totals.second, sum);
  K2_ASSERT_OK_AND_ASSIGN(
      auto uniq, iceberg::testing::QueryChdbAt(
                     dir_.path(), "SELECT uniqExact(qty) AS u FROM icebergLocal('" + loc + "')"));
  ASSERT_EQ(uniq.size(), 1u);
  EXPECT_EQ(uniq[0]["u"], std::to_string(rows)) << "duplicated rows";
  for (const auto& [day, e] : expected) {
    K2_ASSERT_OK_AND_ASSIGN(
        auto d, iceberg::testing::QueryChdbAt(
                    dir_.path(), fmt::format("SELECT count() AS c FROM icebergLocal('{}') WHERE "
                                             "toDate(ts) = '2026-11-{:02d}'",
                                             loc, day)));
    EXPECT_EQ(d[0]["c"], std::to_string(e.first)) << "day " << day;
  }
}

K2_MAINTENANCE_ON_CATALOG_KINDS(CompactionTest);

}  // namespace
}  // namespace k2::jobs
