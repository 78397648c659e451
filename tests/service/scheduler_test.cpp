#include "service/scheduler.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <tuple>

#include "support/support.h"

namespace k2::service {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint T(const char* text) {
  auto t = ParseTime(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

/// What the jobs saw, shared by every job of a test.
struct Calls {
  std::mutex mu;
  std::vector<std::string> log;  // "job trigger scheduled attempt"
  void Add(const std::string& job, const JobContext& ctx) {
    std::lock_guard<std::mutex> guard(mu);
    log.push_back(fmt::format("{} {} {} #{}", job, TriggerName(ctx.trigger),
                              FormatTime(ctx.scheduled), ctx.attempt));
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> guard(mu);
    std::vector<std::string> out;
    out.swap(log);
    return out;
  }
};

std::unique_ptr<Job> RecordingJob(const std::string& name, Calls& calls) {
  return std::make_unique<FunctionJob>(name, [name, &calls](JobContext& ctx) -> Result<JobOutcome> {
    calls.Add(name, ctx);
    JobOutcome out;
    out.rows = 1;
    return out;
  });
}

/// A job that blocks until released or cancelled; honours cancellation before "committing".
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;
  void Open() {
    std::lock_guard<std::mutex> guard(mu);
    open = true;
    cv.notify_all();
  }
  bool AwaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, seconds(30), [&] { return entered >= n; });
  }
};

std::unique_ptr<Job> GatedJob(const std::string& name, Gate& gate, bool honour_cancel = true) {
  return std::make_unique<FunctionJob>(
      name, [name, &gate, honour_cancel](JobContext& ctx) -> Result<JobOutcome> {
        {
          std::unique_lock<std::mutex> lock(gate.mu);
          ++gate.entered;
          gate.cv.notify_all();
        }
        while (true) {
          {
            std::unique_lock<std::mutex> lock(gate.mu);
            if (gate.cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return gate.open; })) {
              break;
            }
          }
          if (honour_cancel && ctx.cancel.IsCancelled()) break;
        }
        K2_RETURN_IF_ERROR(ctx.cancel.Check("gated job " + name + " before commit"));
        return JobOutcome{};
      });
}

JobSchedule Sched(const std::string& name, const std::string& cron) {
  JobSchedule s;
  s.name = name;
  s.cron = cron;
  s.retry.jitter = 0;
  return s;
}

/// Advances the manual clock one minute at a time to `end`, letting the scheduler settle each step.
void StepTo(ManualClock& clock, Scheduler& scheduler, TimePoint end, Duration step = minutes(1)) {
  while (clock.Now() < end) {
    clock.Advance(std::min<Duration>(step, end - clock.Now()));
    ASSERT_TRUE(scheduler.WaitIdle()) << "scheduler did not settle at " << FormatTime(clock.Now());
  }
}

TEST(SchedulerTest, DefaultScheduleFiresAcrossHourDayWeekAndMonthBoundaries) {
  // Saturday 2026-11-28 22:30 UTC to Tuesday 2026-12-01 00:30 UTC.
  ManualClock clock(T("2026-11-28T22:30:00Z"));
  InMemoryJobStore store;
  Calls calls;
  Scheduler scheduler(clock, store);
  for (const JobSchedule& s : DefaultSchedule()) {
    K2_ASSERT_OK(scheduler.AddJob(RecordingJob(s.name, calls), s));
  }
  K2_ASSERT_OK(scheduler.Start());
  ASSERT_TRUE(scheduler.WaitIdle());
  StepTo(clock, scheduler, T("2026-12-01T00:30:00Z"));

  std::multiset<std::string> expected;
  for (TimePoint hour = T("2026-11-28T23:00:00Z"); hour <= T("2026-12-01T00:00:00Z");
       hour += hours(1)) {
    expected.insert("offload_raw schedule " + FormatTime(hour + minutes(5)) + " #1");
    expected.insert("offload_bronze schedule " + FormatTime(hour + minutes(6)) + " #1");
    expected.insert("offload_silver schedule " + FormatTime(hour + minutes(7)) + " #1");
    expected.insert("offload_gold schedule " + FormatTime(hour + minutes(9)) + " #1");
  }
  for (const char* day : {"2026-11-29", "2026-11-30"}) {
    expected.insert(fmt::format("compaction schedule {}T02:00:00Z #1", day));
    expected.insert(fmt::format("expire schedule {}T02:20:00Z #1", day));
    expected.insert(fmt::format("manifests schedule {}T02:40:00Z #1", day));
  }
  expected.insert("audit schedule 2026-11-29T03:00:00Z #1");    // Sunday
  expected.insert("orphans schedule 2026-11-29T04:00:00Z #1");  // Sunday
  auto log = calls.Take();
  EXPECT_EQ(std::multiset<std::string>(log.begin(), log.end()), expected);
  EXPECT_EQ(log.size(), 50u * 4 + 6 + 2);  // 50 hours from 23:00 to 00:00 two days later
  K2_ASSERT_OK(scheduler.Stop(seconds(1)));
}

