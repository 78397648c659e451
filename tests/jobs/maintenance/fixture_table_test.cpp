// Maintenance on a table another engine wrote (Spark: lineitem_iceberg), copied
// to a temp dir and read through a path-mapping FileIO (its paths are relative).
#include <gtest/gtest.h>

#include <algorithm>
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

/// A fixture table copied to a temp dir, registered in a memory catalog from
/// `metadata`, its writer's `prefix` mapped to the copy.
struct CopiedFixture {
  k2::testing::TempDir dir;
  std::string root;
  std::unique_ptr<FileIO> local = NewLocalFileIO();
  std::unique_ptr<FileIO> io;
  std::unique_ptr<Catalog> catalog = NewMemoryCatalog("k2");
  TableIdentifier id{{"fx"}, "t"};
  std::string prefix;

  Status Open(const std::string& fixtures, const std::string& name,
              const std::string& writer_prefix, const std::string& metadata) {
    prefix = writer_prefix;
    root = dir / name;
    std::filesystem::copy(fixtures + "/iceberg-tables/" + name, root,
                          std::filesystem::copy_options::recursive);
    io = iceberg::NewPathMappingFileIO(*local, {{prefix, root}});
    K2_RETURN_IF_ERROR(catalog->CreateNamespace({"fx"}, {}));
    return catalog->CreateTable(id, root + "/metadata/" + metadata);
  }
  /// The local path of a path as the writer spelled it.
  std::string Local(const std::string& p) const {
    return p.starts_with(prefix) ? root + p.substr(prefix.size()) : p;
  }
};

/// All rows through k2's scan as sorted "a|b|c" tuples.
Result<std::vector<std::string>> Rows(const iceberg::TableScan& scan) {
  K2_ASSIGN_OR_RETURN(auto reader, scan.ToBatchReader());
  std::vector<std::string> out;
  while (true) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* b, reader->Next());
    if (b == nullptr) break;
    for (size_t r = 0; r < b->num_rows(); ++r) {
      std::string row;
      for (size_t c = 0; c < b->num_columns(); ++c) {
        if (c > 0) row += "|";
        Value v = Value::FromColumn(b->columns[c], r);
        row += v.is_null() ? "NULL" : v.ToString();
      }
      out.push_back(std::move(row));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Java-API equality deletes (duckdb_eqdel_mytable): EXPECTED.md's answers hold
// after compaction and after expiry, and the compacted file needs no delete.
TEST(FixtureTableTest, EqualityDeleteTableCompactsAndExpiresWithExpectedAnswers) {
  K2_REQUIRE_FIXTURES(fixtures);
  CopiedFixture fx;
  K2_ASSERT_OK(fx.Open(fixtures, "duckdb_eqdel_mytable",
                       "data/persistent/equality_deletes/warehouse/mydb/mytable",
                       "v7.metadata.json"));
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, iceberg::Table::Load(*fx.catalog, *fx.io, fx.id));
  const std::vector<std::string> expected = {"4|d|2025-01-04", "5|e|2025-01-05"};
  auto check = [&](const char* when) {
    auto rows = Rows(table.NewScan());
    ASSERT_TRUE(rows.has_value()) << when << ": " << rows.error().ToString();
    EXPECT_EQ(*rows, expected) << when;
    auto bir = Rows(table.NewScan().Select({"bir"}).Filter(*Predicate::Parse("id = 4")));
    ASSERT_TRUE(bir.has_value()) << when;
    EXPECT_EQ(*bir, (std::vector<std::string>{"2025-01-04"})) << when;
    auto recent =
        Rows(table.NewScan().Select({"id"}).Filter(*Predicate::Parse("bir >= '2025-01-01'")));
    ASSERT_TRUE(recent.has_value()) << when;
    EXPECT_EQ(recent->size(), 2u) << when;
  };
  check("before");
  K2_ASSERT_OK_AND_ASSIGN(auto before_tasks, table.NewScan().PlanFiles());
  ASSERT_EQ(before_tasks.size(), 2u);

  CompactionOptions co;
  co.skip_open_partitions = false;
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport cr, CompactTable(*fx.catalog, *fx.io, fx.id, co));
  ASSERT_EQ(cr.groups_committed, 1) << cr.ToJson().dump();
  EXPECT_EQ(cr.rows_rewritten, 2);
  EXPECT_EQ(cr.deleted_rows_applied, 4);
  K2_ASSERT_OK(table.Refresh());
  check("after compaction");
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, table.NewScan().PlanFiles());
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].file.record_count, 2);
  EXPECT_TRUE(tasks[0].deletes.empty()) << "equality deletes still attached to the new file";

  ExpireOptions eo;
  eo.older_than_s = 0;
  eo.retain_last = 1;
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport er, ExpireSnapshots(*fx.catalog, *fx.io, fx.id, eo));
  EXPECT_TRUE(er.committed) << er.ToJson().dump();
  K2_ASSERT_OK(table.Refresh());
  check("after expiry");
  EXPECT_EQ(table.metadata().snapshots.size(), 1u);
  for (const auto& t : before_tasks) {
    EXPECT_FALSE(std::filesystem::exists(fx.Local(t.file.file_path)))
        << t.file.file_path << " only expired snapshots reach it";
  }
}

