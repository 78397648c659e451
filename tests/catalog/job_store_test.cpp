// Job history and leases on SQLite and on a real PostgreSQL server.

#include "catalog/sql/job_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <barrier>
#include <thread>

#include "catalog/backends.h"

namespace k2 {
namespace {

class JobStoreTest : public ::testing::TestWithParam<std::string> {};

TEST_P(JobStoreTest, HistoryRecordsRunsNewestFirst) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto history, JobHistory::Open(db.uri));
  K2_ASSERT_OK_AND_ASSIGN(int64_t a, history->Start("offload", "market.trades", 1, 1000));
  K2_ASSERT_OK_AND_ASSIGN(int64_t b, history->Start("offload", "market.trades", 2, 2000));
  K2_ASSERT_OK_AND_ASSIGN(int64_t c, history->Start("compact", "market.trades", 1, 1500));
  K2_ASSERT_OK_AND_ASSIGN(int64_t d, history->Start("offload", "market.quotes", 1, 3000));
  EXPECT_EQ(std::set<int64_t>({a, b, c, d}).size(), 4u);

  K2_ASSERT_OK(history->End(a, "failed", 1100, 0, 0, "kRemote: ClickHouse is down"));
  K2_ASSERT_OK(history->End(b, "succeeded", 2500, 1234, 56789, ""));
  K2_ASSERT_OK(history->End(c, "succeeded", 1600, 1, 2, ""));
  K2_ASSERT_ERROR_KIND(history->End(987654, "succeeded", 1, 0, 0, ""), ErrorKind::kNotFound);

  K2_ASSERT_OK_AND_ASSIGN(auto offloads, history->List("offload", 10));
  ASSERT_EQ(offloads.size(), 3u);
  EXPECT_EQ(offloads[0].run_id, d);
  EXPECT_EQ(offloads[0].status, "running");
  EXPECT_FALSE(offloads[0].ended_at_ms.has_value());
  EXPECT_EQ(offloads[1].run_id, b);
  EXPECT_EQ(offloads[1].attempt, 2);
  EXPECT_EQ(offloads[1].rows, 1234);
  EXPECT_EQ(offloads[1].bytes, 56789);
  EXPECT_EQ(offloads[1].ended_at_ms, std::optional<int64_t>(2500));
  EXPECT_EQ(offloads[2].run_id, a);
  EXPECT_EQ(offloads[2].status, "failed");
  EXPECT_EQ(offloads[2].error, "kRemote: ClickHouse is down");

  K2_ASSERT_OK_AND_ASSIGN(auto all, history->List("", 2));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].run_id, d);
  EXPECT_EQ(all[1].run_id, b);

  K2_ASSERT_OK_AND_ASSIGN(auto last, history->LastSuccess("offload", "market.trades"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->run_id, b);
  K2_ASSERT_OK_AND_ASSIGN(auto none, history->LastSuccess("offload", "market.quotes"));
  EXPECT_FALSE(none.has_value());

  // A second instance (another connection) reads the same rows.
  K2_ASSERT_OK_AND_ASSIGN(auto reopened, JobHistory::Open(db.uri));
  K2_ASSERT_OK_AND_ASSIGN(auto again, reopened->List("offload", 10));
  EXPECT_EQ(again, offloads);

  K2_ASSERT_OK_AND_ASSIGN(int64_t pruned, history->Prune(2000));
  EXPECT_EQ(pruned, 2);  // a and c ended before 2000; b ended later, d is running
  K2_ASSERT_OK_AND_ASSIGN(all, history->List("", 10));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].run_id, d);
  EXPECT_EQ(all[1].run_id, b);
  K2_ASSERT_ERROR_KIND(history->Start("", "x", 1, 1), ErrorKind::kInvalidInput);
}

TEST_P(JobStoreTest, HistoryKeepsTriggerScheduleAndDetails) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto history, JobHistory::Open(db.uri));
  JobRun run;
  run.job = "offload";
  run.target = "market.trades";
  run.trigger = "schedule";
  run.scheduled_at_ms = 3'600'000;
  run.started_at_ms = 3'600'250;
  K2_ASSERT_OK_AND_ASSIGN(run.run_id, history->Start(run));
  run.status = "failed";
  run.ended_at_ms = 3'601'000;
  run.error_kind = "remote";
  run.error = "ClickHouse said no";
  run.details = R"({"tables":[]})";
  K2_ASSERT_OK(history->End(run));
  JobRun manual = run;
  manual.trigger = "manual";
  manual.scheduled_at_ms = 9'999'999;
  manual.started_at_ms = 4'000'000;
  K2_ASSERT_OK(history->Start(manual));
  JobRun no_end = run;
  no_end.ended_at_ms.reset();
  K2_ASSERT_ERROR_KIND(history->End(no_end), ErrorKind::kInvalidInput);

  K2_ASSERT_OK_AND_ASSIGN(auto runs, history->List("offload", 10));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1], run);
  K2_ASSERT_OK_AND_ASSIGN(auto fire, history->LastScheduledAt("offload", {"schedule", "catchup"}));
  EXPECT_EQ(fire, std::optional<int64_t>(3'600'000));
  K2_ASSERT_OK_AND_ASSIGN(fire, history->LastScheduledAt("offload", {}));
  EXPECT_EQ(fire, std::optional<int64_t>(9'999'999));
  K2_ASSERT_OK_AND_ASSIGN(fire, history->LastScheduledAt("other", {}));
  EXPECT_FALSE(fire.has_value());
}

