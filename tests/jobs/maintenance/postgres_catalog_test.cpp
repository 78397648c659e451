// Every maintenance operation on a table in the PostgreSQL catalog (a real
// server on loopback), with appends and re-offloads committed through a second
// connection while compaction runs; chDB's counts and sums are checked after
// each step.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "catalog/catalog_factory.h"
#include "jobs/maintenance/compaction.h"
#include "jobs/maintenance/expire_job.h"
#include "jobs/maintenance/maintenance_fixture.h"
#include "jobs/maintenance/manifest_rewrite.h"
#include "jobs/maintenance/orphan_files.h"
#include "support/postgres_server.h"

namespace k2::jobs {
namespace {

using testing::kTradesId;
using testing::MaintenanceTest;

class PostgresMaintenanceTest : public MaintenanceTest {};

TEST_F(PostgresMaintenanceTest, AllOperationsWithConcurrentWritersKeepEveryRow) {
  K2_START_POSTGRES(server);
  K2_ASSERT_OK_AND_ASSIGN(owned_catalog_, OpenSqlCatalog(server->uri(), "k2"));
  catalog_ = owned_catalog_.get();
  K2_ASSERT_OK_AND_ASSIGN(auto writer_catalog, OpenSqlCatalog(server->uri(), "k2"));
  K2_ASSERT_OK(catalog_->CreateNamespace({"market"}, {}));
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table table, CreateTable());
  for (int h = 0; h < 6; ++h) K2_ASSERT_OK(AppendHour(table, 20, h, 10, h * 100));
  K2_ASSERT_OK_AND_ASSIGN(iceberg::Table writer,
                          iceberg::Table::Load(*writer_catalog, *io_, kTradesId));

  // Compaction rounds on one connection while the other appends hours to
  // days 20/21 and re-offloads day 22.
  std::atomic<bool> done{false};
  std::atomic<int> committed{0};
  std::atomic<int> errors{0};
  std::thread compactor([&] {
    CompactionOptions o;
    o.min_file_size_bytes = 1 << 20;
    o.skip_open_partitions = false;
    while (!done.load()) {
      auto r = CompactTable(*catalog_, *io_, kTradesId, o);
      if (!r) {
        ++errors;
      } else {
        committed += r->groups_committed;
      }
    }
  });
  int64_t rows = 60, sum = 0;
  for (int h = 0; h < 6; ++h) {
    for (int i = 0; i < 10; ++i) sum += h * 100 + i;
  }
  int64_t day22_rows = 0, day22_sum = 0;
  Status writer_status = OkStatus();
  for (int round = 0; round < 20 && writer_status; ++round) {
    const int64_t base = 10000 + round * 100;
    if (round % 5 == 4) {
      std::vector<iceberg::testing::TradeRow> rs;
      for (int i = 0; i < 5; ++i) rs.push_back({"2026-11-22T01:00:00", "BTC", 1.0, base + i});
      auto f = iceberg::testing::WriteTrades(writer, rs);
      if (!f) {
        writer_status = std::unexpected(f.error());
        break;
      }
      auto s = writer.NewReplacePartitions().AddFile(*f).Commit();
      if (!s) writer_status = std::unexpected(s.error());
      rows -= day22_rows;
      sum -= day22_sum;
      day22_rows = 5;
      day22_sum = 5 * base + 10;
      rows += day22_rows;
      sum += day22_sum;
    } else {
      auto s = AppendHour(writer, 20 + round % 3, round % 24, 4, base);
      if (!s) writer_status = std::unexpected(s.error());
      rows += 4;
      sum += 4 * base + 6;
      if (round % 3 == 2) {
        day22_rows += 4;
        day22_sum += 4 * base + 6;
      }
    }
  }
  done = true;
  compactor.join();
  K2_ASSERT_OK(writer_status);
  EXPECT_EQ(errors.load(), 0);
  const std::string loc = table.metadata().location;
  K2_ASSERT_OK_AND_ASSIGN(auto totals, ChdbTotals(loc));
  EXPECT_EQ(totals, std::make_pair(rows, sum));

  // A final compaction, then manifests, expiry and orphans, each keeping the data.
  CompactionOptions co;
  co.min_file_size_bytes = 1 << 20;
  co.skip_open_partitions = false;
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport cr, CompactTable(*catalog_, *io_, kTradesId, co));
  EXPECT_EQ(cr.groups_failed, 0) << cr.ToJson().dump();
  EXPECT_GT(committed.load() + cr.groups_committed, 0);
  K2_ASSERT_OK_AND_ASSIGN(totals, ChdbTotals(loc));
  EXPECT_EQ(totals, std::make_pair(rows, sum)) << "after compaction";

  K2_ASSERT_OK_AND_ASSIGN(ManifestRewriteReport mr,
                          RewriteManifests(*catalog_, *io_, kTradesId, ManifestRewriteOptions{}));
  K2_ASSERT_OK_AND_ASSIGN(totals, ChdbTotals(loc));
  EXPECT_EQ(totals, std::make_pair(rows, sum)) << "after manifest rewrite";

  ExpireOptions eo;
  eo.older_than_s = 0;
  eo.retain_last = 1;
  K2_ASSERT_OK_AND_ASSIGN(ExpireReport er, ExpireSnapshots(*catalog_, *io_, kTradesId, eo));
  EXPECT_TRUE(er.committed) << er.ToJson().dump();
  EXPECT_GT(er.data_files_deleted, 0);
  K2_ASSERT_OK_AND_ASSIGN(totals, ChdbTotals(loc));
  EXPECT_EQ(totals, std::make_pair(rows, sum)) << "after expiry";
  K2_ASSERT_OK(table.Refresh());
  EXPECT_EQ(table.metadata().snapshots.size(), 1u);

  const std::string orphan = loc + "/data/stray.parquet";
  std::ofstream(orphan) << "stray";
  OrphanOptions oo;
  oo.now_ms = iceberg::NowMillis() + 5 * 86400 * 1000LL;  // every file is 5 days old
  K2_ASSERT_OK_AND_ASSIGN(OrphanReport orr, RemoveOrphanFiles(*catalog_, *io_, kTradesId, oo));
  EXPECT_EQ(orr.files_deleted, 1) << orr.ToJson().dump();
  EXPECT_FALSE(std::filesystem::exists(orphan));
  K2_ASSERT_OK_AND_ASSIGN(totals, ChdbTotals(loc));
  EXPECT_EQ(totals, std::make_pair(rows, sum)) << "after orphan cleanup";
}

}  // namespace
}  // namespace k2::jobs
