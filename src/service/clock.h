#pragma once
/// The clock the daemon schedules by: the system clock in production and a
/// manual clock in tests, so no test sleeps for schedule time. Waiting goes
/// through the clock too: the scheduler sleeps on its condition variable until
/// the next fire time, and the manual clock wakes such sleepers when advanced.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k2::service {

/// Wall-clock instants (UTC); cron fire times are whole seconds.
using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  /// The current instant.
  virtual TimePoint Now() const = 0;
  /// Blocks until Now() >= deadline or `cv` is notified; may return early
  /// (spurious wakeup), so callers re-check their state in a loop. `lock`
  /// must hold the mutex that guards the caller's state and is used with `cv`;
  /// it is held again on return. No polling: the caller sleeps on `cv`.
  virtual void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         TimePoint deadline) = 0;
};

/// std::chrono::system_clock.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 TimePoint deadline) override;
};

/// A clock that only moves when told to. Advance()/Set() wake every thread
/// sleeping in WaitUntil so it can re-check its deadline. Thread-safe. The
/// mutex and condition variable of a sleeper must outlive concurrent
/// Advance()/Set() calls (in tests: stop the scheduler before destroying it).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override;
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 TimePoint deadline) override;
  /// Moves time forward by `delta` and wakes sleepers.
  void Advance(Duration delta);
  /// Sets the time (forward or backward) and wakes sleepers.
  void Set(TimePoint now);
  /// Number of threads currently sleeping in WaitUntil (lets tests wait until
  /// the scheduler is idle before advancing, without sleeping).
  int sleepers() const;
  /// Blocks (on a condition variable, no polling) until at least `n` threads
  /// sleep in WaitUntil, or `timeout` of real time passes; returns whether reached.
  bool AwaitSleepers(int n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  struct Sleeper {
    std::mutex* mutex;
    std::condition_variable* cv;
  };
  void WakeAll();

  mutable std::mutex mu_;
  mutable std::condition_variable sleepers_changed_;
  TimePoint now_;
  std::vector<Sleeper> sleepers_;
};

/// Formats an instant as RFC 3339 UTC with seconds ("2026-11-24T02:05:00Z").
std::string FormatTime(TimePoint t);
/// Seconds since the Unix epoch (fractional).
double ToUnixSeconds(TimePoint t);
/// Parses RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ". kInvalidInput names the text.
Result<TimePoint> ParseTime(std::string_view text);

}  // namespace k2::service
