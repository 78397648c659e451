// libFuzzer target: cron expressions and time-zone settings as k2.yaml gives
// them (service/cron CronSchedule::Parse, ParseUtcOffset, TimeZone::Load for
// UTC and fixed offsets), then the next fire times. A bad expression is
// kInvalidInput (a named zone k2 cannot find: kInvalidInput too); never a
// crash or a hang, whatever the expression.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "service/cron.h"

using k2::ErrorKind;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto offset = k2::service::ParseUtcOffset(text);
    if (!offset) {
      k2::fuzz::CheckKind(offset.error(), {ErrorKind::kInvalidInput, ErrorKind::kUnsupported});
    }
    // Names only: a file name reaches the zone directory, kept to UTC and
    // offsets here (tzif_fuzz reads zone files).
    if (text.find('/') == std::string_view::npos && text.size() < 16 &&
        (text.empty() || text[0] == '+' || text[0] == '-' || text.starts_with("UTC") ||
         text == "Z")) {
      auto zone = k2::service::TimeZone::Load(text);
      if (!zone) {
        k2::fuzz::CheckKind(zone.error(), {ErrorKind::kInvalidInput, ErrorKind::kNotFound});
      }
    }
    return 0;
  }
  // CRON_TZ= with a name reads the zone directory; that is fine (the names
  // there are real zones), but keep names from escaping it.
  auto schedule = k2::service::CronSchedule::Parse(text, std::chrono::minutes{(data[0] >> 1) * 15});
  if (!schedule) {
    k2::fuzz::CheckKind(schedule.error(), {ErrorKind::kInvalidInput, ErrorKind::kUnsupported});
    return 0;
  }
  k2::service::TimePoint t{std::chrono::seconds{1700000000}};
  for (int i = 0; i < 4; ++i) {
    auto next = schedule->NextAfter(t);
    if (!next) {
      k2::fuzz::CheckKind(next.error(), {ErrorKind::kInvalidInput});
      break;
    }
    if (*next <= t) __builtin_trap();
    t = *next;
  }
  return 0;
}
