#include <gtest/gtest.h>

#include "iceberg/metadata_version.h"

#include <atomic>
#include <thread>

#include "iceberg/manifest/manifest_list.h"
#include "iceberg/manifest/manifest_reader.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "iceberg/test_tables.h"

namespace k2::iceberg {
namespace {

using ::k2::testing::TempDir;
using testing::FakeFile;
using testing::Q;
using testing::QueryChdbAt;
using testing::TradesSchema;
using testing::WriteTrades;

const TableIdentifier kId{{"market"}, "trades"};

class CommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = NewMemoryCatalog("k2");
    ASSERT_TRUE(catalog_->CreateNamespace({"market"}, {}).has_value());
  }
  Result<Table> CreateTable(const std::vector<std::pair<std::string, std::string>>& partition,
                            std::map<std::string, std::string> props = {}) {
    K2_ASSIGN_OR_RETURN(PartitionSpec spec, PartitionSpec::Make(TradesSchema(), partition));
    CreateOptions opts;
    opts.location = dir_ / "warehouse/market/trades";
    opts.properties = std::move(props);
    return Table::Create(*catalog_, *io_, kId, TradesSchema(), spec, opts);
  }

  TempDir dir_;
  std::unique_ptr<FileIO> io_ = NewLocalFileIO();
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CommitTest, FastAppendWritesManifestsWithMetricsAndInheritance) {
  K2_ASSERT_OK_AND_ASSIGN(Table table, CreateTable({{"ts", "day"}}));
  EXPECT_EQ(ParseMetadataVersion(table.metadata_location()), 0);
  K2_ASSERT_OK_AND_ASSIGN(DataFile f1,
                          WriteTrades(table, {{"2026-11-24T10:00:00", "BTC", 100.5, 2},
                                              {"2026-11-24T11:00:00", "ETH", 10.25, 3}}));
  K2_ASSERT_OK_AND_ASSIGN(DataFile f2,
                          WriteTrades(table, {{"2026-11-25T00:30:00", "BTC", 101.0, 5}}));
  EXPECT_NE(f1.file_path.find("/data/ts_day=2026-11-24/"), std::string::npos);
  K2_ASSERT_OK_AND_ASSIGN(int64_t snap_id, table.NewFastAppend()
                                               .AppendFile(f1)
                                               .AppendFile(f2)
                                               .Set("k2.offload.window", "2026-11-24T10/11")
                                               .Commit());
  const TableMetadata& m = table.metadata();
  ASSERT_NE(m.CurrentSnapshot(), nullptr);
  EXPECT_EQ(m.CurrentSnapshot()->snapshot_id, snap_id);
  EXPECT_EQ(m.last_sequence_number, 1);
  EXPECT_EQ(ParseMetadataVersion(table.metadata_location()), 1);
  ASSERT_EQ(m.metadata_log.size(), 1u);
  const auto& s = m.CurrentSnapshot()->summary;
  EXPECT_EQ(m.CurrentSnapshot()->operation, "append");
  EXPECT_EQ(s.at("added-data-files"), "2");
  EXPECT_EQ(s.at("added-records"), "3");
  EXPECT_EQ(s.at("total-records"), "3");
  EXPECT_EQ(s.at("total-data-files"), "2");
  EXPECT_EQ(s.at("changed-partition-count"), "2");
  EXPECT_EQ(s.at("k2.offload.window"), "2026-11-24T10/11");
  EXPECT_EQ(s.at("added-files-size"),
            std::to_string(f1.file_size_in_bytes + f2.file_size_in_bytes));

  // The catalog points at what the table holds.
  K2_ASSERT_OK_AND_ASSIGN(std::string loc, catalog_->LoadTable(kId));
  EXPECT_EQ(loc, table.metadata_location());

  K2_ASSERT_OK_AND_ASSIGN(auto manifests,
                          ReadManifestList(*io_, m.CurrentSnapshot()->manifest_list));
  ASSERT_EQ(manifests.size(), 1u);
  EXPECT_EQ(manifests[0].sequence_number, 1);
  EXPECT_EQ(manifests[0].added_files_count, 2);
  EXPECT_EQ(manifests[0].added_rows_count, 3);
  ASSERT_EQ(manifests[0].partitions.size(), 1u);
  K2_ASSERT_OK_AND_ASSIGN(auto meta, ReadManifestMetadata(*io_, manifests[0].manifest_path));
  EXPECT_EQ(meta.at("format-version"), "2");
  EXPECT_EQ(meta.at("content"), "data");
  EXPECT_EQ(meta.at("partition-spec-id"), "0");
  EXPECT_NE(meta.at("schema").find("\"symbol\""), std::string::npos);
  EXPECT_NE(meta.at("partition-spec").find("ts_day"), std::string::npos);

  K2_ASSERT_OK_AND_ASSIGN(auto entries, ReadManifest(*io_, manifests[0]));
  ASSERT_EQ(entries.size(), 2u);
  const ManifestEntry& e = entries[0];
  EXPECT_EQ(e.status, EntryStatus::kAdded);
  EXPECT_EQ(e.snapshot_id, snap_id);
  EXPECT_EQ(e.sequence_number, 1);  // inherited from the manifest list
  EXPECT_EQ(e.file_sequence_number, 1);
  EXPECT_EQ(e.file.file_path, f1.file_path);
  EXPECT_EQ(e.file.record_count, 2);
  ASSERT_EQ(e.file.partition.size(), 1u);
  EXPECT_EQ(e.file.partition[0].type, DataType::Date());
  EXPECT_EQ(e.file.partition[0].ToString(), "2026-11-24");
  EXPECT_EQ(e.file.column_sizes.size(), 4u);
  EXPECT_EQ(e.file.value_counts.at(4), 2);
  EXPECT_EQ(e.file.null_value_counts.at(2), 0);
  EXPECT_EQ(e.file.nan_value_counts.at(3), 0);
  K2_ASSERT_OK_AND_ASSIGN(Value lo,
                          DecodeSingleValue(DataType::Int64(), e.file.lower_bounds.at(4)));
  K2_ASSERT_OK_AND_ASSIGN(Value hi,
                          DecodeSingleValue(DataType::Int64(), e.file.upper_bounds.at(4)));
  EXPECT_EQ(std::get<int64_t>(lo.data), 2);
  EXPECT_EQ(std::get<int64_t>(hi.data), 3);
  EXPECT_EQ(e.file.split_offsets, f1.split_offsets);

  // A second append keeps the first manifest and inherits its own sequence number.
  K2_ASSERT_OK_AND_ASSIGN(DataFile f3, WriteTrades(table, {{"2026-11-24T12:00:00", "SOL", 1, 7}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t snap2, table.NewFastAppend().AppendFile(f3).Commit());
  K2_ASSERT_OK_AND_ASSIGN(
      auto manifests2, ReadManifestList(*io_, table.metadata().CurrentSnapshot()->manifest_list));
  ASSERT_EQ(manifests2.size(), 2u);
  EXPECT_EQ(manifests2[0].sequence_number, 2);
  EXPECT_EQ(manifests2[1].manifest_path, manifests[0].manifest_path);
  EXPECT_EQ(table.metadata().CurrentSnapshot()->parent_snapshot_id, snap_id);
  EXPECT_EQ(table.metadata().CurrentSnapshot()->summary.at("total-records"), "4");
  auto ancestry = table.metadata().MainAncestry();
  ASSERT_EQ(ancestry.size(), 2u);
  EXPECT_EQ(ancestry[0]->snapshot_id, snap2);

  // Scan planning: all files, then pruned by partition and by column bounds.
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, table.NewScan().PlanFiles());
  EXPECT_EQ(tasks.size(), 3u);
  K2_ASSERT_OK_AND_ASSIGN(Predicate day, Predicate::Parse("ts >= '2026-11-25T00:00:00'"));
  K2_ASSERT_OK_AND_ASSIGN(tasks, table.NewScan().Filter(day).PlanFiles());
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].file.file_path, f2.file_path);
  K2_ASSERT_OK_AND_ASSIGN(Predicate qty, Predicate::Parse("qty > 6"));
  K2_ASSERT_OK_AND_ASSIGN(tasks, table.NewScan().Filter(qty).PlanFiles());
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].file.file_path, f3.file_path);
  K2_ASSERT_OK_AND_ASSIGN(tasks, table.NewScan().UseSnapshot(snap_id).PlanFiles());
  EXPECT_EQ(tasks.size(), 2u);

  // Reload through the catalog sees the same state.
  K2_ASSERT_OK_AND_ASSIGN(Table again, Table::Load(*catalog_, *io_, kId));
  EXPECT_EQ(again.metadata().CurrentSnapshot()->snapshot_id, snap2);
}

