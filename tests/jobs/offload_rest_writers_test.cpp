// Other writers in a table k2 offloads, through k2's REST catalog server:
// ClickHouse (chDB's DataLakeCatalog with catalog_type = 'rest' and
// allow_experimental_insert_into_iceberg) inserts rows, k2 reads them back
// through its REST client, and k2's next offloads still commit every window
// exactly once: the ledger ignores the snapshots k2 did not write.
#include <set>

#include "columnar/predicate.h"
#include "jobs/offload_fixture.h"

namespace k2::jobs {
namespace {

class OffloadRestWritersTest : public OffloadTest {
 protected:
  std::string CatalogKind() const override { return "rest"; }
  // ClickHouse wants a scheme on every location.
  void Configure(Config& config) const override {
    config.warehouse.location = "file://" + config.warehouse.location;
  }

  /// Runs `statements` on chDB with k2's REST catalog attached as database
  /// `lake`; one result array per statement of `statements`.
  Result<nlohmann::json> Lake(const std::vector<std::string>& statements) {
    std::vector<std::string> all = {
        "SET allow_experimental_database_iceberg = 1",
        "SET allow_experimental_insert_into_iceberg = 1",
        "CREATE DATABASE lake ENGINE = DataLakeCatalog('" + test_catalog_->rest_uri() +
            "/v1') SETTINGS catalog_type = 'rest', warehouse = 'k2', vended_credentials = false"};
    all.insert(all.end(), statements.begin(), statements.end());
    K2_ASSIGN_OR_RETURN(nlohmann::json out, ::k2::testing::QueryOracle("chdb", all));
    out.erase(out.begin(), out.begin() + 3);
    return out;
  }

  /// The messages of the rows k2's own scan reads where `where` holds.
  Result<std::multiset<std::string>> Messages(const iceberg::Table& table,
                                              const std::string& where) {
    K2_ASSIGN_OR_RETURN(Predicate filter, Predicate::Parse(where));
    K2_ASSIGN_OR_RETURN(auto reader,
                        table.NewScan().Select({"message"}).Filter(filter).ToBatchReader());
    std::multiset<std::string> out;
    while (true) {
      K2_ASSIGN_OR_RETURN(const ColumnBatch* b, reader->Next());
      if (b == nullptr) break;
      for (size_t r = 0; r < b->num_rows(); ++r) {
        out.insert(std::string(b->columns[0].Bytes(r)));
      }
    }
    return out;
  }

  /// Windows of k2's commits on main, each once; fails on a window committed twice.
  static std::set<std::string> K2Windows(const iceberg::Table& table) {
    std::set<std::string> windows;
    for (const auto* s : table.metadata().MainAncestry()) {
      auto it = s->summary.find(kSummaryWindowStart);
      if (it == s->summary.end()) continue;
      EXPECT_TRUE(windows.insert(it->second).second) << "window committed twice: " << it->second;
    }
    return windows;
  }
};

TEST_F(OffloadRestWritersTest, ClickHouseInsertsAndTheNextOffloadStillCommitsEveryWindowOnce) {
  Generate(3, 7, kStartUs);
  OffloadOptions raw_only;
  raw_only.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(raw_only));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  ASSERT_EQ(first.tables[0].windows.size(), 3u) << first.ToJson().dump(2);

  // Two inserts: the second one's commit asserts the head the first left.
  auto inserted =
      Lake({"INSERT INTO lake.`market.raw_trades` VALUES "
            "('clickhouse', 'ch-1', '2026-11-19 12:00:00'), "
            "('clickhouse', 'ch-2', '2026-11-19 12:30:00')",
            "INSERT INTO lake.`market.raw_trades` VALUES "
            "('clickhouse', 'ch-3', '2026-11-19 13:00:00')",
            "SELECT toString(count()) AS c FROM lake.`market.raw_trades`"});
  ASSERT_TRUE(inserted) << inserted.error().ToString();
  const std::string offloaded =
      Warm("SELECT count() FROM raw_trades WHERE ingested_at < '2026-11-20 03:00:00'");
  EXPECT_EQ((*inserted)[2][0]["c"], std::to_string(std::stoll(offloaded) + 3));

  // k2 reads ClickHouse's rows through its REST client; ClickHouse's two
  // commits are on main, after k2's.
  iceberg::Table table = Load("raw_trades");
  K2_ASSERT_OK_AND_ASSIGN(auto messages, Messages(table, "exchange = 'clickhouse'"));
  EXPECT_EQ(messages, (std::multiset<std::string>{"ch-1", "ch-2", "ch-3"}));
  const auto ancestry = table.metadata().MainAncestry();
  ASSERT_GE(ancestry.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_FALSE(ancestry[i]->summary.count(kSummaryWindowStart)) << "not a k2 commit";
  }
  const std::set<std::string> before = K2Windows(table);

  // The next hour closes: the offload commits it, once, on top of ClickHouse's
  // commits, and a rerun commits nothing.
  Generate(1, 8, kStartUs + 3 * kHourUs);
  now_us_ += kHourUs;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport second, Offload(raw_only));
  ASSERT_TRUE(second.ok()) << second.ToJson().dump(2);
  ASSERT_EQ(second.tables[0].windows.size(), 1u) << second.ToJson().dump(2);
  EXPECT_EQ(second.tables[0].windows[0].action, "append");
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload(raw_only));
  ASSERT_TRUE(again.ok()) << again.ToJson().dump(2);
  EXPECT_EQ(again.total_rows(), 0);

  table = Load("raw_trades");
  std::set<std::string> after = K2Windows(table);
  EXPECT_EQ(after.size(), before.size() + 1) << "one new k2 window commit";
  K2_ASSERT_OK_AND_ASSIGN(auto ledger, OffloadLedger::FromMetadata(table.metadata()));
  EXPECT_EQ(ledger.Windows(3600).size(), 4u) << "hours 00-03";
  // Cold holds every warm row once and ClickHouse's rows.
  auto totals =
      Lake({"SELECT toString(count()) AS c, toString(countIf(exchange = 'clickhouse')) "
            "AS ch, toString(uniqExact(message)) AS u FROM lake.`market.raw_trades`"});
  ASSERT_TRUE(totals) << totals.error().ToString();
  // Hours 00-03 are offloaded (a row ingested after 04:00 waits for its hour).
  const std::string closed = " FROM raw_trades WHERE ingested_at < '2026-11-20 04:00:00'";
  EXPECT_EQ((*totals)[0][0]["c"], std::to_string(std::stoll(Warm("SELECT count()" + closed)) + 3));
  EXPECT_EQ((*totals)[0][0]["ch"], "3");
  EXPECT_EQ((*totals)[0][0]["u"],
            std::to_string(std::stoll(Warm("SELECT uniqExact(message)" + closed)) + 3));
}

}  // namespace
}  // namespace k2::jobs
