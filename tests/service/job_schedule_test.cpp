#include "service/job_schedule.h"

#include <gtest/gtest.h>

#include "common/config.h"
#include "service/daemon.h"
#include "support/support.h"

namespace k2::service {
namespace {

const JobSchedule* Find(const std::vector<JobSchedule>& schedule, const std::string& name) {
  for (const JobSchedule& s : schedule) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(JobScheduleTest, DefaultConfigGivesThePlatformSchedule) {
  Config config = DefaultConfig("/tmp/k2-schedule-test");
  K2_ASSERT_OK_AND_ASSIGN(auto schedule, ScheduleFromConfig(config));
  std::vector<std::pair<std::string, std::string>> got;
  for (const JobSchedule& s : schedule) got.emplace_back(s.name, s.cron);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"offload_raw", "0 5 * * * *"},
                     {"offload_bronze", "0 6 * * * *"},
                     {"offload_silver", "0 7 * * * *"},
                     {"offload_gold", "0 9 * * * *"},
                     {"compaction", "0 0 2 * * *"},
                     {"expire", "0 20 2 * * *"},
                     {"manifests", "0 40 2 * * *"},
                     {"audit", "0 0 3 * * SUN"},
                     {"orphans", "0 0 4 * * SUN"},
                 }));
  for (const JobSchedule& s : schedule) {
    EXPECT_TRUE(s.enabled) << s.name;
    EXPECT_EQ(s.misfire, MisfirePolicy::kRunOnce) << s.name;
    EXPECT_EQ(s.retry.max_attempts, config.service.retry_max_attempts);
    EXPECT_EQ(s.timeout, std::chrono::seconds(config.service.job_timeout_s));
  }
}

TEST(JobScheduleTest, TableSchedulesAndDisabledLayersAndManualOnlyMaintenance) {
  Config config = DefaultConfig("/tmp/k2-schedule-test");
  for (TableConfig& t : config.tables) {
    if (t.layer == "raw") t.schedule = "0 15 * * * *";
    if (t.layer == "silver") t.enabled = false;
  }
  config.maintenance.orphans_schedule = "";
  config.service.retry_max_attempts = 5;
  config.service.retry_base_s = 10;
  config.service.retry_max_s = 100;
  K2_ASSERT_OK_AND_ASSIGN(auto schedule, ScheduleFromConfig(config));
  ASSERT_NE(Find(schedule, "offload_raw"), nullptr);
  EXPECT_EQ(Find(schedule, "offload_raw")->cron, "0 15 * * * *");
  ASSERT_NE(Find(schedule, "offload_silver"), nullptr);
  EXPECT_FALSE(Find(schedule, "offload_silver")->enabled);
  ASSERT_NE(Find(schedule, "orphans"), nullptr);
  EXPECT_EQ(Find(schedule, "orphans")->cron, "");
  EXPECT_EQ(Find(schedule, "compaction")->retry.max_attempts, 5);
  EXPECT_EQ(Find(schedule, "compaction")->retry.base, std::chrono::seconds(10));
  EXPECT_EQ(Find(schedule, "compaction")->retry.cap, std::chrono::seconds(100));

  config.maintenance.expire_schedule = "0 99 * * * *";
  auto bad = ScheduleFromConfig(config);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(bad.error().message.find("expire"), std::string::npos);
}