TEST_F(CommitTest, ChdbReadsAppendsAndTimeTravels) {
  K2_ASSERT_OK_AND_ASSIGN(Table table, CreateTable({{"ts", "day"}, {"symbol", "identity"}}));
  K2_ASSERT_OK_AND_ASSIGN(DataFile f1,
                          WriteTrades(table, {{"2026-11-24T10:00:00", "BTC", 100.5, 2},
                                              {"2026-11-24T11:00:00", "BTC", 99.5, 3}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t s1, table.NewFastAppend().AppendFile(f1).Commit());
  const int64_t t1 = table.metadata().CurrentSnapshot()->timestamp_ms;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  K2_ASSERT_OK_AND_ASSIGN(DataFile f2, WriteTrades(table, {{"2026-11-25T01:00:00", "ETH", 10, 7}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t s2, table.NewFastAppend().AppendFile(f2).Commit());
  (void)s2;
  const std::string loc = table.metadata().location;
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows, QueryChdbAt(dir_.path(),
                             "SELECT count() AS c, sum(qty) AS q, round(sum(price), 2) AS p FROM "
                             "icebergLocal(" +
                                 Q(loc) + ")"));
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["c"], "3");
  EXPECT_EQ(rows[0]["q"], "12");
  EXPECT_DOUBLE_EQ(rows[0]["p"].get<double>(), 210.0);
  K2_ASSERT_OK_AND_ASSIGN(
      rows, QueryChdbAt(dir_.path(), "SELECT symbol, count() AS c FROM icebergLocal(" + Q(loc) +
                                         ") GROUP BY symbol ORDER BY symbol"));
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
  EXPECT_EQ(rows[0]["symbol"], "BTC");
  EXPECT_EQ(rows[0]["c"], "2");
  K2_ASSERT_OK_AND_ASSIGN(
      rows, QueryChdbAt(dir_.path(), "SELECT count() AS c FROM icebergLocal(" + Q(loc) +
                                         ") SETTINGS iceberg_snapshot_id = " + std::to_string(s1)));
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["c"], "2");
  K2_ASSERT_OK_AND_ASSIGN(
      rows,
      QueryChdbAt(dir_.path(), "SELECT count() AS c FROM icebergLocal(" + Q(loc) +
                                   ") SETTINGS iceberg_timestamp_ms = " + std::to_string(t1)));
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["c"], "2");
}

