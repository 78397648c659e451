// libFuzzer target: TZif zone files (service/time_zone TimeZone::FromTzif,
// what TimeZone::Load runs on a file of the zone directory): v1 data, the
// v2+ 64-bit data and the POSIX TZ rule in the footer, then offsets and local
// time resolution at instants before, across and after the transitions. A
// bad file is kCorrupt; never a crash or a hang.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "service/time_zone.h"

using k2::ErrorKind;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto zone = k2::service::TimeZone::FromTzif("Fuzz/Zone", bytes);
  if (!zone) {
    k2::fuzz::CheckKind(zone.error(), {ErrorKind::kCorrupt});
    return 0;
  }
  for (int64_t s : {int64_t{-5000000000}, int64_t{0}, int64_t{1700000000}, int64_t{1711846800},
                    int64_t{4102444800}, int64_t{253402300799}}) {
    std::chrono::sys_seconds t{std::chrono::seconds{s}};
    (void)(*zone)->OffsetAt(t);
    (void)(*zone)->Resolve(t);
  }
  return 0;
}
