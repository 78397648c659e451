// The hourly offload end to end on the embedded engine: generated trades flow
// raw -> bronze -> silver -> gold in chDB, k2 offloads every layer into Iceberg
// (SQLite catalog, local warehouse), and an independent engine (chDB through
// node, reading the Iceberg metadata) returns the warm tier's counts and sums.
#include "jobs/offload.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "catalog/catalog_factory.h"
#include "iceberg/table.h"
#include "jobs/offload_ledger.h"
#include "support/support.h"
#include "warm/reference_schema.h"
#include "warm/trade_generator.h"

namespace k2::jobs {
namespace {

constexpr int64_t kHourUs = 3600 * kMicrosPerSecond;
// 2026-11-20T00:00:00Z
constexpr int64_t kStartUs = 1795132800LL * kMicrosPerSecond;

/// One embedded engine per test process (chDB allows one data dir per
/// process): its data dir outlives the tests, and each test starts from an
/// empty reference schema.
const std::string& EngineDir() {
  static auto* dir = new ::k2::testing::TempDir();
  return dir->path();
}

class OffloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!::k2::testing::ChdbLibraryPath())
      GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
    config_ = DefaultConfig(dir_.path());
    config_.warm.chdb_library = *::k2::testing::ChdbLibraryPath();
    config_.warm.data_dir = EngineDir();
    config_.offload.max_parallel_tables = 2;
    auto driver = OpenWarmDriver(config_);
    ASSERT_TRUE(driver) << driver.error().ToString();
    warm_ = std::move(*driver);
    // Views first, so no view writes into a dropped table.
    K2_ASSERT_OK_AND_ASSIGN(
        std::string names,
        warm_->Execute("SELECT name FROM system.tables WHERE database = "
                       "currentDatabase() ORDER BY engine != 'MaterializedView'"));
    std::stringstream ss(names);
    for (std::string name; std::getline(ss, name);) {
      K2_ASSERT_OK(warm_->Execute("DROP TABLE IF EXISTS `" + name + "`"));
    }
    K2_ASSERT_OK(warm::ApplyReferenceSchema(*warm_));
    auto catalog = OpenSqlCatalog(config_.catalog.uri, "k2");
    ASSERT_TRUE(catalog) << catalog.error().ToString();
    catalog_ = std::move(*catalog);
    io_ = NewLocalFileIO();
  }

  void Generate(double hours, uint64_t seed, int64_t start_us) {
    warm::GeneratorOptions g;
    g.start_micros = start_us;
    g.hours = hours;
    g.rate = 5;
    g.symbols = 4;
    g.seed = seed;
    auto gen = warm::MakeTradeGenerator(g, 4096);
    ASSERT_TRUE(gen) << gen.error().ToString();
    for (;;) {
      auto b = (*gen)->Next();
      ASSERT_TRUE(b) << b.error().ToString();
      if (*b == nullptr) break;
      K2_ASSERT_OK(warm_->Insert("raw_trades", **b));
    }
  }

  Result<OffloadReport> Offload(OffloadOptions o = {}) {
    if (o.now_us == 0) o.now_us = now_us_;
    OffloadJob job(config_, *catalog_, *io_, [this]() -> Result<std::unique_ptr<warm::WarmDriver>> {
      return OpenWarmDriver(config_);
    });
    return job.Run(o);
  }

  std::string Location(const std::string& table) {
    return config_.warehouse.location + "/market/" + table;
  }

  /// Warm answer for a query (TabSeparated first line).
  std::string Warm(const std::string& sql) {
    auto r = warm_->Execute(sql);
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? r->substr(0, r->find('\n')) : "";
  }

  ::k2::testing::TempDir dir_;
  Config config_;
  std::unique_ptr<warm::WarmDriver> warm_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<FileIO> io_;
  int64_t now_us_ = kStartUs + 3 * kHourUs + 10 * 60 * kMicrosPerSecond;  // 03:10
};

