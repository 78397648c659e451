#include "jobs/maintenance/expire_job.h"

#include <gtest/gtest.h>

#include "iceberg/update/expire_snapshots.h"
#include "jobs/maintenance/maintenance_fixture.h"

namespace k2::jobs {
namespace {

using testing::kTradesId;
using testing::MaintenanceTest;

class ExpireTest : public testing::CatalogKindTest<MaintenanceTest> {};

constexpr int64_t kDayMs = 86400LL * 1000;

TEST_P(ExpireTest, RemovesExactlyTheFilesOnlyExpiredSnapshotsReach) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  std::vector<int64_t> snaps;
  for (int h = 0; h < 4; ++h) {
    K2_ASSERT_OK_AND_ASSIGN(int64_t s, AppendHour(table, 20, h, 10, h * 100));
    snaps.push_back(s);
  }
  // Replace the first hour's file: it stays reachable only from expired snapshots.
  K2_ASSERT_OK_AND_ASSIGN(auto live0, LiveFiles(table, snaps[0]));
  ASSERT_EQ(live0.size(), 1u);
  K2_ASSERT_OK_AND_ASSIGN(
      iceberg::DataFile repl,
      iceberg::testing::WriteTrades(table, {{"2026-11-20T00:00:00", "BTC", 1.0, 7}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t s_over,
                          table.NewOverwrite().DeleteFile(*live0.begin()).AddFile(repl).Commit());
  K2_ASSERT_OK_AND_ASSIGN(int64_t s_last, AppendHour(table, 21, 0, 5, 1000));
  const std::string loc = table.metadata().location;
  K2_ASSERT_OK_AND_ASSIGN(auto before_totals, ChdbTotals(loc));
  K2_ASSERT_OK_AND_ASSIGN(auto retained_totals, ChdbTotals(loc, s_over));

  // Independent expectation: retain the last 2 snapshots (s_over, s_last).
  std::set<std::string> expired_live, retained_live, expired_meta, retained_meta;
  for (const iceberg::Snapshot& s : table.metadata().snapshots) {
    const bool keep = s.snapshot_id == s_over || s.snapshot_id == s_last;
    K2_ASSERT_OK_AND_ASSIGN(auto live, LiveFiles(table, s.snapshot_id));
    K2_ASSERT_OK_AND_ASSIGN(auto manifests, iceberg::SnapshotManifests(*io_, s));
    auto& files = keep ? retained_live : expired_live;
    auto& meta = keep ? retained_meta : expired_meta;
    files.insert(live.begin(), live.end());
    meta.insert(s.manifest_list);
    for (const auto& m : manifests) meta.insert(m.manifest_path);
  }
  std::set<std::string> expected_removed;
  for (const auto& f : expired_live) {
    if (!retained_live.count(f)) expected_removed.insert(f);
  }
  for (const auto& f : expired_meta) {
    if (!retained_meta.count(f)) expected_removed.insert(f);
  }
  ASSERT_TRUE(expected_removed.count(*live0.begin()));
  const auto disk_before = FilesOnDisk(loc);

  ExpireOptions opts;
  opts.now_ms = iceberg::NowMillis() + 30 * kDayMs;
  opts.retain_last = 2;
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport report, ExpireSnapshots(*catalog_, *io_, kTradesId, opts));
  EXPECT_TRUE(report.committed);
  EXPECT_EQ(report.snapshots_before, 6);
  EXPECT_EQ(report.snapshots_after, 2);
  EXPECT_EQ(report.expired_snapshot_ids.size(), 4u);
  EXPECT_EQ(report.data_files_deleted, 1);
  EXPECT_GT(report.bytes_deleted, 0);
  EXPECT_TRUE(report.failed_deletes.empty());
  EXPECT_EQ(report.ToJson()["operation"], "expire");

  const auto disk_after = FilesOnDisk(loc);
  std::set<std::string> removed;
  for (const auto& f : disk_before) {
    if (!disk_after.count(f)) removed.insert(f);
  }
  EXPECT_EQ(removed, expected_removed);
  for (const auto& f : retained_live) EXPECT_TRUE(disk_after.count(f)) << f;

  // Same answers; a retained snapshot still time-travels; an expired one fails cleanly.
  K2_ASSERT_OK_AND_ASSIGN(auto after_totals, ChdbTotals(loc));
  EXPECT_EQ(after_totals, before_totals);
  K2_ASSERT_OK_AND_ASSIGN(auto travel, ChdbTotals(loc, s_over));
  EXPECT_EQ(travel, retained_totals);
  auto gone = ChdbTotals(loc, snaps[1]);
  EXPECT_FALSE(gone.has_value());
}

TEST_P(ExpireTest, KeepsBranchAndTagHeadsAndRetainLast) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  std::vector<int64_t> snaps;
  for (int h = 0; h < 5; ++h) {
    K2_ASSERT_OK_AND_ASSIGN(int64_t s, AppendHour(table, 20, h, 3, h));
    snaps.push_back(s);
  }
  K2_ASSERT_OK(table.NewManageSnapshots()
                   .CreateTag("audit", snaps[1])
                   .CreateBranch("wap", snaps[2])
                   .Commit());
  ExpireOptions opts;
  opts.now_ms = iceberg::NowMillis() + 30 * kDayMs;
  opts.retain_last = 1;
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport report, ExpireSnapshots(*catalog_, *io_, kTradesId, opts));
  K2_ASSERT_OK(table.Refresh());
  std::set<int64_t> left;
  for (const auto& s : table.metadata().snapshots) left.insert(s.snapshot_id);
  EXPECT_EQ(left, (std::set<int64_t>{snaps[1], snaps[2], snaps[4]}));
  K2_ASSERT_OK_AND_ASSIGN(auto tag_totals, ChdbTotals(table.metadata().location, snaps[1]));
  EXPECT_EQ(tag_totals.first, 6);
}