TEST(SchedulerTest, NamedTimeZoneAcrossDstChangesOnTheManualClock) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin"))
    GTEST_SKIP() << "no /usr/share/zoneinfo (Debian package tzdata)";
  // Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
  for (const auto& [from, to, expected] :
       std::vector<std::tuple<const char*, const char*, std::vector<std::string>>>{
           {"2026-03-28T23:00:00Z",
            "2026-03-29T03:00:00Z",
            // local 00:30 and 01:30 CET, 02:30 (skipped: runs at 03:30 CEST), 04:30 CEST
            {"2026-03-28T23:30:00Z", "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z",
             "2026-03-29T02:30:00Z"}},
           {"2026-10-24T23:00:00Z",
            "2026-10-25T03:00:00Z",
            // local 01:30 CEST, 02:30 CEST (the repeat in CET does not run), 03:30 CET
            {"2026-10-24T23:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T02:30:00Z"}}}) {
    ManualClock clock(T(from));
    InMemoryJobStore store;
    Calls calls;
    Scheduler scheduler(clock, store);
    JobSchedule s = Sched("berlin", "0 30 * * * *");
    s.time_zone = "Europe/Berlin";
    K2_ASSERT_OK(scheduler.AddJob(RecordingJob("berlin", calls), s));
    K2_ASSERT_OK(scheduler.Start());
    ASSERT_TRUE(scheduler.WaitIdle());
    StepTo(clock, scheduler, T(to));
    std::vector<std::string> want;
    for (const auto& at : expected) want.push_back("berlin schedule " + at + " #1");
    EXPECT_EQ(calls.Take(), want) << from;
    K2_ASSERT_OK(scheduler.Stop(seconds(1)));
  }
}

TEST(SchedulerTest, FiresAcrossYearBoundaryAndLeapDay) {
  ManualClock clock(T("2027-12-31T23:50:00Z"));
  InMemoryJobStore store;
  Calls calls;
  Scheduler scheduler(clock, store);
  K2_ASSERT_OK(
      scheduler.AddJob(RecordingJob("offload_raw", calls), Sched("offload_raw", "0 5 * * * *")));
  K2_ASSERT_OK(
      scheduler.AddJob(RecordingJob("compaction", calls), Sched("compaction", "0 0 2 * * *")));
  K2_ASSERT_OK(scheduler.Start());
  StepTo(clock, scheduler, T("2028-01-01T02:30:00Z"));
  EXPECT_EQ(calls.Take(), (std::vector<std::string>{
                              "offload_raw schedule 2028-01-01T00:05:00Z #1",
                              "offload_raw schedule 2028-01-01T01:05:00Z #1",
                              "compaction schedule 2028-01-01T02:00:00Z #1",
                              "offload_raw schedule 2028-01-01T02:05:00Z #1",
                          }));
  // Jump to the leap day by setting the clock: a misfire, caught up once per job.
  clock.Set(T("2028-02-29T01:30:00Z"));
  ASSERT_TRUE(scheduler.WaitIdle());
  StepTo(clock, scheduler, T("2028-02-29T02:30:00Z"));
  auto log = calls.Take();
  ASSERT_EQ(log.size(), 4u);
  std::sort(log.begin(), log.begin() + 2);  // the two catch-ups start at the same instant
  EXPECT_EQ(log, (std::vector<std::string>{
                     "compaction catchup 2028-02-28T02:00:00Z #1",
                     "offload_raw catchup 2028-02-29T01:05:00Z #1",
                     "compaction schedule 2028-02-29T02:00:00Z #1",
                     "offload_raw schedule 2028-02-29T02:05:00Z #1",
                 }));
}

