#pragma once
// The offload tests' fixture: one embedded ClickHouse engine per process with
// the reference schema, a SQLite catalog and a local warehouse in a temp dir,
// trades generated into raw_trades, and helpers to offload and read back.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "catalog/catalog_factory.h"
#include "iceberg/table.h"
#include "jobs/audit.h"
#include "jobs/offload.h"
#include "jobs/offload_ledger.h"
#include "support/rest_catalog_fixture.h"
#include "support/support.h"
#include "warm/reference_schema.h"
#include "warm/trade_generator.h"

namespace k2::jobs {

inline constexpr int64_t kHourUs = 3600 * kMicrosPerSecond;
// 2026-11-20T00:00:00Z
inline constexpr int64_t kStartUs = 1795132800LL * kMicrosPerSecond;

/// One embedded engine per test process (chDB allows one data dir per
/// process); each test starts from an empty reference schema.
inline const std::string& EngineDir() {
  return ::k2::testing::EmbeddedEngineDir();
}

class OffloadTest : public ::testing::Test {
 protected:
  /// "sql" (the SQL catalog) or "rest" (k2's REST client against k2's REST
  /// server on loopback, over the same database).
  virtual std::string CatalogKind() const { return "sql"; }
  /// Changes the default config before anything opens (e.g. the warehouse).
  virtual void Configure(Config& config) const {}

  void SetUp() override {
    if (!::k2::testing::ChdbLibraryPath())
      GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
    config_ = DefaultConfig(dir_.path());
    Configure(config_);
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
    auto catalog = ::k2::testing::TestCatalog::Open(CatalogKind(), config_.catalog.uri,
                                                    config_.warehouse.location);
    ASSERT_TRUE(catalog) << catalog.error().ToString();
    test_catalog_ = std::move(*catalog);
    catalog_ = &test_catalog_->catalog();
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

  Result<AuditReport> Audit(AuditOptions o = {}) {
    AuditJob job(config_, *catalog_, *io_, [this]() -> Result<std::unique_ptr<warm::WarmDriver>> {
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
  std::unique_ptr<::k2::testing::TestCatalog> test_catalog_;
  Catalog* catalog_ = nullptr;
  std::unique_ptr<FileIO> io_;
  int64_t now_us_ = kStartUs + 3 * kHourUs + 10 * 60 * kMicrosPerSecond;  // 03:10

  /// The table `name` of the market namespace, loaded fresh.
  iceberg::Table Load(const std::string& name) {
    auto id = TableIdentifier::Parse("market." + name);
    EXPECT_TRUE(id);
    auto t = iceberg::Table::Load(*catalog_, *io_, *id);
    EXPECT_TRUE(t) << t.error().ToString();
    return std::move(*t);
  }

  /// Late rows into hour 01 of raw_trades (offloaded already): the next
  /// offload replaces that window alone, and cold equals warm again (count
  /// and sum of each message's hash).
  void ExpectLateRowsReplaceTheirWindowOnly(const OffloadOptions& raw_only) {
    Generate(0.1, 99, kStartUs + kHourUs + 5 * 60 * kMicrosPerSecond);
    K2_ASSERT_OK_AND_ASSIGN(OffloadReport late, Offload(raw_only));
    ASSERT_TRUE(late.ok()) << late.ToJson().dump(2);
    ASSERT_EQ(late.tables[0].windows.size(), 1u) << late.ToJson().dump(2);
    EXPECT_EQ(late.tables[0].windows[0].action, "replace");
    std::string warm = Warm("SELECT count(), sum(cityHash64(message)) FROM raw_trades");
    K2_ASSERT_OK_AND_ASSIGN(
        auto rows, ::k2::testing::QueryChdb(fmt::format(
                       "SELECT toString(count()) AS c, toString(sum(cityHash64(message))) AS s "
                       "FROM icebergLocal('{}')",
                       Location("raw_trades"))));
    EXPECT_EQ(rows[0]["c"].get<std::string>() + "\t" + rows[0]["s"].get<std::string>(), warm);
  }

  /// chDB's count of the Iceberg table.
  std::string ColdCount(const std::string& table) {
    auto rows = ::k2::testing::QueryChdb(
        fmt::format("SELECT toString(count()) AS c FROM icebergLocal('{}')", Location(table)));
    EXPECT_TRUE(rows) << rows.error().ToString();
    return rows ? (*rows)[0]["c"].get<std::string>() : "";
  }
};

/// The offload tests on both kinds of catalog.
class OffloadCatalogTest : public OffloadTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string CatalogKind() const override { return GetParam(); }
};

}  // namespace k2::jobs
