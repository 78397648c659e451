// Compaction of files with delete files: the deletes are applied while
// rewriting (outputs hold only live rows), delete files still needed by other
// files stay, and a delete committed while a group is being rewritten is never
// lost. chDB reads every result.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "iceberg/delete_writer.h"
#include "jobs/maintenance/compaction.h"
#include "jobs/maintenance/maintenance_fixture.h"

namespace k2::jobs {
namespace {

using testing::kTradesId;
using testing::MaintenanceTest;

class CompactionDeletesTest : public testing::CatalogKindTest<MaintenanceTest> {
 protected:
  static CompactionOptions SmallFiles() {
    CompactionOptions o;
    o.min_file_size_bytes = 1 << 20;
    o.target_file_size_bytes = 16 << 20;
    o.skip_open_partitions = false;
    o.batch_rows = 5;
    return o;
  }

  /// A one-file hour of `n` trades with qty qty_base .. qty_base+n-1.
  static Result<iceberg::DataFile> Hour(iceberg::Table& table, int day, int hour, int n,
                                        int64_t qty_base) {
    std::vector<iceberg::testing::TradeRow> rows;
    for (int i = 0; i < n; ++i) {
      rows.push_back({fmt::format("2026-11-{:02d}T{:02d}:{:02d}:00", day, hour, i % 60),
                      i % 2 ? "BTC" : "ETH", 100.0 + i, qty_base + i});
    }
    return iceberg::testing::WriteTrades(table, rows);
  }

  /// An equality delete file on qty in `like`'s partition.
  static Result<iceberg::DataFile> QtyDelete(iceberg::Table& table, const iceberg::DataFile& like,
                                             const std::vector<int64_t>& qtys) {
    auto key_schema =
        std::make_shared<const Schema>(Schema{{{4, "qty", DataType::Int64(), true, ""}}});
    ColumnBatch keys(key_schema);
    for (int64_t q : qtys) keys.columns[0].Append<int64_t>(q);
    return iceberg::WriteEqualityDeleteFile(table, like.spec_id, like.partition, keys);
  }

