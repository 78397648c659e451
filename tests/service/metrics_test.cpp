#include "service/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "support/support.h"

namespace k2::service {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndEscapedLabels) {
  MetricsRegistry registry;
  auto& runs =
      registry.Counter("k2_job_runs_total", "Job runs.\nBy status \\ job.", {"job", "status"});
  runs.Inc({"offload_raw", "succeeded"});
  runs.Inc({"offload_raw", "succeeded"}, 2);
  runs.Inc({"offload_raw", "succeeded"}, -5);  // ignored: counters only go up
  auto& lag = registry.Gauge("k2_table_cold_lag_seconds", "Lag.", {"table"});
  lag.Set({"we\"ird\\ta\nble"}, 1.5);
  registry.Gauge("k2_empty", "No series yet.");
  EXPECT_EQ(registry.Render(),
            "# HELP k2_job_runs_total Job runs.\\nBy status \\\\ job.\n"
            "# TYPE k2_job_runs_total counter\n"
            "k2_job_runs_total{job=\"offload_raw\",status=\"succeeded\"} 3\n"
            "# HELP k2_table_cold_lag_seconds Lag.\n"
            "# TYPE k2_table_cold_lag_seconds gauge\n"
            "k2_table_cold_lag_seconds{table=\"we\\\"ird\\\\ta\\nble\"} 1.5\n"
            "# HELP k2_empty No series yet.\n"
            "# TYPE k2_empty gauge\n");
  EXPECT_EQ(runs.Value({"offload_raw", "succeeded"}), 3);
  EXPECT_EQ(runs.Value({"offload_raw", "failed"}), 0);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  MetricsRegistry registry;
  auto& h = registry.Histogram("k2_d_seconds", "D.", {"table"}, {1, 0.5, 5});
  for (double v : {0.2, 0.5, 0.7, 3.0, 100.0}) h.Observe({"t"}, v);
  EXPECT_EQ(registry.Render(),
            "# HELP k2_d_seconds D.\n"
            "# TYPE k2_d_seconds histogram\n"
            "k2_d_seconds_bucket{table=\"t\",le=\"0.5\"} 2\n"
            "k2_d_seconds_bucket{table=\"t\",le=\"1\"} 3\n"
            "k2_d_seconds_bucket{table=\"t\",le=\"5\"} 4\n"
            "k2_d_seconds_bucket{table=\"t\",le=\"+Inf\"} 5\n"
            "k2_d_seconds_sum{table=\"t\"} 104.4\n"
            "k2_d_seconds_count{table=\"t\"} 5\n");
  EXPECT_EQ(h.Value({"t"}), 5);
  EXPECT_DOUBLE_EQ(h.Sum({"t"}), 104.4);
}

TEST(MetricsTest, CollectorsRunBeforeRenderAndClearDropsSeries) {
  MetricsRegistry registry;
  auto& g = registry.Gauge("k2_table_snapshots", "S.", {"table"});
  int calls = 0;
  registry.AddCollector([&] {
    ++calls;
    g.Clear();
    g.Set({calls == 1 ? "a" : "b"}, calls);
  });
  EXPECT_NE(registry.Render().find("k2_table_snapshots{table=\"a\"} 1\n"), std::string::npos);
  std::string second = registry.Render();
  EXPECT_EQ(second.find("table=\"a\""), std::string::npos);
  EXPECT_NE(second.find("k2_table_snapshots{table=\"b\"} 2\n"), std::string::npos);
}

TEST(MetricsTest, FormatsSpecialValues) {
  EXPECT_EQ(FormatMetricValue(3), "3");
  EXPECT_EQ(FormatMetricValue(-2.25), "-2.25");
  EXPECT_EQ(FormatMetricValue(1e20), "1e+20");
  EXPECT_EQ(FormatMetricValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatMetricValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatMetricValue(NAN), "NaN");
}

TEST(MetricsTest, PromtoolAcceptsRenderedRegistry) {
  if (testing::RunProcess({"/bin/sh", "-c", "command -v promtool"}).exit_code != 0) {
    GTEST_SKIP() << "promtool is not installed (scripts/install-deps installs prometheus)";
  }
  MetricsRegistry registry;
  registry.Counter("k2_x_total", "X.", {"a"}).Inc({"q\"uote"}, 2);
  registry.Histogram("k2_y_seconds", "Y.", {}, {0.1, 1}).Observe({}, 0.3);
  registry.Gauge("k2_z", "Z.", {"t"}).Set({"t"}, NAN);
  testing::TempDir dir;
  std::ofstream(dir / "m.txt") << registry.Render();
  auto r =
      testing::RunProcess({"/bin/sh", "-c", "promtool check metrics < '" + (dir / "m.txt") + "'"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace k2::service
