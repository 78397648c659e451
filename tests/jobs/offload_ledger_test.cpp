#include "jobs/offload_ledger.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2::jobs {
namespace {

constexpr int64_t kH = 3600 * kMicrosPerSecond;
// 2026-11-20T00:00:00Z
constexpr int64_t kT0 = 1795132800LL * kMicrosPerSecond;

AncestorSummary Commit(int64_t id, int64_t start, int64_t rows, const std::string& sum) {
  WindowRecord r;
  r.window = {start, start + kH};
  r.source_rows = rows;
  r.source_checksum = sum;
  r.checksum_kind = "native";
  r.run_id = "run";
  return {id, SummaryFor("raw_trades", r, false), 7};
}

WindowRecord Record(int64_t start, int64_t rows, int64_t snapshot = 0) {
  WindowRecord r;
  r.window = {start, start + kH};
  r.source_rows = rows;
  r.source_checksum = std::to_string(rows * 31);
  r.checksum_kind = "binary";
  r.snapshot_id = snapshot;
  r.schema_id = 1;
  r.run_id = "r1";
  return r;
}

/// Metadata whose main ancestry is `newest_first` (summaries only).
iceberg::TableMetadata WithAncestry(const std::vector<AncestorSummary>& newest_first) {
  iceberg::TableMetadata m;
  for (size_t i = newest_first.size(); i-- > 0;) {
    iceberg::Snapshot s;
    s.snapshot_id = newest_first[i].snapshot_id;
    if (i + 1 < newest_first.size()) s.parent_snapshot_id = newest_first[i + 1].snapshot_id;
    s.summary = newest_first[i].summary;
    s.schema_id = newest_first[i].schema_id;
    m.snapshots.push_back(s);
  }
  if (!newest_first.empty()) {
    m.current_snapshot_id = newest_first.front().snapshot_id;
    m.refs["main"] = iceberg::SnapshotRef{newest_first.front().snapshot_id};
  }
  return m;
}

TEST(OffloadLedgerTest, NewestCommitOfAWindowWinsAndWatermarkIsTheLatestEnd) {
  std::vector<AncestorSummary> newest_first = {
      Commit(4, 0, 12, "c2"),           // replace of window 0 with late rows
      {3, {{"operation", "replace"}}},  // a compaction: no window
      Commit(2, kH, 7, "b"),
      Commit(1, 0, 10, "a"),
  };
  OffloadLedger ledger = OffloadLedger::FromAncestry(newest_first);
  auto w0 = ledger.Find({0, kH});
  ASSERT_TRUE(w0.has_value());
  EXPECT_EQ(w0->source_rows, 12);
  EXPECT_EQ(w0->source_checksum, "c2");
  EXPECT_EQ(w0->snapshot_id, 4);
  EXPECT_EQ(w0->checksum_kind, "native");
  EXPECT_EQ(w0->schema_id, 7);
  EXPECT_EQ(ledger.WatermarkUs(), 2 * kH);
  EXPECT_FALSE(ledger.Find({2 * kH, 3 * kH}));
  EXPECT_FALSE(ledger.Find({0, 2 * kH})) << "a window of another length is not the same";
  auto newest = ledger.Newest(1);
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0].window.start_us, kH);
}

// Found by offload_ledger_fuzz: a summary whose window does not start on a
// whole second (not one k2 wrote) became a window the property, which keeps
// seconds, could not hold: what k2 wrote back read back differently.
TEST(OffloadLedgerTest, SummaryWindowsOffWholeSecondsAreNotWindows) {
  AncestorSummary odd = Commit(3, kT0 + 2 * kH, 5, "9");
  odd.summary[kSummaryWindowStart] = std::to_string(kT0 + 2 * kH + 1);
  OffloadLedger ledger =
      OffloadLedger::FromAncestry({odd, Commit(2, kT0 + kH, 4, "8"), Commit(1, kT0, 3, "7")});
  EXPECT_EQ(ledger.WatermarkUs(), kT0 + 2 * kH);
  EXPECT_FALSE(ledger.Contains({kT0 + 2 * kH, kT0 + 3 * kH}));
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger again, OffloadLedger::ParseProperty(ledger.ToProperty()));
  EXPECT_TRUE(again.Covers(ledger) && ledger.Covers(again));
}