TEST_F(OffloadTest, EveryLayerLandsExactlyOnceAndChdbAgreesWithTheWarmTier) {
  Generate(3, 7, kStartUs);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport report, Offload());
  ASSERT_TRUE(report.ok()) << report.ToJson().dump(2);
  ASSERT_EQ(report.tables.size(), config_.tables.size());
  for (const auto& t : report.tables) {
    if (t.table == "gold_ohlcv_1d") {
      EXPECT_TRUE(t.windows.empty()) << "the day has not closed";
      continue;
    }
    EXPECT_EQ(t.windows.size(), 3u) << t.table << ": hours 00, 01, 02 closed by 03:10";
    EXPECT_EQ(t.lag_seconds, 0) << t.table;
  }

  // Independent read-back: chDB reads the Iceberg tables from their metadata.
  struct Check {
    std::string table, warm_sql, cold_sql;
  };
  std::vector<Check> checks = {
      {"raw_trades", "SELECT count(), sum(length(message)) FROM raw_trades",
       "SELECT count() AS c, sum(length(message)) AS s FROM icebergLocal('{}')"},
      {"silver_trades", "SELECT count(), sum(quote_quantity) FROM silver_trades FINAL",
       "SELECT count() AS c, sum(quote_quantity) AS s FROM icebergLocal('{}')"},
      {"gold_ohlcv_1m",
       "SELECT count(), sum(c) FROM (SELECT countMerge(trade_count) AS c FROM gold_ohlcv_1m "
       "GROUP BY exchange, symbol, candle_time)",
       "SELECT count() AS c, sum(trade_count) AS s FROM icebergLocal('{}')"},
  };
  for (const auto& c : checks) {
    std::string warm = Warm(c.warm_sql);
    K2_ASSERT_OK_AND_ASSIGN(auto rows, ::k2::testing::QueryChdb(fmt::format(
                                           fmt::runtime(c.cold_sql), Location(c.table))));
    ASSERT_EQ(rows.size(), 1u);
    std::string cold = rows[0]["c"].get<std::string>() + "\t" + rows[0]["s"].get<std::string>();
    EXPECT_EQ(cold, warm) << c.table;
  }

  // A rerun commits nothing.
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.total_rows(), 0);
  for (const auto& t : again.tables) EXPECT_TRUE(t.windows.empty()) << t.table;
}

TEST_F(OffloadTest, LateRowsAreReplacedExactlyAndConcurrentRunsCommitOnce) {
  Generate(2, 11, kStartUs);
  OffloadOptions raw_only;
  raw_only.tables = {"raw_trades"};
  // Two runs at once: every window is committed once.
  Result<OffloadReport> a, b;
  std::thread t1([&] { a = Offload(raw_only); });
  std::thread t2([&] { b = Offload(raw_only); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->ok()) << a->ToJson().dump(2);
  ASSERT_TRUE(b->ok()) << b->ToJson().dump(2);
  K2_ASSERT_OK_AND_ASSIGN(auto id, TableIdentifier::Parse("market.raw_trades"));
  K2_ASSERT_OK_AND_ASSIGN(auto table, iceberg::Table::Load(*catalog_, *io_, id));
  auto ledger = OffloadLedger::FromAncestry([&] {
    std::vector<AncestorSummary> v;
    for (auto* s : table.metadata().MainAncestry()) v.push_back({s->snapshot_id, s->summary});
    return v;
  }());
  EXPECT_EQ(ledger.size(), 3u);  // hours 00, 01, 02
  int commits = 0;
  for (auto* s : table.metadata().MainAncestry()) commits += s->summary.count(kSummaryWindowStart);
  EXPECT_EQ(commits, 3) << "a window was committed twice";

  // Late rows into hour 01, already offloaded.
  Generate(0.1, 99, kStartUs + kHourUs + 5 * 60 * kMicrosPerSecond);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport late, Offload(raw_only));
  ASSERT_TRUE(late.ok()) << late.ToJson().dump(2);
  ASSERT_EQ(late.tables[0].windows.size(), 1u) << late.ToJson().dump(2);
  EXPECT_EQ(late.tables[0].windows[0].action, "replace");
  std::string warm = Warm("SELECT count(), sum(cityHash64(message)) FROM raw_trades");
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows, ::k2::testing::QueryChdb(fmt::format(
                     "SELECT toString(count()) AS c, toString(sum(cityHash64(message))) AS s FROM "
                     "icebergLocal('{}')",
                     Location("raw_trades"))));
  EXPECT_EQ(rows[0]["c"].get<std::string>() + "\t" + rows[0]["s"].get<std::string>(), warm);

  // --replace of a committed window keeps cold equal to warm.
  OffloadOptions replace = raw_only;
  replace.window = "2026-11-20T00:00Z";
  replace.replace = true;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport forced, Offload(replace));
  ASSERT_TRUE(forced.ok()) << forced.ToJson().dump(2);
  EXPECT_EQ(forced.tables[0].windows.at(0).action, "replace");
  K2_ASSERT_OK_AND_ASSIGN(
      rows, ::k2::testing::QueryChdb(fmt::format(
                "SELECT toString(count()) AS c FROM icebergLocal('{}')", Location("raw_trades"))));
  EXPECT_EQ(rows[0]["c"].get<std::string>(), Warm("SELECT count() FROM raw_trades"));
}

