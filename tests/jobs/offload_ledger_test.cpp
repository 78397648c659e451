#include "jobs/offload_ledger.h"

#include <gtest/gtest.h>

namespace k2::jobs {
namespace {

constexpr int64_t kH = 3600 * kMicrosPerSecond;

AncestorSummary Commit(int64_t id, int64_t start, int64_t rows, const std::string& sum) {
  WindowRecord r;
  r.window = {start, start + kH};
  r.source_rows = rows;
  r.source_checksum = sum;
  r.checksum_kind = "native";
  r.run_id = "run";
  return {id, SummaryFor("raw_trades", r, false), 7};
}

TEST(OffloadLedgerTest, NewestCommitOfAWindowWinsAndWatermarkIsTheLatestEnd) {
  std::vector<AncestorSummary> newest_first = {
      Commit(4, 0, 12, "c2"),           // replace of window 0 with late rows
      {3, {{"operation", "replace"}}},  // a compaction: no window
      Commit(2, kH, 7, "b"),
      Commit(1, 0, 10, "a"),
  };
  OffloadLedger ledger = OffloadLedger::FromAncestry(newest_first);
  ASSERT_EQ(ledger.size(), 2u);
  const WindowRecord* w0 = ledger.Find({0, kH});
  ASSERT_NE(w0, nullptr);
  EXPECT_EQ(w0->source_rows, 12);
  EXPECT_EQ(w0->source_checksum, "c2");
  EXPECT_EQ(w0->snapshot_id, 4);
  EXPECT_EQ(w0->checksum_kind, "native");
  EXPECT_EQ(w0->schema_id, 7);
  EXPECT_EQ(ledger.WatermarkUs(), 2 * kH);
  EXPECT_EQ(ledger.Find({2 * kH, 3 * kH}), nullptr);
  EXPECT_EQ(ledger.Find({0, 2 * kH}), nullptr) << "a window of another length is not the same";
  auto newest = ledger.Newest(1);
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0]->window.start_us, kH);
}

TEST(OffloadLedgerTest, EmptyAncestryHasNoWatermark) {
  OffloadLedger ledger = OffloadLedger::FromAncestry({});
  EXPECT_FALSE(ledger.WatermarkUs().has_value());
  EXPECT_TRUE(ledger.Newest(5).empty());
}

}  // namespace
}  // namespace k2::jobs