TEST(OffloadLedgerTest, EmptyLedgerHasNoWatermark) {
  OffloadLedger ledger = OffloadLedger::FromAncestry({});
  EXPECT_FALSE(ledger.WatermarkUs().has_value());
  EXPECT_TRUE(ledger.Newest(5).empty());
  EXPECT_TRUE(ledger.empty());
}

TEST(OffloadLedgerTest, PropertyRoundTripsRangesAndDetails) {
  OffloadLedger ledger;
  for (int h = 0; h < 5; ++h) ledger.Record(Record(kT0 + h * kH, 100 + h, 1000 + h));
  ledger.Record(Record(kT0 + 7 * kH, 0));  // an empty window after a gap
  EXPECT_EQ(ledger.ranges().size(), 2u);
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger back, OffloadLedger::ParseProperty(ledger.ToProperty()));
  EXPECT_EQ(back.ranges(), ledger.ranges());
  for (int h : {0, 1, 2, 3, 4, 7}) {
    auto r = back.Find({kT0 + h * kH, kT0 + (h + 1) * kH});
    ASSERT_TRUE(r) << h;
    EXPECT_EQ(r->source_rows, h == 7 ? 0 : 100 + h);
    EXPECT_EQ(r->source_checksum, ledger.Find(r->window)->source_checksum);
    EXPECT_EQ(r->snapshot_id, h == 7 ? 0 : 1000 + h);
    EXPECT_EQ(r->schema_id, 1);
    EXPECT_EQ(r->checksum_kind, "binary");
    EXPECT_EQ(r->run_id, "r1");
  }
  EXPECT_FALSE(back.Contains({kT0 + 5 * kH, kT0 + 6 * kH})) << "the gap";
  EXPECT_EQ(back.WatermarkUs(), kT0 + 8 * kH);
}

TEST(OffloadLedgerTest, AYearOfHourlyWindowsStaysSmallAndListsEveryWindow) {
  OffloadLedger ledger;
  const int kWindows = 8760;
  for (int h = 0; h < kWindows; ++h) ledger.Record(Record(kT0 + h * kH, h % 50, h + 1));
  std::string property = ledger.ToProperty();
  EXPECT_LT(property.size(), 48u * 1024) << "details only for the newest windows";
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger back, OffloadLedger::ParseProperty(property));
  EXPECT_EQ(back.ranges().size(), 1u) << "contiguous windows are one range";
  auto windows = back.Windows(3600);
  ASSERT_EQ(windows.size(), static_cast<size_t>(kWindows));
  for (int h = 0; h < kWindows; ++h) {
    EXPECT_EQ(windows[h].window.start_us, kT0 + h * kH);
    EXPECT_EQ(windows[h].detailed(), h >= kWindows - static_cast<int>(kLedgerDetailWindows)) << h;
  }
  auto old = back.Find({kT0, kT0 + kH});
  ASSERT_TRUE(old) << "an old window is still committed";
  EXPECT_FALSE(old->detailed());
  EXPECT_EQ(back.Newest(3).front().source_rows, (kWindows - 1) % 50);
  EXPECT_EQ(back.Windows(3600, kT0 + 100 * kH).size(), static_cast<size_t>(kWindows - 100));
  EXPECT_EQ(back.CountWindows(3600), kWindows);
  EXPECT_EQ(back.CountWindows(3600, kT0 + 100 * kH), kWindows - 100);
  // A range spanning millennia is counted, not listed.
  K2_ASSERT_OK_AND_ASSIGN(
      OffloadLedger huge,
      OffloadLedger::ParseProperty("{\"format\": 1, \"windows\": [[0, 253402300000]]}"));
  EXPECT_GT(huge.CountWindows(3600), 70000000);
}

