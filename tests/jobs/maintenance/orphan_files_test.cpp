#include "jobs/maintenance/orphan_files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "jobs/maintenance/expire_job.h"
#include "jobs/maintenance/file_uri.h"
#include "jobs/maintenance/maintenance_fixture.h"

namespace k2::jobs {
namespace {

using testing::kTradesId;
using testing::MaintenanceTest;

constexpr int64_t kDayMs = 86400LL * 1000;

void WriteFileAged(const std::string& path, int64_t mtime_ms) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "stray bytes";
  const auto now_sys = std::chrono::system_clock::now();
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now_sys.time_since_epoch()).count();
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() +
                                             std::chrono::milliseconds(mtime_ms - now_ms));
}

TEST(FileUriTest, NormalizesLocalSpellingsAndS3Schemes) {
  EXPECT_EQ(NormalizeUri("/a/b"), NormalizeUri("file:/a/b"));
  EXPECT_EQ(NormalizeUri("/a/b"), NormalizeUri("file:///a/b"));
  EXPECT_EQ(NormalizeUri("/a//b"), NormalizeUri("/a/b"));
  EXPECT_EQ(NormalizeUri("s3a://bucket/t/x"), NormalizeUri("s3://bucket/t/x"));
  EXPECT_NE(NormalizeUri("s3://bucket/t/x"), NormalizeUri("s3://other/t/x"));
  EXPECT_EQ(NormalizeUri("s3://bucket/t/x").authority, "bucket");
  EXPECT_EQ(NormalizeUri("s3://bucket/t/x").path, "/t/x");
}

TEST(FindOrphansTest, MatchesAcrossSpellingsAndFailsOnPrefixMismatch) {
  std::vector<FileInfo> listed = {
      {"/t/data/a.parquet", 1, 0}, {"/t/data/b.parquet", 2, 0}, {"/t/data/young.parquet", 3, 500}};
  std::vector<std::string> refs = {"file:///t/data/a.parquet"};
  int64_t too_new = 0;
  K2_ASSERT_OK_AND_ASSIGN(auto orphans, FindOrphans(listed, refs, 100, &too_new));
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].path, "/t/data/b.parquet");
  EXPECT_EQ(too_new, 1);

  std::vector<FileInfo> s3 = {{"s3://bucket/t/data/a.parquet", 1, 0}};
  K2_ASSERT_OK_AND_ASSIGN(auto none, FindOrphans(s3, {"s3a://bucket/t/data/a.parquet"}, 100));
  EXPECT_TRUE(none.empty());
  K2_ASSERT_ERROR_KIND(FindOrphans(s3, {"s3://elsewhere/t/data/a.parquet"}, 100),
                       ErrorKind::kInvalidInput);
}

class OrphanTest : public testing::CatalogKindTest<MaintenanceTest> {};

TEST_P(OrphanTest, DeletesOnlyOldUnreferencedFiles) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  for (int h = 0; h < 3; ++h) K2_ASSERT_OK(AppendHour(table, 20, h, 5, h));
  const std::string loc = table.metadata().location;
  K2_ASSERT_OK_AND_ASSIGN(auto totals, ChdbTotals(loc));
  const int64_t now = iceberg::NowMillis();
  const std::string old_orphan = loc + "/data/ts_day=2026-11-20/crashed-writer.parquet";
  const std::string new_orphan = loc + "/data/ts_day=2026-11-20/in-flight.parquet";
  const std::string old_meta = loc + "/metadata/abandoned-m0.avro";
  WriteFileAged(old_orphan, now - 5 * kDayMs);
  WriteFileAged(new_orphan, now - 3600 * 1000);
  WriteFileAged(old_meta, now - 10 * kDayMs);
  const auto disk_before = FilesOnDisk(loc);

  OrphanOptions opts;
  opts.older_than_s = 3 * 86400;
  opts.dry_run = true;
  K2_ASSERT_OK_AND_ASSIGN(OrphanReport dry, RemoveOrphanFiles(*catalog_, *io_, kTradesId, opts));
  EXPECT_EQ(dry.orphans_found, 2);
  EXPECT_EQ(FilesOnDisk(loc), disk_before);

  opts.dry_run = false;
  K2_ASSERT_OK_AND_ASSIGN(OrphanReport r, RemoveOrphanFiles(*catalog_, *io_, kTradesId, opts));
  EXPECT_EQ(r.files_deleted, 2);
  EXPECT_EQ(r.too_new_skipped, 1);
  EXPECT_GT(r.bytes_deleted, 0);
  auto disk_after = FilesOnDisk(loc);
  EXPECT_FALSE(disk_after.count(old_orphan));
  EXPECT_FALSE(disk_after.count(old_meta));
  EXPECT_TRUE(disk_after.count(new_orphan));
  disk_after.insert(old_orphan);
  disk_after.insert(old_meta);
  EXPECT_EQ(disk_after, disk_before);
  K2_ASSERT_OK_AND_ASSIGN(auto totals_after, ChdbTotals(loc));
  EXPECT_EQ(totals_after, totals);
}