// A metadata file never changes once written: a table loaded again at the
// same location reuses the parse (the file is not read again), and the
// metadata a commit keeps is the metadata its file holds.
TEST_F(CommitTest, LoadingTheSameMetadataFileAgainReusesItsParse) {
  K2_ASSERT_OK_AND_ASSIGN(Table table, CreateTable({{"ts", "day"}}));
  K2_ASSERT_OK_AND_ASSIGN(DataFile f1,
                          WriteTrades(table, {{"2026-11-24T10:00:00", "BTC", 100.5, 2}}));
  K2_ASSERT_OK(table.NewFastAppend().AppendFile(f1).Commit());
  const std::string committed = table.metadata_location();
  K2_ASSERT_OK_AND_ASSIGN(std::string bytes, io_->ReadAll(committed));
  K2_ASSERT_OK_AND_ASSIGN(TableMetadata from_file, TableMetadata::FromFileBytes(bytes, committed));
  EXPECT_EQ(from_file.ToJson(), table.metadata().ToJson());

  K2_ASSERT_OK_AND_ASSIGN(Table loaded, Table::Load(*catalog_, *io_, kId));
  EXPECT_EQ(loaded.metadata_location(), committed);
  EXPECT_EQ(&loaded.metadata(), &table.metadata());  // one parse, shared
  // Gone from storage, the file's parse still serves a load at its location;
  // another location is read (and fails).
  K2_ASSERT_OK(io_->Delete(committed));
  K2_ASSERT_OK_AND_ASSIGN(Table again, Table::LoadMetadataFile(*io_, committed));
  EXPECT_EQ(again.metadata().CurrentSnapshot()->snapshot_id,
            table.metadata().CurrentSnapshot()->snapshot_id);
  EXPECT_FALSE(Table::LoadMetadataFile(*io_, committed + ".other.metadata.json"));
}

