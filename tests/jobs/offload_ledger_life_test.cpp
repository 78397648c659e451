// Exactly once for the life of a table: the offload ledger (k2.ledger table
// property) survives compaction, manifest rewrite, snapshot expiry and
// commits by other engines; empty windows cost no snapshot; a replace never
// empties a window ClickHouse dropped; every kind of time column and
// deduplicating sources are read as ClickHouse means them. chDB reads every
// table back.
#include "iceberg/update/fast_append.h"
#include "jobs/audit.h"
#include "jobs/maintenance/compaction.h"
#include "jobs/maintenance/expire_job.h"
#include "jobs/maintenance/manifest_rewrite.h"
#include "jobs/offload_fixture.h"

namespace k2::jobs {
namespace {

class OffloadLedgerLifeTest : public OffloadTest {
 protected:
  /// Compaction, manifest rewrite, then expiry of everything but the head.
  void Maintain(const std::string& table) {
    K2_ASSERT_OK_AND_ASSIGN(auto id, TableIdentifier::Parse("market." + table));
    CompactionOptions c;
    c.min_file_size_bytes = 1LL << 30;
    c.target_file_size_bytes = 1LL << 30;
    K2_ASSERT_OK(CompactTable(*catalog_, *io_, id, c));
    K2_ASSERT_OK(RewriteManifests(*catalog_, *io_, id, ManifestRewriteOptions{}));
    ExpireOptions e;
    e.older_than_s = 0;
    e.retain_last = 1;
    e.now_ms = iceberg::NowMillis() + 60000;
    K2_ASSERT_OK(ExpireSnapshots(*catalog_, *io_, id, e));
  }

  Result<AuditReport> Audit(const std::vector<std::string>& tables) {
    AuditOptions o;
    o.tables = tables;
    return OffloadTest::Audit(o);
  }

  /// Every window of the audit ok (or warm_expired where `expired` says).
  void ExpectAuditClean(const std::vector<std::string>& tables, size_t windows_each) {
    auto report = Audit(tables);
    ASSERT_TRUE(report) << report.error().ToString();
    EXPECT_FALSE(report->mismatch()) << report->ToJson().dump(2);
    EXPECT_FALSE(report->errors()) << report->ToJson().dump(2);
    for (const auto& t : report->tables) {
      EXPECT_EQ(t.windows.size(), windows_each) << t.table << report->ToJson().dump(2);
      for (const auto& w : t.windows) {
        EXPECT_EQ(w.status, AuditStatus::kOk)
            << t.table << " " << w.window.ToString() << " " << w.detail;
      }
    }
  }

  /// Warm rows of raw_trades before `end_us` (closed windows only).
  std::string WarmRawBefore(int64_t end_us) {
    return Warm(
        fmt::format("SELECT count() FROM raw_trades WHERE ingested_at < toDateTime({}, 'UTC')",
                    end_us / kMicrosPerSecond));
  }

  void AddTable(TableConfig t) {
    if (t.target.empty()) t.target = "market." + t.name;
    if (t.layer.empty()) t.layer = "raw";
    config_.tables.push_back(std::move(t));
  }
};

TEST_F(OffloadLedgerLifeTest, LedgerSurvivesExpiryCompactionAndForeignCommits) {
  Generate(3, 41, kStartUs);
  OffloadOptions raw;
  raw.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(raw));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  ASSERT_EQ(first.tables[0].windows.size(), 3u);

  Maintain("raw_trades");
  {
    iceberg::Table t = Load("raw_trades");
    EXPECT_EQ(t.metadata().snapshots.size(), 1u);
    for (const auto* s : t.metadata().MainAncestry()) {
      EXPECT_FALSE(s->summary.count(kSummaryWindowStart)) << "the windows' commits are expired";
    }
  }
  // Nothing planned, nothing committed; cold equals warm.
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload(raw));
  ASSERT_TRUE(again.ok()) << again.ToJson().dump(2);
  EXPECT_TRUE(again.tables[0].windows.empty()) << again.ToJson().dump(2);
  EXPECT_EQ(again.tables[0].watermark_us, kStartUs + 3 * kHourUs);
  const std::string warm_count = WarmRawBefore(kStartUs + 3 * kHourUs);
  EXPECT_EQ(ColdCount("raw_trades"), warm_count);
  ExpectAuditClean({"raw_trades"}, 3);

