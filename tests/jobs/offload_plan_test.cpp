#include "jobs/offload_plan.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2::jobs {
namespace {

constexpr int64_t kH = 3600 * kMicrosPerSecond;
constexpr int64_t kT0 = 1795132800LL * kMicrosPerSecond;  // 2026-11-20T00:00Z

WindowRecord Committed(int h, int64_t rows) {
  WindowRecord r;
  r.window = {kT0 + h * kH, kT0 + (h + 1) * kH};
  r.source_rows = rows;
  r.source_checksum = "c" + std::to_string(h);
  r.snapshot_id = 100 + h;
  return r;
}

TEST(OffloadPlanTest, CatchUpPlansWindowsAfterTheWatermarkUpToTheSettledOne) {
  OffloadLedger ledger;
  for (int h = 0; h < 3; ++h) ledger.Record(Committed(h, 10));
  CatchUpInput in;
  in.ledger = &ledger;
  in.now_us = kT0 + 6 * kH + 4 * 60 * kMicrosPerSecond;  // 06:04, settle 5 min: 05 not settled
  auto plan = PlanCatchUp(in);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].window.start_us, kT0 + 3 * kH);
  EXPECT_EQ(plan[1].window.start_us, kT0 + 4 * kH);
  for (const auto& p : plan) {
    EXPECT_FALSE(p.replace);
    EXPECT_EQ(p.reason, PlanReason::kNew);
  }
  in.max_windows = 1;
  EXPECT_EQ(PlanCatchUp(in).size(), 1u);
}

TEST(OffloadPlanTest, GapsBetweenCommittedRangesAreFilledFirst) {
  OffloadLedger ledger;
  for (int h : {0, 1, 4, 6}) ledger.Record(Committed(h, 10));  // --window 04 and 06 ran early
  CatchUpInput in;
  in.ledger = &ledger;
  in.now_us = kT0 + 9 * kH + 10 * 60 * kMicrosPerSecond;
  auto plan = PlanCatchUp(in);
  std::vector<int64_t> hours;
  for (const auto& p : plan) hours.push_back((p.window.start_us - kT0) / kH);
  EXPECT_EQ(hours, (std::vector<int64_t>{2, 3, 5, 7, 8}));
  in.max_windows = 3;
  EXPECT_EQ(PlanCatchUp(in).size(), 3u);
}

TEST(OffloadPlanTest, ANewTableStartsAtTheOldestWarmRowAndAnEmptyWarmTierPlansNothing) {
  OffloadLedger empty;
  CatchUpInput in;
  in.ledger = &empty;
  in.now_us = kT0 + 3 * kH + 10 * 60 * kMicrosPerSecond;
  EXPECT_TRUE(PlanCatchUp(in).empty());
  in.oldest_warm_us = kT0 + kH + 17 * kMicrosPerSecond;
  auto plan = PlanCatchUp(in);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].window.start_us, kT0 + kH) << "aligned down to the window";
}

TEST(OffloadPlanTest, LateAndChangedRowsAreReplacedButAnExpiredWindowIsNeverEmptied) {
  OffloadLedger ledger;
  for (int h = 0; h < 4; ++h) ledger.Record(Committed(h, 10));
  CatchUpInput in;
  in.ledger = &ledger;
  in.now_us = kT0 + 4 * kH + 10 * 60 * kMicrosPerSecond;
  auto check = [](int h, int64_t rows, std::string sum, bool expired = false,
                  bool comparable = true) {
    WarmCheck c;
    c.record = Committed(h, 10);
    c.warm_rows = rows;
    c.warm_checksum = std::move(sum);
    c.warm_expired = expired;
    c.checksum_comparable = comparable;
    return c;
  };
  in.checks = {check(3, 10, "c3"),                    // unchanged
               check(2, 12, "x"),                     // late rows
               check(1, 10, "other"),                 // changed rows
               check(0, 0, "0", true),                // ClickHouse dropped it: keep cold
               check(3, 10, "other", false, false)};  // columns gone: count only
  auto plan = PlanCatchUp(in);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].window.start_us, kT0 + kH);
  EXPECT_EQ(plan[0].reason, PlanReason::kChangedRows);
  EXPECT_EQ(plan[1].window.start_us, kT0 + 2 * kH);
  EXPECT_EQ(plan[1].reason, PlanReason::kLateRows);
  EXPECT_NE(plan[1].detail.find("12"), std::string::npos);
  for (const auto& p : plan) EXPECT_TRUE(p.replace);

  // Warm emptied without expiring (rows deleted, older ones remain): replaced.
  in.checks = {check(0, 0, "0", false)};
  plan = PlanCatchUp(in);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].reason, PlanReason::kLateRows);
}

TEST(OffloadPlanTest, ExplicitWindowsSkipCommittedOnesUnlessReplacedAndMustHaveClosed) {
  OffloadLedger ledger;
  ledger.Record(Committed(1, 10));
  int64_t now = kT0 + 5 * kH;
  K2_ASSERT_OK_AND_ASSIGN(
      auto plan,
      PlanExplicit(ledger, {kT0, kT0 + kH}, {kT0 + 2 * kH, kT0 + 3 * kH}, 3600, false, now, 300));
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_FALSE(plan[0].skip);
  EXPECT_TRUE(plan[1].skip) << "committed, no --replace";
  EXPECT_FALSE(plan[2].skip);
  K2_ASSERT_OK_AND_ASSIGN(plan, PlanExplicit(ledger, {kT0 + kH, kT0 + 2 * kH},
                                             {kT0 + kH, kT0 + 2 * kH}, 3600, true, now, 300));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_TRUE(plan[0].replace);
  EXPECT_EQ(plan[0].reason, PlanReason::kForced);
  auto open = PlanExplicit(ledger, {kT0 + 4 * kH, kT0 + 5 * kH}, {kT0 + 4 * kH, kT0 + 5 * kH}, 3600,
                           false, now, 300);
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(open.error().message.find("has not closed"), std::string::npos);
}

}  // namespace
}  // namespace k2::jobs