TEST(OffloadLedgerTest, PropertyWinsAndSummariesOnlyAddWhatItLacks) {
  // A table from before the property: summaries only.
  iceberg::TableMetadata m = WithAncestry({Commit(2, kH, 7, "b"), Commit(1, 0, 10, "a")});
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger old, OffloadLedger::FromMetadata(m));
  EXPECT_EQ(old.Windows(3600).size(), 2u);
  EXPECT_TRUE(LedgerNeedsCarryOver(m));

  // Carried over: the property holds both; expiring the snapshots loses nothing.
  LedgerUpdate carry({});
  K2_ASSERT_OK_AND_ASSIGN(iceberg::TableMetadata carried, carry.Apply(m));
  EXPECT_FALSE(LedgerNeedsCarryOver(carried));
  carried.snapshots.clear();
  carried.current_snapshot_id.reset();
  carried.refs.clear();
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger kept, OffloadLedger::FromMetadata(carried));
  ASSERT_TRUE(kept.Find({0, kH}));
  EXPECT_EQ(kept.Find({0, kH})->source_rows, 10);
  EXPECT_EQ(kept.Find({kH, 2 * kH})->snapshot_id, 2);

  // The property's record of a window wins over an older summary of it.
  OffloadLedger newer;
  newer.Record(Record(0, 99, 42));
  m.properties[kLedgerProperty] = newer.ToProperty();
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger merged, OffloadLedger::FromMetadata(m));
  EXPECT_EQ(merged.Find({0, kH})->source_rows, 99);
  EXPECT_EQ(merged.Find({kH, 2 * kH})->source_rows, 7) << "only the summaries had hour 1";

  // A ledger update records new windows and leaves committed ones alone.
  LedgerUpdate empties({Record(0, 0), Record(5 * kH, 0)});
  K2_ASSERT_OK_AND_ASSIGN(iceberg::TableMetadata next, empties.Apply(m));
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger after, OffloadLedger::FromMetadata(next));
  EXPECT_EQ(after.Find({0, kH})->source_rows, 99);
  ASSERT_TRUE(after.Find({5 * kH, 6 * kH}));
  EXPECT_EQ(after.Find({5 * kH, 6 * kH})->source_rows, 0);
}

TEST(OffloadLedgerTest, CorruptPropertyIsAnErrorNamingIt) {
  for (const char* bad :
       {"", "[]", "{\"format\": 2}", "{\"format\": 1, \"windows\": [[5, 1]]}",
        "{\"format\": 1, \"windows\": [[0, 3600]], \"details\": [[0, 3600, \"x\"]]}",
        "{\"format\": 1, \"windows\": [], \"details\": [[0,3600,1,\"1\",\"binary\",0,null,\"r\"]]}",
        "{\"format\": 1, \"windows\": [[0, 99999999999999999]]}"}) {
    auto r = OffloadLedger::ParseProperty(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << bad;
    EXPECT_NE(r.error().message.find(kLedgerProperty), std::string::npos) << r.error().message;
  }
  iceberg::TableMetadata m;
  m.properties[kLedgerProperty] = "not json";
  K2_ASSERT_ERROR_KIND(OffloadLedger::FromMetadata(m), ErrorKind::kCorrupt);
}

TEST(OffloadLedgerTest, RangesMergeOverlapsAndAdjacency) {
  OffloadLedger l;
  l.Record(Record(2 * kH, 1));
  l.Record(Record(0, 1));
  EXPECT_EQ(l.ranges().size(), 2u);
  l.Record(Record(kH, 1));
  ASSERT_EQ(l.ranges().size(), 1u);
  EXPECT_EQ(l.ranges().begin()->first, 0);
  EXPECT_EQ(l.ranges().begin()->second, 3 * kH);
  OffloadLedger sub;
  sub.Record(Record(kH, 5));
  EXPECT_TRUE(l.Covers(sub));
  sub.Record(Record(4 * kH, 5));
  EXPECT_FALSE(l.Covers(sub));
}

}  // namespace
}  // namespace k2::jobs
