#pragma once
/// Cron expressions: 6 fields with seconds ("0 5 * * * *" = minute 5 of every
/// hour) or classic 5 fields (seconds = 0); `*`, `?`, lists, ranges, steps
/// (`*/15`, `1-30/5`, `5/15`), month and weekday names (JAN, MON), weekday 7 =
/// Sunday, and @yearly @monthly @weekly @daily @midnight @hourly. Day-of-month
/// and day-of-week follow classic cron: when both are restricted, a day matches
/// if either does. Times are evaluated in UTC, a fixed offset ("+02:00") or a
/// named zone; a leading "CRON_TZ=Europe/Berlin " (or "TZ=...") in the text
/// sets the zone of that one expression. In a zone with DST, a fire time the
/// clock skips runs at the instant it would have had before the change (02:30
/// in a 02:00->03:00 gap fires at 03:30 new time) and a fire time the clock
/// repeats runs once, at its first occurrence (service/time_zone.h).

#include <bitset>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "service/clock.h"
#include "service/time_zone.h"

namespace k2::service {

class CronSchedule {
 public:
  /// Parses `text`, evaluated at UTC offset `utc_offset` (UTC by default).
  /// kInvalidInput names the field and the bad token.
  static Result<CronSchedule> Parse(std::string_view text,
                                    std::chrono::minutes utc_offset = std::chrono::minutes{0});
  /// Parses `text`, evaluated in `zone` unless the text names its own
  /// (CRON_TZ=). kInvalidInput names the field and the bad token, or the zone.
  static Result<CronSchedule> Parse(std::string_view text, std::shared_ptr<const TimeZone> zone);
  /// The first fire time strictly after `t`. kInvalidInput if the expression
  /// never fires (e.g. "0 0 0 30 FEB *").
  Result<TimePoint> NextAfter(TimePoint t) const;
  /// The expression as given.
  const std::string& text() const { return text_; }
  /// The zone fire times are evaluated in.
  const TimeZone& time_zone() const { return *zone_; }

 private:
  bool DayMatches(std::chrono::year_month_day ymd) const;
  /// The first matching wall-clock time at or after `local`, if any within 8 years.
  std::optional<std::chrono::sys_seconds> NextLocal(std::chrono::sys_seconds local) const;

  std::string text_;
  std::shared_ptr<const TimeZone> zone_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

/// Parses a time zone setting: "UTC", "Z", "" (UTC) or a fixed offset
/// "+HH:MM" / "-HH:MM" / "UTC+02:00". Named zones are kUnsupported.
Result<std::chrono::minutes> ParseUtcOffset(std::string_view text);

}  // namespace k2::service
