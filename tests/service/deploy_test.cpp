// deploy/: the Prometheus alert rules pass `promtool check rules` and their
// unit tests, and every k2 metric the rules and the Grafana dashboard query
// is one the daemon really exports.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "service/daemon.h"
#include "support/support.h"

namespace k2::service {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// k2_* metric names in `text`, histogram suffixes removed.
std::set<std::string> MetricNames(const std::string& text) {
  std::set<std::string> out;
  std::regex name(R"(\bk2_[a-z0-9_]+)");
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
    std::string n = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (n.ends_with(suffix) && n.find("_seconds") != std::string::npos) {
        n.resize(n.size() - std::string_view(suffix).size());
      }
    }
    out.insert(n);
  }
  return out;
}

std::set<std::string> ExportedMetrics() {
  ManualClock clock(std::chrono::system_clock::now());
  InMemoryJobStore store;
  Daemon daemon(clock, store, DaemonOptions{});
  std::set<std::string> out;
  std::regex type(R"(# TYPE (\S+) )");
  std::string text = daemon.metrics().Render();
  for (std::sregex_iterator it(text.begin(), text.end(), type), end; it != end; ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

TEST(DeployTest, AlertRulesPassPromtoolAndItsUnitTests) {
  const std::string dir = testing::SourceDir() + "/deploy/prometheus";
  if (testing::RunProcess({"sh", "-c", "command -v promtool"}).exit_code != 0) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus, scripts/install-deps)";
  }
  testing::ProcessResult check =
      testing::RunProcess({"promtool", "check", "rules", dir + "/k2-alerts.yml"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  testing::ProcessResult unit = testing::RunProcess(
      {"sh", "-c", "cd '" + dir + "' && promtool test rules k2-alerts.test.yml"});
  EXPECT_EQ(unit.exit_code, 0) << unit.out << unit.err;
}

TEST(DeployTest, RulesAndGrafanaUseOnlyMetricsK2Exports) {
  const std::set<std::string> exported = ExportedMetrics();
  ASSERT_TRUE(exported.contains("k2_table_cold_lag_seconds"));
  const std::string root = testing::SourceDir() + "/deploy";
  for (const std::string file : {"/prometheus/k2-alerts.yml", "/grafana/k2-dashboard.json"}) {
    std::string text = ReadFile(root + file);
    ASSERT_FALSE(text.empty()) << file;
    std::set<std::string> used = MetricNames(text);
    EXPECT_GE(used.size(), 5u) << file;
    for (const std::string& m : used) EXPECT_TRUE(exported.contains(m)) << file << ": " << m;
  }
  auto dashboard =
      nlohmann::json::parse(ReadFile(root + "/grafana/k2-dashboard.json"), nullptr, false);
  ASSERT_TRUE(dashboard.is_object());
  EXPECT_FALSE(dashboard["panels"].empty());
  for (const auto& panel : dashboard["panels"]) EXPECT_FALSE(panel["targets"].empty());
}

TEST(DeployTest, SystemdUnitStartsServe) {
  std::string unit = ReadFile(testing::SourceDir() + "/deploy/systemd/k2.service");
  EXPECT_NE(unit.find("ExecStart=/usr/local/bin/k2 --config /etc/k2/k2.yaml"), std::string::npos);
  EXPECT_NE(unit.find(" serve\n"), std::string::npos);
  EXPECT_NE(unit.find("KillSignal=SIGTERM"), std::string::npos);
  if (testing::RunProcess({"sh", "-c", "command -v systemd-analyze"}).exit_code == 0) {
    testing::ProcessResult verify =
        testing::RunProcess({"systemd-analyze", "verify", "--man=no",
                             testing::SourceDir() + "/deploy/systemd/k2.service"});
    // ExecStart's binary and the k2 user need not exist on a build machine;
    // any other complaint (a bad key or section) is a mistake in the unit.
    std::istringstream lines(verify.err);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("k2.service") == std::string::npos) continue;
      bool expected = line.find("/usr/local/bin/k2") != std::string::npos ||
                      line.find("User") != std::string::npos;
      EXPECT_TRUE(expected) << line;
    }
  }
}

}  // namespace
}  // namespace k2::service