TEST_F(CommitTest, StaleWriterRetriesOnConflictAndKeepsBothCommits) {
  K2_ASSERT_OK_AND_ASSIGN(Table a, CreateTable({}, {{"commit.retry.min-wait-ms", "1"}}));
  K2_ASSERT_OK_AND_ASSIGN(Table b, Table::Load(*catalog_, *io_, kId));
  K2_ASSERT_OK(a.NewFastAppend().AppendFile(FakeFile("/x/a.parquet", 5)).Commit());
  // b still holds version 0; its commit conflicts once, refreshes and lands on top.
  int validations = 0;
  K2_ASSERT_OK_AND_ASSIGN(int64_t sb, b.NewFastAppend()
                                          .AppendFile(FakeFile("/x/b.parquet", 7))
                                          .Validate([&](const TableMetadata& latest) -> Status {
                                            ++validations;
                                            return OkStatus();
                                          })
                                          .Commit());
  EXPECT_EQ(validations, 2);
  EXPECT_EQ(b.metadata().CurrentSnapshot()->snapshot_id, sb);
  EXPECT_EQ(b.metadata().CurrentSnapshot()->summary.at("total-records"), "12");
  EXPECT_EQ(b.metadata().MainAncestry().size(), 2u);
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, b.NewScan().PlanFiles());
  EXPECT_EQ(tasks.size(), 2u);
  // The failed attempt's metadata file and manifest list were removed.
  K2_ASSERT_OK_AND_ASSIGN(auto files, io_->List(a.metadata().location + "/metadata"));
  int metadata_files = 0, lists = 0;
  for (const auto& f : files) {
    if (f.path.ends_with(".metadata.json")) ++metadata_files;
    if (f.path.find("/snap-") != std::string::npos) ++lists;
  }
  EXPECT_EQ(metadata_files, 3);
  EXPECT_EQ(lists, 2);
}

TEST_F(CommitTest, ValidateCallbackCanAbortOnLatestMetadata) {
  K2_ASSERT_OK_AND_ASSIGN(Table a, CreateTable({}, {{"commit.retry.min-wait-ms", "1"}}));
  K2_ASSERT_OK_AND_ASSIGN(Table b, Table::Load(*catalog_, *io_, kId));
  K2_ASSERT_OK(
      a.NewFastAppend().AppendFile(FakeFile("/x/a.parquet", 5)).Set("window", "w1").Commit());
  // Exactly-once: refuse if the window is already in main's ancestry.
  auto not_done = [](const TableMetadata& latest) -> Status {
    for (const Snapshot* s : latest.MainAncestry()) {
      auto it = s->summary.find("window");
      if (it != s->summary.end() && it->second == "w1") {
        return MakeError(ErrorKind::kAlreadyExists, "window w1 already committed");
      }
    }
    return OkStatus();
  };
  K2_ASSERT_ERROR_KIND(b.NewFastAppend()
                           .AppendFile(FakeFile("/x/b.parquet", 5))
                           .Set("window", "w1")
                           .Validate(not_done)
                           .Commit(),
                       ErrorKind::kAlreadyExists);
  K2_ASSERT_OK(b.Refresh());
  EXPECT_EQ(b.metadata().snapshots.size(), 1u);
  // Nothing of the aborted commit is left behind.
  K2_ASSERT_OK_AND_ASSIGN(auto files, io_->List(a.metadata().location + "/metadata"));
  EXPECT_EQ(files.size(), 2u + 2u);  // 2 metadata files, 1 manifest, 1 manifest list
}