  // --replace replaces (not appends) a window whose commit is gone.
  OffloadOptions replace = raw;
  replace.window = "2026-11-20T01:00Z";
  replace.replace = true;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport replaced, Offload(replace));
  ASSERT_TRUE(replaced.ok()) << replaced.ToJson().dump(2);
  ASSERT_EQ(replaced.tables[0].windows.size(), 1u);
  EXPECT_EQ(replaced.tables[0].windows[0].action, "replace");
  EXPECT_EQ(ColdCount("raw_trades"), warm_count);

  // Another engine commits (no k2 summary), then expiry keeps only its snapshot.
  {
    iceberg::Table t = Load("raw_trades");
    auto foreign = t.NewFastAppend();
    foreign.Set("engine", "another-writer");
    K2_ASSERT_OK(foreign.Commit());
  }
  Maintain("raw_trades");
  {
    iceberg::Table t = Load("raw_trades");
    ASSERT_EQ(t.metadata().snapshots.size(), 1u);
    EXPECT_EQ(t.metadata().CurrentSnapshot()->summary.count(kSummaryWindowStart), 0u);
  }
  Generate(1, 42, kStartUs + 3 * kHourUs);
  now_us_ += kHourUs;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport next, Offload(raw));
  ASSERT_TRUE(next.ok()) << next.ToJson().dump(2);
  ASSERT_EQ(next.tables[0].windows.size(), 1u) << "exactly the new window";
  EXPECT_EQ(next.tables[0].windows[0].window.start_us, kStartUs + 3 * kHourUs);
  EXPECT_EQ(next.tables[0].windows[0].action, "append");
  EXPECT_EQ(ColdCount("raw_trades"), WarmRawBefore(kStartUs + 4 * kHourUs));
  ExpectAuditClean({"raw_trades"}, 4);
}

TEST_F(OffloadLedgerLifeTest, EmptyWindowsAddNoSnapshotAndStayExactlyOnce) {
  Generate(1, 51, kStartUs);  // rows in hour 00 (and a few spill into 01)
  now_us_ = kStartUs + 30 * kHourUs + 10 * 60 * kMicrosPerSecond;
  const int with_rows =
      std::stoi(Warm("SELECT count(DISTINCT toStartOfHour(ingested_at)) FROM raw_trades"));
  ASSERT_GE(with_rows, 1);
  ASSERT_LE(with_rows, 3);
  OffloadOptions raw;
  raw.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(raw));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  ASSERT_EQ(first.tables[0].windows.size(), 30u);
  int empty = 0;
  for (const auto& w : first.tables[0].windows) empty += w.action == "empty";
  EXPECT_EQ(empty, 30 - with_rows);
  {
    iceberg::Table t = Load("raw_trades");
    EXPECT_EQ(t.metadata().snapshots.size(), static_cast<size_t>(with_rows))
        << "no snapshot for an empty window";
    K2_ASSERT_OK_AND_ASSIGN(OffloadLedger ledger, OffloadLedger::FromMetadata(t.metadata()));
    EXPECT_EQ(ledger.Windows(3600).size(), 30u);
    EXPECT_EQ(ledger.WatermarkUs(), kStartUs + 30 * kHourUs);
  }
  EXPECT_EQ(first.tables[0].lag_seconds, 0);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload(raw));
  EXPECT_TRUE(again.tables[0].windows.empty()) << again.ToJson().dump(2);

  // Late rows into an empty window (within the late-row check's 24 windows):
  // replaced exactly, like any window.
  Generate(0.1, 52, kStartUs + 20 * kHourUs + 5 * 60 * kMicrosPerSecond);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport late, Offload(raw));
  ASSERT_TRUE(late.ok()) << late.ToJson().dump(2);
  ASSERT_EQ(late.tables[0].windows.size(), 1u) << late.ToJson().dump(2);
  EXPECT_EQ(late.tables[0].windows[0].action, "replace");
  EXPECT_EQ(late.tables[0].windows[0].window.start_us, kStartUs + 20 * kHourUs);
  EXPECT_EQ(ColdCount("raw_trades"), Warm("SELECT count() FROM raw_trades"));
  ExpectAuditClean({"raw_trades"}, 30);
}