TEST(JobScheduleTest, TablesWithTheirOwnScheduleGetTheirOwnJob) {
  Config config = DefaultConfig("/tmp/k2-schedule-test");
  for (TableConfig& t : config.tables) {
    if (t.name == "gold_ohlcv_1d") t.schedule = "0 15 0 * * *";  // daily candles after midnight
    if (t.name == "gold_ohlcv_1h") t.schedule = "CRON_TZ=Europe/Berlin 0 12 * * * *";
  }
  K2_ASSERT_OK_AND_ASSIGN(auto schedule, ScheduleFromConfig(config));
  const JobSchedule* gold = Find(schedule, "offload_gold");
  ASSERT_NE(gold, nullptr);
  EXPECT_EQ(gold->cron, "0 9 * * * *");
  EXPECT_EQ(gold->tables, (std::vector<std::string>{"gold_ohlcv_1m", "gold_ohlcv_5m",
                                                    "gold_ohlcv_15m", "gold_ohlcv_30m"}));
  const JobSchedule* daily = Find(schedule, "offload_gold_ohlcv_1d");
  ASSERT_NE(daily, nullptr);
  EXPECT_EQ(daily->cron, "0 15 0 * * *");
  EXPECT_TRUE(daily->enabled);
  EXPECT_EQ(daily->tables, std::vector<std::string>{"gold_ohlcv_1d"});
  const JobSchedule* hourly = Find(schedule, "offload_gold_ohlcv_1h");
  ASSERT_NE(hourly, nullptr);
  EXPECT_EQ(hourly->cron, "CRON_TZ=Europe/Berlin 0 12 * * * *");
  // The other layers keep one job for all their tables.
  ASSERT_NE(Find(schedule, "offload_raw"), nullptr);
  EXPECT_EQ(Find(schedule, "offload_raw")->tables, std::vector<std::string>{"raw_trades"});

  for (TableConfig& t : config.tables) {
    if (t.name == "gold_ohlcv_1h") t.schedule = "CRON_TZ=No/Such_Zone 0 12 * * * *";
  }
  auto bad = ScheduleFromConfig(config);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(bad.error().message.find("offload_gold_ohlcv_1h"), std::string::npos)
      << bad.error().message;
}

TEST(JobScheduleTest, DaemonOptionsFromServiceSection) {
  Config config = DefaultConfig("/tmp/k2-schedule-test");
  config.service.listen = "127.0.0.1:19464";
  config.service.token = "t";
  config.service.alert_webhook = "http://127.0.0.1:1/hook";
  config.service.lag_alert_threshold_s = 600;
  config.service.shutdown_grace_s = 7;
  DaemonOptions options = DaemonOptionsFromConfig(config);
  EXPECT_EQ(options.listen, "127.0.0.1:19464");
  EXPECT_EQ(options.token, "t");
  EXPECT_EQ(options.alert_webhook, "http://127.0.0.1:1/hook");
  EXPECT_EQ(options.lag_alert_threshold, std::chrono::seconds(600));
  EXPECT_EQ(options.shutdown_grace, std::chrono::seconds(7));
}

TEST(JobRegistryTest, CreatesRegisteredJobsAndListsNamesOtherwise) {
  JobRegistry registry;
  registry.RegisterJobFactory("audit", [](const Config&) -> Result<std::unique_ptr<Job>> {
    return std::make_unique<FunctionJob>(
        "audit", [](JobContext&) -> Result<JobOutcome> { return JobOutcome{}; });
  });
  Config config = DefaultConfig("/tmp/k2-schedule-test");
  EXPECT_TRUE(registry.Has("audit"));
  K2_ASSERT_OK_AND_ASSIGN(auto job, registry.Create("audit", config));
  EXPECT_EQ(job->name(), "audit");
  auto missing = registry.Create("offload_raw", config);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find("audit"), std::string::npos);
  EXPECT_EQ(registry.names(), std::vector<std::string>{"audit"});
}

TEST(JobOutcomeTest, JsonRoundTrip) {
  JobOutcome out;
  out.rows = 5;
  out.bytes = 50;
  out.files = 1;
  out.summary = "ok";
  TableOutcome t;
  t.table = "market.trades";
  t.rows = 5;
  t.lag_seconds = 12.5;
  t.audit_ok = false;
  t.detail = "mismatch";
  out.tables.push_back(t);
  K2_ASSERT_OK_AND_ASSIGN(auto back, JobOutcome::FromJson(out.ToJson()));
  EXPECT_EQ(back.ToJson(), out.ToJson());
  K2_ASSERT_ERROR_KIND(JobOutcome::FromJson(nlohmann::json::array()), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(JobOutcome::FromJson({{"tables", {{{"rows", 1}}}}}),
                       ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace k2::service
