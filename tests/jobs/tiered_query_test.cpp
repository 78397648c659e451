// k2 query's rewrite on the real embedded engine: warm holds the newest hours,
// cold the older ones (with an overlap), and every aggregate over the
// combined name equals the same query over the full data taken before the
// old warm rows were dropped; a query planned before an offload commits and
// run after it sees one consistent state.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "jobs/maintenance/compaction.h"
#include "jobs/offload_fixture.h"
#include "jobs/tiered_query.h"

namespace k2::jobs {
namespace {

class TieredQueryTest : public OffloadTest {
 protected:
  // chDB's icebergLocal reads only under the working directory (as k2 query
  // runs it: from the root).
  void SetUp() override {
    cwd_ = std::filesystem::current_path();
    std::filesystem::current_path("/");
    OffloadTest::SetUp();
  }
  void TearDown() override { std::filesystem::current_path(cwd_); }
  std::filesystem::path cwd_;

  Result<TieredSql> Plan(const std::string& sql) {
    return PlanTieredQuery(*warm_, *catalog_, *io_, config_, sql, WarmAccess{});
  }

  /// The whole TabSeparated answer of `sql` over both tiers.
  std::string Query(const std::string& sql) {
    auto plan = Plan(sql);
    EXPECT_TRUE(plan) << plan.error().ToString();
    if (!plan) return "";
    return Run(*plan);
  }

  std::string Run(const TieredSql& plan) {
    auto r = warm_->Execute(plan.sql);
    EXPECT_TRUE(r) << r.error().ToString() << "\n" << plan.sql;
    return r ? *r : "";
  }