TEST(SchedulerTest, MisfiresAfterDowntimeRunOnceOrSkipPerPolicy) {
  InMemoryJobStore store;  // shared by both "processes", like the catalog DB
  Calls calls;
  ManualClock clock(T("2026-11-24T00:30:00Z"));
  auto add_jobs = [&](Scheduler& s) {
    K2_ASSERT_OK(s.AddJob(RecordingJob("offload_raw", calls), Sched("offload_raw", "0 5 * * * *")));
    K2_ASSERT_OK(s.AddJob(RecordingJob("compaction", calls), Sched("compaction", "0 0 2 * * *")));
    JobSchedule skip = Sched("expire", "0 20 2 * * *");
    skip.misfire = MisfirePolicy::kSkip;
    K2_ASSERT_OK(s.AddJob(RecordingJob("expire", calls), skip));
  };
  {
    Scheduler first(clock, store);
    add_jobs(first);
    K2_ASSERT_OK(first.Start());
    StepTo(clock, first, T("2026-11-24T02:30:00Z"));
    K2_ASSERT_OK(first.Stop(seconds(1)));
  }
  EXPECT_EQ(calls.Take().size(), 2u + 1 + 1);  // raw 01:05 02:05, compaction, expire

  // Down for two days and seven hours: 55 offload slots and two maintenance slots missed.
  clock.Set(T("2026-11-26T09:30:00Z"));
  Scheduler second(clock, store);
  add_jobs(second);
  K2_ASSERT_OK(second.Start());
  ASSERT_TRUE(second.WaitIdle());
  auto log = calls.Take();
  std::sort(log.begin(), log.end());
  EXPECT_EQ(log, (std::vector<std::string>{
                     "compaction catchup 2026-11-26T02:00:00Z #1",
                     "offload_raw catchup 2026-11-26T09:05:00Z #1",
                 }));
  // Back on schedule; the skipped job fires at its next slot only.
  StepTo(clock, second, T("2026-11-27T02:30:00Z"), minutes(5));
  log = calls.Take();
  EXPECT_EQ(log.front(), "offload_raw schedule 2026-11-26T10:05:00Z #1");
  EXPECT_EQ(std::count_if(log.begin(), log.end(),
                          [](const std::string& l) { return l.starts_with("expire"); }),
            1);
  EXPECT_NE(std::find(log.begin(), log.end(), "expire schedule 2026-11-27T02:20:00Z #1"),
            log.end());
  K2_ASSERT_OK_AND_ASSIGN(auto history, store.History("offload_raw", 100));
  EXPECT_EQ(history.size(), 2u + 1 + 17);
}