TEST_F(OffloadTest, ColumnAddedInClickHouseIsAddedToTheIcebergSchema) {
  // Drift reaches tables read with SELECT * (a time_column in the config);
  // the reference schema's offload queries name their columns.
  for (auto& t : config_.tables) {
    if (t.name == "raw_trades") t.time_column = "ingested_at";
  }
  Generate(2, 21, kStartUs);
  OffloadOptions raw_only;
  raw_only.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(raw_only));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  std::string before = Warm("SELECT count() FROM raw_trades");

  K2_ASSERT_OK(warm_->Execute("ALTER TABLE raw_trades ADD COLUMN venue String DEFAULT 'sim'"));
  Generate(0.5, 22, kStartUs + 3 * kHourUs);
  now_us_ += kHourUs;  // 04:10: hour 03 is due
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport second, Offload(raw_only));
  ASSERT_TRUE(second.ok()) << second.ToJson().dump(2);
  // The new column changes every warm row's checksum, so the re-checked
  // windows are replaced (now carrying the column) and hour 03 is appended.
  ASSERT_EQ(second.tables[0].windows.size(), 4u) << second.ToJson().dump(2);
  EXPECT_EQ(second.tables[0].windows[0].action, "replace");
  EXPECT_EQ(second.tables[0].windows[3].action, "append");

  K2_ASSERT_OK_AND_ASSIGN(auto id, TableIdentifier::Parse("market.raw_trades"));
  K2_ASSERT_OK_AND_ASSIGN(auto table, iceberg::Table::Load(*catalog_, *io_, id));
  auto idx = table.schema().IndexOf("venue");
  ASSERT_TRUE(idx.has_value()) << "the new column is not in the Iceberg schema";
  EXPECT_TRUE(table.schema().fields[*idx].nullable);
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows, ::k2::testing::QueryChdb(fmt::format(
                     "SELECT toString(countIf(venue IS NULL)) AS old, toString(countIf(venue = "
                     "'sim')) AS new, toString(count()) AS c FROM icebergLocal('{}')",
                     Location("raw_trades"))));
  EXPECT_EQ(rows[0]["old"].get<std::string>(), "0") << "replaced windows carry the column";
  EXPECT_EQ(rows[0]["c"].get<std::string>(), Warm("SELECT count() FROM raw_trades"));
  EXPECT_EQ(rows[0]["new"].get<std::string>(), rows[0]["c"].get<std::string>());
  EXPECT_NE(rows[0]["c"].get<std::string>(), before) << "hour 03 added rows";
}

TEST_F(OffloadTest, BadOptionsAndUnclosedWindowsAreRefused) {
  OffloadOptions o;
  o.replace = true;
  K2_ASSERT_ERROR_KIND(Offload(o), ErrorKind::kInvalidInput);
  o = {};
  o.tables = {"nope"};
  K2_ASSERT_ERROR_KIND(Offload(o), ErrorKind::kNotFound);
  o = {};
  o.tables = {"raw_trades"};
  o.window = "2026-11-20T03:00Z";  // closes at 04:00, now is 03:10
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport r, Offload(o));
  ASSERT_TRUE(r.tables[0].error.has_value());
  EXPECT_EQ(r.tables[0].error->kind, ErrorKind::kInvalidInput);
}

TEST_F(OffloadTest, DryRunPlansWithoutWriting) {
  Generate(2, 3, kStartUs);
  OffloadOptions o;
  o.tables = {"raw_trades"};
  o.dry_run = true;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport r, Offload(o));
  ASSERT_TRUE(r.ok()) << r.ToJson().dump(2);
  ASSERT_EQ(r.tables[0].windows.size(), 3u);
  EXPECT_EQ(r.tables[0].windows[0].action, "planned");
  EXPECT_FALSE(std::filesystem::exists(Location("raw_trades")));
}

}  // namespace
}  // namespace k2::jobs