TEST_P(ExpireTest, YoungSnapshotsStayAndTablePropertiesOverrideDefaults) {
  K2_ASSERT_OK_AND_ASSIGN(
      iceberg::Table table,
      CreateTable({{"ts", "day"}}, {{"history.expire.min-snapshots-to-keep", "3"}}));
  for (int h = 0; h < 5; ++h) K2_ASSERT_OK(AppendHour(table, 20, h, 3, h));
  ExpireOptions young;  // default 7 days: nothing is that old
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport r0, ExpireSnapshots(*catalog_, *io_, kTradesId, young));
  EXPECT_FALSE(r0.committed);
  EXPECT_TRUE(r0.expired_snapshot_ids.empty());

  ExpireOptions old;
  old.now_ms = iceberg::NowMillis() + 30 * kDayMs;
  old.retain_last = 1;  // overridden by the table's min-snapshots-to-keep=3
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport r1, ExpireSnapshots(*catalog_, *io_, kTradesId, old));
  EXPECT_EQ(r1.snapshots_after, 3);

  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK(table.NewUpdateProperties()
                   .Set("history.expire.max-snapshot-age-ms", std::to_string(60 * kDayMs))
                   .Set("history.expire.min-snapshots-to-keep", "1")
                   .Commit());
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport r2, ExpireSnapshots(*catalog_, *io_, kTradesId, old));
  EXPECT_TRUE(r2.expired_snapshot_ids.empty()) << "60-day table age keeps 30-day-old snapshots";
}

TEST_P(ExpireTest, RefusesWhenGcDisabledAndDryRunChangesNothing) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table,
                          CreateTable({{"ts", "day"}}, {{"gc.enabled", "false"}}));
  for (int h = 0; h < 3; ++h) K2_ASSERT_OK(AppendHour(table, 20, h, 3, h));
  ExpireOptions opts;
  opts.now_ms = iceberg::NowMillis() + 30 * kDayMs;
  K2_ASSERT_ERROR_KIND(ExpireSnapshots(*catalog_, *io_, kTradesId, opts), ErrorKind::kInvalidInput);

  K2_ASSERT_OK(table.NewUpdateProperties().Set("gc.enabled", "true").Commit());
  const auto disk_before = FilesOnDisk(table.metadata().location);
  opts.dry_run = true;
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport r, ExpireSnapshots(*catalog_, *io_, kTradesId, opts));
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.expired_snapshot_ids.size(), 2u);
  EXPECT_EQ(r.manifest_lists_deleted, 2);
  EXPECT_EQ(FilesOnDisk(table.metadata().location), disk_before);
  K2_ASSERT_OK(table.Refresh());
  EXPECT_EQ(table.metadata().snapshots.size(), 3u);
}

TEST_P(ExpireTest, ExplicitIdCannotBeARefHead) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  K2_ASSERT_OK_AND_ASSIGN(int64_t s1, AppendHour(table, 20, 0, 3, 0));
  iceberg::ExpireSnapshots expire(&table);
  expire.ExpireSnapshotId(s1);
  K2_ASSERT_ERROR_KIND(expire.Commit(), ErrorKind::kInvalidInput);
}

K2_MAINTENANCE_ON_CATALOG_KINDS(ExpireTest);

}  // namespace
}  // namespace k2::jobs
