#include "jobs/maintenance/manifest_rewrite.h"

#include <gtest/gtest.h>

#include "jobs/maintenance/maintenance_fixture.h"

namespace k2::jobs {
namespace {

using testing::kTradesId;
using testing::MaintenanceTest;

class ManifestRewriteTest : public testing::CatalogKindTest<MaintenanceTest> {};

TEST_P(ManifestRewriteTest, MergesHourlyManifestsKeepingRowsAndHistory) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  std::vector<int64_t> snaps;
  for (int h = 0; h < 12; ++h) {
    K2_ASSERT_OK_AND_ASSIGN(int64_t s, AppendHour(table, 20 + h / 6, h, 4, h * 10));
    snaps.push_back(s);
  }
  K2_ASSERT_OK_AND_ASSIGN(auto live_before, LiveFiles(table, snaps.back()));
  const std::string loc = table.metadata().location;
  K2_ASSERT_OK_AND_ASSIGN(auto totals, ChdbTotals(loc));
  K2_ASSERT_OK_AND_ASSIGN(auto mid, ChdbTotals(loc, snaps[5]));

  ManifestRewriteOptions opts;
  opts.dry_run = true;
  K2_ASSERT_OK_AND_ASSIGN(ManifestRewriteReport dry,
                          RewriteManifests(*catalog_, *io_, kTradesId, opts));
  EXPECT_EQ(dry.manifests_before, 12);
  EXPECT_EQ(dry.manifests_after, 1);
  EXPECT_EQ(dry.snapshot_id, 0);

  opts.dry_run = false;
  K2_ASSERT_OK_AND_ASSIGN(ManifestRewriteReport r,
                          RewriteManifests(*catalog_, *io_, kTradesId, opts));
  EXPECT_EQ(r.manifests_before, 12);
  EXPECT_EQ(r.manifests_after, 1);
  EXPECT_EQ(r.manifests_replaced, 12);
  EXPECT_EQ(r.entries_rewritten, 12);
  EXPECT_NE(r.snapshot_id, 0);

  K2_ASSERT_OK(table.Refresh());
  const iceberg::Snapshot* head = table.metadata().CurrentSnapshot();
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->snapshot_id, r.snapshot_id);
  EXPECT_EQ(head->operation, "replace");
  EXPECT_EQ(head->summary.at("manifests-replaced"), "12");
  EXPECT_EQ(head->summary.at("total-records"), "48");
  K2_ASSERT_OK_AND_ASSIGN(auto manifests, iceberg::SnapshotManifests(*io_, *head));
  EXPECT_EQ(manifests.size(), 1u);
  K2_ASSERT_OK_AND_ASSIGN(auto live_after, LiveFiles(table, head->snapshot_id));
  EXPECT_EQ(live_after, live_before);

  K2_ASSERT_OK_AND_ASSIGN(auto totals_after, ChdbTotals(loc));
  EXPECT_EQ(totals_after, totals);
  K2_ASSERT_OK_AND_ASSIGN(auto mid_after, ChdbTotals(loc, snaps[5]));
  EXPECT_EQ(mid_after, mid);

  // A second run has nothing left to merge.
  K2_ASSERT_OK_AND_ASSIGN(ManifestRewriteReport again,
                          RewriteManifests(*catalog_, *io_, kTradesId, opts));
  EXPECT_EQ(again.snapshot_id, 0);
  EXPECT_EQ(again.manifests_before, 1);
}

TEST_P(ManifestRewriteTest, AppendAfterRewriteStillPlansEveryFile) {
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  for (int h = 0; h < 4; ++h) K2_ASSERT_OK(AppendHour(table, 20, h, 2, h));
  K2_ASSERT_OK(RewriteManifests(*catalog_, *io_, kTradesId, {}));
  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK(AppendHour(table, 21, 0, 2, 100));
  K2_ASSERT_OK_AND_ASSIGN(auto totals, ChdbTotals(table.metadata().location));
  EXPECT_EQ(totals.first, 10);
  EXPECT_EQ(totals.second, 2 * (0 + 1 + 2 + 3 + 100) + 5);
}

K2_MAINTENANCE_ON_CATALOG_KINDS(ManifestRewriteTest);

}  // namespace
}  // namespace k2::jobs
