#include "service/daemon.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <fstream>
#include <regex>

#include "support/support.h"

namespace k2::service {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint T(const char* text) {
  auto t = ParseTime(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

DaemonOptions LoopbackOptions() {
  DaemonOptions options;
  options.listen = "127.0.0.1:0";
  options.shutdown_grace = seconds(5);
  return options;
}

/// The value of one sample line `name{labels} value` in a Prometheus exposition, or NaN.
double Sample(const std::string& body, const std::string& series) {
  std::string needle = "\n" + series + " ";
  size_t pos = ("\n" + body).find(needle);
  if (pos == std::string::npos) return std::nan("");
  size_t start = pos + needle.size() - 1;
  return std::stod(body.substr(start, body.find('\n', start) - start));
}

/// An offload job whose reported rows/bytes/files per table come from a script.
class ScriptedOffload final : public Job {
 public:
  explicit ScriptedOffload(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  Result<JobOutcome> Run(JobContext& ctx) override {
    std::lock_guard<std::mutex> guard(mu_);
    if (fail_next_) {
      fail_next_ = false;
      return MakeError(ErrorKind::kInvalidInput, "table market.trades: column price missing");
    }
    ++runs_;
    JobOutcome out;
    for (const auto& [table, rows] : std::vector<std::pair<std::string, int64_t>>{
             {"market.trades", 1000 * runs_}, {"market.bronze_trades", 7 * runs_}}) {
      TableOutcome t;
      t.table = table;
      t.rows = rows;
      t.bytes = rows * 10;
      t.files = 1;
      t.duration_seconds = 0.25 * runs_;
      out.rows += t.rows;
      out.bytes += t.bytes;
      out.files += t.files;
      out.tables.push_back(t);
    }
    return out;
  }
  void FailNext() {
    std::lock_guard<std::mutex> guard(mu_);
    fail_next_ = true;
  }

 private:
  std::string name_;
  std::mutex mu_;
  int runs_ = 0;
  bool fail_next_ = false;
};

TEST(DaemonHttpTest, MetricsMatchJobsAndPassPromtoolAndPostTriggersRun) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  Daemon daemon(clock, store, LoopbackOptions());
  JobSchedule schedule;
  schedule.name = "offload_raw";
  schedule.cron = "0 5 * * * *";
  schedule.retry.max_attempts = 1;
  K2_ASSERT_OK(daemon.AddJob(std::make_unique<ScriptedOffload>("offload_raw"), schedule));
  daemon.SetTableStatsProvider([&]() -> Result<std::vector<TableStats>> {
    TableStats t;
    t.table = "market.trades";
    t.watermark = clock.Now() - minutes(65);
    t.lag_seconds = 3900;
    t.data_files = 12;
    t.total_bytes = 123456;
    t.total_rows = 3000;
    t.snapshots = 4;
    TableStats odd = t;
    odd.table = "odd.\"quoted\\name";
    return std::vector<TableStats>{t, odd};
  });
  K2_ASSERT_OK(daemon.Start());
  ASSERT_GT(daemon.port(), 0);
  httplib::Client client("127.0.0.1", daemon.port());

  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = client.Get("/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);

  // One scheduled run, one triggered over HTTP.
  clock.Set(T("2026-11-24T01:05:00Z"));
  ASSERT_TRUE(daemon.scheduler().WaitIdle());
  auto posted = client.Post("/api/jobs/offload_raw/run", "", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 202) << posted->body;
  ASSERT_TRUE(daemon.scheduler().WaitIdle());

  auto history = client.Get("/api/jobs/history?job=offload_raw");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->status, 200);
  auto runs = nlohmann::json::parse(history->body)["runs"];
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["trigger"], "manual");
  EXPECT_EQ(runs[0]["status"], "succeeded");
  EXPECT_EQ(runs[0]["outcome"]["rows"], 2000 + 14);
  EXPECT_EQ(runs[1]["trigger"], "schedule");
  EXPECT_EQ(runs[1]["scheduled"], "2026-11-24T01:05:00Z");

  auto jobs = client.Get("/api/jobs");
  ASSERT_TRUE(jobs);
  auto job = nlohmann::json::parse(jobs->body)["jobs"][0];
  EXPECT_EQ(job["name"], "offload_raw");
  EXPECT_EQ(job["next_fire"], "2026-11-24T02:05:00Z");
  EXPECT_EQ(job["last_run"]["status"], "succeeded");

  auto tables = client.Get("/api/tables");
  ASSERT_TRUE(tables);
  auto t0 = nlohmann::json::parse(tables->body)["tables"][0];
  EXPECT_EQ(t0["table"], "market.trades");
  EXPECT_EQ(t0["watermark"], "2026-11-24T00:00:00Z");
  EXPECT_EQ(t0["snapshots"], 4);

  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  const std::string& body = metrics->body;
  // Numbers match what the job reported over its two runs (1000 + 2000 rows, 10 bytes a row).
  EXPECT_EQ(Sample(body, "k2_offload_rows_total{table=\"market.trades\"}"), 3000);
  EXPECT_EQ(Sample(body, "k2_offload_bytes_total{table=\"market.trades\"}"), 30000);
  EXPECT_EQ(Sample(body, "k2_offload_rows_total{table=\"market.bronze_trades\"}"), 21);
  EXPECT_EQ(Sample(body, "k2_offload_files_total{table=\"market.trades\"}"), 2);
  EXPECT_EQ(Sample(body, "k2_offload_duration_seconds_count{table=\"market.trades\"}"), 2);
  EXPECT_EQ(Sample(body, "k2_offload_duration_seconds_sum{table=\"market.trades\"}"), 0.75);
  EXPECT_EQ(Sample(body, "k2_offload_duration_seconds_bucket{table=\"market.trades\",le=\"0.5\"}"),
            2);
  EXPECT_EQ(Sample(body, "k2_job_runs_total{job=\"offload_raw\",status=\"succeeded\"}"), 2);
  EXPECT_EQ(Sample(body, "k2_job_last_success_timestamp_seconds{job=\"offload_raw\"}"),
            ToUnixSeconds(T("2026-11-24T01:05:00Z")));
  EXPECT_EQ(Sample(body, "k2_table_cold_lag_seconds{table=\"market.trades\"}"), 3900);
  EXPECT_EQ(Sample(body, "k2_table_data_files{table=\"market.trades\"}"), 12);
  EXPECT_EQ(Sample(body, "k2_table_snapshots{table=\"market.trades\"}"), 4);
  EXPECT_EQ(Sample(body, "k2_table_bytes{table=\"market.trades\"}"), 123456);
  EXPECT_EQ(Sample(body, "k2_job_running{job=\"offload_raw\"}"), 0);
  EXPECT_NE(body.find("k2_table_snapshots{table=\"odd.\\\"quoted\\\\name\"} 4"), std::string::npos);

  if (testing::RunProcess({"/bin/sh", "-c", "command -v promtool"}).exit_code == 0) {
    testing::TempDir dir;
    std::ofstream(dir / "metrics.txt") << body;
    auto check = testing::RunProcess(
        {"/bin/sh", "-c", "promtool check metrics < '" + (dir / "metrics.txt") + "'"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err << body;
  } else {
    ADD_FAILURE() << "promtool missing: scripts/install-deps installs the prometheus package";
  }

  auto unknown = client.Post("/api/jobs/nope/run", "", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(nlohmann::json::parse(unknown->body)["error"]["kind"], "not_found");
  auto bad_limit = client.Get("/api/jobs/history?limit=abc");
  ASSERT_TRUE(bad_limit);
  EXPECT_EQ(bad_limit->status, 400);

  daemon.RequestStop();
  K2_ASSERT_OK(daemon.Wait());
}

TEST(DaemonHttpTest, BearerTokenGuardsApiButNotMetrics) {
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  DaemonOptions options = LoopbackOptions();
  options.token = "s3cret-token";
  Daemon daemon(clock, store, options);
  K2_ASSERT_OK(daemon.Start());
  httplib::Client client("127.0.0.1", daemon.port());
  auto anonymous = client.Get("/api/jobs");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto wrong = client.Get("/api/jobs", {{"Authorization", "Bearer s3cret-tokeN"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto post = client.Post("/api/jobs/x/run", httplib::Headers{}, "", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 401);
  auto ok = client.Get("/api/jobs", {{"Authorization", "Bearer s3cret-token"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST(DaemonHttpTest, ListenAddressParsing) {
  K2_ASSERT_OK_AND_ASSIGN(auto a, ParseListenAddress("127.0.0.1:9464"));
  EXPECT_EQ(a.first, "127.0.0.1");
  EXPECT_EQ(a.second, 9464);
  K2_ASSERT_OK_AND_ASSIGN(auto b, ParseListenAddress("[::1]:80"));
  EXPECT_EQ(b.first, "::1");
  K2_ASSERT_ERROR_KIND(ParseListenAddress("localhost"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(ParseListenAddress("localhost:99999"), ErrorKind::kInvalidInput);
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  DaemonOptions options;
  options.listen = "not-an-address";
  Daemon daemon(clock, store, options);
  K2_ASSERT_ERROR_KIND(daemon.Start(), ErrorKind::kInvalidInput);
}

/// Receives alert webhooks on a loopback port.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> guard(mu_);
      bodies_.push_back(nlohmann::json::parse(req.body));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/hook", port_); }
  std::vector<nlohmann::json> Take() {
    std::lock_guard<std::mutex> guard(mu_);
    std::vector<nlohmann::json> out;
    out.swap(bodies_);
    return out;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<nlohmann::json> bodies_;
};

TEST(DaemonAlertTest, OneAlertPerFailureEpisodeAndOneRecovery) {
  WebhookReceiver receiver;
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  DaemonOptions options = LoopbackOptions();
  options.alert_webhook = receiver.url();
  Daemon daemon(clock, store, options);
  JobSchedule schedule;
  schedule.name = "offload_raw";
  schedule.cron = "0 5 * * * *";
  schedule.retry = RetryPolicy{2, seconds(30), seconds(30), 0.0};
  std::atomic<int> mode{0};  // 0 ok, 1 transient failure, 2 permanent failure
  K2_ASSERT_OK(daemon.AddJob(
      std::make_unique<FunctionJob>("offload_raw",
                                    [&](JobContext&) -> Result<JobOutcome> {
                                      if (mode == 1) return MakeError(ErrorKind::kRemote, "CH 503");
                                      if (mode == 2)
                                        return MakeError(ErrorKind::kCorrupt, "bad page");
                                      return JobOutcome{};
                                    }),
      schedule));
  K2_ASSERT_OK(daemon.Start());
  Scheduler& s = daemon.scheduler();
  auto run_hour = [&](const char* at) {
    clock.Set(T(at));
    ASSERT_TRUE(s.WaitIdle());
    clock.Advance(seconds(30));  // the retry, if any
    ASSERT_TRUE(s.WaitIdle());
  };

  mode = 1;  // fails twice (attempt + retry) at 01:05 and again at 02:05: one episode
  run_hour("2026-11-24T01:05:00Z");
  auto got = receiver.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["alert"], "job_failed");
  EXPECT_EQ(got[0]["subject"], "offload_raw");
  EXPECT_EQ(got[0]["state"], "firing");
  EXPECT_NE(got[0]["message"].get<std::string>().find("CH 503"), std::string::npos);
  mode = 2;
  run_hour("2026-11-24T02:05:00Z");
  run_hour("2026-11-24T03:05:00Z");
  EXPECT_TRUE(receiver.Take().empty());

  mode = 0;  // recovers: exactly one resolved message, then silence
  run_hour("2026-11-24T04:05:00Z");
  run_hour("2026-11-24T05:05:00Z");
  got = receiver.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["state"], "resolved");
  EXPECT_EQ(got[0]["since"], "2026-11-24T01:05:30Z");

  mode = 1;  // a transient failure that the retry fixes is not an episode
  clock.Set(T("2026-11-24T06:05:00Z"));
  ASSERT_TRUE(s.WaitIdle());
  mode = 0;
  clock.Advance(seconds(30));
  ASSERT_TRUE(s.WaitIdle());
  EXPECT_TRUE(receiver.Take().empty());

  mode = 2;  // a new episode alerts again
  run_hour("2026-11-24T07:05:00Z");
  got = receiver.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["state"], "firing");

  httplib::Client client("127.0.0.1", daemon.port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(Sample(metrics->body, "k2_alerts_sent_total"), 3);
  EXPECT_EQ(Sample(metrics->body, "k2_alerts_active"), 1);
  EXPECT_EQ(Sample(metrics->body, "k2_job_runs_total{job=\"offload_raw\",status=\"failed\"}"),
            2 + 1 + 1 + 1 + 1);
}

TEST(DaemonAlertTest, LagAndAuditAlertsAreDeduplicatedAndRecover) {
  WebhookReceiver receiver;
  ManualClock clock(T("2026-11-24T01:00:00Z"));
  InMemoryJobStore store;
  DaemonOptions options = LoopbackOptions();
  options.alert_webhook = receiver.url();
  options.lag_alert_threshold = hours(2);
  options.lag_check_interval = minutes(1);
  Daemon daemon(clock, store, options);
  std::atomic<double> lag{600};
  daemon.SetTableStatsProvider([&]() -> Result<std::vector<TableStats>> {
    TableStats t;
    t.table = "market.trades";
    t.lag_seconds = lag;
    return std::vector<TableStats>{t};
  });
  std::atomic<bool> audit_ok{true};
  JobSchedule audit;
  audit.name = "audit";
  K2_ASSERT_OK(daemon.AddJob(std::make_unique<FunctionJob>("audit",
                                                           [&](JobContext&) -> Result<JobOutcome> {
                                                             JobOutcome out;
                                                             TableOutcome t;
                                                             t.table = "market.trades";
                                                             t.audit_ok = audit_ok.load();
                                                             t.detail =
                                                                 "count 10 vs 9 on 2026-11-23";
                                                             out.tables.push_back(t);
                                                             return out;
                                                           }),
                             audit));
  K2_ASSERT_OK(daemon.Start());
  Scheduler& s = daemon.scheduler();
  auto minutes_pass = [&](int n) {
    for (int i = 0; i < n; ++i) {
      clock.Advance(minutes(1));
      ASSERT_TRUE(s.WaitIdle());
    }
  };
  minutes_pass(3);
  EXPECT_TRUE(receiver.Take().empty());
  lag = 3 * 3600;
  minutes_pass(5);
  auto got = receiver.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["alert"], "lag");
  EXPECT_EQ(got[0]["subject"], "market.trades");
  lag = 300;
  minutes_pass(5);
  got = receiver.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["state"], "resolved");

  audit_ok = false;
  for (int i = 0; i < 3; ++i) {
    K2_ASSERT_OK(s.TriggerRun("audit"));
    ASSERT_TRUE(s.WaitIdle());
  }
  got = receiver.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["alert"], "audit_mismatch");
  EXPECT_EQ(got[0]["message"], "count 10 vs 9 on 2026-11-23");
  audit_ok = true;
  K2_ASSERT_OK(s.TriggerRun("audit"));
  ASSERT_TRUE(s.WaitIdle());
  got = receiver.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["state"], "resolved");
}

TEST(DaemonAlertTest, CommandNotifierGetsJsonOnStdinAndEnvironment) {
  std::signal(SIGPIPE, SIG_IGN);
  testing::TempDir dir;
  std::string out = dir / "alerts.log";
  CommandNotifier notifier("cat >> '" + out + "'; echo \"$K2_ALERT_KIND $K2_ALERT_STATE\" >> '" +
                           out + "'");
  Alert alert;
  alert.kind = AlertKind::kLag;
  alert.subject = "market.trades";
  alert.message = "cold lag 9000s";
  K2_ASSERT_OK(notifier.Notify(alert));
  std::ifstream in(out);
  std::string json_line, env_line;
  std::getline(in, json_line);
  std::getline(in, env_line);
  auto json = nlohmann::json::parse(json_line);
  EXPECT_EQ(json["subject"], "market.trades");
  EXPECT_EQ(json["state"], "firing");
  EXPECT_EQ(env_line, "lag firing");
  CommandNotifier failing("exit 3");
  K2_ASSERT_ERROR_KIND(failing.Notify(alert), ErrorKind::kRemote);
  WebhookNotifier nowhere(fmt::format("http://127.0.0.1:{}/hook", testing::FreeLoopbackPort()),
                          2000);
  K2_ASSERT_ERROR_KIND(nowhere.Notify(alert), ErrorKind::kRemote);
}

}  // namespace
}  // namespace k2::service