TEST_F(OffloadLedgerLifeTest, AReplaceNeverEmptiesAWindowClickHouseDropped) {
  Generate(3, 61, kStartUs);
  OffloadOptions raw;
  raw.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(raw));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  const std::string cold_before = ColdCount("raw_trades");
  // ClickHouse's TTL drops hour 00.
  K2_ASSERT_OK(warm_->Execute(
      "ALTER TABLE raw_trades DELETE WHERE ingested_at < toDateTime('2026-11-20 01:00:00', 'UTC') "
      "SETTINGS mutations_sync = 2"));
  ASSERT_NE(Warm("SELECT count() FROM raw_trades"), cold_before);

  // The catch-up does not treat the dropped hour as changed.
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport idle, Offload(raw));
  ASSERT_TRUE(idle.ok()) << idle.ToJson().dump(2);
  EXPECT_TRUE(idle.tables[0].windows.empty()) << idle.ToJson().dump(2);

  // An explicit replace refuses, naming the window and --force.
  OffloadOptions replace = raw;
  replace.window = "2026-11-20T00:00Z";
  replace.replace = true;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport refused, Offload(replace));
  ASSERT_TRUE(refused.tables[0].error.has_value()) << refused.ToJson().dump(2);
  EXPECT_EQ(refused.tables[0].error->kind, ErrorKind::kInvalidInput);
  EXPECT_NE(refused.tables[0].error->message.find("2026-11-20T00:00:00Z"), std::string::npos)
      << refused.tables[0].error->message;
  EXPECT_NE(refused.tables[0].error->message.find("--force"), std::string::npos);
  EXPECT_EQ(ColdCount("raw_trades"), cold_before) << "nothing was replaced";

  // The audit sees an expired window, not a mismatch.
  K2_ASSERT_OK_AND_ASSIGN(AuditReport audit, Audit({"raw_trades"}));
  EXPECT_FALSE(audit.mismatch()) << audit.ToJson().dump(2);
  ASSERT_FALSE(audit.tables[0].windows.empty());
  EXPECT_EQ(audit.tables[0].windows[0].status, AuditStatus::kWarmExpired);

  // --force does what it says.
  replace.force = true;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport forced, Offload(replace));
  ASSERT_TRUE(forced.ok()) << forced.ToJson().dump(2);
  EXPECT_EQ(forced.tables[0].windows[0].action, "replace");
  EXPECT_EQ(ColdCount("raw_trades"), WarmRawBefore(kStartUs + 3 * kHourUs));
}

