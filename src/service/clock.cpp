#include "service/clock.h"

#include <algorithm>
#include <cstdio>

namespace k2::service {

TimePoint SystemClock::Now() const {
  return std::chrono::system_clock::now();
}

void SystemClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                            TimePoint deadline) {
  cv.wait_until(lock, deadline);
}

TimePoint ManualClock::Now() const {
  std::lock_guard<std::mutex> guard(mu_);
  return now_;
}

void ManualClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                            TimePoint deadline) {
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (now_ >= deadline) return;
    sleepers_.push_back(Sleeper{lock.mutex(), &cv});
  }
  sleepers_changed_.notify_all();
  // The caller's mutex stays held from the deadline check until wait() releases
  // it, and WakeAll() takes that mutex before notifying: no lost wakeup.
  cv.wait(lock);
  {
    std::lock_guard<std::mutex> guard(mu_);
    auto it = std::find_if(sleepers_.begin(), sleepers_.end(),
                           [&](const Sleeper& s) { return s.cv == &cv; });
    if (it != sleepers_.end()) sleepers_.erase(it);
  }
  sleepers_changed_.notify_all();
}

void ManualClock::Advance(Duration delta) {
  {
    std::lock_guard<std::mutex> guard(mu_);
    now_ += delta;
  }
  WakeAll();
}

void ManualClock::Set(TimePoint now) {
  {
    std::lock_guard<std::mutex> guard(mu_);
    now_ = now;
  }
  WakeAll();
}

void ManualClock::WakeAll() {
  std::vector<Sleeper> sleepers;
  {
    std::lock_guard<std::mutex> guard(mu_);
    sleepers = sleepers_;
  }
  for (const Sleeper& s : sleepers) {
    std::lock_guard<std::mutex> guard(*s.mutex);
    s.cv->notify_all();
  }
}

int ManualClock::sleepers() const {
  std::lock_guard<std::mutex> guard(mu_);
  return static_cast<int>(sleepers_.size());
}

bool ManualClock::AwaitSleepers(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return sleepers_changed_.wait_for(lock, timeout,
                                    [&] { return static_cast<int>(sleepers_.size()) >= n; });
}

std::string FormatTime(TimePoint t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto days = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd{days};
  std::chrono::hh_mm_ss hms{secs - days};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

double ToUnixSeconds(TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

Result<TimePoint> ParseTime(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char z = 0;
  std::string copy(text);
  int n = std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z);
  std::chrono::year_month_day ymd{std::chrono::year{y},
                                  std::chrono::month{static_cast<unsigned>(mo)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (n != 7 || z != 'Z' || copy.size() != 20 || !ymd.ok() || h > 23 || mi > 59 || s > 59 ||
      h < 0 || mi < 0 || s < 0) {
    return MakeError(ErrorKind::kInvalidInput,
                     "time '{}': expected RFC 3339 UTC like 2026-11-24T02:05:00Z", text);
  }
  return TimePoint{std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                   std::chrono::seconds{s}};
}

}  // namespace k2::service
