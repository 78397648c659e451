// The warm-vs-cold audit on the embedded engine: generated trades in chDB,
// offloaded by k2 into Iceberg, then audited; warm and cold are then altered
// (late rows, a deleted cold file, deleted warm rows, a window never
// offloaded) and the audit names exactly the windows that differ.
#include "jobs/audit.h"

#include "iceberg/scan.h"
#include "jobs/offload_fixture.h"

namespace k2::jobs {
namespace {

/// Runs on the SQL catalog and on k2's REST catalog (client and server).
class AuditTest : public OffloadCatalogTest {
 protected:
  /// "window-start-hour status" for every window of `table`, oldest first.
  static std::vector<std::string> Statuses(const AuditReport& report, const std::string& table) {
    std::vector<std::string> out;
    for (const auto& t : report.tables) {
      if (t.table != table) continue;
      EXPECT_FALSE(t.error) << t.error->ToString();
      for (const auto& w : t.windows) {
        out.push_back(fmt::format("{:02d} {}", (w.window.start_us - kStartUs) / kHourUs,
                                  AuditStatusName(w.status)));
      }
    }
    return out;
  }

  static const WindowAudit* Find(const AuditReport& report, const std::string& table, int hour) {
    for (const auto& t : report.tables) {
      for (const auto& w : t.windows) {
        if (t.table == table && w.window.start_us == kStartUs + hour * kHourUs) return &w;
      }
    }
    return nullptr;
  }
};

const std::vector<std::string> kAllOk = {"00 ok", "01 ok", "02 ok"};

TEST_P(AuditTest, OffloadedLayersAuditOkThenLateRowsAndALostColdFileAreNamed) {
  Generate(3, 7, kStartUs);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport offload, Offload());
  ASSERT_TRUE(offload.ok()) << offload.ToJson().dump(2);

  K2_ASSERT_OK_AND_ASSIGN(AuditReport clean, Audit());
  EXPECT_FALSE(clean.mismatch()) << clean.ToJson().dump(2);
  EXPECT_FALSE(clean.errors()) << clean.ToJson().dump(2);
  ASSERT_EQ(clean.tables.size(), config_.tables.size());
  for (const auto& t : clean.tables) {
    if (t.table == "gold_ohlcv_1d") {
      EXPECT_TRUE(t.windows.empty()) << "the day has not closed";
      continue;
    }
    EXPECT_EQ(Statuses(clean, t.table), kAllOk) << t.table;
  }
  // Silver compares exact sums of its integer and decimal columns, and the
  // cold counts are the committed ones.
  const WindowAudit* silver = Find(clean, "silver_trades", 1);
  ASSERT_NE(silver, nullptr);
  std::set<std::string> summed;
  for (const auto& s : silver->sums) {
    summed.insert(s.column);
    EXPECT_EQ(s.warm, s.cold) << s.column;
  }
  EXPECT_EQ(summed, (std::set<std::string>{"trade_id", "price", "quantity", "quote_quantity"}));
  EXPECT_GT(silver->cold_rows, 0);
  EXPECT_EQ(silver->cold_rows, silver->committed_rows);
  K2_ASSERT_OK_AND_ASSIGN(std::string warm_sum,
                          warm_->Execute("SELECT toString(sum(quote_quantity)) FROM silver_trades "
                                         "FINAL WHERE toHour(event_time) = 1"));
  warm_sum = warm_sum.substr(0, warm_sum.find('\n'));
  for (const auto& s : silver->sums) {
    if (s.column != "quote_quantity") continue;
    // ClickHouse may trim trailing zeros; compare as numbers of the same scale.
    std::string cold = s.cold;
    while (cold.find('.') != std::string::npos && (cold.back() == '0' || cold.back() == '.'))
      cold.pop_back();
    EXPECT_EQ(cold, warm_sum);
  }

  // Late rows in hour 01 of every layer, not offloaded: the audit names that
  // window, with the committed and current warm counts, and nothing else.
  Generate(0.1, 99, kStartUs + kHourUs + 5 * 60 * kMicrosPerSecond);
  AuditOptions raw;
  raw.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(AuditReport late, Audit(raw));
  EXPECT_TRUE(late.mismatch());
  EXPECT_EQ(Statuses(late, "raw_trades"),
            (std::vector<std::string>{"00 ok", "01 mismatch", "02 ok"}));
  const WindowAudit* w01 = Find(late, "raw_trades", 1);
  ASSERT_NE(w01, nullptr);
  EXPECT_GT(w01->warm_rows, w01->committed_rows);
  EXPECT_EQ(w01->cold_rows, w01->committed_rows);
  EXPECT_NE(w01->detail.find("were committed"), std::string::npos) << w01->detail;

  // The next offload replaces the window: the audit is clean again.
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport replaced, Offload());
  ASSERT_TRUE(replaced.ok()) << replaced.ToJson().dump(2);
  K2_ASSERT_OK_AND_ASSIGN(AuditReport again, Audit());
  EXPECT_FALSE(again.mismatch()) << again.ToJson().dump(2);

