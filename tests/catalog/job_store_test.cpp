// Leases on SQLite and on a real PostgreSQL server (the run history is
// tested through service::CatalogJobStore, which owns its rows).

#include "catalog/sql/job_store.h"

#include <gtest/gtest.h>

#include <barrier>
#include <thread>

#include "catalog/backends.h"

namespace k2 {
namespace {

class JobStoreTest : public ::testing::TestWithParam<std::string> {};

TEST_P(JobStoreTest, LeaseSemantics) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto leases, LeaseStore::Open(db.uri));
  K2_ASSERT_OK_AND_ASSIGN(bool got, leases->TryAcquire("offload", "a", 1000, 500));
  EXPECT_TRUE(got);
  K2_ASSERT_OK_AND_ASSIGN(got, leases->TryAcquire("offload", "b", 1200, 500));
  EXPECT_FALSE(got);
  auto lease = leases->Get("offload");
  ASSERT_TRUE(lease.has_value() && lease->has_value());
  EXPECT_EQ((*lease)->owner, "a");
  EXPECT_EQ((*lease)->expires_at_ms, 1500);
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
  lease = leases->Get("offload");
  ASSERT_TRUE(lease.has_value() && lease->has_value());
  EXPECT_EQ((*lease)->expires_at_ms, 2950);
  // Releasing someone else's lease is a no-op; the owner's release frees it.
  K2_ASSERT_OK(leases->Release("offload", "a"));
  K2_ASSERT_OK_AND_ASSIGN(got, leases->TryAcquire("offload", "a", 2000, 500));
  EXPECT_FALSE(got);
  K2_ASSERT_OK(leases->Release("offload", "b"));
  lease = leases->Get("offload");
  ASSERT_TRUE(lease.has_value());
  EXPECT_FALSE(lease->has_value());
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
  std::vector<int> codes = testing::ForkTogether(4, [&](int i, const auto& start) {
    auto store = LeaseStore::Open(db.uri);
    start();
    if (!store) return 4;
    auto got = (*store)->TryAcquire("offload", fmt::format("process{}", i), 1000, 60000);
    return !got ? 5 : (*got ? 0 : 1);
  });
  int winners = 0;
  int winner = -1;
  for (size_t i = 0; i < codes.size(); ++i) {
    ASSERT_TRUE(codes[i] == 0 || codes[i] == 1) << "child " << i << " exited " << codes[i];
    if (codes[i] == 0) {
      ++winners;
      winner = static_cast<int>(i);
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
