#include "service/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "service/cron.h"

namespace k2::service {

using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

/// "STDoff[DST[off][,start[/time],end[/time]]]" (POSIX.1 TZ, as in TZif footers).
struct TimeZone::Rule {
  struct Date {
    char kind = 'M';  // 'M' month.week.day, 'J' julian 1..365 (no Feb 29), 'N' 0..365
    int month = 0, week = 0, weekday = 0, day = 0;
  };
  int32_t std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  int32_t dst_offset = 0;
  Date start, end;
  int32_t start_time = 7200, end_time = 7200;  // local seconds after midnight

  static sys_days DayOf(const Date& d, int year) {
    using namespace std::chrono;
    if (d.kind == 'J') {
      int n = d.day;  // 1..365, Feb 29 never counted
      bool leap = std::chrono::year{year}.is_leap();
      if (leap && n >= 60) ++n;
      return sys_days{std::chrono::year{year} / 1 / 1} + days{n - 1};
    }
    if (d.kind == 'N') return sys_days{std::chrono::year{year} / 1 / 1} + days{d.day};
    sys_days first{std::chrono::year{year} / static_cast<unsigned>(d.month) / 1};
    unsigned wd = weekday{first}.c_encoding();
    int day =
        1 + static_cast<int>((static_cast<unsigned>(d.weekday) + 7 - wd) % 7) + (d.week - 1) * 7;
    auto last = year_month_day_last{std::chrono::year{year},
                                    month_day_last{month{static_cast<unsigned>(d.month)}}};
    while (day > static_cast<int>(static_cast<unsigned>(last.day()))) day -= 7;
    return first + days{day - 1};
  }

