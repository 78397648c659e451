#include "service/cron.h"

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace k2::service {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  bool months;    // accepts month names
  bool weekdays;  // accepts day names, 7 = Sunday
};

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

Result<int> ParseValue(std::string_view token, const FieldSpec& spec, std::string_view expr) {
  std::string upper;
  for (char c : token)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (spec.months) {
    for (size_t i = 0; i < kMonthNames.size(); ++i) {
      if (upper == kMonthNames[i]) return static_cast<int>(i + 1);
    }
  }
  if (spec.weekdays) {
    for (size_t i = 0; i < kDayNames.size(); ++i) {
      if (upper == kDayNames[i]) return static_cast<int>(i);
    }
  }
  int value = 0;
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || ec != std::errc() || ptr != token.data() + token.size()) {
    return MakeError(ErrorKind::kInvalidInput, "cron '{}': {} field: '{}' is not a number or name",
                     expr, spec.name, token);
  }
  int max = spec.weekdays ? 7 : spec.max;
  if (value < spec.min || value > max) {
    return MakeError(ErrorKind::kInvalidInput, "cron '{}': {} field: {} is outside {}..{}", expr,
                     spec.name, value, spec.min, max);
  }
  return value;
}

/// Parses one field into a set of allowed values; `restricted` is false for `*`/`?`.
template <size_t N>
Result<std::bitset<N>> ParseField(std::string_view field, const FieldSpec& spec,
                                  std::string_view expr, bool* restricted) {
  std::bitset<N> bits;
  *restricted = !(field == "*" || field == "?");
  for (std::string_view item : Split(field, ',')) {
    if (item.empty()) {
      return MakeError(ErrorKind::kInvalidInput, "cron '{}': {} field: empty list item", expr,
                       spec.name);
    }
    int step = 1;
    std::string_view range = item;
    bool has_step = false;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      has_step = true;
      std::string_view step_text = item.substr(slash + 1);
      auto [ptr, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || ptr != step_text.data() + step_text.size() ||
          step <= 0) {
        return MakeError(ErrorKind::kInvalidInput, "cron '{}': {} field: bad step in '{}'", expr,
                         spec.name, item);
      }
      range = item.substr(0, slash);
    }
    int lo = spec.min;
    int hi = spec.max;
    if (range == "*" || range == "?") {
      // full range
    } else if (size_t dash = range.find('-'); dash != std::string_view::npos) {
      K2_ASSIGN_OR_RETURN(lo, ParseValue(range.substr(0, dash), spec, expr));
      K2_ASSIGN_OR_RETURN(hi, ParseValue(range.substr(dash + 1), spec, expr));
      if (spec.weekdays && hi == 0 && lo > 0) hi = 7;  // FRI-SUN: Sunday ends the week here
      if (lo > hi) {
        return MakeError(ErrorKind::kInvalidInput, "cron '{}': {} field: range '{}' runs backwards",
                         expr, spec.name, range);
      }
    } else {
      K2_ASSIGN_OR_RETURN(lo, ParseValue(range, spec, expr));
      hi = has_step ? (spec.weekdays ? 6 : spec.max) : lo;  // "5/15" = from 5 to the end
    }
    for (int v = lo; v <= hi; v += step) {
      int bit = (spec.weekdays && v == 7) ? 0 : v;
      bits.set(static_cast<size_t>(bit));
    }
  }
  return bits;
}

std::string_view ExpandMacro(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 0 1 1 *";
  if (text == "@monthly") return "0 0 0 1 * *";
  if (text == "@weekly") return "0 0 0 * * SUN";
  if (text == "@daily" || text == "@midnight") return "0 0 0 * * *";
  if (text == "@hourly") return "0 0 * * * *";
  return {};
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view text, std::chrono::minutes utc_offset) {
  return Parse(text, TimeZone::Fixed(utc_offset));
}

Result<CronSchedule> CronSchedule::Parse(std::string_view text,
                                         std::shared_ptr<const TimeZone> zone) {
  CronSchedule cron;
  cron.text_ = std::string(text);
  cron.zone_ = zone ? std::move(zone) : TimeZone::Utc();
  std::string_view body = text;
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front())))
    body.remove_prefix(1);
  for (std::string_view prefix : {"CRON_TZ=", "TZ="}) {
    if (!body.starts_with(prefix)) continue;
    body.remove_prefix(prefix.size());
    size_t end = 0;
    while (end < body.size() && !std::isspace(static_cast<unsigned char>(body[end]))) ++end;
    auto named = TimeZone::Load(body.substr(0, end));
    if (!named) return std::unexpected(named.error().WithContext(fmt::format("cron '{}'", text)));
    cron.zone_ = std::move(*named);
    body.remove_prefix(end);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front())))
      body.remove_prefix(1);
    break;
  }
  text = body;
  if (!text.empty() && text.front() == '@') {
    body = ExpandMacro(text);
    if (body.empty()) {
      return MakeError(ErrorKind::kInvalidInput,
                       "cron '{}': unknown macro (use @yearly @monthly @weekly @daily @hourly)",
                       text);
    }
  }
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < body.size()) {
    while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
    size_t start = i;
    while (i < body.size() && !std::isspace(static_cast<unsigned char>(body[i]))) ++i;
    if (i > start) fields.push_back(body.substr(start, i - start));
  }
  if (fields.size() == 5) fields.insert(fields.begin(), "0");
  if (fields.size() != 6) {
    return MakeError(ErrorKind::kInvalidInput,
                     "cron '{}': expected 5 fields (min hour day month weekday) or 6 "
                     "(sec min hour day month weekday), got {}",
                     text, fields.size());
  }
  bool restricted = false;
  K2_ASSIGN_OR_RETURN(
      cron.seconds_, ParseField<60>(fields[0], {"second", 0, 59, false, false}, text, &restricted));
  K2_ASSIGN_OR_RETURN(
      cron.minutes_, ParseField<60>(fields[1], {"minute", 0, 59, false, false}, text, &restricted));
  K2_ASSIGN_OR_RETURN(cron.hours_,
                      ParseField<24>(fields[2], {"hour", 0, 23, false, false}, text, &restricted));
  K2_ASSIGN_OR_RETURN(cron.days_, ParseField<32>(fields[3], {"day-of-month", 1, 31, false, false},
                                                 text, &cron.days_restricted_));
  K2_ASSIGN_OR_RETURN(cron.months_,
                      ParseField<13>(fields[4], {"month", 1, 12, true, false}, text, &restricted));
  K2_ASSIGN_OR_RETURN(cron.weekdays_, ParseField<7>(fields[5], {"day-of-week", 0, 6, false, true},
                                                    text, &cron.weekdays_restricted_));
  // Reject expressions that can never fire now rather than at the first NextAfter.
  K2_RETURN_IF_ERROR(cron.NextAfter(TimePoint{}));
  return cron;
}