TEST_F(CommitTest, RetriesRunOutWithCommitConflict) {
  catalog_ = NewFaultyMemoryCatalog("k2", [](int) { return SwapFault::kConflict; });
  ASSERT_TRUE(catalog_->CreateNamespace({"market"}, {}).has_value());
  K2_ASSERT_OK_AND_ASSIGN(Table t, CreateTable({}, {{"commit.retry.num-retries", "2"},
                                                    {"commit.retry.min-wait-ms", "1"},
                                                    {"commit.retry.max-wait-ms", "2"}}));
  K2_ASSERT_ERROR_KIND(t.NewFastAppend().AppendFile(FakeFile("/x/a.parquet", 5)).Commit(),
                       ErrorKind::kCommitConflict);
  K2_ASSERT_OK_AND_ASSIGN(auto files, io_->List(t.metadata().location + "/metadata"));
  EXPECT_EQ(files.size(), 1u) << "only the create's metadata file may remain";
}

TEST_F(CommitTest, UnknownCommitStateIsResolvedByReadingBack) {
  std::atomic<int> mode{0};
  catalog_ = NewFaultyMemoryCatalog("k2", [&](int) {
    return mode == 1   ? SwapFault::kUnknownAfterSwap
           : mode == 2 ? SwapFault::kUnknownWithoutSwap
                       : SwapFault::kNone;
  });
  ASSERT_TRUE(catalog_->CreateNamespace({"market"}, {}).has_value());
  K2_ASSERT_OK_AND_ASSIGN(Table t, CreateTable({}, {{"commit.retry.min-wait-ms", "1"}}));
  mode = 1;  // the swap happened but the client was told "unknown": success
  K2_ASSERT_OK_AND_ASSIGN(int64_t s1,
                          t.NewFastAppend().AppendFile(FakeFile("/x/a.parquet", 5)).Commit());
  K2_ASSERT_OK_AND_ASSIGN(std::string loc, catalog_->LoadTable(kId));
  EXPECT_EQ(loc, t.metadata_location());
  EXPECT_EQ(t.metadata().CurrentSnapshot()->snapshot_id, s1);
  // The swap did not happen: the retry commits, and the first attempt's files are kept.
  int calls = 0;
  catalog_ = nullptr;
  catalog_ = NewFaultyMemoryCatalog(
      "k2", [&](int) { return calls++ == 0 ? SwapFault::kUnknownWithoutSwap : SwapFault::kNone; });
  ASSERT_TRUE(catalog_->CreateNamespace({"market"}, {}).has_value());
  K2_ASSERT_OK(catalog_->CreateTable(kId, loc));
  K2_ASSERT_OK_AND_ASSIGN(Table t2, Table::Load(*catalog_, *io_, kId));
  K2_ASSERT_OK(t2.NewFastAppend().AppendFile(FakeFile("/x/b.parquet", 5)).Commit());
  EXPECT_EQ(t2.metadata().snapshots.size(), 2u);
  EXPECT_EQ(t2.metadata().CurrentSnapshot()->summary.at("total-records"), "10");
  K2_ASSERT_OK_AND_ASSIGN(auto files, io_->List(t2.metadata().location + "/metadata"));
  int metadata_files = 0;
  for (const auto& f : files) metadata_files += f.path.ends_with(".metadata.json") ? 1 : 0;
  EXPECT_EQ(metadata_files, 4) << "the uncertain attempt's metadata file must not be deleted";
}