TEST(SchedulerTest, RetriesWithExponentialBackoffThenSucceeds) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  std::atomic<int> calls{0};
  Scheduler scheduler(clock, store);
  JobSchedule s = Sched("offload_raw", "0 5 * * * *");
  s.retry = RetryPolicy{4, seconds(30), seconds(100), 0.0};
  K2_ASSERT_OK(scheduler.AddJob(
      std::make_unique<FunctionJob>("offload_raw",
                                    [&](JobContext& ctx) -> Result<JobOutcome> {
                                      if (++calls < 4) {
                                        return MakeError(ErrorKind::kRemote, "ClickHouse down");
                                      }
                                      return JobOutcome{};
                                    }),
      s));
  std::vector<std::pair<std::string, bool>> seen;
  std::mutex seen_mu;
  scheduler.AddRunListener([&](const JobRun& run, bool will_retry) {
    std::lock_guard<std::mutex> guard(seen_mu);
    seen.emplace_back(std::string(RunStatusName(run.status)), will_retry);
  });
  K2_ASSERT_OK(scheduler.Start());
  StepTo(clock, scheduler, T("2026-11-24T01:05:00Z"));
  EXPECT_EQ(calls.load(), 1);
  K2_ASSERT_OK_AND_ASSIGN(auto state, scheduler.GetJob("offload_raw"));
  ASSERT_TRUE(state.retry_at.has_value());
  EXPECT_EQ(FormatTime(*state.retry_at), "2026-11-24T01:05:30Z");  // base
  StepTo(clock, scheduler, T("2026-11-24T01:05:29Z"), seconds(1));
  EXPECT_EQ(calls.load(), 1);
  StepTo(clock, scheduler, T("2026-11-24T01:05:30Z"), seconds(1));
  EXPECT_EQ(calls.load(), 2);
  K2_ASSERT_OK_AND_ASSIGN(state, scheduler.GetJob("offload_raw"));
  EXPECT_EQ(FormatTime(*state.retry_at), "2026-11-24T01:06:30Z");  // 2 * base
  StepTo(clock, scheduler, T("2026-11-24T01:06:30Z"), seconds(1));
  EXPECT_EQ(calls.load(), 3);
  K2_ASSERT_OK_AND_ASSIGN(state, scheduler.GetJob("offload_raw"));
  EXPECT_EQ(FormatTime(*state.retry_at), "2026-11-24T01:08:10Z");  // 4 * base capped at 100 s
  StepTo(clock, scheduler, T("2026-11-24T01:08:09Z"), seconds(1));
  EXPECT_EQ(calls.load(), 3);
  StepTo(clock, scheduler, T("2026-11-24T01:08:10Z"), seconds(1));
  EXPECT_EQ(calls.load(), 4);
  K2_ASSERT_OK_AND_ASSIGN(state, scheduler.GetJob("offload_raw"));
  EXPECT_FALSE(state.retry_at.has_value());
  ASSERT_TRUE(state.last_success.has_value());

  K2_ASSERT_OK_AND_ASSIGN(auto history, store.History("offload_raw", 10));
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0].status, RunStatus::kSucceeded);
  EXPECT_EQ(history[0].attempt, 4);
  EXPECT_EQ(history[0].trigger, Trigger::kRetry);
  EXPECT_EQ(FormatTime(history[0].scheduled), "2026-11-24T01:05:00Z");
  EXPECT_EQ(history[3].status, RunStatus::kFailed);
  EXPECT_EQ(history[3].error_kind, ErrorKind::kRemote);
  EXPECT_EQ(history[3].trigger, Trigger::kSchedule);
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{
                      {"failed", true}, {"failed", true}, {"failed", true}, {"succeeded", false}}));
}

TEST(SchedulerTest, NonRetryableErrorsAndExhaustedAttemptsStop) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  std::atomic<int> bad_calls{0}, flaky_calls{0};
  Scheduler scheduler(clock, store);
  JobSchedule bad = Sched("bad", "0 5 * * * *");
  bad.retry.max_attempts = 5;
  K2_ASSERT_OK(
      scheduler.AddJob(std::make_unique<FunctionJob>("bad",
                                                     [&](JobContext&) -> Result<JobOutcome> {
                                                       ++bad_calls;
                                                       return MakeError(ErrorKind::kInvalidInput,
                                                                        "bad table config");
                                                     }),
                       bad));
  JobSchedule flaky = Sched("flaky", "0 5 * * * *");
  flaky.retry = RetryPolicy{2, seconds(10), seconds(10), 0.0};
  K2_ASSERT_OK(scheduler.AddJob(
      std::make_unique<FunctionJob>("flaky",
                                    [&](JobContext&) -> Result<JobOutcome> {
                                      ++flaky_calls;
                                      return MakeError(ErrorKind::kIo, "disk full");
                                    }),
      flaky));
  K2_ASSERT_OK(scheduler.Start());
  StepTo(clock, scheduler, T("2026-11-24T01:10:00Z"), seconds(5));
  EXPECT_EQ(bad_calls.load(), 1);
  EXPECT_EQ(flaky_calls.load(), 2);
  K2_ASSERT_OK_AND_ASSIGN(auto state, scheduler.GetJob("flaky"));
  EXPECT_FALSE(state.retry_at.has_value());
  ASSERT_TRUE(state.last_run.has_value());
  EXPECT_EQ(state.last_run->status, RunStatus::kFailed);
  EXPECT_EQ(state.last_run->attempt, 2);
}

