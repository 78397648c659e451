// The offload without the embedded engine: the warm tier in memory
// (support/fake_warm_driver.h), the warehouse in memory behind a
// fault-injecting FileIO, and a SQLite catalog behind a fault-injecting store.
// Planning through the real entry point, and the commit's failure paths: a
// lost race, an unknown outcome, a failed write.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <set>

#include "catalog/sql/catalog_store.h"
#include "catalog/sql/fault_injecting_store.h"
#include "catalog/sql/sql_catalog.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "io/memory_file_io.h"
#include "jobs/offload.h"
#include "jobs/offload_ledger.h"
#include "support/fake_warm_driver.h"
#include "support/fault_injecting_file_io.h"
#include "support/support.h"

namespace k2::jobs {
namespace {

using ::k2::testing::FakeWarmTier;
using ::k2::testing::FaultInjectingFileIO;
using ::k2::testing::FileOp;

constexpr int64_t kHour = 3600 * kMicrosPerSecond;
constexpr int64_t kStart = 1795132800LL * kMicrosPerSecond;  // 2026-11-20T00:00:00Z

class OffloadFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = DefaultConfig(dir_.path());
    TableConfig t;
    t.name = "trades";
    t.layer = "raw";
    t.source = "trades";
    t.time_column = "ts";
    t.target = "market.trades";
    t.window_s = 3600;
    t.partition = {"day"};
    config_.tables = {t};
    config_.offload.max_parallel_tables = 1;

    K2_ASSERT_OK(tier_.CreateTable(
        {"trades", {{"ts", "DateTime64(6, 'UTC')"}, {"id", "Int64"}, {"symbol", "String"}}, "ts"}));
    // 00:00 holds 50 rows, 01:00 none, 02:00 40.
    AddRows(kStart, 50);
    AddRows(kStart + 2 * kHour, 40);

    K2_ASSERT_OK_AND_ASSIGN(auto store, sql::OpenCatalogStore(dir_ / "catalog.db"));
    auto faulty = std::make_unique<sql::FaultInjectingStore>(std::move(store));
    store_ = faulty.get();
    K2_ASSERT_OK_AND_ASSIGN(catalog_, sql::SqlCatalog::Open(std::move(faulty), "k2"));
  }

  /// `n` rows a minute apart from `from_us`.
  void AddRows(int64_t from_us, int n) {
    K2_ASSERT_OK_AND_ASSIGN(auto schema, tier_.SchemaOf("trades"));
    ColumnBatch b(schema);
    for (int i = 0; i < n; ++i) {
      b.columns[0].Append<int64_t>(from_us + i * 60 * kMicrosPerSecond);
      b.columns[1].Append<int64_t>(next_id_++);
      b.columns[2].AppendBytes(i % 2 ? "BTCUSDT" : "ETHUSDT");
    }
    K2_ASSERT_OK(tier_.Insert("trades", b));
  }

  Result<OffloadReport> Offload(OffloadOptions o = {}) {
    if (o.now_us == 0) o.now_us = now_us_;
    OffloadJob job(config_, *catalog_, io_, [this] { return tier_.Connect(); });
    return job.Run(o);
  }

  iceberg::Table Load() {
    auto t = iceberg::Table::Load(*catalog_, io_, *TableIdentifier::Parse("market.trades"));
    EXPECT_TRUE(t) << t.error().ToString();
    return std::move(*t);
  }

  /// How many snapshots recorded each window (k2.window in the summary).
  std::map<std::string, int> SnapshotsPerWindow() {
    std::map<std::string, int> out;
    for (const auto& s : Load().metadata().snapshots) {
      if (auto w = s.summary.find("k2.window"); w != s.summary.end()) ++out[w->second];
    }
    return out;
  }

  /// The data files the current snapshot references.
  std::set<std::string> ReferencedFiles() {
    std::set<std::string> out;
    iceberg::Table table = Load();
    if (!table.metadata().CurrentSnapshot()) return out;
    auto tasks = table.NewScan().PlanFiles();
    EXPECT_TRUE(tasks) << tasks.error().ToString();
    for (const auto& task : *tasks) out.insert(task.file.file_path);
    return out;
  }

  /// The data files in the warehouse.
  std::set<std::string> StoredFiles() {
    std::set<std::string> out;
    auto listed = mem_->List(config_.warehouse.location + "/market/trades/data/");
    EXPECT_TRUE(listed) << listed.error().ToString();
    for (const auto& f : *listed) out.insert(f.path);
    return out;
  }

