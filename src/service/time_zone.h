#pragma once
/// Time zones for schedules: UTC, fixed offsets ("+02:00") and IANA names
/// ("Europe/Berlin") read from the system's TZif files ($TZDIR, else
/// /usr/share/zoneinfo), including the POSIX TZ rule in a file's footer for
/// instants after its last transition. Pure data: no TZ environment variable,
/// no localtime_r, so it is safe in the threaded daemon.
///
/// Local times that do not exist or occur twice (DST changes) are resolved by
/// Resolve(): a skipped local time maps to the instant it would have had with
/// the offset before the change (02:30 in a 02:00->03:00 gap fires at 03:30 new
/// time); a repeated local time maps to its first occurrence only.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k2::service {

class TimeZone {
 public:
  /// UTC.
  static std::shared_ptr<const TimeZone> Utc();
  /// A zone with a constant offset from UTC.
  static std::shared_ptr<const TimeZone> Fixed(std::chrono::minutes offset);
  /// "UTC", "Z", "" (UTC), "+HH:MM"/"-HH:MM"/"UTC+HH:MM" (fixed) or an IANA
  /// name. kInvalidInput for a name that is not a zone (or escapes the zone
  /// directory); kCorrupt names the file and what is wrong with it.
  static Result<std::shared_ptr<const TimeZone>> Load(std::string_view name);
  /// Parses TZif bytes (versions 1-4). kCorrupt names `name` and the offset.
  static Result<std::shared_ptr<const TimeZone>> FromTzif(std::string name, std::string_view bytes);

  const std::string& name() const { return name_; }
  /// UTC offset in effect at `utc`.
  std::chrono::seconds OffsetAt(std::chrono::sys_seconds utc) const;
  /// The UTC instant a local wall-clock time stands for (see the header
  /// comment for skipped and repeated times); `local` is seconds since the
  /// epoch as if the wall clock were UTC.
  std::chrono::sys_seconds Resolve(std::chrono::sys_seconds local) const;

  /// A POSIX TZ rule (a TZif footer) for instants after the last transition.
  struct Rule;

 private:
  TimeZone() = default;

  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int32_t> offsets_;      // offset in effect from transitions_[i]
  int32_t initial_offset_ = 0;        // before the first transition
  std::shared_ptr<const Rule> rule_;
};

}  // namespace k2::service