TEST(BackoffTest, ExponentialCappedWithBoundedJitter) {
  RetryPolicy p{10, seconds(30), seconds(600), 0.2};
  EXPECT_EQ(BackoffDelay(p, 1, 0.0), seconds(30));
  EXPECT_EQ(BackoffDelay(p, 2, 0.0), seconds(60));
  EXPECT_EQ(BackoffDelay(p, 5, 0.0), seconds(480));
  EXPECT_EQ(BackoffDelay(p, 6, 0.0), seconds(600));
  EXPECT_EQ(BackoffDelay(p, 60, 0.0), seconds(600));
  EXPECT_EQ(BackoffDelay(p, 1, 0.5), seconds(27));
  for (double u : {0.0, 0.25, 0.5, 0.999}) {
    Duration d = BackoffDelay(p, 3, u);
    EXPECT_LE(d, seconds(120));
    EXPECT_GE(d, seconds(96));
  }
  EXPECT_TRUE(IsRetryable(ErrorKind::kCommitConflict));
  EXPECT_FALSE(IsRetryable(ErrorKind::kCorrupt));
}

TEST(SchedulerTest, TimeoutCancelsCooperativelyBeforeCommit) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  Gate gate;
  Scheduler scheduler(clock, store);
  JobSchedule s = Sched("compaction", "0 0 2 * * *");
  s.timeout = minutes(10);
  s.retry.max_attempts = 1;
  K2_ASSERT_OK(scheduler.AddJob(GatedJob("compaction", gate), s));
  K2_ASSERT_OK(scheduler.Start());
  clock.Set(T("2026-11-24T02:00:00Z"));
  ASSERT_TRUE(gate.AwaitEntered(1));
  clock.Advance(minutes(9));
  K2_ASSERT_OK_AND_ASSIGN(auto state, scheduler.GetJob("compaction"));
  EXPECT_TRUE(state.running);
  clock.Advance(minutes(1));
  ASSERT_TRUE(scheduler.WaitIdle());
  K2_ASSERT_OK_AND_ASSIGN(state, scheduler.GetJob("compaction"));
  EXPECT_FALSE(state.running);
  ASSERT_TRUE(state.last_run.has_value());
  EXPECT_EQ(state.last_run->status, RunStatus::kTimedOut);
  EXPECT_EQ(state.last_run->error_kind, ErrorKind::kTimeout);
  EXPECT_NE(state.last_run->error.find("before commit"), std::string::npos);
  EXPECT_FALSE(state.last_success.has_value());
}

TEST(SchedulerTest, NoOverlappingRunsInProcess) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  Gate gate;
  Scheduler scheduler(clock, store);
  JobSchedule s = Sched("offload_raw", "0 5 * * * *");
  s.timeout = hours(2);
  K2_ASSERT_OK(scheduler.AddJob(GatedJob("offload_raw", gate), s));
  K2_ASSERT_OK(scheduler.Start());
  clock.Set(T("2026-11-24T01:05:00Z"));
  ASSERT_TRUE(gate.AwaitEntered(1));
  K2_ASSERT_ERROR_KIND(scheduler.TriggerRun("offload_raw"), ErrorKind::kAlreadyExists);
  clock.Set(T("2026-11-24T02:05:00Z"));  // next fire while the first run goes on
  ASSERT_TRUE(scheduler.WaitSettled());
  K2_ASSERT_OK_AND_ASSIGN(auto history, store.History("offload_raw", 10));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].status, RunStatus::kSkipped);
  EXPECT_EQ(history[1].status, RunStatus::kRunning);
  gate.Open();
  ASSERT_TRUE(scheduler.WaitIdle());
  EXPECT_EQ(gate.entered, 1);
  K2_ASSERT_OK_AND_ASSIGN(history, store.History("offload_raw", 10));
  EXPECT_EQ(history[1].status, RunStatus::kSucceeded);
}

