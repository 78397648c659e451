// The hourly offload end to end on the embedded engine: generated trades flow
// raw -> bronze -> silver -> gold in chDB, k2 offloads every layer into Iceberg
// (SQLite catalog, local warehouse), and an independent engine (chDB through
// node, reading the Iceberg metadata) returns the warm tier's counts and sums.
#include "jobs/offload.h"

#include "jobs/maintenance/compaction.h"
#include "jobs/offload_fixture.h"

namespace k2::jobs {
namespace {

TEST_P(OffloadCatalogTest, EveryLayerLandsExactlyOnceAndChdbAgreesWithTheWarmTier) {
  Generate(3, 7, kStartUs);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport report, Offload());
  ASSERT_TRUE(report.ok()) << report.ToJson().dump(2);
  ASSERT_EQ(report.tables.size(), config_.tables.size());
  for (const auto& t : report.tables) {
    if (t.table == "gold_ohlcv_1d") {
      EXPECT_TRUE(t.windows.empty()) << "the day has not closed";
      continue;
    }
    EXPECT_EQ(t.windows.size(), 3u) << t.table << ": hours 00, 01, 02 closed by 03:10";
    EXPECT_EQ(t.lag_seconds, 0) << t.table;
  }

  // Independent read-back: chDB reads the Iceberg tables from their metadata,
  // and every window's count and sum equal ClickHouse's.
  struct Check {
    std::string table, warm_sql, cold_sql;
  };
  std::vector<Check> checks = {
      {"raw_trades",
       "SELECT toStartOfHour(ingested_at) AS h, count(), sum(length(message)) FROM raw_trades "
       "GROUP BY h ORDER BY h",
       "SELECT toString(toStartOfHour(ingested_at)) AS h, toString(count()) AS c, "
       "toString(sum(length(message))) AS s FROM icebergLocal('{}') GROUP BY h ORDER BY h"},
      {"bronze_trades",
       "SELECT toStartOfHour(event_time) AS h, count(), sum(quantity) FROM bronze_trades "
       "GROUP BY h ORDER BY h",
       "SELECT toString(toStartOfHour(event_time)) AS h, toString(count()) AS c, "
       "toString(sum(quantity)) AS s FROM icebergLocal('{}') GROUP BY h ORDER BY h"},
      {"silver_trades",
       "SELECT toStartOfHour(event_time) AS h, count(), sum(quote_quantity) FROM silver_trades "
       "FINAL GROUP BY h ORDER BY h",
       "SELECT toString(toStartOfHour(event_time)) AS h, toString(count()) AS c, "
       "toString(sum(quote_quantity)) AS s FROM icebergLocal('{}') GROUP BY h ORDER BY h"},
      {"gold_ohlcv_1m",
       "SELECT toStartOfHour(candle_time) AS h, count(), sum(c) FROM (SELECT candle_time, "
       "countMerge(trade_count) AS c FROM gold_ohlcv_1m GROUP BY exchange, symbol, candle_time) "
       "GROUP BY h ORDER BY h",
       "SELECT toString(toStartOfHour(candle_time)) AS h, toString(count()) AS c, "
       "toString(sum(trade_count)) AS s FROM icebergLocal('{}') GROUP BY h ORDER BY h"},
      {"gold_ohlcv_15m",
       "SELECT toStartOfHour(candle_time) AS h, count(), sum(v) FROM (SELECT candle_time, "
       "sumMerge(volume) AS v FROM gold_ohlcv_15m GROUP BY exchange, symbol, candle_time) "
       "GROUP BY h ORDER BY h",
       "SELECT toString(toStartOfHour(candle_time)) AS h, toString(count()) AS c, "
       "toString(sum(volume)) AS s FROM icebergLocal('{}') GROUP BY h ORDER BY h"},
  };
  for (const auto& c : checks) {
    K2_ASSERT_OK_AND_ASSIGN(std::string warm, warm_->Execute(c.warm_sql));
    K2_ASSERT_OK_AND_ASSIGN(auto rows, ::k2::testing::QueryChdb(fmt::format(
                                           fmt::runtime(c.cold_sql), Location(c.table))));
    std::string cold;
    for (const auto& r : rows) {
      cold += r["h"].get<std::string>() + "\t" + r["c"].get<std::string>() + "\t" +
              r["s"].get<std::string>() + "\n";
    }
    EXPECT_EQ(rows.size(), 3u) << c.table << ": three hourly windows";
    EXPECT_EQ(cold, warm) << c.table << ": per-window count and sum";
  }

  // A rerun commits nothing.
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.total_rows(), 0);
  for (const auto& t : again.tables) EXPECT_TRUE(t.windows.empty()) << t.table;
}

