#include "jobs/window.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2::jobs {
namespace {

constexpr int64_t kHourUs = 3600 * kMicrosPerSecond;

TEST(WindowTest, AlignsToTheEpoch) {
  // 2026-11-24T10:30:00Z
  int64_t t = 1795516200LL * kMicrosPerSecond;
  Window h = WindowContaining(t, 3600);
  EXPECT_EQ(h.ToString(), "2026-11-24T10:00:00Z/2026-11-24T11:00:00Z");
  Window d = WindowContaining(t, 86400);
  EXPECT_EQ(d.ToString(), "2026-11-24T00:00:00Z/2026-11-25T00:00:00Z");
  EXPECT_EQ(WindowContaining(-1, 3600).start_us, -kHourUs);
}

TEST(WindowTest, DueWindowsWaitForTheSettleDelayAndAreBounded) {
  int64_t start = 1795514400LL * kMicrosPerSecond;                // 10:00
  int64_t now = start + 3 * kHourUs + 4 * 60 * kMicrosPerSecond;  // 13:04
  auto due = DueWindows(start, now, 3600, 300, 100);
  ASSERT_EQ(due.size(), 2u) << "12:00-13:00 closed only 4 minutes ago";
  EXPECT_EQ(due[0].start_us, start);
  EXPECT_EQ(due[1].end_us, start + 2 * kHourUs);
  auto later = DueWindows(start, now + 60 * kMicrosPerSecond, 3600, 300, 100);
  EXPECT_EQ(later.size(), 3u);
  EXPECT_EQ(DueWindows(start, now + 60 * kMicrosPerSecond, 3600, 300, 1).size(), 1u);
  EXPECT_TRUE(DueWindows(start, start + 10, 3600, 300, 100).empty());
}

TEST(WindowTest, ParseWindowRequiresAlignment) {
  K2_ASSERT_OK_AND_ASSIGN(Window w, ParseWindow("2026-11-24T10:00Z", 3600));
  EXPECT_EQ(w.ToString(), "2026-11-24T10:00:00Z/2026-11-24T11:00:00Z");
  K2_ASSERT_ERROR_KIND(ParseWindow("2026-11-24T10:30Z", 3600), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(ParseWindow("yesterday", 3600), ErrorKind::kInvalidInput);
  K2_ASSERT_OK_AND_ASSIGN(Window d, ParseWindow("2026-11-24", 86400));
  EXPECT_EQ(d.end_us - d.start_us, 24 * kHourUs);
}

}  // namespace
}  // namespace k2::jobs