TEST_F(CommitTest, TwoThreadsTwoHundredAppendsEachLoseNothing) {
  K2_ASSERT_OK_AND_ASSIGN(Table t0, CreateTable({}, {{"commit.retry.num-retries", "1000"},
                                                     {"commit.retry.min-wait-ms", "0"},
                                                     {"commit.retry.max-wait-ms", "5"}}));
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  std::vector<Status> results(2);
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      auto table = Table::Load(*catalog_, *io_, kId);
      if (!table) {
        results[w] = std::unexpected(table.error());
        return;
      }
      for (int i = 0; i < kPerThread; ++i) {
        auto r = table->NewFastAppend()
                     .AppendFile(FakeFile(fmt::format("/x/w{}-{}.parquet", w, i), w + 1))
                     .Set("writer", std::to_string(w))
                     .Commit();
        if (!r) {
          results[w] = std::unexpected(r.error());
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) K2_ASSERT_OK(r);
  K2_ASSERT_OK(t0.Refresh());
  const TableMetadata& m = t0.metadata();
  EXPECT_EQ(m.snapshots.size(), 2u * kPerThread);
  auto ancestry = m.MainAncestry();
  EXPECT_EQ(ancestry.size(), 2u * kPerThread) << "history must be linear";
  EXPECT_EQ(m.last_sequence_number, 2 * kPerThread);
  for (size_t i = 0; i + 1 < ancestry.size(); ++i) {
    EXPECT_EQ(ancestry[i]->sequence_number, ancestry[i + 1]->sequence_number + 1);
  }
  EXPECT_EQ(m.CurrentSnapshot()->summary.at("total-records"), std::to_string(kPerThread * 3));
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, t0.NewScan().PlanFiles());
  EXPECT_EQ(tasks.size(), 2u * kPerThread);
  int64_t rows = 0;
  for (const auto& task : tasks) rows += task.file.record_count;
  EXPECT_EQ(rows, kPerThread * 3);
}

}  // namespace
}  // namespace k2::iceberg

namespace k2::iceberg {
namespace {

// k2's own scan and chDB agree on rows and aggregates of a multi-file, multi-day table.
TEST_F(CommitTest, K2ScanAndChdbAgreeOnAggregates) {
  K2_ASSERT_OK_AND_ASSIGN(Table table, CreateTable({{"ts", "day"}}));
  int64_t k2_rows = 0;
  for (int f = 0; f < 6; ++f) {
    std::vector<testing::TradeRow> rows;
    for (int i = 0; i < 150; ++i) {
      const int minute = (f * 150 + i) % 1440;
      rows.push_back(
          {fmt::format("2026-11-{:02d}T{:02d}:{:02d}:00", 24 + f % 3, minute / 60, minute % 60),
           i % 2 ? "BTC" : "ETH", 100.0 + i * 0.25, int64_t{f * 1000 + i}});
    }
    K2_ASSERT_OK_AND_ASSIGN(DataFile file, WriteTrades(table, rows));
    K2_ASSERT_OK(table.NewFastAppend().AppendFile(file).Commit());
  }
  K2_ASSERT_OK_AND_ASSIGN(Predicate filter, Predicate::Parse("symbol = 'BTC' AND qty >= 2000"));
  K2_ASSERT_OK_AND_ASSIGN(auto reader,
                          table.NewScan().Select({"qty", "price"}).Filter(filter).ToBatchReader());
  int64_t k2_sum = 0;
  double k2_price = 0;
  while (true) {
    K2_ASSERT_OK_AND_ASSIGN(const ColumnBatch* b, reader->Next());
    if (b == nullptr) break;
    for (size_t r = 0; r < b->num_rows(); ++r) {
      k2_sum += b->columns[0].Value<int64_t>(r);
      k2_price += b->columns[1].Value<double>(r);
      ++k2_rows;
    }
  }
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows,
      QueryChdbAt(dir_.path(),
                  "SELECT count() AS c, sum(qty) AS q, sum(price) AS p FROM "
                  "icebergLocal(" +
                      Q(table.metadata().location) + ") WHERE symbol = 'BTC' AND qty >= 2000"));
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["c"], std::to_string(k2_rows));
  EXPECT_EQ(rows[0]["q"], std::to_string(k2_sum));
  EXPECT_NEAR(rows[0]["p"].get<double>(), k2_price, 1e-6);
  EXPECT_EQ(k2_rows, 4 * 75);
}

}  // namespace
}  // namespace k2::iceberg