  int32_t OffsetAt(int64_t utc) const {
    if (!has_dst) return std_offset;
    int year = static_cast<int>(std::chrono::year_month_day{
        std::chrono::floor<days>(sys_seconds{seconds{utc}} + seconds{std_offset})}
                                    .year());
    int64_t dst_start =
        (sys_seconds{DayOf(start, year)} + seconds{start_time} - seconds{std_offset})
            .time_since_epoch()
            .count();
    int64_t dst_end = (sys_seconds{DayOf(end, year)} + seconds{end_time} - seconds{dst_offset})
                          .time_since_epoch()
                          .count();
    bool dst = dst_start < dst_end ? (utc >= dst_start && utc < dst_end)
                                   : !(utc >= dst_end && utc < dst_start);
    return dst ? dst_offset : std_offset;
  }
};

namespace {

std::unexpected<Error> Corrupt(const std::string& name, size_t offset, std::string_view what) {
  return std::unexpected(Error{
      ErrorKind::kCorrupt, fmt::format("time zone file '{}' at byte {}: {}", name, offset, what)});
}

/// A cursor over POSIX TZ text.
class PosixParser {
 public:
  explicit PosixParser(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  bool Name() {
    if (Eat('<')) {
      size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      pos_ = close + 1;
      return true;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    return pos_ - start >= 3;
  }
  bool Number(int* out) {
    size_t start = pos_;
    int v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      if (v > 99999) return false;  // no field of a rule has more than 6 digits
      v = v * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    *out = v;
    return pos_ > start;
  }
  /// [+-]hh[:mm[:ss]] in seconds.
  bool Time(int32_t* out) {
    int sign = 1;
    if (Eat('-')) {
      sign = -1;
    } else {
      Eat('+');
    }
    int h = 0, m = 0, s = 0;
    if (!Number(&h)) return false;
    if (Eat(':')) {
      if (!Number(&m)) return false;
      if (Eat(':') && !Number(&s)) return false;
    }
    // RFC 8536 3.3.1: hours -167..167 (POSIX: 0..24), minutes and seconds 0..59.
    if (h > 167 || m > 59 || s > 59) return false;
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
  }
  bool Date(TimeZone::Rule* rule, bool start) {
    auto& d = start ? rule->start : rule->end;
    if (Eat('M')) {
      d.kind = 'M';
      if (!Number(&d.month) || !Eat('.') || !Number(&d.week) || !Eat('.') || !Number(&d.weekday))
        return false;
      if (d.month < 1 || d.month > 12 || d.week < 1 || d.week > 5 || d.weekday > 6) return false;
    } else if (Eat('J')) {
      d.kind = 'J';
      if (!Number(&d.day) || d.day < 1 || d.day > 365) return false;
    } else {
      d.kind = 'N';
      if (!Number(&d.day) || d.day > 365) return false;
    }
    if (Eat('/')) return Time(start ? &rule->start_time : &rule->end_time);
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

bool ParsePosixRule(std::string_view text, TimeZone::Rule* rule) {
  PosixParser p(text);
  int32_t off = 0;
  if (!p.Name() || !p.Time(&off)) return false;
  rule->std_offset = -off;  // POSIX offsets count west of UTC
  if (p.done()) return true;
  if (!p.Name()) return false;
  rule->has_dst = true;
  rule->dst_offset = rule->std_offset + 3600;
  if (!p.Peek(',')) {
    if (!p.Time(&off)) return false;
    rule->dst_offset = -off;
  }
  if (!p.Eat(',') || !p.Date(rule, true) || !p.Eat(',') || !p.Date(rule, false)) return false;
  return p.done();
}

uint32_t Be32(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3]));
}

int64_t Be64(std::string_view b, size_t at) {
  return static_cast<int64_t>((static_cast<uint64_t>(Be32(b, at)) << 32) | Be32(b, at + 4));
}

}  // namespace

std::shared_ptr<const TimeZone> TimeZone::Utc() {
  static const std::shared_ptr<const TimeZone> utc = [] {
    auto z = std::shared_ptr<TimeZone>(new TimeZone());
    z->name_ = "UTC";
    return z;
  }();
  return utc;
}

std::shared_ptr<const TimeZone> TimeZone::Fixed(std::chrono::minutes offset) {
  if (offset.count() == 0) return Utc();
  auto z = std::shared_ptr<TimeZone>(new TimeZone());
  int total = static_cast<int>(offset.count());
  z->name_ = fmt::format("{}{:02d}:{:02d}", total < 0 ? '-' : '+', std::abs(total) / 60,
                         std::abs(total) % 60);
  z->initial_offset_ = total * 60;
  return z;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Load(std::string_view name) {
  if (auto fixed = ParseUtcOffset(name)) return Fixed(*fixed);
  // An IANA name: letters, digits, '_', '-', '+' and '/' between components.
  bool valid = !name.empty() && name.front() != '/' && name.find("..") == std::string_view::npos;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '+' &&
        c != '/')
      valid = false;
  }
  if (!valid) {
    return MakeError(ErrorKind::kInvalidInput,
                     "time zone '{}': expected UTC, an offset like +02:00 or an IANA name like "
                     "Europe/Berlin",
                     name);
  }
  const char* env = std::getenv("TZDIR");
  std::filesystem::path dir = env && *env ? env : "/usr/share/zoneinfo";
  std::filesystem::path path = dir / std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) {
    return MakeError(ErrorKind::kInvalidInput, "time zone '{}': no such zone in {}", name,
                     dir.string());
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return FromTzif(std::string(name), ss.str());
}

Result<std::shared_ptr<const TimeZone>> TimeZone::FromTzif(std::string name, std::string_view b) {
  auto z = std::shared_ptr<TimeZone>(new TimeZone());
  z->name_ = name;
  constexpr size_t kHeader = 44;
  if (b.size() < kHeader || b.substr(0, 4) != "TZif") return Corrupt(name, 0, "not a TZif file");
  char version = b[4];
  size_t at = 0;
  bool wide = false;
  // Version 2+ files repeat the data with 64-bit times after the v1 block.
  for (int pass = 0; pass < 2; ++pass) {
    if (b.size() < at + kHeader || b.substr(at, 4) != "TZif") {
      return Corrupt(name, at, "truncated header");
    }
    uint32_t isutcnt = Be32(b, at + 20), isstdcnt = Be32(b, at + 24), leapcnt = Be32(b, at + 28),
             timecnt = Be32(b, at + 32), typecnt = Be32(b, at + 36), charcnt = Be32(b, at + 40);
    size_t tsize = wide ? 8 : 4;
    size_t body = static_cast<size_t>(timecnt) * tsize + timecnt + typecnt * 6ull + charcnt +
                  leapcnt * (tsize + 4ull) + isstdcnt + isutcnt;
    if (typecnt == 0 || b.size() < at + kHeader + body) {
      return Corrupt(name, at,
                     fmt::format("{} transitions and {} types do not fit in {} bytes", timecnt,
                                 typecnt, b.size()));
    }
    if (pass == 0 && version >= '2') {
      at += kHeader + body;
      wide = true;
      continue;
    }
    size_t p = at + kHeader;
    size_t idx_at = p + timecnt * tsize;
    size_t types_at = idx_at + timecnt;
    auto type_offset = [&](size_t i) { return static_cast<int32_t>(Be32(b, types_at + i * 6)); };
    for (uint32_t i = 0; i < timecnt; ++i) {
      int64_t t = wide ? Be64(b, p + i * 8) : static_cast<int32_t>(Be32(b, p + i * 4));
      auto type = static_cast<uint8_t>(b[idx_at + i]);
      if (type >= typecnt) return Corrupt(name, idx_at + i, "transition type out of range");
      if (!z->transitions_.empty() && t <= z->transitions_.back()) {
        return Corrupt(name, p + i * tsize, "transition times are not ascending");
      }
      z->transitions_.push_back(t);
      z->offsets_.push_back(type_offset(type));
    }
    // Before the first transition: the first standard-time type (RFC 8536 3.2).
    z->initial_offset_ = type_offset(0);
    for (uint32_t i = 0; i < typecnt; ++i) {
      if (b[types_at + i * 6 + 4] == 0) {
        z->initial_offset_ = type_offset(i);
        break;
      }
    }
    at += kHeader + body;
    break;
  }
  if (wide && at < b.size() && b[at] == '\n') {
    size_t end = b.find('\n', at + 1);
    if (end == std::string_view::npos) return Corrupt(name, at, "unterminated footer");
    std::string_view footer = b.substr(at + 1, end - at - 1);
    if (!footer.empty()) {
      auto rule = std::make_shared<Rule>();
      if (!ParsePosixRule(footer, rule.get())) {
        return Corrupt(name, at + 1, fmt::format("unsupported TZ rule '{}'", footer));
      }
      z->rule_ = std::move(rule);
    }
  }
  return std::shared_ptr<const TimeZone>(std::move(z));
}

seconds TimeZone::OffsetAt(sys_seconds utc) const {
  int64_t t = utc.time_since_epoch().count();
  if (transitions_.empty() || t < transitions_.front()) {
    if (transitions_.empty() && rule_) return seconds{rule_->OffsetAt(t)};
    return seconds{initial_offset_};
  }
  if (rule_ && t >= transitions_.back()) return seconds{rule_->OffsetAt(t)};
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  return seconds{offsets_[static_cast<size_t>(it - transitions_.begin()) - 1]};
}

sys_seconds TimeZone::Resolve(sys_seconds local) const {
  // Offsets a day either side bracket any single transition near `local`.
  seconds before = OffsetAt(local - days{1});
  seconds after = OffsetAt(local + days{1});
  // First occurrence: the earlier instant (larger offset) that is consistent.
  seconds first = std::max(before, after), second = std::min(before, after);
  if (OffsetAt(local - first) == first) return local - first;
  if (OffsetAt(local - second) == second) return local - second;
  // A gap: the wall clock skipped `local`; keep the offset from before the change.
  return local - before;
}

}  // namespace k2::service
