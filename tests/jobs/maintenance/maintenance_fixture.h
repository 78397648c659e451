#pragma once
// Shared setup for maintenance tests: a day-partitioned trades table on local
// disk, in a memory catalog or (CatalogKindTest) on each catalog kind: the SQL
// catalog, and k2's REST client against k2's REST server on loopback; with
// helpers to inspect it from outside.

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "catalog/memory_catalog.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "iceberg/test_tables.h"
#include "support/rest_catalog_fixture.h"
#include "support/support.h"

namespace k2::jobs::testing {

inline const TableIdentifier kTradesId{{"market"}, "trades"};

class MaintenanceTest : public ::testing::Test {
 protected:
  /// "memory", or a kind of ::k2::testing::CatalogKinds().
  virtual std::string CatalogKind() const { return "memory"; }

  void SetUp() override {
    if (CatalogKind() == "memory") {
      owned_catalog_ = NewMemoryCatalog("k2");
      catalog_ = owned_catalog_.get();
    } else {
      auto opened =
          ::k2::testing::TestCatalog::Open(CatalogKind(), dir_ / "catalog.db", dir_ / "warehouse");
      ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
      test_catalog_ = std::move(*opened);
      catalog_ = &test_catalog_->catalog();
    }
    ASSERT_TRUE(catalog_->CreateNamespace({"market"}, {}).has_value());
  }

  Result<iceberg::Table> CreateTable(
      const std::vector<std::pair<std::string, std::string>>& part = {{"ts", "day"}},
      std::map<std::string, std::string> props = {}) {
    K2_ASSIGN_OR_RETURN(iceberg::PartitionSpec spec,
                        iceberg::PartitionSpec::Make(iceberg::testing::TradesSchema(), part));
    iceberg::CreateOptions opts;
    opts.location = dir_ / "warehouse/market/trades";
    props.emplace("commit.retry.min-wait-ms", "1");
    props.emplace("commit.retry.max-wait-ms", "20");
    props.emplace("commit.retry.num-retries", "50");
    opts.properties = std::move(props);
    return iceberg::Table::Create(*catalog_, *io_, kTradesId, iceberg::testing::TradesSchema(),
                                  spec, opts);
  }

  /// Appends one file of `n` trades at hour `hour` of 2026-11-2x (day `day`).
  Result<int64_t> AppendHour(iceberg::Table& table, int day, int hour, int n, int64_t qty_base) {
    std::vector<iceberg::testing::TradeRow> rows;
    for (int i = 0; i < n; ++i) {
      rows.push_back({fmt::format("2026-11-{:02d}T{:02d}:{:02d}:00", day, hour, i % 60),
                      i % 2 ? "BTC" : "ETH", 100.0 + i, qty_base + i});
    }
    K2_ASSIGN_OR_RETURN(iceberg::DataFile f, iceberg::testing::WriteTrades(table, rows));
    return table.NewFastAppend().AppendFile(f).Commit();
  }

  /// count, sum(qty) through chDB at the current snapshot (or `snapshot_id`).
  Result<std::pair<int64_t, int64_t>> ChdbTotals(const std::string& location,
                                                 std::optional<int64_t> snapshot_id = {}) {
    std::string sql = "SELECT count() AS c, sum(qty) AS q FROM icebergLocal('" + location + "')";
    if (snapshot_id) sql += " SETTINGS iceberg_snapshot_id = " + std::to_string(*snapshot_id);
    K2_ASSIGN_OR_RETURN(nlohmann::json rows, iceberg::testing::QueryChdbAt(dir_.path(), sql));
    if (rows.size() != 1) return MakeError(ErrorKind::kInternal, "rows: {}", rows.dump());
    auto num = [](const nlohmann::json& v) -> int64_t {
      if (v.is_null()) return 0;
      return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>();
    };
    return std::make_pair(num(rows[0]["c"]), num(rows[0]["q"]));
  }

  /// Every regular file under `root`.
  static std::set<std::string> FilesOnDisk(const std::string& root) {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) out.insert(e.path().string());
    }
    return out;
  }

  /// Live content files of a snapshot (independent of the expiry code: scan planning).
  static Result<std::set<std::string>> LiveFiles(const iceberg::Table& table, int64_t snapshot_id) {
    K2_ASSIGN_OR_RETURN(auto tasks, table.NewScan().UseSnapshot(snapshot_id).PlanFiles());
    std::set<std::string> out;
    for (const auto& t : tasks) {
      out.insert(t.file.file_path);
      for (const auto& d : t.deletes) out.insert(d.file_path);
    }
    return out;
  }

  k2::testing::TempDir dir_;
  std::unique_ptr<FileIO> io_ = NewLocalFileIO();
  std::unique_ptr<Catalog> owned_catalog_;
  std::unique_ptr<::k2::testing::TestCatalog> test_catalog_;
  Catalog* catalog_ = nullptr;
};

/// `Fixture` (a MaintenanceTest) on each catalog kind: its tests are TEST_P,
/// instantiated with K2_MAINTENANCE_ON_CATALOG_KINDS(Fixture).
template <typename Fixture>
class CatalogKindTest : public Fixture, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string CatalogKind() const override { return this->GetParam(); }
};

#define K2_MAINTENANCE_ON_CATALOG_KINDS(fixture)                                                  \
  INSTANTIATE_TEST_SUITE_P(Catalogs, fixture, ::testing::ValuesIn(::k2::testing::CatalogKinds()), \
                           [](const auto& info) { return info.param; })

}  // namespace k2::jobs::testing