  /// Window `h` hours after kStart, as reports and summaries name it.
  static std::string Hour(int h) {
    return Window{kStart + h * kHour, kStart + (h + 1) * kHour}.ToString();
  }

  /// How many streams read hour `h` (the fake counts every WarmDriver::Query).
  int StreamsOf(int h) const {
    const std::string from =
        fmt::format(">= toDateTime({}, 'UTC')", (kStart + h * kHour) / kMicrosPerSecond);
    int n = 0;
    for (const auto& sql : tier_.stream_sql()) n += sql.find(from) != std::string::npos;
    return n;
  }

  static std::vector<std::string> Actions(const TableOffload& t) {
    std::vector<std::string> out;
    for (const auto& w : t.windows) out.push_back(w.window.ToString() + " " + w.action);
    return out;
  }

  ::k2::testing::TempDir dir_;
  Config config_;
  FakeWarmTier tier_;
  std::unique_ptr<FileIO> mem_ = NewMemoryFileIO();
  FaultInjectingFileIO io_{*mem_};
  sql::FaultInjectingStore* store_ = nullptr;
  std::unique_ptr<sql::SqlCatalog> catalog_;
  int64_t next_id_ = 1;
  int64_t now_us_ = kStart + 3 * kHour + 10 * 60 * kMicrosPerSecond;  // 03:10
};

TEST_F(OffloadFaultsTest, CatchUpPlansTheClosedWindowsFromTheWarmRows) {
  OffloadOptions dry;
  dry.dry_run = true;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport planned, Offload(dry));
  ASSERT_TRUE(planned.ok()) << planned.ToJson().dump(2);
  ASSERT_EQ(planned.tables.size(), 1u);
  // From the oldest warm row to the last window closed by 03:10 (settled at 03:05).
  EXPECT_EQ(
      Actions(planned.tables[0]),
      (std::vector<std::string>{Hour(0) + " planned", Hour(1) + " planned", Hour(2) + " planned"}));
  std::vector<int64_t> rows;
  for (const auto& w : planned.tables[0].windows) rows.push_back(w.rows);
  EXPECT_EQ(rows, (std::vector<int64_t>{50, 0, 40}));
  EXPECT_EQ(tier_.streams(), 0) << "a dry run streams nothing";

  K2_ASSERT_OK_AND_ASSIGN(OffloadReport run, Offload());
  ASSERT_TRUE(run.ok()) << run.ToJson().dump(2);
  EXPECT_EQ(
      Actions(run.tables[0]),
      (std::vector<std::string>{Hour(0) + " append", Hour(1) + " empty", Hour(2) + " append"}));
  EXPECT_EQ(tier_.streams(), 2) << "the empty hour is recorded without a stream";
  EXPECT_EQ(run.total_rows(), 90);
  EXPECT_EQ(run.tables[0].watermark_us, kStart + 3 * kHour);
  EXPECT_EQ(run.tables[0].lag_seconds, 0);

  // An hour later only the new window is due; the committed ones are checked, not streamed.
  AddRows(kStart + 3 * kHour, 7);
  now_us_ += kHour;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport next, Offload());
  ASSERT_TRUE(next.ok()) << next.ToJson().dump(2);
  EXPECT_EQ(Actions(next.tables[0]), (std::vector<std::string>{Hour(3) + " append"}));
  EXPECT_EQ(tier_.streams(), 3);
  EXPECT_EQ(SnapshotsPerWindow(),
            (std::map<std::string, int>{{Hour(0), 1}, {Hour(2), 1}, {Hour(3), 1}}));
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger ledger, OffloadLedger::FromMetadata(Load().metadata()));
  EXPECT_EQ(ledger.CountWindows(3600), 4);
}

TEST_F(OffloadFaultsTest, LostCommitRaceIsRetriedWithTheSameFilesWithoutStreamingAgain) {
  // The table's own retries (commit.retry.num-retries: 4) all lose the race of
  // the first window's swap; the offload then commits the same files again.
  for (int i = 0; i < 5; ++i) {
    store_->FailNext("UPDATE iceberg_tables", ErrorKind::kCommitConflict);
  }
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport run, Offload());
  ASSERT_TRUE(run.ok()) << run.ToJson().dump(2);
  EXPECT_EQ(store_->fired(), 5);
  EXPECT_EQ(
      Actions(run.tables[0]),
      (std::vector<std::string>{Hour(0) + " append", Hour(1) + " empty", Hour(2) + " append"}));
  EXPECT_EQ(StreamsOf(0), 1) << "a lost race must not read the hour from ClickHouse again";
  EXPECT_EQ(tier_.streams(), 2);
  EXPECT_EQ(SnapshotsPerWindow(), (std::map<std::string, int>{{Hour(0), 1}, {Hour(2), 1}}));
  // The files committed are the ones written: none written twice, none left over.
  EXPECT_EQ(StoredFiles(), ReferencedFiles());
  EXPECT_EQ(static_cast<int64_t>(ReferencedFiles().size()),
            run.tables[0].windows[0].files + run.tables[0].windows[2].files);
}