TEST_P(OffloadCatalogTest, LateRowsAreReplacedExactlyAndConcurrentRunsCommitOnce) {
  Generate(2, 11, kStartUs);
  OffloadOptions raw_only;
  raw_only.tables = {"raw_trades"};
  // Two runs at once: every window is committed once.
  Result<OffloadReport> a, b;
  std::thread t1([&] { a = Offload(raw_only); });
  std::thread t2([&] { b = Offload(raw_only); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->ok()) << a->ToJson().dump(2);
  ASSERT_TRUE(b->ok()) << b->ToJson().dump(2);
  K2_ASSERT_OK_AND_ASSIGN(auto id, TableIdentifier::Parse("market.raw_trades"));
  K2_ASSERT_OK_AND_ASSIGN(auto table, iceberg::Table::Load(*catalog_, *io_, id));
  K2_ASSERT_OK_AND_ASSIGN(auto ledger, OffloadLedger::FromMetadata(table.metadata()));
  EXPECT_EQ(ledger.Windows(3600).size(), 3u);  // hours 00, 01, 02
  int commits = 0;
  for (auto* s : table.metadata().MainAncestry()) commits += s->summary.count(kSummaryWindowStart);
  // Hour 02 has no rows: recorded in the ledger, with no snapshot of its own.
  EXPECT_EQ(commits, 2) << "a window was committed twice" << a->ToJson().dump(1)
                        << b->ToJson().dump(1);

  // Late rows into hour 01, already offloaded.
  ExpectLateRowsReplaceTheirWindowOnly(raw_only);
  if (HasFatalFailure()) return;

  // --replace of a committed window keeps cold equal to warm.
  OffloadOptions replace = raw_only;
  replace.window = "2026-11-20T00:00Z";
  replace.replace = true;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport forced, Offload(replace));
  ASSERT_TRUE(forced.ok()) << forced.ToJson().dump(2);
  EXPECT_EQ(forced.tables[0].windows.at(0).action, "replace");
  EXPECT_EQ(ColdCount("raw_trades"), Warm("SELECT count() FROM raw_trades"));
}

TEST_P(OffloadCatalogTest, LateRowsInACompactedWindowRewriteTheFileExactly) {
  Generate(3, 31, kStartUs);
  OffloadOptions raw_only;
  raw_only.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(raw_only));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  ASSERT_EQ(first.tables[0].windows.size(), 3u);

  // The day's three hourly files become one file holding every window.
  CompactionOptions c;
  c.min_file_size_bytes = 1LL << 30;
  c.target_file_size_bytes = 1LL << 30;
  K2_ASSERT_OK_AND_ASSIGN(auto id, TableIdentifier::Parse("market.raw_trades"));
  K2_ASSERT_OK_AND_ASSIGN(CompactionReport compacted, CompactTable(*catalog_, *io_, id, c));
  EXPECT_EQ(compacted.files_before, 3);
  EXPECT_EQ(compacted.files_after, 1);
  K2_ASSERT_OK_AND_ASSIGN(auto table, iceberg::Table::Load(*catalog_, *io_, id));
  K2_ASSERT_OK_AND_ASSIGN(auto files, table.NewScan().PlanFiles());
  ASSERT_EQ(files.size(), 1u) << "compaction merged the hourly files";

  // Late rows into hour 01: the replace keeps hours 00 and 02 of that file.
  Generate(0.1, 32, kStartUs + kHourUs + 10 * 60 * kMicrosPerSecond);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport late, Offload(raw_only));
  ASSERT_TRUE(late.ok()) << late.ToJson().dump(2);
  ASSERT_EQ(late.tables[0].windows.size(), 1u) << late.ToJson().dump(2);
  EXPECT_EQ(late.tables[0].windows[0].action, "replace");

  K2_ASSERT_OK_AND_ASSIGN(
      std::string warm,
      warm_->Execute("SELECT toStartOfHour(ingested_at) AS h, count(), sum(cityHash64(message)) "
                     "FROM raw_trades WHERE ingested_at < toDateTime('2026-11-20 03:00:00', "
                     "'UTC') GROUP BY h ORDER BY h"));  // hour 03 has not closed
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows, ::k2::testing::QueryChdb(fmt::format(
                     "SELECT toString(toStartOfHour(ingested_at)) AS h, toString(count()) AS c, "
                     "toString(sum(cityHash64(message))) AS s FROM icebergLocal('{}') GROUP BY h "
                     "ORDER BY h",
                     Location("raw_trades"))));
  std::string cold;
  for (const auto& r : rows) {
    cold += r["h"].get<std::string>() + "\t" + r["c"].get<std::string>() + "\t" +
            r["s"].get<std::string>() + "\n";
  }
  EXPECT_EQ(cold, warm) << "every window exactly once after replacing inside a compacted file";

  // Nothing left to do.
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload(raw_only));
  EXPECT_TRUE(again.tables[0].windows.empty()) << again.ToJson().dump(2);
}

