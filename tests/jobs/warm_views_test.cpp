// The split of k2 warm views' `_all` views on the real embedded engine: the
// condition read from k2_cold_ranges selects exactly the rows of the
// committed ranges for each kind of time column, the newest version wins
// whatever the insert order, and an offload rewrites the ranges only where
// the table exists.
#include <gtest/gtest.h>

#include "jobs/offload_fixture.h"
#include "jobs/warm_views.h"

namespace k2::jobs {
namespace {

class WarmViewsSplitTest : public OffloadTest {};

constexpr int64_t kDayUs = 86400 * kMicrosPerSecond;

TEST_F(WarmViewsSplitTest, RangesSelectExactlyTheirRowsForEveryTimeColumnKind) {
  K2_ASSERT_OK(warm_->Execute(
      "CREATE TABLE tv (d Date, d32 Date32, dt DateTime('UTC'), dt64 DateTime64(3, 'UTC'), "
      "ms Int64) ENGINE = MergeTree ORDER BY dt"));
  // One row per 6 hours over 4 days from 1970-01-02, plus one just before 01-04.
  K2_ASSERT_OK(warm_->Execute(
      "INSERT INTO tv SELECT toDate(t), toDate32(t), t, t, toInt64(toUnixTimestamp(t)) * 1000 "
      "FROM (SELECT toDateTime(86400 + number * 21600, 'UTC') AS t FROM numbers(16))"));
  K2_ASSERT_OK(
      warm_->Execute("INSERT INTO tv VALUES ('1970-01-02', '1970-01-02', '1970-01-03 23:59:59', "
                     "'1970-01-03 23:59:59.999', 259199999)"));
  K2_ASSERT_OK(warm_->Execute(ColdRangesTableDdl("")));
  // 1970-01-02 and 01-04 at version 2; an older state inserted later.
  K2_ASSERT_OK(warm_->Execute(
      ColdRangesInsertSql("", "tv", 2, {{kDayUs, 2 * kDayUs}, {3 * kDayUs, 4 * kDayUs}})));
  K2_ASSERT_OK(warm_->Execute(ColdRangesInsertSql("", "tv", 1, {{kDayUs, 2 * kDayUs}})));
  K2_ASSERT_OK(warm_->Execute(ColdRangesInsertSql("", "other", 3, {})));
  std::vector<WarmColumn> cols = {{"d", "Date"},
                                  {"d32", "Date32"},
                                  {"dt", "DateTime('UTC')"},
                                  {"dt64", "DateTime64(3, 'UTC')"},
                                  {"ms", "Int64"}};
  for (const auto& [name, unit] : std::vector<std::pair<std::string, std::string>>{
           {"d", ""}, {"d32", ""}, {"dt", ""}, {"dt64", ""}, {"ms", "ms"}}) {
    K2_ASSERT_OK_AND_ASSIGN(warm::TimeColumn time, warm::ResolveTimeColumn(cols, name, unit));
    const std::string in_cold = InColdRangesSql(time, "", "tv");
    // The same rows as InRangesSql's literal ranges select.
    const std::string literal = InRangesSql(time, {{kDayUs, 2 * kDayUs}, {3 * kDayUs, 4 * kDayUs}});
    EXPECT_EQ(Warm("SELECT count() FROM tv WHERE " + in_cold),
              Warm("SELECT count() FROM tv WHERE " + literal))
        << name;
    EXPECT_EQ(Warm(fmt::format("SELECT count() FROM tv WHERE ({}) != ({})", in_cold, literal)), "0")
        << name;
    EXPECT_EQ(Warm("SELECT count() FROM tv WHERE " + InColdRangesSql(time, "", "other")), "0");
    EXPECT_EQ(Warm("SELECT count() FROM tv WHERE " + InColdRangesSql(time, "", "absent")), "0");
  }
  // Dates: 1970-01-02 and 01-04, 4 rows each, and the extra row (dated 01-02).
  K2_ASSERT_OK_AND_ASSIGN(warm::TimeColumn d, warm::ResolveTimeColumn(cols, "d", ""));
  EXPECT_EQ(Warm("SELECT count() FROM tv WHERE " + InColdRangesSql(d, "", "tv")), "9");
}

TEST_F(WarmViewsSplitTest, OffloadWritesTheRangesOnlyWhereTheTableExists) {
  const int64_t start = 1795132800LL * kMicrosPerSecond;  // 2026-11-20T00:00Z
  Generate(3, 4, start);
  now_us_ = start + 4 * 3600 * kMicrosPerSecond;
  OffloadOptions o;
  o.tables = {"silver_trades"};
  o.window = "2026-11-20T00:00Z";
  o.until = "2026-11-20T01:00Z";
  K2_ASSERT_OK(Offload(o));
  EXPECT_EQ(Warm("EXISTS TABLE k2_cold_ranges"), "0");
  K2_ASSERT_OK(warm_->Execute(ColdRangesTableDdl("")));
  o.window = "2026-11-20T01:00Z";
  o.until = "2026-11-20T02:00Z";
  K2_ASSERT_OK(Offload(o));
  EXPECT_EQ(Warm("SELECT toString(argMax(ranges, version)) FROM k2_cold_ranges WHERE "
                 "table_name = 'silver_trades'"),
            fmt::format("[({},{})]", start, start + 2 * 3600 * kMicrosPerSecond));
}

}  // namespace
}  // namespace k2::jobs