  /// qty values k2's scan returns, sorted.
  static Result<std::vector<int64_t>> Qtys(const iceberg::Table& table) {
    K2_ASSIGN_OR_RETURN(auto reader, table.NewScan().Select({"qty"}).ToBatchReader());
    std::vector<int64_t> out;
    while (true) {
      K2_ASSIGN_OR_RETURN(const ColumnBatch* b, reader->Next());
      if (b == nullptr) break;
      for (size_t r = 0; r < b->num_rows(); ++r) out.push_back(b->columns[0].Value<int64_t>(r));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_P(CompactionDeletesTest, PositionAndEqualityDeletesAreAppliedAndChdbAgrees) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  // Day 20: three hourly files (qty 0..9, 100..109, 200..209); day 21: one file.
  std::vector<iceberg::DataFile> d20;
  for (int h = 0; h < 3; ++h) {
    K2_ASSERT_OK_AND_ASSIGN(iceberg::DataFile f, Hour(table, 20, h, 10, h * 100));
    K2_ASSERT_OK(table.NewFastAppend().AppendFile(f).Commit());
    d20.push_back(f);
  }
  K2_ASSERT_OK_AND_ASSIGN(iceberg::DataFile d21, Hour(table, 21, 0, 10, 1000));
  K2_ASSERT_OK(table.NewFastAppend().AppendFile(d21).Commit());
  // Position deletes of rows 0 and 7 of the first hour (qty 0 and 7).
  K2_ASSERT_OK_AND_ASSIGN(
      iceberg::DataFile pos,
      iceberg::WritePositionDeleteFile(table, d20[0].spec_id, d20[0].partition,
                                       {{d20[0].file_path, 0}, {d20[0].file_path, 7}}));
  // Equality delete of qty 105 and 203 in day 20, and 1004 in day 21 (not compacted:
  // one file), so that delete file must keep applying there.
  K2_ASSERT_OK_AND_ASSIGN(iceberg::DataFile eq20, QtyDelete(table, d20[0], {105, 203}));
  K2_ASSERT_OK_AND_ASSIGN(iceberg::DataFile eq21, QtyDelete(table, d21, {1004}));
  K2_ASSERT_OK(table.NewRowDelta().AddFile(pos).AddFile(eq20).AddFile(eq21).Commit());
  const int64_t before_id = table.metadata().CurrentSnapshot()->snapshot_id;
  const std::string loc = table.metadata().location;
  K2_ASSERT_OK_AND_ASSIGN(auto chdb_before, ChdbTotals(loc));
  EXPECT_EQ(chdb_before.first, 40 - 5) << "chDB applies the deletes before compaction";
  K2_ASSERT_OK_AND_ASSIGN(auto k2_before, Qtys(table));

  K2_ASSERT_OK_AND_ASSIGN(CompactionReport r,
                          CompactTable(*catalog_, *io_, kTradesId, SmallFiles()));
  ASSERT_EQ(r.groups_committed, 1) << r.ToJson().dump();
  EXPECT_EQ(r.files_before, 3);
  EXPECT_EQ(r.files_after, 1);
  EXPECT_EQ(r.rows_rewritten, 30 - 4);
  EXPECT_EQ(r.deleted_rows_applied, 4);
  EXPECT_EQ(r.delete_files_removed, 1) << "the position delete file only named a rewritten file";
  EXPECT_EQ(r.groups[0].delete_files_applied, 2);

  K2_ASSERT_OK(table.Refresh());
  const iceberg::Snapshot* snap = table.metadata().CurrentSnapshot();
  EXPECT_EQ(snap->operation, "replace");
  EXPECT_EQ(snap->summary.at("k2.compaction.deleted-rows-applied"), "4");
  EXPECT_EQ(snap->summary.at("k2.compaction.rows"), "26");
  EXPECT_EQ(snap->summary.at("k2.compaction.delete-files-removed"), "1");
  EXPECT_EQ(snap->summary.at("removed-delete-files"), "1");
  // The live rows are unchanged for k2 and for chDB.
  K2_ASSERT_OK_AND_ASSIGN(auto k2_after, Qtys(table));
  EXPECT_EQ(k2_after, k2_before);
  K2_ASSERT_OK_AND_ASSIGN(auto chdb_after, ChdbTotals(loc));
  EXPECT_EQ(chdb_after, chdb_before);
  // The new day-20 file has no delete file against it; day 21 keeps its delete.
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, table.NewScan().PlanFiles());
  ASSERT_EQ(tasks.size(), 2u);
  for (const auto& t : tasks) {
    if (t.file.file_path == d21.file_path) {
      ASSERT_EQ(t.deletes.size(), 1u);
      EXPECT_EQ(t.deletes[0].file_path, eq21.file_path);
    } else {
      EXPECT_EQ(t.file.record_count, 26);
      EXPECT_TRUE(t.deletes.empty()) << t.deletes.size() << " delete files still apply";
    }
  }
  // Time travel to before the compaction still sees the same rows through the deletes.
  K2_ASSERT_OK_AND_ASSIGN(auto chdb_old, ChdbTotals(loc, before_id));
  EXPECT_EQ(chdb_old, chdb_before);
  // A later equality delete applies to the compacted file.
  K2_ASSERT_OK_AND_ASSIGN(iceberg::DataFile eq_late, QtyDelete(table, d20[0], {1, 209}));
  K2_ASSERT_OK(table.NewRowDelta().AddFile(eq_late).Commit());
  K2_ASSERT_OK_AND_ASSIGN(auto chdb_late, ChdbTotals(loc));
  EXPECT_EQ(chdb_late.first, chdb_before.first - 2);
  EXPECT_EQ(chdb_late.second, chdb_before.second - 1 - 209);
}

// Equality deletes committed while compaction runs (and between its planning
// and its commit): the replace must fail validation and retry, never commit
// files that resurrect deleted rows.
TEST_P(CompactionDeletesTest, ConcurrentEqualityDeletesAreNeverLost) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  std::atomic<bool> done{false};
  std::atomic<int> committed_groups{0};
  std::atomic<int> compaction_errors{0};
  std::atomic<int> failed_groups{0};
  std::thread compactor([&] {
    CompactionOptions o = SmallFiles();
    o.max_attempts = 2;
    while (!done.load()) {
      auto r = CompactTable(*catalog_, *io_, kTradesId, o);
      if (!r) {
        ++compaction_errors;
      } else {
        committed_groups += r->groups_committed;
        failed_groups += r->groups_failed;
      }
    }
  });
  std::map<int, std::set<int64_t>> live;  // day -> qty values
  std::map<int, iceberg::DataFile> any_file;
  int64_t next_qty = 0;
  std::mt19937_64 rng(11);
  Status writer_status = OkStatus();
  for (int round = 0; round < 40 && writer_status; ++round) {
    const int day = 20 + static_cast<int>(rng() % 2);
    if (live[day].size() < 4 || rng() % 3 != 0) {
      const int n = 4 + static_cast<int>(rng() % 4);
      auto f = Hour(table, day, round % 24, n, next_qty);
      if (!f) {
        writer_status = std::unexpected(f.error());
        break;
      }
      auto s = table.NewFastAppend().AppendFile(*f).Commit();
      if (!s) writer_status = std::unexpected(s.error());
      for (int i = 0; i < n; ++i) live[day].insert(next_qty + i);
      any_file[day] = *f;
      next_qty += n;
    } else {
      // Delete two live rows of the day by value.
      std::vector<int64_t> victims;
      auto it = live[day].begin();
      std::advance(it, static_cast<long>(rng() % (live[day].size() - 1)));
      victims.push_back(*it++);
      victims.push_back(*it);
      auto f = QtyDelete(table, any_file[day], victims);
      if (!f) {
        writer_status = std::unexpected(f.error());
        break;
      }
      auto s = table.NewRowDelta().AddFile(*f).Commit();
      if (!s) writer_status = std::unexpected(s.error());
      for (int64_t v : victims) live[day].erase(v);
    }
  }
  done = true;
  compactor.join();
  K2_ASSERT_OK(writer_status);
  EXPECT_EQ(compaction_errors.load(), 0);
  EXPECT_GT(committed_groups.load(), 0) << "compaction never committed: the test proves nothing";

  std::vector<int64_t> expected;
  int64_t sum = 0;
  for (const auto& [day, qs] : live) {
    for (int64_t q : qs) {
      expected.push_back(q);
      sum += q;
    }
  }
  std::sort(expected.begin(), expected.end());
  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK_AND_ASSIGN(auto k2_rows, Qtys(table));
  EXPECT_EQ(k2_rows, expected);
  K2_ASSERT_OK_AND_ASSIGN(auto totals, ChdbTotals(table.metadata().location));
  EXPECT_EQ(totals.first, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(totals.second, sum);
}

K2_MAINTENANCE_ON_CATALOG_KINDS(CompactionDeletesTest);

}  // namespace
}  // namespace k2::jobs