namespace k2::iceberg {
namespace {

// A writer killed between writing its metadata file and the catalog's swap
// leaves a file numbered like the next commit's. Readers without a catalog
// (chDB's icebergLocal) take the highest-numbered file: the next commit must
// number its file above every file present, or they may read the dead one.
TEST_F(CommitTest, ACommitOutnumbersAMetadataFileLeftByAKilledWriter) {
  K2_ASSERT_OK_AND_ASSIGN(Table table, CreateTable({{"ts", "day"}}));
  K2_ASSERT_OK_AND_ASSIGN(DataFile f1, WriteTrades(table, {{"2026-11-24T10:00:00", "BTC", 1, 2}}));
  ASSERT_TRUE(table.NewFastAppend().AppendFile(f1).Commit());
  // The dead writer's file: version 2, the empty table's content.
  const std::string loc = table.metadata().location;
  K2_ASSERT_OK_AND_ASSIGN(auto v0,
                          ReadTableMetadata(*io_, table.metadata().metadata_log[0].metadata_file));
  ASSERT_TRUE(io_->WriteAll(loc + "/metadata/00002-dead.metadata.json", v0.ToJson(), true));
  EXPECT_EQ(HighestMetadataVersion(*io_, loc), 2);
  K2_ASSERT_OK_AND_ASSIGN(DataFile f2, WriteTrades(table, {{"2026-11-24T11:00:00", "ETH", 1, 3}}));
  ASSERT_TRUE(table.NewFastAppend().AppendFile(f2).Commit());
  EXPECT_EQ(ParseMetadataVersion(table.metadata_location()), 3);
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows, QueryChdbAt(dir_.path(), "SELECT count() AS c FROM icebergLocal(" + Q(loc) + ")"));
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["c"], "2") << "chDB read the committed version";
}

}  // namespace
}  // namespace k2::iceberg

namespace k2::iceberg {
namespace {

/// The *.metadata.json files in the table's metadata/ directory.
size_t MetadataFiles(FileIO& io, const std::string& location) {
  auto files = io.List(location + "/metadata/");
  size_t n = 0;
  for (const auto& f : files.value_or(std::vector<FileInfo>{})) {
    n += f.path.ends_with(".metadata.json") ? 1 : 0;
  }
  return n;
}

// write.metadata.delete-after-commit.enabled (what the offload sets on the
// tables it creates): metadata files past write.metadata.previous-versions-max
// are deleted once a commit drops them from the log, so metadata/ stays small
// however old the table; without the property every version is kept. chDB
// reads the table and its log's oldest version still.
TEST_F(CommitTest, DeleteAfterCommitKeepsOnlyTheMetadataLog) {
  for (bool enabled : {true, false}) {
    SCOPED_TRACE(enabled ? "enabled" : "disabled");
    const std::string name = enabled ? "kept_short" : "kept_all";
    CreateOptions opts;
    opts.location = dir_ / ("warehouse/market/" + name);
    opts.properties = {{"write.metadata.delete-after-commit.enabled", enabled ? "true" : "false"},
                       {"write.metadata.previous-versions-max", "2"}};
    K2_ASSERT_OK_AND_ASSIGN(Table table,
                            Table::Create(*catalog_, *io_, TableIdentifier{{"market"}, name},
                                          TradesSchema(), PartitionSpec::Unpartitioned(), opts));
    for (int i = 0; i < 6; ++i) {
      K2_ASSERT_OK_AND_ASSIGN(DataFile f,
                              WriteTrades(table, {{"2026-11-24T10:00:00", "BTC", 1.0 + i, 2}}));
      ASSERT_TRUE(table.NewFastAppend().AppendFile(f).Commit());
    }
    const std::string loc = table.metadata().location;
    ASSERT_EQ(table.metadata().metadata_log.size(), 2u);
    EXPECT_EQ(MetadataFiles(*io_, loc), enabled ? 3u : 7u);
    for (const auto& e : table.metadata().metadata_log) {
      EXPECT_TRUE(io_->Exists(e.metadata_file).value_or(false)) << e.metadata_file;
    }
    K2_ASSERT_OK_AND_ASSIGN(
        auto rows,
        QueryChdbAt(dir_.path(), "SELECT count() AS c FROM icebergLocal(" + Q(loc) + ")"));
    ASSERT_EQ(rows.size(), 1u) << rows.dump();
    EXPECT_EQ(rows[0]["c"], "6");
  }
}

}  // namespace
}  // namespace k2::iceberg