TEST_P(JobStoreTest, LeaseSemantics) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto leases, LeaseStore::Open(db.uri));
  K2_ASSERT_OK_AND_ASSIGN(bool got, leases->TryAcquire("offload", "a", 1000, 500));
  EXPECT_TRUE(got);
  K2_ASSERT_OK_AND_ASSIGN(got, leases->TryAcquire("offload", "b", 1200, 500));
  EXPECT_FALSE(got);
  K2_ASSERT_OK_AND_ASSIGN(auto lease, leases->Get("offload"));
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->owner, "a");
  EXPECT_EQ(lease->expires_at_ms, 1500);
  // The holder may take it again (extends it); other leases are independent.
  K2_ASSERT_OK_AND_ASSIGN(got, leases->TryAcquire("offload", "a", 1400, 500));
  EXPECT_TRUE(got);
  K2_ASSERT_OK_AND_ASSIGN(got, leases->TryAcquire("compact", "b", 1400, 500));
  EXPECT_TRUE(got);
  K2_ASSERT_OK_AND_ASSIGN(got, leases->TryAcquire("offload", "b", 1899, 500));
  EXPECT_FALSE(got);
  // Expired (expires_at_ms 1900 <= now): b takes over, a's renewal fails.
  K2_ASSERT_OK_AND_ASSIGN(got, leases->TryAcquire("offload", "b", 1900, 500));
  EXPECT_TRUE(got);
  K2_ASSERT_OK_AND_ASSIGN(bool renewed, leases->Renew("offload", "a", 1950, 500));
  EXPECT_FALSE(renewed);
  K2_ASSERT_OK_AND_ASSIGN(renewed, leases->Renew("offload", "b", 1950, 1000));
  EXPECT_TRUE(renewed);
  K2_ASSERT_OK_AND_ASSIGN(lease, leases->Get("offload"));
  EXPECT_EQ(lease->expires_at_ms, 2950);
  // Releasing someone else's lease is a no-op; the owner's release frees it.
  K2_ASSERT_OK(leases->Release("offload", "a"));
  K2_ASSERT_OK_AND_ASSIGN(got, leases->TryAcquire("offload", "a", 2000, 500));
  EXPECT_FALSE(got);
  K2_ASSERT_OK(leases->Release("offload", "b"));
  K2_ASSERT_OK_AND_ASSIGN(lease, leases->Get("offload"));
  EXPECT_FALSE(lease.has_value());
  K2_ASSERT_OK_AND_ASSIGN(got, leases->TryAcquire("offload", "a", 2000, 500));
  EXPECT_TRUE(got);

  K2_ASSERT_ERROR_KIND(leases->TryAcquire("", "a", 0, 1), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(leases->TryAcquire("x", "", 0, 1), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(leases->TryAcquire("x", "a", 0, 0), ErrorKind::kInvalidInput);
}

TEST_P(JobStoreTest, ThreadsRacingForALeaseExactlyOneWins) {
  K2_FRESH_DATABASE(db);
  constexpr int kThreads = 6;
  constexpr int kRounds = 5;
  std::vector<std::unique_ptr<LeaseStore>> stores;
  for (int i = 0; i < kThreads; ++i) {
    K2_ASSERT_OK_AND_ASSIGN(auto store, LeaseStore::Open(db.uri));
    stores.push_back(std::move(store));
  }
  std::vector<std::vector<int>> wins(kRounds, std::vector<int>(kThreads, -1));
  std::barrier sync(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < kRounds; ++round) {
        sync.arrive_and_wait();
        auto got = stores[i]->TryAcquire(fmt::format("job{}", round), fmt::format("owner{}", i),
                                         1000, 60000);
        wins[round][i] = got ? (*got ? 1 : 0) : -1;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int round = 0; round < kRounds; ++round) {
    int winners = 0;
    for (int i = 0; i < kThreads; ++i) {
      EXPECT_NE(wins[round][i], -1) << "round " << round << " thread " << i << " failed";
      winners += wins[round][i] == 1;
    }
    EXPECT_EQ(winners, 1) << "round " << round;
    K2_ASSERT_OK_AND_ASSIGN(auto lease, stores[0]->Get(fmt::format("job{}", round)));
    ASSERT_TRUE(lease.has_value());
    int winner = static_cast<int>(std::find(wins[round].begin(), wins[round].end(), 1) -
                                  wins[round].begin());
    EXPECT_EQ(lease->owner, fmt::format("owner{}", winner));
  }
}

TEST_P(JobStoreTest, ProcessesRacingForALeaseExactlyOneWins) {
  K2_FRESH_DATABASE(db);
  { K2_ASSERT_OK(LeaseStore::Open(db.uri)); }  // create the tables before the race
  constexpr int kProcesses = 4;
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(go[1]);
      auto store = LeaseStore::Open(db.uri);
      char byte;
      if (read(go[0], &byte, 1) != 0) _exit(3);  // returns 0 when the parent closes the pipe
      if (!store) _exit(4);
      auto got = (*store)->TryAcquire("offload", fmt::format("process{}", i), 1000, 60000);
      _exit(!got ? 5 : (*got ? 0 : 1));
    }
    children.push_back(pid);
  }
  close(go[0]);
  close(go[1]);  // start the race
  int winners = 0;
  int winner = -1;
  for (int i = 0; i < kProcesses; ++i) {
    int status = 0;
    ASSERT_EQ(waitpid(children[i], &status, 0), children[i]);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_LE(WEXITSTATUS(status), 1) << "child " << i << " failed";
    if (WEXITSTATUS(status) == 0) {
      ++winners;
      winner = i;
    }
  }
  EXPECT_EQ(winners, 1);
  K2_ASSERT_OK_AND_ASSIGN(auto store, LeaseStore::Open(db.uri));
  K2_ASSERT_OK_AND_ASSIGN(auto lease, store->Get("offload"));
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->owner, fmt::format("process{}", winner));
}

INSTANTIATE_TEST_SUITE_P(Backends, JobStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace k2