TEST_P(OffloadCatalogTest, ColumnAddedInClickHouseIsAddedToTheIcebergSchema) {
  // Drift reaches tables read with SELECT * (a time_column in the config);
  // the reference schema's offload queries name their columns.
  for (auto& t : config_.tables) {
    if (t.name == "raw_trades") t.time_column = "ingested_at";
  }
  Generate(2, 21, kStartUs);
  OffloadOptions raw_only;
  raw_only.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(raw_only));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  std::string before = Warm("SELECT count() FROM raw_trades");

  K2_ASSERT_OK_AND_ASSIGN(auto id, TableIdentifier::Parse("market.raw_trades"));
  K2_ASSERT_OK_AND_ASSIGN(auto before_drift, iceberg::Table::Load(*catalog_, *io_, id));
  const int old_schema = before_drift.metadata().current_schema_id;

  K2_ASSERT_OK(warm_->Execute("ALTER TABLE raw_trades ADD COLUMN venue String DEFAULT 'sim'"));
  Generate(0.5, 22, kStartUs + 3 * kHourUs);
  // No window is due yet: the schema does not change on its own (it lands
  // with the first rows that carry the column).
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport idle, Offload(raw_only));
  ASSERT_TRUE(idle.ok()) << idle.ToJson().dump(2);
  K2_ASSERT_OK(before_drift.Refresh());
  EXPECT_EQ(before_drift.metadata().current_schema_id, old_schema);
  EXPECT_FALSE(before_drift.schema().IndexOf("venue").has_value());
  const size_t versions_before = before_drift.metadata().metadata_log.size();

  now_us_ += kHourUs;  // 04:10: hour 03 is due
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport second, Offload(raw_only));
  ASSERT_TRUE(second.ok()) << second.ToJson().dump(2);
  // The committed windows are re-checked over the columns they were written
  // with, so the new column does not make them look changed: only hour 03,
  // which has the column, is appended.
  ASSERT_EQ(second.tables[0].windows.size(), 1u) << second.ToJson().dump(2);
  EXPECT_EQ(second.tables[0].windows[0].action, "append");

  K2_ASSERT_OK_AND_ASSIGN(auto table, iceberg::Table::Load(*catalog_, *io_, id));
  auto idx = table.schema().IndexOf("venue");
  ASSERT_TRUE(idx.has_value()) << "the new column is not in the Iceberg schema";
  EXPECT_TRUE(table.schema().fields[*idx].nullable);
  // One commit carries both the new schema and the window's rows: one new
  // metadata version, whose snapshot already records the new schema.
  EXPECT_NE(table.metadata().current_schema_id, old_schema);
  EXPECT_EQ(table.metadata().metadata_log.size(), versions_before + 1);
  const iceberg::Snapshot* head = table.metadata().CurrentSnapshot();
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->schema_id, table.metadata().current_schema_id);
  EXPECT_EQ(head->summary.at("added-records"), std::to_string(second.tables[0].windows[0].rows));
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows, ::k2::testing::QueryChdb(fmt::format(
                     "SELECT toString(countIf(venue IS NULL)) AS old, toString(countIf(venue = "
                     "'sim')) AS new, toString(count()) AS c FROM icebergLocal('{}')",
                     Location("raw_trades"))));
  EXPECT_EQ(rows[0]["old"].get<std::string>(), before)
      << "rows written before the column read null";
  EXPECT_EQ(rows[0]["c"].get<std::string>(), Warm("SELECT count() FROM raw_trades"));
  EXPECT_EQ(rows[0]["new"].get<std::string>(),
            Warm("SELECT count() FROM raw_trades WHERE ingested_at >= toDateTime('2026-11-20 "
                 "03:00:00', 'UTC')"));

  // A late row in a window committed before the column existed is still seen.
  Generate(0.05, 23, kStartUs + 5 * 60 * kMicrosPerSecond);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport third, Offload(raw_only));
  ASSERT_TRUE(third.ok()) << third.ToJson().dump(2);
  ASSERT_EQ(third.tables[0].windows.size(), 1u) << third.ToJson().dump(2);
  EXPECT_EQ(third.tables[0].windows[0].action, "replace");
  EXPECT_EQ(ColdCount("raw_trades"), Warm("SELECT count() FROM raw_trades"));
}