TEST_F(OffloadFaultsTest, UnknownCommitOutcomeKeepsTheFilesAndARerunCommitsEachWindowOnce) {
  // The first window's swap is applied but its reply is lost, and reading the
  // table back fails too: the outcome stays unknown to the offload.
  store_->FailNext("UPDATE iceberg_tables", ErrorKind::kCommitStateUnknown, /*apply_first=*/true);
  store_->ThenFail("SELECT metadata_location", ErrorKind::kIo);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload());
  ASSERT_EQ(store_->fired(), 2);
  ASSERT_TRUE(first.tables[0].error) << first.ToJson().dump(2);
  EXPECT_EQ(first.tables[0].error->kind, ErrorKind::kCommitStateUnknown);
  // It did commit: the files its snapshot references must still be there.
  std::set<std::string> referenced = ReferencedFiles();
  ASSERT_FALSE(referenced.empty());
  for (const auto& f : referenced) {
    EXPECT_TRUE(StoredFiles().count(f)) << f << " is referenced by a committed snapshot";
  }
  for (const auto& d : io_.deleted()) EXPECT_FALSE(referenced.count(d)) << d;

  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload());
  ASSERT_TRUE(again.ok()) << again.ToJson().dump(2);
  EXPECT_EQ(Actions(again.tables[0]),
            (std::vector<std::string>{Hour(1) + " empty", Hour(2) + " append"}))
      << "the hour that landed is in the ledger: the catch-up starts after it";
  EXPECT_EQ(StreamsOf(0), 1) << "the hour that landed is not read again";
  EXPECT_EQ(StreamsOf(2), 1);
  EXPECT_EQ(SnapshotsPerWindow(), (std::map<std::string, int>{{Hour(0), 1}, {Hour(2), 1}}));
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger ledger, OffloadLedger::FromMetadata(Load().metadata()));
  EXPECT_EQ(ledger.CountWindows(3600), 3);
  EXPECT_EQ(StoredFiles(), ReferencedFiles());
}

TEST_F(OffloadFaultsTest, FailedWriteMidWindowLeavesNoCommitAndARerunSucceeds) {
  // Blocks of 10 rows and a file per block: the window rolls into several
  // files, and the third fails to be written after two were.
  tier_.set_max_batch_rows(10);
  config_.offload.target_file_size_bytes = 1;
  io_.FailNth(FileOp::kFinish, 3, ErrorKind::kIo, "/market/trades/data/");
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload());
  ASSERT_EQ(io_.fired(), 1);
  ASSERT_TRUE(first.tables[0].error) << first.ToJson().dump(2);
  EXPECT_EQ(first.tables[0].error->kind, ErrorKind::kIo);
  EXPECT_EQ(Load().metadata().CurrentSnapshot(), nullptr) << "nothing was committed";
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger none, OffloadLedger::FromMetadata(Load().metadata()));
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(StoredFiles().empty()) << "the half-written window's files are removed";
  int deleted = 0;
  for (const auto& d : io_.deleted())
    deleted += d.find("/market/trades/data/") != std::string::npos;
  EXPECT_EQ(deleted, 2) << "the two files written before the failure";

  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload());
  ASSERT_TRUE(again.ok()) << again.ToJson().dump(2);
  EXPECT_EQ(
      Actions(again.tables[0]),
      (std::vector<std::string>{Hour(0) + " append", Hour(1) + " empty", Hour(2) + " append"}));
  EXPECT_EQ(again.total_rows(), 90);
  EXPECT_EQ(StreamsOf(0), 2) << "the failed hour is read again";
  EXPECT_EQ(SnapshotsPerWindow(), (std::map<std::string, int>{{Hour(0), 1}, {Hour(2), 1}}));
  EXPECT_EQ(StoredFiles(), ReferencedFiles());
}

}  // namespace
}  // namespace k2::jobs
