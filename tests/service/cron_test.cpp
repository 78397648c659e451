#include "service/cron.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2::service {
namespace {

TimePoint T(const char* text) {
  auto t = ParseTime(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

std::string Next(const char* expr, const char* after) {
  auto cron = CronSchedule::Parse(expr);
  if (!cron) return "parse error: " + cron.error().ToString();
  auto next = cron->NextAfter(T(after));
  if (!next) return "error: " + next.error().ToString();
  return FormatTime(*next);
}

TEST(CronTest, SixFieldsMinuteFiveOfEveryHour) {
  EXPECT_EQ(Next("0 5 * * * *", "2026-11-24T02:00:00Z"), "2026-11-24T02:05:00Z");
  // Strictly after: the fire time itself yields the next hour.
  EXPECT_EQ(Next("0 5 * * * *", "2026-11-24T02:05:00Z"), "2026-11-24T03:05:00Z");
  EXPECT_EQ(Next("0 5 * * * *", "2026-11-24T02:04:59Z"), "2026-11-24T02:05:00Z");
}

TEST(CronTest, CrossesHourDayMonthYearBoundaries) {
  EXPECT_EQ(Next("0 5 * * * *", "2026-11-24T23:30:00Z"), "2026-11-25T00:05:00Z");
  EXPECT_EQ(Next("0 5 * * * *", "2026-11-30T23:06:00Z"), "2026-12-01T00:05:00Z");
  EXPECT_EQ(Next("0 5 * * * *", "2026-12-31T23:05:00Z"), "2027-01-01T00:05:00Z");
  EXPECT_EQ(Next("0 0 2 * * *", "2026-12-31T02:00:00Z"), "2027-01-01T02:00:00Z");
}

TEST(CronTest, LeapYears) {
  EXPECT_EQ(Next("0 0 0 29 2 *", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 0 29 FEB *", "2028-02-29T00:00:00Z"), "2032-02-29T00:00:00Z");
  // 2100 is not a leap year: after 2096 comes 2104.
  EXPECT_EQ(Next("0 0 0 29 2 *", "2096-03-01T00:00:00Z"), "2104-02-29T00:00:00Z");
  // Last day of February in a leap year, then the day after.
  EXPECT_EQ(Next("0 30 23 * * *", "2028-02-28T23:30:00Z"), "2028-02-29T23:30:00Z");
  EXPECT_EQ(Next("0 30 23 * * *", "2028-02-29T23:30:00Z"), "2028-03-01T23:30:00Z");
}

TEST(CronTest, FiveFieldsHaveZeroSeconds) {
  EXPECT_EQ(Next("5 * * * *", "2026-11-24T02:05:00Z"), "2026-11-24T03:05:00Z");
  EXPECT_EQ(Next("*/15 * * * *", "2026-11-24T02:16:00Z"), "2026-11-24T02:30:00Z");
}

TEST(CronTest, ListsRangesSteps) {
  EXPECT_EQ(Next("0 0,30 8-10 * * *", "2026-11-24T10:30:00Z"), "2026-11-25T08:00:00Z");
  EXPECT_EQ(Next("0 0,30 8-10 * * *", "2026-11-24T08:10:00Z"), "2026-11-24T08:30:00Z");
  EXPECT_EQ(Next("*/20 * * * * *", "2026-11-24T02:00:41Z"), "2026-11-24T02:01:00Z");
  EXPECT_EQ(Next("0 10-40/10 * * * *", "2026-11-24T02:40:00Z"), "2026-11-24T03:10:00Z");
  EXPECT_EQ(Next("0 5/20 * * * *", "2026-11-24T02:46:00Z"), "2026-11-24T03:05:00Z");
}

TEST(CronTest, NamesAndWeekdays) {
  // 2026-11-24 is a Tuesday; next Sunday is 2026-11-29.
  EXPECT_EQ(Next("0 0 4 * * SUN", "2026-11-24T02:00:00Z"), "2026-11-29T04:00:00Z");
  EXPECT_EQ(Next("0 0 4 * * 7", "2026-11-24T02:00:00Z"), "2026-11-29T04:00:00Z");
  EXPECT_EQ(Next("0 0 4 * * 0", "2026-11-29T04:00:00Z"), "2026-12-06T04:00:00Z");
  EXPECT_EQ(Next("0 0 9 * * mon-fri", "2026-11-27T09:00:00Z"), "2026-11-30T09:00:00Z");
  EXPECT_EQ(Next("0 0 0 1 jan,jul *", "2026-11-24T00:00:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(Next("0 0 0 * * FRI-SUN", "2026-11-24T00:00:00Z"), "2026-11-27T00:00:00Z");
  // Both day fields restricted: either matches (classic cron). Dec 1 2026 is a Tuesday.
  EXPECT_EQ(Next("0 0 0 1 * MON", "2026-11-24T00:00:00Z"), "2026-11-30T00:00:00Z");
  EXPECT_EQ(Next("0 0 0 1 * MON", "2026-11-30T00:00:00Z"), "2026-12-01T00:00:00Z");
}

TEST(CronTest, Macros) {
  EXPECT_EQ(Next("@hourly", "2026-11-24T02:00:00Z"), "2026-11-24T03:00:00Z");
  EXPECT_EQ(Next("@daily", "2026-11-24T02:00:00Z"), "2026-11-25T00:00:00Z");
  EXPECT_EQ(Next("@weekly", "2026-11-24T02:00:00Z"), "2026-11-29T00:00:00Z");
  EXPECT_EQ(Next("@monthly", "2026-12-24T02:00:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(Next("@yearly", "2026-12-24T02:00:00Z"), "2027-01-01T00:00:00Z");
}

TEST(CronTest, FixedOffsetTimeZone) {
  K2_ASSERT_OK_AND_ASSIGN(auto offset, ParseUtcOffset("+02:00"));
  EXPECT_EQ(offset, std::chrono::minutes{120});
  K2_ASSERT_OK_AND_ASSIGN(auto cron, CronSchedule::Parse("0 0 2 * * *", offset));
  // 02:00 at +02:00 is 00:00 UTC.
  K2_ASSERT_OK_AND_ASSIGN(auto next, cron.NextAfter(T("2026-11-24T01:00:00Z")));
  EXPECT_EQ(FormatTime(next), "2026-11-25T00:00:00Z");
  K2_ASSERT_OK_AND_ASSIGN(auto utc, ParseUtcOffset("UTC"));
  EXPECT_EQ(utc.count(), 0);
  K2_ASSERT_OK_AND_ASSIGN(auto minus, ParseUtcOffset("UTC-05:30"));
  EXPECT_EQ(minus.count(), -330);
  K2_ASSERT_ERROR_KIND(ParseUtcOffset("Europe/Paris"), ErrorKind::kUnsupported);
}

TEST(CronTest, SubSecondInstantsRoundToNextWholeSecond) {
  K2_ASSERT_OK_AND_ASSIGN(auto cron, CronSchedule::Parse("* * * * * *"));
  TimePoint t = T("2026-11-24T02:00:00Z") + std::chrono::milliseconds(400);
  K2_ASSERT_OK_AND_ASSIGN(auto next, cron.NextAfter(t));
  EXPECT_EQ(FormatTime(next), "2026-11-24T02:00:01Z");
}

TEST(CronTest, RejectsBadExpressionsNamingTheField) {
  struct Case {
    const char* expr;
    const char* needle;
  };
  for (const Case& c : {Case{"0 5 * * *  * *", "expected 5 fields"}, Case{"61 * * * * *", "second"},
                        Case{"0 60 * * * *", "minute"}, Case{"0 0 24 * * *", "hour"},
                        Case{"0 0 0 0 * *", "day-of-month"}, Case{"0 0 0 * 13 *", "month"},
                        Case{"0 0 0 * * 8", "day-of-week"}, Case{"0 0 0 * * FUN", "FUN"},
                        Case{"0 */0 * * * *", "bad step"}, Case{"0 30-10 * * * *", "backwards"},
                        Case{"0 1,,2 * * * *", "empty list item"}, Case{"@often", "macro"},
                        Case{"0 0 0 30 FEB *", "never fires"}, Case{"", "expected 5 fields"}}) {
    auto cron = CronSchedule::Parse(c.expr);
    ASSERT_FALSE(cron.has_value()) << c.expr;
    EXPECT_EQ(cron.error().kind, ErrorKind::kInvalidInput) << c.expr;
    EXPECT_NE(cron.error().message.find(c.needle), std::string::npos)
        << c.expr << " -> " << cron.error().message;
  }
}

TEST(ClockTest, FormatAndParseRoundTrip) {
  K2_ASSERT_OK_AND_ASSIGN(auto t, ParseTime("2028-02-29T23:59:58Z"));
  EXPECT_EQ(FormatTime(t), "2028-02-29T23:59:58Z");
  K2_ASSERT_ERROR_KIND(ParseTime("2027-02-29T00:00:00Z"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(ParseTime("2027-01-01 00:00:00"), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace k2::service
