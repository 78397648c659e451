#include "service/clock.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/support.h"

namespace k2::service {
namespace {

TEST(ManualClockTest, AdvanceWakesSleeperOnlyAtItsDeadline) {
  ManualClock clock(TimePoint{} + std::chrono::hours(1));
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  const TimePoint deadline = clock.Now() + std::chrono::minutes(10);
  std::thread sleeper([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (clock.Now() < deadline) {
      clock.WaitUntil(lock, cv, deadline);
    }
    done = true;
  });
  ASSERT_TRUE(clock.AwaitSleepers(1));
  clock.Advance(std::chrono::minutes(5));
  {
    std::lock_guard<std::mutex> guard(mu);
    EXPECT_FALSE(done);
  }
  clock.Advance(std::chrono::minutes(5));
  sleeper.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(clock.sleepers(), 0);
}

TEST(ManualClockTest, PastDeadlineReturnsImmediately) {
  ManualClock clock(TimePoint{} + std::chrono::hours(1));
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  clock.WaitUntil(lock, cv, clock.Now());
  EXPECT_TRUE(lock.owns_lock());
  EXPECT_EQ(clock.sleepers(), 0);
}

}  // namespace
}  // namespace k2::service