TEST_P(OffloadCatalogTest, BadOptionsAndUnclosedWindowsAreRefused) {
  OffloadOptions o;
  o.replace = true;
  K2_ASSERT_ERROR_KIND(Offload(o), ErrorKind::kInvalidInput);
  o = {};
  o.tables = {"nope"};
  K2_ASSERT_ERROR_KIND(Offload(o), ErrorKind::kNotFound);
  o = {};
  o.tables = {"raw_trades"};
  o.window = "2026-11-20T03:00Z";  // closes at 04:00, now is 03:10
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport r, Offload(o));
  ASSERT_TRUE(r.tables[0].error.has_value());
  EXPECT_EQ(r.tables[0].error->kind, ErrorKind::kInvalidInput);
}

TEST_P(OffloadCatalogTest, DryRunPlansWithoutWriting) {
  Generate(2, 3, kStartUs);
  OffloadOptions o;
  o.tables = {"raw_trades"};
  o.dry_run = true;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport r, Offload(o));
  ASSERT_TRUE(r.ok()) << r.ToJson().dump(2);
  ASSERT_EQ(r.tables[0].windows.size(), 3u);
  EXPECT_EQ(r.tables[0].windows[0].action, "planned");
  EXPECT_EQ(r.tables[0].windows[0].reason, "append (new)");
  // Rows per planned window, counted in the warm tier.
  int64_t planned_rows = 0;
  for (const auto& w : r.tables[0].windows) planned_rows += w.rows;
  EXPECT_EQ(std::to_string(planned_rows),
            Warm("SELECT count() FROM raw_trades WHERE ingested_at < toDateTime('2026-11-20 "
                 "03:00:00', 'UTC')"));
  EXPECT_FALSE(std::filesystem::exists(Location("raw_trades")));
}

TEST_F(OffloadTest, AnHourlyWindowForADailyTableIsItsDayOrAClearSkip) {
  Generate(2, 5, kStartUs);
  OffloadOptions o;
  o.tables = {"raw_trades", "gold_ohlcv_1d"};
  o.window = "2026-11-20T01:00Z";
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport r, Offload(o));
  ASSERT_TRUE(r.ok()) << r.ToJson().dump(2);  // not a partial failure
  EXPECT_EQ(r.tables[0].windows.at(0).action, "append");
  ASSERT_EQ(r.tables[1].windows.size(), 1u);
  EXPECT_EQ(r.tables[1].windows[0].action, "skipped");
  EXPECT_NE(r.tables[1].windows[0].reason.find("has not closed"), std::string::npos);
  // Once the day has closed, the same --window offloads the day.
  now_us_ = kStartUs + 25 * kHourUs;
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport day, Offload(o));
  ASSERT_TRUE(day.ok()) << day.ToJson().dump(2);
  ASSERT_EQ(day.tables[1].windows.size(), 1u);
  EXPECT_EQ(day.tables[1].windows[0].action, "append");
  EXPECT_EQ(day.tables[1].windows[0].window.start_us, kStartUs);
}

INSTANTIATE_TEST_SUITE_P(Catalogs, OffloadCatalogTest,
                         ::testing::ValuesIn(::k2::testing::CatalogKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace k2::jobs

namespace k2::jobs {
namespace {

// offload.row_hash: k2 — k2 hashes each row of raw_trades (LowCardinality
// String, String, DateTime64) itself: the checksums it records are the ones
// the warm tier recomputes, so a re-run replaces only the window that got late
// rows, and cold stays equal to warm.
class OffloadK2HashTest : public OffloadTest {
 protected:
  void Configure(Config& config) const override { config.offload.row_hash = "k2"; }
};

TEST_F(OffloadK2HashTest, RecordedChecksumsAreTheWarmTiers) {
  Generate(2, 11, kStartUs);
  OffloadOptions raw_only;
  raw_only.tables = {"raw_trades"};
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport first, Offload(raw_only));
  ASSERT_TRUE(first.ok()) << first.ToJson().dump(2);
  K2_ASSERT_OK_AND_ASSIGN(OffloadReport again, Offload(raw_only));
  ASSERT_TRUE(again.ok()) << again.ToJson().dump(2);
  for (const auto& w : again.tables[0].windows) {
    EXPECT_NE(w.action, "replace")
        << "a checksum k2 recorded differs from the warm tier's: " << again.ToJson().dump(2);
  }
  ExpectLateRowsReplaceTheirWindowOnly(raw_only);
}

}  // namespace
}  // namespace k2::jobs