  Status DropWarmBefore(const std::string& table, const std::string& column, int64_t us) {
    auto r = warm_->Execute(fmt::format(
        "ALTER TABLE {} DELETE WHERE {} < toDateTime({}, 'UTC') SETTINGS mutations_sync = 2", table,
        column, us / kMicrosPerSecond));
    if (!r) return std::unexpected(r.error());
    return OkStatus();
  }
};

constexpr const char* kSilverByHour =
    "SELECT symbol, toStartOfHour(event_time) AS h, count() AS n, sum(quantity) AS q, "
    "sum(quote_quantity) AS qq, min(price) AS lo, max(price) AS hi, uniqExact(trade_id) AS ids "
    "FROM {s} GROUP BY symbol, h ORDER BY symbol, h";
constexpr const char* kGoldByHour =
    "SELECT symbol, toStartOfHour(candle_time) AS h, count() AS candles, sum(trade_count) AS n, "
    "sum(volume) AS v, min(low) AS lo, max(high) AS hi, argMin(open, candle_time) AS o "
    "FROM {g} GROUP BY symbol, h ORDER BY symbol, h";

TEST_F(TieredQueryTest, AggregatesOverBothTiersEqualTheFullData) {
  Generate(6, 17, kStartUs);
  // Cold: windows 00:00..04:00.
  now_us_ = kStartUs + 4 * kHourUs + 10 * 60 * kMicrosPerSecond;
  OffloadOptions o;
  o.tables = {"silver_trades", "gold_ohlcv_1m"};
  K2_ASSERT_OK(Offload(o));

  // Each query with {s} and {g} for silver_trades and gold_ohlcv_1m.
  const std::vector<std::string> queries = {
      kSilverByHour, kGoldByHour,
      // The user's own WITH, a filter on the time column across the split.
      "WITH 'BTCUSDT' AS sym SELECT count(), sum(quantity) FROM {s} WHERE symbol = sym AND "
      "event_time >= toDateTime('2026-11-20 01:30:00', 'UTC') AND event_time < "
      "toDateTime('2026-11-20 04:30:00', 'UTC')",
      // A join of two tables, a parenthesized union.
      "SELECT count(), sum(g.trade_count) FROM {s} AS s JOIN {g} AS g ON s.symbol = g.symbol AND "
      "toStartOfMinute(s.event_time) = g.candle_time",
      "(SELECT count(), sum(trade_id) FROM {s} WHERE side = 'buy')"};
  auto fill = [](const std::string& q, const std::string& prefix) {
    return fmt::format(fmt::runtime(q), fmt::arg("s", prefix + "silver_trades"),
                       fmt::arg("g", prefix + "gold_ohlcv_1m"));
  };
  // The full data, before any warm row is dropped: the warm tier alone.
  std::vector<std::string> full;
  for (const auto& q : queries) full.push_back(Query(fill(q, "warm.")));
  ASSERT_GE(std::count(full[0].begin(), full[0].end(), '\n'), 20);
  ASSERT_EQ(Query("SELECT count() FROM warm.silver_trades"),
            Warm("SELECT count() FROM silver_trades FINAL") + "\n");
  for (size_t i = 0; i < queries.size(); ++i) EXPECT_EQ(Query(fill(queries[i], "")), full[i]);

  // Warm keeps the last four hours (02:00..06:00): 02:00..04:00 is in both
  // tiers, 00:00..02:00 only cold, 04:00..06:00 only warm.
  K2_ASSERT_OK(DropWarmBefore("silver_trades", "event_time", kStartUs + 2 * kHourUs));
  K2_ASSERT_OK(DropWarmBefore("gold_ohlcv_1m", "candle_time", kStartUs + 2 * kHourUs));
  EXPECT_NE(Query(fill(kSilverByHour, "warm.")), full[0]);
  EXPECT_NE(Query(fill(kSilverByHour, "cold.")), full[0]);
  for (size_t i = 0; i < queries.size(); ++i) {
    EXPECT_EQ(Query(fill(queries[i], "")), full[i]) << queries[i];
  }
}

TEST_F(TieredQueryTest, PlannedBeforeAnOffloadCommitsSeesOneState) {
  Generate(5, 23, kStartUs);
  const std::string full = Warm("SELECT count() FROM silver_trades FINAL") + "\n";
  now_us_ = kStartUs + 2 * kHourUs + 10 * 60 * kMicrosPerSecond;
  OffloadOptions o;
  o.tables = {"silver_trades"};
  K2_ASSERT_OK(Offload(o));
  // Pinned at the metadata holding 00:00..02:00.
  K2_ASSERT_OK_AND_ASSIGN(TieredSql before, Plan("SELECT count() FROM silver_trades"));
  now_us_ = kStartUs + 4 * kHourUs + 10 * 60 * kMicrosPerSecond;
  K2_ASSERT_OK(Offload(o));
  EXPECT_EQ(Run(before), full);  // ledger and snapshot of the same version
  EXPECT_EQ(Query("SELECT count() FROM silver_trades"), full);
  EXPECT_NE(Query("SELECT count() FROM cold.silver_trades"), full);

  // Queries while the last window commits and then a compaction rewrites
  // the day's files, from another thread.
  now_us_ = kStartUs + 5 * kHourUs + 10 * 60 * kMicrosPerSecond;
  std::atomic<bool> done{false};
  Status offloaded;
  CompactionReport compacted;
  std::thread writer([&] {
    auto r = Offload(o);
    if (!r) offloaded = std::unexpected(r.error());
    CompactionOptions c;
    c.skip_open_partitions = false;  // the day is still open at 05:10
    auto id = TableIdentifier::Parse(config_.FindTable("silver_trades").value()->target);
    auto report = id ? CompactTable(*catalog_, *io_, *id, c) : std::unexpected(id.error());
    if (!report) offloaded = std::unexpected(report.error());
    if (report) compacted = *report;
    done = true;
  });
  int runs = 0;
  while (!done || runs < 2) {
    EXPECT_EQ(Query("SELECT count() FROM silver_trades"), full) << "run " << runs;
    ++runs;
  }
  writer.join();
  K2_ASSERT_OK(offloaded);
  EXPECT_EQ(compacted.groups_committed, 1);  // the day's five hourly files into one
  EXPECT_EQ(Query("SELECT count() FROM cold.silver_trades"), full);
  EXPECT_EQ(Query("SELECT count() FROM silver_trades"), full);
}

TEST(TieredQueryRewriteTest, KeepsTheUserTextAndMapsPositions) {
  WarmSource w;
  w.table = "t";
  w.query_template = "SELECT * FROM t WHERE ts >= {start} AND ts < {end}";
  w.time.name = "ts";
  w.columns = {{"ts", "DateTime('UTC')"}, {"x", "Int64"}};
  TierTable t{"t", w, std::nullopt, {{0, 3600 * kMicrosPerSecond}}};
  const std::string user = "SELECT count() FROM warm.t JOIN t USING ts WHER x = 1";
  K2_ASSERT_OK_AND_ASSIGN(auto tokens, QueryTokens(user));
  auto refs = ReferencedTables(tokens, {"t", "u"});
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs["t"].size(), 2u);
  K2_ASSERT_OK_AND_ASSIGN(TieredSql sql, RewriteTieredQuery(user, tokens, {t}, {}));
  EXPECT_NE(sql.sql.find("FROM `warm.t` JOIN t USING ts WHER x = 1"), std::string::npos) << sql.sql;
  EXPECT_TRUE(sql.sql.starts_with("WITH\n`cold.t` AS ("));
  size_t where = sql.sql.find("WHER x");
  EXPECT_EQ(sql.MapPosition(where), user.find("WHER x"));
  EXPECT_EQ(sql.MapPosition(sql.sql.rfind("`warm.t`") + 3), user.find("warm.t"));
  std::string mapped = MapEngineError(
      fmt::format("Syntax error: failed at position {} (x): x = 1.", where + 6), sql, user);
  EXPECT_NE(mapped.find(fmt::format("position {}", user.find("x = 1") + 1)), std::string::npos)
      << mapped;
  EXPECT_NE(mapped.find("^"), std::string::npos);

  // The user's WITH is extended; strings and comments are not table names.
  const std::string with = "with 1 AS one SELECT 'warm.t', one /* t */ FROM t;";
  K2_ASSERT_OK_AND_ASSIGN(tokens, QueryTokens(with));
  EXPECT_EQ(ReferencedTables(tokens, {"t"})["t"], std::vector<Tier>{Tier::kBoth});
  K2_ASSERT_OK_AND_ASSIGN(sql, RewriteTieredQuery(with, tokens, {t}, {}));
  EXPECT_TRUE(sql.sql.starts_with("with\n`cold.t`")) << sql.sql;
  EXPECT_TRUE(sql.sql.ends_with(",\n 1 AS one SELECT 'warm.t', one /* t */ FROM t")) << sql.sql;

  for (std::string bad : {"INSERT INTO t VALUES (1)", "SELECT 1; SELECT 2", "", "SELECT 'x"}) {
    auto toks = QueryTokens(bad);
    if (!toks) {
      EXPECT_EQ(toks.error().kind, ErrorKind::kInvalidInput) << bad;
      continue;
    }
    auto r = RewriteTieredQuery(bad, *toks, {t}, {});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput) << bad;
  }
}

}  // namespace
}  // namespace k2::jobs
