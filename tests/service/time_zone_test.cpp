// Named time zones from the system's TZif files, and cron in them across DST
// changes (Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST, 2026-10-25
// 03:00 CEST -> 02:00 CET; America/New_York for a western zone).
#include "service/time_zone.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "service/cron.h"
#include "support/support.h"

namespace k2::service {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TimePoint T(const char* text) {
  auto t = ParseTime(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

std::chrono::sys_seconds S(const char* text) {
  return std::chrono::floor<seconds>(T(text));
}

bool HaveZoneinfo() {
  return std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin");
}

/// Fire times of `expr` after `from`, `n` of them.
std::vector<std::string> Fires(const std::string& expr, const char* from, int n) {
  std::vector<std::string> out;
  auto cron = CronSchedule::Parse(expr, TimeZone::Utc());
  if (!cron) return {"parse error: " + cron.error().ToString()};
  TimePoint t = T(from);
  for (int i = 0; i < n; ++i) {
    auto next = cron->NextAfter(t);
    if (!next) return {"error: " + next.error().ToString()};
    out.push_back(FormatTime(*next));
    t = *next;
  }
  return out;
}

TEST(TimeZoneTest, OffsetsOfANamedZoneFollowItsTransitions) {
  if (!HaveZoneinfo()) GTEST_SKIP() << "no /usr/share/zoneinfo (Debian package tzdata)";
  K2_ASSERT_OK_AND_ASSIGN(auto berlin, TimeZone::Load("Europe/Berlin"));
  EXPECT_EQ(berlin->name(), "Europe/Berlin");
  EXPECT_EQ(berlin->OffsetAt(S("2026-01-15T12:00:00Z")).count(), 3600);
  EXPECT_EQ(berlin->OffsetAt(S("2026-03-29T00:59:59Z")).count(), 3600);
  EXPECT_EQ(berlin->OffsetAt(S("2026-03-29T01:00:00Z")).count(), 7200);
  EXPECT_EQ(berlin->OffsetAt(S("2026-10-25T00:59:59Z")).count(), 7200);
  EXPECT_EQ(berlin->OffsetAt(S("2026-10-25T01:00:00Z")).count(), 3600);
  // Past the file's last transition (2037) the footer rule (CET-1CEST,M3.5.0,M10.5.0/3) applies:
  // 2090-03-26 is the last Sunday of March 2090.
  EXPECT_EQ(berlin->OffsetAt(S("2090-03-26T00:59:59Z")).count(), 3600);
  EXPECT_EQ(berlin->OffsetAt(S("2090-03-26T01:00:00Z")).count(), 7200);
  EXPECT_EQ(berlin->OffsetAt(S("2090-07-01T00:00:00Z")).count(), 7200);
  EXPECT_EQ(berlin->OffsetAt(S("2090-12-01T00:00:00Z")).count(), 3600);

  K2_ASSERT_OK_AND_ASSIGN(auto ny, TimeZone::Load("America/New_York"));
  EXPECT_EQ(ny->OffsetAt(S("2026-07-01T12:00:00Z")).count(), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(S("2026-12-01T12:00:00Z")).count(), -5 * 3600);
}

TEST(TimeZoneTest, SkippedTimesShiftForwardAndRepeatedTimesResolveToTheFirst) {
  if (!HaveZoneinfo()) GTEST_SKIP() << "no /usr/share/zoneinfo (Debian package tzdata)";
  K2_ASSERT_OK_AND_ASSIGN(auto berlin, TimeZone::Load("Europe/Berlin"));
  // 02:30 local on 2026-03-29 does not exist: it is taken with the offset
  // from before the change (+01:00), i.e. 01:30 UTC = 03:30 CEST.
  EXPECT_EQ(FormatTime(TimePoint{berlin->Resolve(S("2026-03-29T02:30:00Z"))}),
            "2026-03-29T01:30:00Z");
  // 02:30 local on 2026-10-25 happens twice (CEST, then CET): the first.
  EXPECT_EQ(FormatTime(TimePoint{berlin->Resolve(S("2026-10-25T02:30:00Z"))}),
            "2026-10-25T00:30:00Z");
  EXPECT_EQ(FormatTime(TimePoint{berlin->Resolve(S("2026-10-25T12:00:00Z"))}),
            "2026-10-25T11:00:00Z");
}

TEST(TimeZoneTest, BadNamesAndCorruptFilesAreErrors) {
  K2_ASSERT_ERROR_KIND(TimeZone::Load("Mars/Olympus_Mons"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(TimeZone::Load("../etc/passwd"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(TimeZone::Load("Europe"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(TimeZone::FromTzif("bad", "TZif2 short"), ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(TimeZone::FromTzif("bad", "not a zone file at all, but long enough......"),
                       ErrorKind::kCorrupt);
  K2_ASSERT_OK_AND_ASSIGN(auto fixed, TimeZone::Load("-05:30"));
  EXPECT_EQ(fixed->OffsetAt(S("2026-01-01T00:00:00Z")).count(), -330 * 60);
  K2_ASSERT_OK_AND_ASSIGN(auto utc, TimeZone::Load("UTC"));
  EXPECT_EQ(utc->OffsetAt(S("2026-07-01T00:00:00Z")).count(), 0);
}

TEST(CronTimeZoneTest, DailyJobAcrossSpringForwardAndFallBack) {
  if (!HaveZoneinfo()) GTEST_SKIP() << "no /usr/share/zoneinfo (Debian package tzdata)";
  // 02:30 Berlin every day: on 2026-03-29 that time is skipped, so the job
  // runs at 03:30 CEST (01:30 UTC); afterwards 02:30 CEST = 00:30 UTC.
  EXPECT_EQ(Fires("CRON_TZ=Europe/Berlin 0 30 2 * * *", "2026-03-27T12:00:00Z", 4),
            (std::vector<std::string>{"2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z",
                                      "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}));
  // On 2026-10-25 02:30 happens twice: the job runs once, at the first (CEST).
  EXPECT_EQ(Fires("CRON_TZ=Europe/Berlin 0 30 2 * * *", "2026-10-23T12:00:00Z", 4),
            (std::vector<std::string>{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z",
                                      "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z"}));
}

TEST(CronTimeZoneTest, HourlyJobAcrossDstChangesNeverRunsTwiceForOneLocalTime) {
  if (!HaveZoneinfo()) GTEST_SKIP() << "no /usr/share/zoneinfo (Debian package tzdata)";
  // Minute 30 of every Berlin hour. Spring: local 02:30 is skipped and shifts
  // to 01:30 UTC (= 03:30 CEST), which is also 03:30's own instant: one run.
  EXPECT_EQ(Fires("TZ=Europe/Berlin 0 30 * * * *", "2026-03-28T23:45:00Z", 4),
            (std::vector<std::string>{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z",
                                      "2026-03-29T02:30:00Z", "2026-03-29T03:30:00Z"}));
  // Autumn: local 02:30 repeats; it runs at its first occurrence only, so
  // after 00:30 UTC (02:30 CEST) the next run is 03:30 CET = 02:30 UTC.
  EXPECT_EQ(Fires("TZ=Europe/Berlin 0 30 * * * *", "2026-10-24T23:45:00Z", 3),
            (std::vector<std::string>{"2026-10-25T00:30:00Z", "2026-10-25T02:30:00Z",
                                      "2026-10-25T03:30:00Z"}));
  // Starting inside the repeated hour (01:10 UTC = 02:10 CET, second pass)
  // does not go back to the first pass's 02:30.
  EXPECT_EQ(Fires("TZ=Europe/Berlin 0 30 * * * *", "2026-10-25T01:10:00Z", 1),
            (std::vector<std::string>{"2026-10-25T02:30:00Z"}));
  // A zone west of UTC: New York, 2026-03-08 02:00 EST -> 03:00 EDT.
  EXPECT_EQ(Fires("CRON_TZ=America/New_York 0 0 9 * * MON-FRI", "2026-03-06T15:00:00Z", 2),
            (std::vector<std::string>{"2026-03-09T13:00:00Z", "2026-03-10T13:00:00Z"}));
}

TEST(CronTimeZoneTest, UnknownZoneInTheExpressionIsNamed) {
  auto bad = CronSchedule::Parse("CRON_TZ=Nowhere/Land 0 5 * * * *", TimeZone::Utc());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(bad.error().message.find("Nowhere/Land"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace k2::service
