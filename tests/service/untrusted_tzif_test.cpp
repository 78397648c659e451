// Zone files and schedules k2 did not write: what fuzz/tzif_fuzz.cpp and
// cron_fuzz.cpp found is kept here, each a clean error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "service/cron.h"
#include "service/time_zone.h"
#include "support/support.h"

namespace k2::service {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Found by tzif_fuzz: a footer rule with a 3600-digit offset overflowed int
// while parsing; offsets beyond RFC 8536's +-167 hours are refused too.
TEST(TzifUntrusted, RuleNumbersOutOfRangeAreCorrupt) {
  std::string found = ReadFile(std::filesystem::path(k2::testing::SourceDir()) /
                               "tests/service/resources/fuzz/tzif-rule-number-overflow");
  ASSERT_FALSE(found.empty());
  auto zone = TimeZone::FromTzif("Fuzz/Zone", found);
  K2_ASSERT_ERROR_KIND(zone, ErrorKind::kCorrupt);
  EXPECT_NE(zone.error().message.find("TZ rule"), std::string::npos) << zone.error().message;

  const std::filesystem::path berlin = "/usr/share/zoneinfo/Europe/Berlin";
  if (!std::filesystem::exists(berlin)) GTEST_SKIP() << "no /usr/share/zoneinfo (tzdata)";
  std::string bytes = ReadFile(berlin);
  size_t footer = bytes.rfind('\n', bytes.size() - 2);
  ASSERT_NE(footer, std::string::npos);
  K2_ASSERT_OK(TimeZone::FromTzif("Europe/Berlin", bytes));
  for (const char* rule :
       {"CET999:00", "CET-1:99", "CET-1CEST,M3.5.0/200,M10.5.0/3", "CET2147483648"}) {
    std::string edited = bytes.substr(0, footer + 1) + rule + "\n";
    K2_ASSERT_ERROR_KIND(TimeZone::FromTzif("Europe/Berlin", edited), ErrorKind::kCorrupt);
  }
}

// The limits above refuse no real zone: every file of the system's zone
// directory still loads.
TEST(TzifUntrusted, EveryZoneOfTheSystemLoads) {
  const std::filesystem::path dir = "/usr/share/zoneinfo";
  if (!std::filesystem::exists(dir / "Europe/Berlin")) GTEST_SKIP() << "no tzdata";
  int loaded = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string bytes = ReadFile(e.path());
    if (!bytes.starts_with("TZif")) continue;  // tzdata's tables (zone.tab, ...)
    auto zone = TimeZone::FromTzif(e.path().string(), bytes);
    EXPECT_TRUE(zone.has_value()) << zone.error().ToString();
    ++loaded;
  }
  EXPECT_GT(loaded, 300);
}

}  // namespace
}  // namespace k2::service