TEST(SchedulerTest, LeaseKeepsTwoProcessesFromRunningTheSameJob) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  Gate gate;
  Calls calls;
  SchedulerOptions a_opts, b_opts;
  a_opts.owner = "host-a:1";
  b_opts.owner = "host-b:2";
  Scheduler a(clock, store, a_opts);
  Scheduler b(clock, store, b_opts);
  K2_ASSERT_OK(a.AddJob(GatedJob("offload_raw", gate), Sched("offload_raw", "0 5 * * * *")));
  JobSchedule manual_only;
  manual_only.name = "offload_raw";
  K2_ASSERT_OK(b.AddJob(RecordingJob("offload_raw", calls), manual_only));
  K2_ASSERT_OK(a.Start());
  K2_ASSERT_OK(b.Start());
  clock.Set(T("2026-11-24T01:05:00Z"));
  ASSERT_TRUE(gate.AwaitEntered(1));
  K2_ASSERT_OK(b.TriggerRun("offload_raw"));
  ASSERT_TRUE(b.WaitIdle());
  EXPECT_TRUE(calls.Take().empty());
  K2_ASSERT_OK_AND_ASSIGN(auto state, b.GetJob("offload_raw"));
  ASSERT_TRUE(state.last_run.has_value());
  EXPECT_EQ(state.last_run->status, RunStatus::kSkipped);
  EXPECT_NE(state.last_run->error.find("lease"), std::string::npos);
  gate.Open();
  ASSERT_TRUE(a.WaitIdle());
  // Released: the other process may run it now.
  K2_ASSERT_OK(b.TriggerRun("offload_raw"));
  ASSERT_TRUE(b.WaitIdle());
  EXPECT_EQ(calls.Take().size(), 1u);
}

TEST(SchedulerTest, LeaseOfAKilledProcessOnThisHostIsTakenOver) {
  // A daemon killed with SIGKILL never releases its lease. A pid that has
  // exited (a reaped child) stands for it.
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  const std::string self = fmt::format("testhost:{}", getpid());
  const std::string dead = fmt::format("testhost:{}", child);
  EXPECT_TRUE(IsDeadLocalOwner(dead, self));
  EXPECT_FALSE(IsDeadLocalOwner(fmt::format("otherhost:{}", child), self)) << "other host";
  EXPECT_FALSE(IsDeadLocalOwner(fmt::format("testhost:{}", getppid()), self)) << "alive";
  EXPECT_FALSE(IsDeadLocalOwner(self, self));
  EXPECT_FALSE(IsDeadLocalOwner("testhost:notapid", self));

  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  Calls calls;
  SchedulerOptions options;
  options.owner = self;
  Scheduler scheduler(clock, store, options);
  JobSchedule manual_only;
  manual_only.name = "offload_raw";
  K2_ASSERT_OK(scheduler.AddJob(RecordingJob("offload_raw", calls), manual_only));
  K2_ASSERT_OK(scheduler.Start());

  // Held by a live process of another host: skipped.
  K2_ASSERT_OK_AND_ASSIGN(
      bool taken, store.TryAcquireLease("offload_raw", "otherhost:1", clock.Now(), minutes(5)));
  ASSERT_TRUE(taken);
  K2_ASSERT_OK(scheduler.TriggerRun("offload_raw"));
  ASSERT_TRUE(scheduler.WaitIdle());
  EXPECT_TRUE(calls.Take().empty());
  K2_ASSERT_OK(store.ReleaseLease("offload_raw", "otherhost:1"));

  // Held by a dead process of this host: taken over, the run goes ahead.
  K2_ASSERT_OK_AND_ASSIGN(taken,
                          store.TryAcquireLease("offload_raw", dead, clock.Now(), minutes(5)));
  ASSERT_TRUE(taken);
  K2_ASSERT_OK(scheduler.TriggerRun("offload_raw"));
  ASSERT_TRUE(scheduler.WaitIdle());
  EXPECT_EQ(calls.Take().size(), 1u);
  K2_ASSERT_OK_AND_ASSIGN(auto holder, store.LeaseHolder("offload_raw", clock.Now()));
  EXPECT_FALSE(holder.has_value()) << "released after the run, not left to the dead owner";
}

