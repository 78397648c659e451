#include "service/catalog_job_store.h"

#include <gtest/gtest.h>

#include <set>

#include "catalog/backends.h"
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

/// The run history on every SQL backend (SQLite, and a real PostgreSQL server
/// when installed).
class CatalogJobStoreBackendTest : public ::testing::TestWithParam<std::string> {};

TimePoint Ms(int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

JobRun Started(const std::string& job, int attempt, int64_t started_ms) {
  JobRun run;
  run.job = job;
  run.attempt = attempt;
  run.scheduled = run.started = run.finished = Ms(started_ms);
  return run;
}

TEST_P(CatalogJobStoreBackendTest, HistoryRecordsRunsNewestFirst) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto store, CatalogJobStore::Open(db.uri));
  JobRun a = Started("offload", 1, 1000);
  JobRun b = Started("offload", 2, 2000);
  JobRun c = Started("compact", 1, 1500);
  JobRun d = Started("offload", 1, 3000);
  for (JobRun* run : {&a, &b, &c, &d}) {
    K2_ASSERT_OK_AND_ASSIGN(run->id, store->RecordStart(*run));
  }
  EXPECT_EQ(std::set<int64_t>({a.id, b.id, c.id, d.id}).size(), 4u);

  a.status = RunStatus::kFailed;
  a.finished = Ms(1100);
  a.error_kind = ErrorKind::kRemote;
  a.error = "ClickHouse is down";
  K2_ASSERT_OK(store->RecordFinish(a));
  b.status = RunStatus::kSucceeded;
  b.finished = Ms(2500);
  b.outcome.rows = 1234;
  b.outcome.bytes = 56789;
  K2_ASSERT_OK(store->RecordFinish(b));
  c.status = RunStatus::kSucceeded;
  c.finished = Ms(1600);
  K2_ASSERT_OK(store->RecordFinish(c));
  JobRun unknown = c;
  unknown.id = 987654;
  K2_ASSERT_ERROR_KIND(store->RecordFinish(unknown), ErrorKind::kNotFound);

  K2_ASSERT_OK_AND_ASSIGN(auto offloads, store->History("offload", 10));
  ASSERT_EQ(offloads.size(), 3u);
  EXPECT_EQ(offloads[0].id, d.id);
  EXPECT_EQ(offloads[0].status, RunStatus::kRunning);
  EXPECT_EQ(offloads[0].finished, offloads[0].started);
  EXPECT_EQ(offloads[1].id, b.id);
  EXPECT_EQ(offloads[1].attempt, 2);
  EXPECT_EQ(offloads[1].outcome.rows, 1234);
  EXPECT_EQ(offloads[1].outcome.bytes, 56789);
  EXPECT_EQ(offloads[1].finished, Ms(2500));
  EXPECT_EQ(offloads[2].id, a.id);
  EXPECT_EQ(offloads[2].status, RunStatus::kFailed);
  EXPECT_EQ(offloads[2].error_kind, ErrorKind::kRemote);
  EXPECT_EQ(offloads[2].error, "ClickHouse is down");

  K2_ASSERT_OK_AND_ASSIGN(auto all, store->History("", 2));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, d.id);
  EXPECT_EQ(all[1].id, b.id);

  // A second instance (another connection) reads the same rows.
  K2_ASSERT_OK_AND_ASSIGN(auto reopened, CatalogJobStore::Open(db.uri));
  K2_ASSERT_OK_AND_ASSIGN(auto again, reopened->History("offload", 10));
  ASSERT_EQ(again.size(), offloads.size());
  for (size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].ToJson(), offloads[i].ToJson());

  K2_ASSERT_ERROR_KIND(store->RecordStart(Started("", 1, 1)), ErrorKind::kInvalidInput);
}

TEST_P(CatalogJobStoreBackendTest, HistoryKeepsTriggerScheduleAndOutcome) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto store, CatalogJobStore::Open(db.uri));
  JobRun run = Started("offload", 1, 3'600'250);
  run.trigger = Trigger::kSchedule;
  run.scheduled = Ms(3'600'000);
  K2_ASSERT_OK_AND_ASSIGN(run.id, store->RecordStart(run));
  run.status = RunStatus::kFailed;
  run.finished = Ms(3'601'000);
  run.error_kind = ErrorKind::kRemote;
  run.error = "ClickHouse said no";
  TableOutcome table;
  table.table = "market.trades";
  table.detail = "window 10:00 failed";
  run.outcome.tables.push_back(table);
  run.outcome.summary = "0 rows into 1 tables";
  K2_ASSERT_OK(store->RecordFinish(run));
  JobRun manual = Started("offload", 1, 4'000'000);
  manual.trigger = Trigger::kManual;
  manual.scheduled = Ms(9'999'999);
  K2_ASSERT_OK(store->RecordStart(manual));
  JobRun still_running = run;
  still_running.status = RunStatus::kRunning;
  K2_ASSERT_ERROR_KIND(store->RecordFinish(still_running), ErrorKind::kInvalidInput);

  K2_ASSERT_OK_AND_ASSIGN(auto runs, store->History("offload", 10));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].ToJson(), run.ToJson());
  EXPECT_EQ(runs[0].trigger, Trigger::kManual);
  // Only schedule and catchup runs are fires; the manual one is not.
  K2_ASSERT_OK_AND_ASSIGN(auto fire, store->LastScheduledFire("offload"));
  EXPECT_EQ(fire, std::optional<TimePoint>(Ms(3'600'000)));
  K2_ASSERT_OK_AND_ASSIGN(fire, store->LastScheduledFire("other"));
  EXPECT_FALSE(fire.has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, CatalogJobStoreBackendTest,
                         ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace k2::service
