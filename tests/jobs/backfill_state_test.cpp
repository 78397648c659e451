#include "jobs/backfill/backfill_state.h"

#include <gtest/gtest.h>

#include "jobs/backfill/backfill.h"
#include "jobs/offload_ledger.h"
#include "support/support.h"

namespace k2::jobs {
namespace {

constexpr int64_t kH = 3600 * kMicrosPerSecond;
constexpr int64_t kT0 = 1795132800LL * kMicrosPerSecond;  // 2026-11-20T00:00:00Z

BackfillState State() {
  BackfillState s;
  s.id = "b1";
  s.table = "silver_trades";
  s.mode = "derive";
  s.query = "SELECT * FROM {source} WHERE t >= {start} AND t < {end}";
  s.source = "bronze_trades";
  s.source_location = "/w/bronze";
  s.source_metadata = "/w/bronze/metadata/00003-x.metadata.json";
  s.source_snapshot_id = 42;
  s.columns = {{"t", "DateTime64(6, 'UTC')"}, {"x", "UInt64"}};
  s.from_us = kT0;
  s.to_us = kT0 + 5 * kH;
  s.window_s = 3600;
  s.base_snapshot_id = 7;
  s.created_ms = 1;
  s.skipped = {kT0 + 2 * kH};
  s.done[kT0] = {kT0, 10, "123", 99};
  s.done[kT0 + kH] = {kT0 + kH, 0, "0", 0};
  return s;
}

TEST(BackfillStateTest, PlansTheRangeMinusSkippedAndWrittenWindows) {
  BackfillState s = State();
  ASSERT_EQ(s.Planned().size(), 4u);  // 5 hours, one skipped
  EXPECT_EQ(s.Planned()[2].start_us, kT0 + 3 * kH);
  auto rest = s.Remaining();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].start_us, kT0 + 3 * kH);
  EXPECT_EQ(rest[1].end_us, kT0 + 5 * kH);
  EXPECT_EQ(s.RowsWritten(), 10);
  EXPECT_EQ(s.Written().size(), 2u);
  EXPECT_EQ(s.Branch(), "backfill-b1");
}

TEST(BackfillStateTest, RoundTripsThroughTheTableProperty) {
  BackfillState s = State();
  iceberg::TableMetadata m;
  m.properties[s.PropertyKey()] = s.ToJson().dump();
  m.properties["k2.backfill.zz"] = "{not json";
  auto all = BackfillsOf(m);
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().message.find("k2.backfill.zz"), std::string::npos);
  m.properties.erase("k2.backfill.zz");
  K2_ASSERT_OK_AND_ASSIGN(auto found, FindBackfill(m, "b1"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->ToJson(), s.ToJson());
  EXPECT_EQ(found->columns, s.columns);
  EXPECT_EQ(found->done.at(kT0).snapshot_id, 99);
  K2_ASSERT_OK_AND_ASSIGN(auto none, FindBackfill(m, "b2"));
  EXPECT_FALSE(none);
}

TEST(BackfillStateTest, SettledStateKeepsOnlyTotals) {
  BackfillState s = State();
  for (int i = 3; i < 5; ++i) s.done[kT0 + i * kH] = {kT0 + i * kH, 5, "7", 100};
  const size_t open_size = s.ToJson().dump().size();
  s.Settle("published");
  EXPECT_EQ(s.status, "published");
  EXPECT_TRUE(s.done.empty());
  EXPECT_EQ(s.WindowsWritten(), 4);
  EXPECT_EQ(s.RowsWritten(), 20);
  EXPECT_LT(s.ToJson().dump().size(), open_size);
  K2_ASSERT_OK_AND_ASSIGN(auto back, BackfillState::FromJson(s.ToJson()));
  EXPECT_EQ(back.WindowsWritten(), 4);
  EXPECT_EQ(back.RowsWritten(), 20);
  EXPECT_TRUE(back.done.empty());
  EXPECT_TRUE(back.Remaining().size() == back.Planned().size());
}

TEST(BackfillStateTest, RefusesInconsistentState) {
  auto j = State().ToJson();
  j["to-us"] = kT0 - 1;
  auto s = BackfillState::FromJson(j);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kCorrupt);
  j = State().ToJson();
  j["format"] = 2;
  EXPECT_EQ(BackfillState::FromJson(j).error().kind, ErrorKind::kUnsupported);
}

TEST(BackfillStateTest, IdsArePlainNames) {
  EXPECT_TRUE(ValidBackfillId(NewBackfillId()));
  EXPECT_TRUE(ValidBackfillId("day-1m_2"));
  EXPECT_FALSE(ValidBackfillId(""));
  EXPECT_FALSE(ValidBackfillId("../x"));
  EXPECT_FALSE(ValidBackfillId(std::string(41, 'a')));
}

/// Main: 1 <- 2 (offload of 10:00) <- 3 (compaction) <- 4 (offload of 12:00).
iceberg::TableMetadata Main() {
  iceberg::TableMetadata m;
  auto add = [&](int64_t id, std::optional<int64_t> parent, std::optional<int64_t> window) {
    iceberg::Snapshot s;
    s.snapshot_id = id;
    s.parent_snapshot_id = parent;
    if (window) {
      s.summary[kSummaryWindowStart] = std::to_string(*window);
      s.summary[kSummaryWindowEnd] = std::to_string(*window + kH);
      s.summary[kSummaryRunId] = "r" + std::to_string(id);
    }
    m.snapshots.push_back(s);
  };
  add(1, {}, {});
  add(2, 1, kT0 + 10 * kH);
  add(3, 2, {});
  add(4, 3, kT0 + 12 * kH);
  m.current_snapshot_id = 4;
  m.refs["main"] = iceberg::SnapshotRef{4};
  return m;
}

TEST(BackfillStateTest, MainChangesSinceTheForkAreNamed) {
  const iceberg::TableMetadata m = Main();
  const std::vector<Window> range = {{kT0 + 9 * kH, kT0 + 10 * kH}, {kT0 + 10 * kH, kT0 + 11 * kH}};
  // Forked at 3: only the 12:00 offload came since, outside the range.
  EXPECT_TRUE(CheckMainUnchanged(m, 3, range));
  // Forked at 1: the 10:00 offload changed a window of the range.
  Status st = CheckMainUnchanged(m, 1, range);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::kCommitConflict);
  EXPECT_NE(st.error().message.find("2026-11-20T10:00:00Z/2026-11-20T11:00:00Z"), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("snapshot 2"), std::string::npos);
  // A fork point no longer in main's history.
  st = CheckMainUnchanged(m, 77, {{kT0, kT0 + kH}});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("no longer holds snapshot 77"), std::string::npos);
  // Forked from an empty main: every k2 commit counts.
  EXPECT_FALSE(CheckMainUnchanged(m, std::nullopt, range));
  EXPECT_TRUE(CheckMainUnchanged(m, std::nullopt, {{kT0, kT0 + kH}}));
}

}  // namespace
}  // namespace k2::jobs