TEST_F(OffloadLedgerLifeTest, EveryKindOfTimeColumnOffloadsAndAuditsExactly) {
  K2_ASSERT_OK(warm_->Execute(
      "CREATE TABLE ev_us (id UInt64, ts UInt64, v Int64) ENGINE = MergeTree ORDER BY ts"));
  K2_ASSERT_OK(
      warm_->Execute("INSERT INTO ev_us SELECT number, 1795132800000000 + number * "
                     "7000001, number FROM numbers(3000)"));
  K2_ASSERT_OK(
      warm_->Execute("CREATE TABLE ev_dt64 (id UInt64, ts DateTime64(3, 'UTC'), v Int64) "
                     "ENGINE = MergeTree ORDER BY ts"));
  K2_ASSERT_OK(warm_->Execute(
      "INSERT INTO ev_dt64 SELECT number, fromUnixTimestamp64Milli(toInt64(1795132800000 + number "
      "* 7001), 'UTC'), number FROM numbers(3000)"));
  K2_ASSERT_OK(warm_->Execute(
      "CREATE TABLE ev_date (id UInt64, d Date, v Int64) ENGINE = MergeTree ORDER BY d"));
  K2_ASSERT_OK(
      warm_->Execute("INSERT INTO ev_date SELECT number, toDate('2026-11-15') + "
                     "intDiv(number, 100), number FROM numbers(500)"));
  K2_ASSERT_OK(
      warm_->Execute("CREATE TABLE ev_str (id UInt64, ts String) ENGINE = MergeTree ORDER BY id"));
  AddTable({.name = "ev_us", .source = "ev_us", .time_column = "ts", .time_unit = "us"});
  AddTable({.name = "ev_dt64", .source = "ev_dt64", .time_column = "ts"});
  AddTable({.name = "ev_date", .source = "ev_date", .time_column = "d", .window_s = 86400});
  AddTable({.name = "ev_str", .source = "ev_str", .time_column = "ts"});
  AddTable({.name = "ev_nounit", .source = "ev_us", .time_column = "ts"});
  now_us_ = kStartUs + 7 * kHourUs;  // rows end near 05:50

  OffloadOptions o;
  o.tables = {"ev_us", "ev_dt64", "ev_date"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(o));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  EXPECT_EQ(first.tables[0].windows.size(), 6u) << "hours 00..05 of 2026-11-20";
  EXPECT_EQ(first.tables[1].windows.size(), 6u);
  EXPECT_EQ(first.tables[2].windows.size(), 5u) << "days 11-15 .. 11-19";
  struct Check {
    std::string table, bucket;
  };
  for (const Check& c :
       {Check{"ev_us", "intDiv(ts, 3600000000)"}, Check{"ev_dt64", "toString(toStartOfHour(ts))"},
        Check{"ev_date", "toString(d)"}}) {
    std::string sql = fmt::format(
        "SELECT toString({0}) AS b, toString(count()) AS c, toString(sum(v)) AS s FROM {{}} "
        "GROUP BY b ORDER BY b",
        c.bucket);
    K2_ASSERT_OK_AND_ASSIGN(std::string warm,
                            warm_->Execute(fmt::format(fmt::runtime(sql), c.table)));
    K2_ASSERT_OK_AND_ASSIGN(
        auto rows, ::k2::testing::QueryChdb(fmt::format(
                       fmt::runtime(sql), fmt::format("icebergLocal('{}')", Location(c.table)))));
    std::string cold;
    for (const auto& r : rows) {
      cold += r["b"].get<std::string>() + "\t" + r["c"].get<std::string>() + "\t" +
              r["s"].get<std::string>() + "\n";
    }
    EXPECT_EQ(cold, warm) << c.table << ": per-window count and sum";
  }
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload(o));
  for (const auto& t : again.tables) EXPECT_TRUE(t.windows.empty()) << again.ToJson().dump(2);
  ExpectAuditClean({"ev_us", "ev_dt64"}, 6);
  ExpectAuditClean({"ev_date"}, 5);

  // A column that cannot be a time column: refused before anything is written.
  for (const auto& [table, words] : std::vector<std::pair<std::string, std::string>>{
           {"ev_str", "'ts' is String"}, {"ev_nounit", "time_unit"}}) {
    OffloadOptions bad;
    bad.tables = {table};
    K2_ASSERT_OK_AND_ASSIGN(OffloadReport r, Offload(bad));
    ASSERT_TRUE(r.tables[0].error.has_value()) << table;
    EXPECT_EQ(r.tables[0].error->kind, ErrorKind::kInvalidInput);
    EXPECT_NE(r.tables[0].error->message.find(words), std::string::npos)
        << r.tables[0].error->message;
    EXPECT_FALSE(std::filesystem::exists(Location(table))) << table;
  }
}

TEST_F(OffloadLedgerLifeTest, DeduplicatingSourcesAreReadWithFinal) {
  K2_ASSERT_OK(warm_->Execute(
      "CREATE TABLE rmt (id UInt64, ts DateTime('UTC'), v Int64, ver UInt64) ENGINE = "
      "ReplacingMergeTree(ver) ORDER BY id"));
  K2_ASSERT_OK(warm_->Execute("SYSTEM STOP MERGES rmt"));
  K2_ASSERT_OK(
      warm_->Execute("INSERT INTO rmt SELECT number, toDateTime(1795132800 + number * "
                     "5, 'UTC'), number, 1 FROM numbers(2000)"));
  K2_ASSERT_OK(
      warm_->Execute("INSERT INTO rmt SELECT number, toDateTime(1795132800 + number * "
                     "5, 'UTC'), number * 10, 2 FROM numbers(1000)"));
  ASSERT_EQ(Warm("SELECT count() FROM rmt"), "3000") << "unmerged duplicates";
  const std::string final_answer = Warm("SELECT count(), sum(v) FROM rmt FINAL");
  AddTable({.name = "rmt_plain", .source = "rmt", .time_column = "ts"});
  AddTable({.name = "rmt_query",
            .source = "rmt",
            .query = "SELECT id, ts, v, ver FROM rmt WHERE ts >= {start} AND ts < {end}",
            .time_column = "ts"});
  OffloadOptions o;
  o.tables = {"rmt_plain", "rmt_query"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(o));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  for (const std::string table : {"rmt_plain", "rmt_query"}) {
    K2_ASSERT_OK_AND_ASSIGN(auto rows, ::k2::testing::QueryChdb(fmt::format(
                                           "SELECT toString(count()) AS c, toString(sum(v)) AS s "
                                           "FROM icebergLocal('{}')",
                                           Location(table))));
    EXPECT_EQ(rows[0]["c"].get<std::string>() + "\t" + rows[0]["s"].get<std::string>(),
              final_answer)
        << table;
  }
  ExpectAuditClean({"rmt_plain", "rmt_query"}, 3);
}