TEST_P(OrphanTest, RefusesThresholdUnderADay) {
  K2_ASSERT_OK(CreateTable());
  OrphanOptions opts;
  opts.older_than_s = 3600;
  K2_ASSERT_ERROR_KIND(RemoveOrphanFiles(*catalog_, *io_, kTradesId, opts),
                       ErrorKind::kInvalidInput);
}

// Property: over random histories (appends, overwrites, expiries, stray files
// of random ages), orphan cleanup never deletes a file a retained snapshot
// references or one newer than the threshold, and deletes every old stray.
TEST_P(OrphanTest, PropertyNeverDeletesReferencedOrYoungFiles) {
  std::mt19937_64 rng(20261124);
  for (int round = 0; round < 4; ++round) {
    if (round > 0) {
      K2_ASSERT_OK(catalog_->DropTable(kTradesId));
      std::filesystem::remove_all(dir_ / "warehouse");
    }
    K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
    const std::string loc = table.metadata().location;
    const int64_t now = iceberg::NowMillis() + 10 * kDayMs;  // every table file is "old"
    std::set<std::string> old_strays, young_strays;
    const int steps = 6 + static_cast<int>(rng() % 6);
    for (int step = 0; step < steps; ++step) {
      const int op = static_cast<int>(rng() % 5);
      if (op <= 2) {
        K2_ASSERT_OK(AppendHour(table, 20 + static_cast<int>(rng() % 3),
                                static_cast<int>(rng() % 24), 3, step));
      } else if (op == 3 && table.metadata().CurrentSnapshot() != nullptr) {
        K2_ASSERT_OK_AND_ASSIGN(auto live,
                                LiveFiles(table, table.metadata().CurrentSnapshot()->snapshot_id));
        if (!live.empty()) {
          auto it = live.begin();
          std::advance(it, static_cast<long>(rng() % live.size()));
          K2_ASSERT_OK(table.NewOverwrite().DeleteFile(*it).Commit());
        }
      } else {
        ExpireOptions eo;
        eo.now_ms = now;
        eo.retain_last = 1 + static_cast<int>(rng() % 3);
        K2_ASSERT_OK(ExpireSnapshots(*catalog_, *io_, kTradesId, eo));
        K2_ASSERT_OK(table.Refresh());
      }
      const std::string stray = fmt::format("{}/{}/stray-{}-{}.parquet", loc,
                                            rng() % 2 ? "data" : "metadata", round, step);
      const bool young = rng() % 2;
      WriteFileAged(stray, young ? now - 3600 * 1000 : now - 4 * kDayMs);
      (young ? young_strays : old_strays).insert(stray);
    }
    K2_ASSERT_OK(table.Refresh());
    std::set<std::string> referenced;
    for (const auto& s : table.metadata().snapshots) {
      K2_ASSERT_OK_AND_ASSIGN(auto live, LiveFiles(table, s.snapshot_id));
      referenced.insert(live.begin(), live.end());
      referenced.insert(s.manifest_list);
    }
    referenced.insert(table.metadata_location());
    const auto disk_before = FilesOnDisk(loc);

    OrphanOptions opts;
    opts.now_ms = now;
    K2_ASSERT_OK_AND_ASSIGN(OrphanReport r, RemoveOrphanFiles(*catalog_, *io_, kTradesId, opts));
    const auto disk_after = FilesOnDisk(loc);
    for (const auto& f : referenced) EXPECT_TRUE(disk_after.count(f)) << "round " << round << f;
    for (const auto& f : young_strays) EXPECT_TRUE(disk_after.count(f)) << f;
    for (const auto& f : old_strays) EXPECT_FALSE(disk_after.count(f)) << f;
    EXPECT_EQ(static_cast<size_t>(r.files_deleted), disk_before.size() - disk_after.size());
    if (table.metadata().CurrentSnapshot() != nullptr) {
      K2_ASSERT_OK_AND_ASSIGN(auto totals, ChdbTotals(loc));
      K2_ASSERT_OK_AND_ASSIGN(auto live,
                              LiveFiles(table, table.metadata().CurrentSnapshot()->snapshot_id));
      EXPECT_EQ(totals.first, 3 * static_cast<int64_t>(live.size()));
    }
  }
}

K2_MAINTENANCE_ON_CATALOG_KINDS(OrphanTest);

}  // namespace
}  // namespace k2::jobs