  // Lose bronze's cold file(s) of hour 02 (a delete commit records no window):
  // the audit reports hour 02 with cold 0 rows against warm's count.
  K2_ASSERT_OK_AND_ASSIGN(auto id, TableIdentifier::Parse("market.bronze_trades"));
  K2_ASSERT_OK_AND_ASSIGN(auto bronze, iceberg::Table::Load(*catalog_, *io_, id));
  Predicate in02;
  for (auto [op, us] : {std::pair{CompareOp::kGe, kStartUs + 2 * kHourUs},
                        std::pair{CompareOp::kLt, kStartUs + 3 * kHourUs}}) {
    PredicateTerm t;
    t.column = "event_time";
    t.op = op;
    t.literal_text = FormatTimestampMicros(us);
    in02.terms.push_back(t);
  }
  auto scan = bronze.NewScan();
  scan.Filter(in02);
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, scan.PlanFiles());
  ASSERT_FALSE(tasks.empty());
  auto del = bronze.NewDelete();
  for (const auto& task : tasks) del.DeleteFile(task.file.file_path);
  K2_ASSERT_OK(del.Commit());
  AuditOptions bronze_layer;
  bronze_layer.layer = "bronze";
  K2_ASSERT_OK_AND_ASSIGN(AuditReport lost, Audit(bronze_layer));
  ASSERT_EQ(lost.tables.size(), 1u);
  EXPECT_EQ(Statuses(lost, "bronze_trades"),
            (std::vector<std::string>{"00 ok", "01 ok", "02 mismatch"}));
  const WindowAudit* w02 = Find(lost, "bronze_trades", 2);
  ASSERT_NE(w02, nullptr);
  EXPECT_EQ(w02->cold_rows, 0);
  EXPECT_EQ(w02->warm_rows, w02->committed_rows);
  EXPECT_NE(w02->detail.find("cold has 0 rows"), std::string::npos) << w02->detail;

  // --since skips earlier windows.
  bronze_layer.since_us = kStartUs + 2 * kHourUs;
  K2_ASSERT_OK_AND_ASSIGN(AuditReport since, Audit(bronze_layer));
  EXPECT_EQ(Statuses(since, "bronze_trades"), std::vector<std::string>{"02 mismatch"});
}

TEST_P(AuditTest, WindowsMissingInColdOrWarmAndExpiredWarmRows) {
  Generate(3, 5, kStartUs);
  OffloadOptions o;
  o.tables = {"raw_trades"};
  for (const char* w : {"2026-11-20T00:00:00Z", "2026-11-20T02:00:00Z"}) {
    o.window = w;
    K2_ASSERT_OK_AND_ASSIGN(OffloadReport r, Offload(o));
    ASSERT_TRUE(r.ok()) << r.ToJson().dump(2);
  }
  AuditOptions raw;
  raw.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(AuditReport gap, Audit(raw));
  EXPECT_EQ(Statuses(gap, "raw_trades"),
            (std::vector<std::string>{"00 ok", "01 missing_in_cold", "02 ok"}));
  EXPECT_TRUE(gap.mismatch());

  o.window = "2026-11-20T01:00:00Z";
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport filled, Offload(o));
  ASSERT_TRUE(filled.ok()) << filled.ToJson().dump(2);
  K2_ASSERT_OK_AND_ASSIGN(AuditReport ok, Audit(raw));
  EXPECT_EQ(Statuses(ok, "raw_trades"), kAllOk);

  // Warm loses hour 01 but keeps older rows: missing in warm.
  K2_ASSERT_OK(warm_->Execute(
      "ALTER TABLE raw_trades DELETE WHERE ingested_at >= toDateTime('2026-11-20 01:00:00', "
      "'UTC') AND ingested_at < toDateTime('2026-11-20 02:00:00', 'UTC') "
      "SETTINGS mutations_sync = 2"));
  K2_ASSERT_OK_AND_ASSIGN(AuditReport lost, Audit(raw));
  EXPECT_EQ(Statuses(lost, "raw_trades"),
            (std::vector<std::string>{"00 ok", "01 missing_in_warm", "02 ok"}));

  // Then the oldest hours go too, as a TTL would drop them: warm expired, not a mismatch.
  K2_ASSERT_OK(warm_->Execute(
      "ALTER TABLE raw_trades DELETE WHERE ingested_at < toDateTime('2026-11-20 02:00:00', "
      "'UTC') SETTINGS mutations_sync = 2"));
  K2_ASSERT_OK_AND_ASSIGN(AuditReport expired, Audit(raw));
  EXPECT_EQ(Statuses(expired, "raw_trades"),
            (std::vector<std::string>{"00 warm_expired", "01 warm_expired", "02 ok"}));
  EXPECT_FALSE(expired.mismatch()) << expired.ToJson().dump(2);
}

TEST_P(AuditTest, BadOptionsAreRefused) {
  AuditOptions bad;
  bad.layer = "platinum";
  K2_ASSERT_ERROR_KIND(Audit(bad), ErrorKind::kInvalidInput);
  AuditOptions unknown;
  unknown.tables = {"no_such_table"};
  EXPECT_FALSE(Audit(unknown).has_value());
}

INSTANTIATE_TEST_SUITE_P(Catalogs, AuditTest, ::testing::ValuesIn(::k2::testing::CatalogKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace k2::jobs
