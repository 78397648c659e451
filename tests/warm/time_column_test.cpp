#include "warm/time_column.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2::warm {
namespace {

constexpr int64_t kSecond = 1000000;
constexpr int64_t kT0 = 1795132800LL * kSecond;  // 2026-11-20T00:00Z
constexpr int64_t kH = 3600 * kSecond;

TEST(TimeColumnTest, EveryKindComparesInItsOwnType) {
  K2_ASSERT_OK_AND_ASSIGN(TimeColumn dt, ResolveTimeColumn({{"t", "DateTime('UTC')"}}, "t", ""));
  EXPECT_EQ(dt.WarmLiteral(kT0), "toDateTime(1795132800, 'UTC')");
  K2_ASSERT_OK_AND_ASSIGN(TimeColumn dt64,
                          ResolveTimeColumn({{"t", "Nullable(DateTime64(3, 'UTC'))"}}, "t", ""));
  EXPECT_EQ(dt64.kind, TimeColumn::Kind::kDateTime64);
  K2_ASSERT_OK_AND_ASSIGN(TimeColumn date, ResolveTimeColumn({{"d", "Date"}}, "d", ""));
  EXPECT_EQ(date.WarmLiteral(kT0), "toDate('2026-11-20')");
  EXPECT_EQ(date.WarmLiteral(kT0 + kH), "toDate('2026-11-21')") << "a date's rows are at midnight";
  EXPECT_EQ(date.ColdLiteral(kT0 + kH), "2026-11-21");
  K2_ASSERT_OK_AND_ASSIGN(TimeColumn d32, ResolveTimeColumn({{"d", "Date32"}}, "d", ""));
  EXPECT_EQ(d32.WarmLiteral(kT0), "toDate32('2026-11-20')");
  for (auto [unit, lit] :
       std::vector<std::pair<std::string, std::string>>{{"s", "1795132800"},
                                                        {"ms", "1795132800000"},
                                                        {"us", "1795132800000000"},
                                                        {"ns", "1795132800000000000"}}) {
    K2_ASSERT_OK_AND_ASSIGN(TimeColumn i, ResolveTimeColumn({{"ts", "UInt64"}}, "ts", unit));
    EXPECT_EQ(i.WarmLiteral(kT0), lit) << unit;
    EXPECT_EQ(i.ColdLiteral(kT0), lit) << unit;
    EXPECT_EQ(i.MicrosOf(TypeId::kInt64, std::stoll(lit)), kT0) << unit;
  }
}

TEST(TimeColumnTest, ColumnsThatCannotBeATimeColumnAreRefusedByName) {
  auto str = ResolveTimeColumn({{"ts", "String"}}, "ts", "");
  ASSERT_FALSE(str);
  EXPECT_EQ(str.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(str.error().message.find("'ts' is String"), std::string::npos) << str.error().message;
  auto no_unit = ResolveTimeColumn({{"ts", "UInt64"}}, "ts", "");
  ASSERT_FALSE(no_unit);
  EXPECT_NE(no_unit.error().message.find("time_unit"), std::string::npos);
  auto unit_on_date = ResolveTimeColumn({{"ts", "DateTime"}}, "ts", "ms");
  ASSERT_FALSE(unit_on_date);
  EXPECT_NE(unit_on_date.error().message.find("integer"), std::string::npos);
  auto missing = ResolveTimeColumn({{"a", "DateTime"}}, "ts", "");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("'ts'"), std::string::npos);
}

TEST(TimeColumnTest, FillWindowPutsTheColumnsLiteralsForStartAndEnd) {
  const TimeColumn seconds{"t", TimeColumn::Kind::kDateTime};
  // Whole seconds, floored: the same on ClickHouse 18.16 and 26.x, for
  // DateTime and DateTime64 columns alike.
  EXPECT_EQ(
      FillWindow("SELECT 1 WHERE t >= {start} AND t < {end}", seconds, kT0 + 999999, kT0 + kH),
      "SELECT 1 WHERE t >= toDateTime(1795132800, 'UTC') AND t < toDateTime(1795136400, "
      "'UTC')");
  const TimeColumn days{"d", TimeColumn::Kind::kDate};
  EXPECT_EQ(FillWindow("d >= {start} AND d < {end} AND {start} < {end}", days, kT0, kT0 + 24 * kH),
            "d >= toDate('2026-11-20') AND d < toDate('2026-11-21') AND toDate('2026-11-20') < "
            "toDate('2026-11-21')");
  EXPECT_EQ(FillWindow("no placeholders {x}", days, kT0, kT0), "no placeholders {x}");
}

}  // namespace
}  // namespace k2::warm