TEST(SchedulerTest, ManualTriggerIsRecordedAndUnknownJobIsNotFound) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  Calls calls;
  Scheduler scheduler(clock, store);
  JobSchedule disabled = Sched("audit", "0 0 3 * * SUN");
  disabled.enabled = false;
  K2_ASSERT_OK(scheduler.AddJob(RecordingJob("audit", calls), disabled));
  K2_ASSERT_OK(scheduler.Start());
  K2_ASSERT_ERROR_KIND(scheduler.TriggerRun("nope"), ErrorKind::kNotFound);
  K2_ASSERT_OK(scheduler.TriggerRun("audit"));
  ASSERT_TRUE(scheduler.WaitIdle());
  EXPECT_EQ(calls.Take(), std::vector<std::string>{"audit manual 2026-11-24T01:00:00Z #1"});
  // Disabled: never fires on its own.
  StepTo(clock, scheduler, T("2026-11-30T00:00:00Z"), hours(1));
  EXPECT_TRUE(calls.Take().empty());
  K2_ASSERT_OK_AND_ASSIGN(auto history, store.History("", 10));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].trigger, Trigger::kManual);
}

TEST(SchedulerTest, RejectsBadSchedules) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  Calls calls;
  Scheduler scheduler(clock, store);
  K2_ASSERT_ERROR_KIND(scheduler.AddJob(RecordingJob("x", calls), Sched("x", "0 61 * * * *")),
                       ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(scheduler.AddJob(RecordingJob("x", calls), Sched("y", "@hourly")),
                       ErrorKind::kInvalidInput);
  K2_ASSERT_OK(scheduler.AddJob(RecordingJob("x", calls), Sched("x", "@hourly")));
  K2_ASSERT_ERROR_KIND(scheduler.AddJob(RecordingJob("x", calls), Sched("x", "@daily")),
                       ErrorKind::kAlreadyExists);
}

TEST(SchedulerTest, StopCancelsRunningJobWhichAbandonsBeforeCommit) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  Gate gate;
  Scheduler scheduler(clock, store);
  K2_ASSERT_OK(scheduler.AddJob(GatedJob("offload_raw", gate), Sched("offload_raw", "@hourly")));
  K2_ASSERT_OK(scheduler.Start());
  K2_ASSERT_OK(scheduler.TriggerRun("offload_raw"));
  ASSERT_TRUE(gate.AwaitEntered(1));
  K2_ASSERT_OK(scheduler.Stop(seconds(30)));
  K2_ASSERT_OK_AND_ASSIGN(auto history, store.History("offload_raw", 10));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].status, RunStatus::kCancelled);
  EXPECT_EQ(history[0].error_kind, ErrorKind::kCancelled);
  K2_ASSERT_ERROR_KIND(scheduler.TriggerRun("offload_raw"), ErrorKind::kCancelled);
}

TEST(SchedulerTest, StopReportsJobsStillRunningAfterGrace) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  Gate gate;
  Scheduler scheduler(clock, store);
  K2_ASSERT_OK(scheduler.AddJob(GatedJob("stubborn", gate, /*honour_cancel=*/false),
                                Sched("stubborn", "@hourly")));
  K2_ASSERT_OK(scheduler.Start());
  K2_ASSERT_OK(scheduler.TriggerRun("stubborn"));
  ASSERT_TRUE(gate.AwaitEntered(1));
  Status stopped;
  std::atomic<bool> done{false};
  std::thread stopper([&] {
    stopped = scheduler.Stop(seconds(5));
    done = true;
  });
  // Stop waits on the clock for the grace; advance past it (again if Stop had
  // not yet read the clock when the first advance happened).
  for (int i = 0; i < 3000 && !done; ++i) {
    clock.Advance(seconds(6));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // hand-off, not schedule time
  }
  stopper.join();
  K2_ASSERT_ERROR_KIND(stopped, ErrorKind::kTimeout);
  EXPECT_NE(stopped.error().message.find("stubborn"), std::string::npos);
  gate.Open();  // the destructor joins it
}

}  // namespace
}  // namespace k2::service
