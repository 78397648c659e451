// The dashboard's JSON (BuildDashboard, LastRunFor) over an in-memory job
// store and a fake table provider, and the page's embedded files.
#include "service/dashboard.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2::service {
namespace {

TimePoint T(const char* text) {
  return *ParseTime(text);
}

JobRun MakeRun(const std::string& job, RunStatus status, const char* started,
               std::vector<TableOutcome> tables = {}, std::string error = "") {
  JobRun run;
  run.job = job;
  run.status = status;
  run.started = T(started);
  run.finished = run.started + std::chrono::seconds(3);
  run.outcome.tables = std::move(tables);
  run.error = std::move(error);
  if (!run.error.empty()) run.error_kind = ErrorKind::kIo;
  return run;
}

TEST(DashboardApiTest, LastRunForATableIsTheNewestNamingItOrANewerFailure) {
  TableOutcome a{.table = "market.a", .detail = "{\"files_before\": 3}"};
  TableOutcome b{.table = "market.b"};
  std::vector<JobRun> newest_first = {
      MakeRun("compaction", RunStatus::kSkipped, "2026-11-24T05:00:00Z"),
      MakeRun("compaction", RunStatus::kSucceeded, "2026-11-24T04:00:00Z", {b}),
      MakeRun("compaction", RunStatus::kSucceeded, "2026-11-24T03:00:00Z", {a, b}),
  };
  nlohmann::json last = LastRunFor(newest_first, "market.a");
  EXPECT_EQ(last["started"], "2026-11-24T03:00:00Z");
  EXPECT_EQ(last["status"], "succeeded");
  EXPECT_EQ(last["detail"], "{\"files_before\": 3}");
  EXPECT_DOUBLE_EQ(last["duration_seconds"].get<double>(), 3.0);
  EXPECT_TRUE(LastRunFor(newest_first, "market.c").is_null());

  newest_first.insert(newest_first.begin(), MakeRun("compaction", RunStatus::kFailed,
                                                    "2026-11-24T06:00:00Z", {}, "disk full"));
  last = LastRunFor(newest_first, "market.a");
  EXPECT_EQ(last["status"], "failed");
  EXPECT_EQ(last["error"], "disk full");
}

TEST(DashboardApiTest, BuildsTablesMaintenanceJobsHistoryAndAlerts) {
  ManualClock clock(T("2026-11-24T10:00:00Z"));
  InMemoryJobStore store;
  Scheduler scheduler(clock, store);
  AlertManager alerts(clock, {});
  alerts.Raise(AlertKind::kLag, "market.a", "cold lag 9000s exceeds 7200s");
  JobRun audit = MakeRun("audit", RunStatus::kSucceeded, "2026-11-24T03:00:00Z",
                         {{.table = "market.a", .audit_ok = false, .audit_failures = 2}});
  auto id = store.RecordStart(audit);
  ASSERT_TRUE(id.has_value());
  audit.id = *id;
  ASSERT_TRUE(store.RecordFinish(audit).has_value());

  TimePoint asked_since;
  auto details = [&](TimePoint since) -> Result<std::vector<TableDetail>> {
    asked_since = since;
    TableDetail d;
    d.stats.table = "market.a";
    d.stats.data_files = 4;
    d.stats.watermark = T("2026-11-24T08:00:00Z");
    d.stats.lag_seconds = 7200;
    d.small_files = 3;
    d.file_size_buckets = {3, 1, 0, 0, 0, 0};
    d.windows.push_back({T("2026-11-24T07:00:00Z"), T("2026-11-24T08:00:00Z"),
                         T("2026-11-24T08:05:00Z"), 100, 2000, 1});
    d.last_offload = d.windows.back();
    return std::vector<TableDetail>{d};
  };
  auto body = BuildDashboard({scheduler, store, alerts, details, true}, clock.Now(), 24);
  ASSERT_TRUE(body.has_value()) << body.error().ToString();
  const nlohmann::json& j = *body;
  EXPECT_EQ(asked_since, T("2026-11-23T10:00:00Z"));
  EXPECT_EQ(j["generated"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(j["token_required"], true);
  ASSERT_EQ(j["tables"].size(), 1u);
  const nlohmann::json& t = j["tables"][0];
  EXPECT_EQ(t["watermark"], "2026-11-24T08:00:00Z");
  EXPECT_EQ(t["file_sizes"]["small_files"], 3);
  EXPECT_DOUBLE_EQ(t["file_sizes"]["small_share"].get<double>(), 0.75);
  EXPECT_EQ(t["file_sizes"]["buckets"].size(), 6u);
  EXPECT_TRUE(t["file_sizes"]["buckets"][5]["le_bytes"].is_null());
  EXPECT_EQ(t["windows"][0]["rows"], 100);
  EXPECT_EQ(t["last_offload"]["start"], "2026-11-24T07:00:00Z");
  EXPECT_EQ(t["maintenance"]["audit"]["audit_failures"], 2);
  EXPECT_EQ(t["maintenance"]["audit"]["audit_ok"], false);
  EXPECT_TRUE(t["maintenance"]["compaction"].is_null());
  EXPECT_EQ(j["history"].size(), 1u);
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["subject"], "market.a");
}

TEST(DashboardApiTest, PageAndUplotAreEmbedded) {
  const UiAsset* page = FindUiAsset("/");
  ASSERT_NE(page, nullptr);
  EXPECT_TRUE(page->content_type.starts_with("text/html"));
  EXPECT_NE(page->body.find("/ui/uPlot.iife.min.js"), std::string_view::npos);
  for (const char* path :
       {"/ui/dashboard.js", "/ui/dashboard.css", "/ui/uPlot.iife.min.js", "/ui/uPlot.min.css"}) {
    const UiAsset* asset = FindUiAsset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_GT(asset->body.size(), 500u) << path;
  }
  EXPECT_NE(FindUiAsset("/ui/uPlot.iife.min.js")->body.find("uPlot"), std::string_view::npos);
  EXPECT_EQ(FindUiAsset("/ui/nope.js"), nullptr);
}

}  // namespace
}  // namespace k2::service