TEST_F(OffloadLedgerLifeTest, AYearOfHourlyWindowsWithExpiryPlansExactlyTheNextWindow) {
  // Rows in the first hour of every 7th day and in every hour of the last
  // day: a year of windows, most of them empty (recorded without snapshots).
  K2_ASSERT_OK(warm_->Execute(
      "CREATE TABLE yr (ts DateTime('UTC'), v Int64) ENGINE = MergeTree ORDER BY ts"));
  K2_ASSERT_OK(
      warm_->Execute("INSERT INTO yr SELECT toDateTime(1795132800 + number * 7 * 86400 + "
                     "60, 'UTC'), number FROM numbers(52)"));
  K2_ASSERT_OK(
      warm_->Execute("INSERT INTO yr SELECT toDateTime(1795132800 + 364 * 86400 + number "
                     "* 3600 + 60, 'UTC'), number FROM numbers(24)"));
  AddTable({.name = "yr", .source = "yr", .time_column = "ts"});
  config_.offload.max_windows_per_run = 10000;
  const int64_t kYear = 365 * 24 * kHourUs;
  now_us_ = kStartUs + kYear + 10 * 60 * kMicrosPerSecond;
  OffloadOptions o;
  o.tables = {"yr"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(o));
  ASSERT_TRUE(first.ok()) << first.tables[0].error->message;
  ASSERT_EQ(first.tables[0].windows.size(), 8760u);
  EXPECT_EQ(Load("yr").metadata().snapshots.size(), 76u) << "one snapshot per window with rows";

  // A week passes: expiry keeps the newest snapshot only.
  K2_ASSERT_OK_AND_ASSIGN(auto id, TableIdentifier::Parse("market.yr"));
  ExpireOptions e;
  e.older_than_s = 0;
  e.retain_last = 1;
  e.now_ms = iceberg::NowMillis() + 60000;
  K2_ASSERT_OK(ExpireSnapshots(*catalog_, *io_, id, e));
  iceberg::Table t = Load("yr");
  EXPECT_EQ(t.metadata().snapshots.size(), 1u);
  EXPECT_LT(t.metadata().properties.at(kLedgerProperty).size(), 48u * 1024);
  K2_ASSERT_OK_AND_ASSIGN(OffloadLedger ledger, OffloadLedger::FromMetadata(t.metadata()));
  EXPECT_EQ(ledger.Windows(3600).size(), 8760u) << "the ledger lists every window";

  // The next offload plans exactly the new window; the audit is clean.
  K2_ASSERT_OK(
      warm_->Execute("INSERT INTO yr VALUES (toDateTime(1795132800 + 365 * 86400 + 120, "
                     "'UTC'), 7)"));
  now_us_ += kHourUs;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport next, Offload(o));
  ASSERT_TRUE(next.ok()) << next.ToJson().dump(2);
  ASSERT_EQ(next.tables[0].windows.size(), 1u) << next.ToJson().dump(2);
  EXPECT_EQ(next.tables[0].windows[0].window.start_us, kStartUs + kYear);
  EXPECT_EQ(next.tables[0].windows[0].action, "append");
  EXPECT_EQ(ColdCount("yr"), Warm("SELECT count() FROM yr"));
  ExpectAuditClean({"yr"}, 8761);
}

}  // namespace
}  // namespace k2::jobs
