#include "service/catalog_job_store.h"

#include <gtest/gtest.h>

#include "service/scheduler.h"
#include "support/support.h"

namespace k2::service {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TimePoint T(const char* text) {
  auto t = ParseTime(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

std::unique_ptr<Job> CountingJob(const std::string& name, std::vector<std::string>& log,
                                 std::mutex& mu) {
  return std::make_unique<FunctionJob>(
      name, [name, &log, &mu](JobContext& ctx) -> Result<JobOutcome> {
        std::lock_guard<std::mutex> guard(mu);
        log.push_back(
            fmt::format("{} {} {}", name, TriggerName(ctx.trigger), FormatTime(ctx.scheduled)));
        JobOutcome out;
        out.rows = 42;
        out.bytes = 420;
        TableOutcome t;
        t.table = "market.trades";
        t.rows = 42;
        out.tables.push_back(t);
        return out;
      });
}

TEST(CatalogJobStoreTest, RestartOnSharedSqliteCatchesUpOnceFromRecordedHistory) {
  testing::TempDir dir;
  const std::string db = dir / "catalog.db";
  std::vector<std::string> log;
  std::mutex mu;
  JobSchedule schedule;
  schedule.name = "offload_raw";
  schedule.cron = "0 5 * * * *";
  ManualClock clock(T("2026-11-24T00:30:00Z"));
  {
    K2_ASSERT_OK_AND_ASSIGN(auto store, CatalogJobStore::Open(db));
    Scheduler first(clock, *store);
    K2_ASSERT_OK(first.AddJob(CountingJob("offload_raw", log, mu), schedule));
    K2_ASSERT_OK(first.Start());
    clock.Set(T("2026-11-24T01:05:00Z"));
    ASSERT_TRUE(first.WaitIdle());
    K2_ASSERT_OK(first.Stop(seconds(1)));
  }
  clock.Set(T("2026-11-24T06:40:00Z"));  // down for five slots
  K2_ASSERT_OK_AND_ASSIGN(auto store, CatalogJobStore::Open(db));
  Scheduler second(clock, *store);
  K2_ASSERT_OK(second.AddJob(CountingJob("offload_raw", log, mu), schedule));
  K2_ASSERT_OK(second.Start());
  ASSERT_TRUE(second.WaitIdle());
  EXPECT_EQ(log, (std::vector<std::string>{"offload_raw schedule 2026-11-24T01:05:00Z",
                                           "offload_raw catchup 2026-11-24T06:05:00Z"}));
  K2_ASSERT_OK_AND_ASSIGN(auto history, store->History("offload_raw", 10));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].trigger, Trigger::kCatchUp);
  EXPECT_EQ(history[0].status, RunStatus::kSucceeded);
  EXPECT_EQ(FormatTime(history[0].scheduled), "2026-11-24T06:05:00Z");
  EXPECT_EQ(FormatTime(history[0].finished), "2026-11-24T06:40:00Z");
  EXPECT_EQ(history[0].outcome.rows, 42);
  ASSERT_EQ(history[0].outcome.tables.size(), 1u);
  EXPECT_EQ(history[0].outcome.tables[0].table, "market.trades");
  K2_ASSERT_OK(second.Stop(seconds(1)));
}

TEST(CatalogJobStoreTest, FailuresKeepTheirKindAndLeasesExcludeOtherProcesses) {
  testing::TempDir dir;
  const std::string db = dir / "catalog.db";
  K2_ASSERT_OK_AND_ASSIGN(auto a, CatalogJobStore::Open(db));
  K2_ASSERT_OK_AND_ASSIGN(auto b, CatalogJobStore::Open(db));
  TimePoint now = T("2026-11-24T01:00:00Z");
  K2_ASSERT_OK_AND_ASSIGN(bool got_a, a->TryAcquireLease("compaction", "a:1", now, minutes(5)));
  EXPECT_TRUE(got_a);
  K2_ASSERT_OK_AND_ASSIGN(bool got_b, b->TryAcquireLease("compaction", "b:2", now, minutes(5)));
  EXPECT_FALSE(got_b);
  K2_ASSERT_OK_AND_ASSIGN(bool renewed, a->RenewLease("compaction", "a:1", now, minutes(5)));
  EXPECT_TRUE(renewed);
  K2_ASSERT_OK(a->ReleaseLease("compaction", "a:1"));
  K2_ASSERT_OK_AND_ASSIGN(got_b, b->TryAcquireLease("compaction", "b:2", now, minutes(5)));
  EXPECT_TRUE(got_b);
  // Expired leases can be taken over.
  K2_ASSERT_OK_AND_ASSIGN(got_a,
                          a->TryAcquireLease("compaction", "a:1", now + minutes(6), minutes(5)));
  EXPECT_TRUE(got_a);

  JobRun run;
  run.job = "compaction";
  run.trigger = Trigger::kRetry;
  run.attempt = 2;
  run.scheduled = T("2026-11-24T00:00:00Z");
  run.started = run.finished = now;
  K2_ASSERT_OK_AND_ASSIGN(run.id, a->RecordStart(run));
  run.finished = now + seconds(3);
  run.status = RunStatus::kFailed;
  run.error_kind = ErrorKind::kCommitConflict;
  run.error = "table market.trades: lost the commit race 5 times";
  K2_ASSERT_OK(a->RecordFinish(run));
  K2_ASSERT_OK_AND_ASSIGN(auto history, b->History("", 5));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].status, RunStatus::kFailed);
  EXPECT_EQ(history[0].error_kind, ErrorKind::kCommitConflict);
  EXPECT_EQ(history[0].error, run.error);
  EXPECT_EQ(history[0].trigger, Trigger::kRetry);
  EXPECT_EQ(history[0].attempt, 2);
  EXPECT_DOUBLE_EQ(history[0].duration_seconds(), 3.0);
  // A retry is not a scheduled fire: misfire detection ignores it.
  K2_ASSERT_OK_AND_ASSIGN(auto last, b->LastScheduledFire("compaction"));
  EXPECT_FALSE(last.has_value());
}

}  // namespace
}  // namespace k2::service