bool CronSchedule::DayMatches(std::chrono::year_month_day ymd) const {
  bool dom = days_.test(static_cast<unsigned>(ymd.day()));
  bool dow = weekdays_.test(std::chrono::weekday{std::chrono::sys_days{ymd}}.c_encoding());
  if (days_restricted_ && weekdays_restricted_) return dom || dow;
  if (days_restricted_) return dom;
  if (weekdays_restricted_) return dow;
  return true;
}

Result<TimePoint> CronSchedule::NextAfter(TimePoint t) const {
  using namespace std::chrono;
  // Walk wall-clock (local) candidates from the local time of the next whole
  // second; each maps to one instant (skipped times shift forward, repeated
  // ones keep their first occurrence), which may lie before `start` only in
  // a repeated hour: then the walk moves on.
  sys_seconds start = floor<seconds>(t) + seconds{1};
  sys_seconds local = start + zone_->OffsetAt(start);
  for (int guard = 0; guard < 4; ++guard) {
    std::optional<sys_seconds> candidate = NextLocal(local);
    if (!candidate) break;
    sys_seconds fire = zone_->Resolve(*candidate);
    if (fire >= start) return TimePoint{fire};
    // In a repeated hour every candidate c resolves to c - (its first offset),
    // before `start` while c < start + that offset: jump there at once.
    local = std::max(*candidate + seconds{1}, start + (*candidate - fire));
  }
  return MakeError(ErrorKind::kInvalidInput, "cron '{}': never fires (no matching date)", text_);
}

std::optional<std::chrono::sys_seconds> CronSchedule::NextLocal(
    std::chrono::sys_seconds local) const {
  using namespace std::chrono;
  sys_days day = floor<days>(local);
  seconds tod = local - day;
  // Every month matches within 4 years (leap day included), so a bounded walk
  // over days always finds the answer when there is one.
  const sys_days limit = day + days{366 * 8};
  int h = static_cast<int>(duration_cast<hours>(tod).count());
  int m = static_cast<int>(duration_cast<minutes>(tod % hours{1}).count());
  int s = static_cast<int>((tod % minutes{1}).count());
  while (day <= limit) {
    year_month_day ymd{day};
    if (!months_.test(static_cast<unsigned>(ymd.month()))) {
      year_month next_month = year_month{ymd.year(), ymd.month()} + months{1};
      day = sys_days{next_month / 1};
      h = m = s = 0;
      continue;
    }
    if (!DayMatches(ymd)) {
      day += days{1};
      h = m = s = 0;
      continue;
    }
    for (; h < 24; ++h, m = 0, s = 0) {
      if (!hours_.test(static_cast<size_t>(h))) continue;
      for (; m < 60; ++m, s = 0) {
        if (!minutes_.test(static_cast<size_t>(m))) continue;
        for (; s < 60; ++s) {
          if (seconds_.test(static_cast<size_t>(s))) {
            return sys_seconds{day + hours{h} + minutes{m} + seconds{s}};
          }
        }
      }
    }
    day += days{1};
    h = m = s = 0;
  }
  return std::nullopt;
}

Result<std::chrono::minutes> ParseUtcOffset(std::string_view text) {
  std::string_view rest = text;
  if (rest.starts_with("UTC")) rest.remove_prefix(3);
  if (rest.empty() || rest == "Z") return std::chrono::minutes{0};
  int sign = 0;
  if (rest.front() == '+') sign = 1;
  if (rest.front() == '-') sign = -1;
  int hh = 0, mm = 0;
  bool ok = sign != 0 && rest.size() == 6 && rest[3] == ':';
  if (ok) {
    auto r1 = std::from_chars(rest.data() + 1, rest.data() + 3, hh);
    auto r2 = std::from_chars(rest.data() + 4, rest.data() + 6, mm);
    ok = r1.ec == std::errc() && r2.ec == std::errc() && r1.ptr == rest.data() + 3 &&
         r2.ptr == rest.data() + 6 && hh <= 14 && mm < 60;
  }
  if (!ok) {
    return MakeError(ErrorKind::kUnsupported,
                     "time zone '{}': only UTC and fixed offsets like +02:00 are supported", text);
  }
  return std::chrono::minutes{sign * (hh * 60 + mm)};
}

}  // namespace k2::service