// Spark position deletes (icebird_spark_bunnies v3: one data file, one position
// delete): compaction applies the delete, the live rows are unchanged by
// compaction and expiry, and the old data is gone.
TEST(FixtureTableTest, PositionDeleteTableCompactsAndExpiresWithExpectedAnswers) {
  K2_REQUIRE_FIXTURES(fixtures);
  CopiedFixture fx;
  K2_ASSERT_OK(fx.Open(fixtures, "icebird_spark_bunnies", "s3a://hyperparam-iceberg/spark/bunnies",
                       "v3.metadata.json"));
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, iceberg::Table::Load(*fx.catalog, *fx.io, fx.id));
  K2_ASSERT_OK_AND_ASSIGN(auto before, Rows(table.NewScan()));
  ASSERT_EQ(before.size(), 20u) << "EXPECTED.md: v3 has 20 rows";
  K2_ASSERT_OK_AND_ASSIGN(auto old_rows, Rows(table.NewScan().UseSnapshot(7505300640432048841)));
  ASSERT_EQ(old_rows.size(), 21u);

  CompactionOptions co;
  co.skip_open_partitions = false;
  co.delete_file_threshold = 1;  // v3 has one data file with a position delete against it
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport cr, CompactTable(*fx.catalog, *fx.io, fx.id, co));
  ASSERT_EQ(cr.groups_committed, 1) << cr.ToJson().dump();
  EXPECT_EQ(cr.deleted_rows_applied, 1) << cr.ToJson().dump();
  EXPECT_EQ(cr.delete_files_removed, 1) << "its only target was rewritten";
  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK_AND_ASSIGN(auto after, Rows(table.NewScan()));
  EXPECT_EQ(after, before);
  K2_ASSERT_OK_AND_ASSIGN(auto old_after, Rows(table.NewScan().UseSnapshot(7505300640432048841)));
  EXPECT_EQ(old_after, old_rows) << "time travel to a retained snapshot";

  ExpireOptions eo;
  eo.older_than_s = 0;
  eo.retain_last = 1;
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport er, ExpireSnapshots(*fx.catalog, *fx.io, fx.id, eo));
  EXPECT_TRUE(er.committed) << er.ToJson().dump();
  EXPECT_TRUE(er.cleanup_error.empty()) << er.cleanup_error;
  K2_ASSERT_OK(table.Refresh());
  K2_ASSERT_OK_AND_ASSIGN(auto expired, Rows(table.NewScan()));
  EXPECT_EQ(expired, before);
  K2_ASSERT_ERROR_KIND(table.NewScan().UseSnapshot(7505300640432048841).PlanFiles(),
                       ErrorKind::kNotFound);
}

}  // namespace
}  // namespace k2::jobs
