// Maintenance on a table another engine wrote (Spark: lineitem_iceberg), copied
// to a temp dir and read through a path-mapping FileIO (its paths are relative).
#include <gtest/gtest.h>

#include <filesystem>

#include "catalog/memory_catalog.h"
#include "iceberg/path_mapping_io.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "jobs/maintenance/compaction.h"
#include "jobs/maintenance/expire_job.h"
#include "support/support.h"

namespace k2::jobs {
namespace {

Result<int64_t> CountRows(const iceberg::Table& table, std::optional<int64_t> snapshot = {}) {
  iceberg::TableScan scan = table.NewScan();
  if (snapshot) scan.UseSnapshot(*snapshot);
  K2_ASSIGN_OR_RETURN(auto tasks, scan.PlanFiles());
  int64_t n = 0;
  for (const auto& t : tasks) n += t.file.record_count;
  return n;
}

TEST(FixtureTableTest, LineitemCompactsAndExpiresWithExpectedAnswers) {
  K2_REQUIRE_FIXTURES(fixtures);
  k2::testing::TempDir dir;
  const std::string root = dir / "lineitem_iceberg";
  std::filesystem::copy(fixtures + "/iceberg-tables/lineitem_iceberg", root,
                        std::filesystem::copy_options::recursive);
  auto local = NewLocalFileIO();
  auto io = iceberg::NewPathMappingFileIO(
      *local, {{"./lineitem_iceberg", root}, {"lineitem_iceberg", root}});
  auto catalog = NewMemoryCatalog("k2");
  ASSERT_TRUE(catalog->CreateNamespace({"tpch"}, {}).has_value());
  const TableIdentifier id{{"tpch"}, "lineitem"};
  K2_ASSERT_OK(catalog->CreateTable(id, root + "/metadata/v2.metadata.json"));
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, iceberg::Table::Load(*catalog, *io, id));
  // EXPECTED.md: current 51793 rows; snapshot 7817332053627255703 had 60175.
  K2_ASSERT_OK_AND_ASSIGN(int64_t current, CountRows(table));
  EXPECT_EQ(current, 51793);
  K2_ASSERT_OK_AND_ASSIGN(int64_t old, CountRows(table, 7817332053627255703LL));
  EXPECT_EQ(old, 60175);

  CompactionOptions co;
  co.skip_open_partitions = false;
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport cr, CompactTable(*catalog, *io, id, co));
  EXPECT_EQ(cr.groups_failed, 0) << cr.ToJson().dump();
  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK_AND_ASSIGN(current, CountRows(table));
  EXPECT_EQ(current, 51793);

  ExpireOptions eo;
  eo.older_than_s = 0;
  eo.retain_last = 1;
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport er, ExpireSnapshots(*catalog, *io, id, eo));
  EXPECT_TRUE(er.committed) << er.ToJson().dump();
  EXPECT_EQ(er.data_files_deleted, 1) << "the 60175-row file only the old snapshot reached";
  EXPECT_TRUE(er.cleanup_error.empty()) << er.cleanup_error;
  EXPECT_FALSE(std::filesystem::exists(
      root + "/data/00000-1-66fee7c2-c97c-4af9-963d-930afd99ace4-00001.parquet"));
  EXPECT_TRUE(std::filesystem::exists(
      root + "/data/00000-5-dad9988f-2a3b-464c-adb6-6034de93da19-00001.parquet"));
  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK_AND_ASSIGN(current, CountRows(table));
  EXPECT_EQ(current, 51793);
  K2_ASSERT_ERROR_KIND(CountRows(table, 7817332053627255703LL), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace k2::jobs
