// The dashboard in a real browser: `k2 serve` over tables the real binary
// offloaded from the embedded engine (with a compaction and an audit run in
// its history), loaded by headless Chromium. The DOM must show every table
// with the lag and counts /api/dashboard gives, with and without the API
// token; a screenshot is saved as a test artifact.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support/support.h"

namespace k2::testing {
namespace {

constexpr const char* kToken = "dash-token-42";

nlohmann::json Api(const std::string& url, const std::string& method = "GET") {
  std::vector<std::string> argv = {
      "curl", "-sf",  "--max-time", "20",
      "-X",   method, "-H",         std::string("Authorization: Bearer ") + kToken,
      url};
  if (method == "POST") argv.insert(argv.end() - 1, {"-d", ""});
  ProcessResult r = RunProcess(argv);
  if (r.exit_code != 0) return nullptr;
  return nlohmann::json::parse(r.out, nullptr, false);
}

/// Starts `job` and waits until its run has finished (bounded).
nlohmann::json RunJobToEnd(const std::string& base, const std::string& job) {
  nlohmann::json started = Api(base + "/api/jobs/" + job + "/run", "POST");
  if (!started.is_object() || started.value("status", "") != "started") return nullptr;
  for (int i = 0; i < 3000; ++i) {
    nlohmann::json h = Api(base + "/api/jobs/history?job=" + job + "&limit=1");
    if (h.is_object() && !h["runs"].empty() && h["runs"][0]["status"] != "running") {
      return h["runs"][0];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return nullptr;
}

/// The attributes of the dashboard's card for `table` in a dumped DOM.
std::map<std::string, std::string> CardAttributes(const std::string& dom,
                                                  const std::string& table) {
  std::map<std::string, std::string> out;
  size_t at = dom.find("data-table=\"" + table + "\"");
  if (at == std::string::npos) return out;
  size_t open = dom.rfind('<', at);
  size_t close = dom.find('>', at);
  std::string tag = dom.substr(open, close - open);
  std::regex attr(R"re(([a-z-]+)="([^"]*)")re");
  for (std::sregex_iterator it(tag.begin(), tag.end(), attr), end; it != end; ++it) {
    out[(*it)[1]] = (*it)[2];
  }
  return out;
}

std::vector<std::string> Chromium(const std::string& profile) {
  return {"chromium",
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--hide-scrollbars",
          "--user-data-dir=" + profile,
          "--virtual-time-budget=10000"};
}

TEST(DashboardTest, ChromiumShowsEveryTableAsTheApiReportsIt) {
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  if (RunProcess({"sh", "-c", "command -v chromium"}).exit_code != 0) {
    GTEST_SKIP() << "chromium not installed (scripts/install-deps)";
  }
  TempDir dir;
  int port = FreeLoopbackPort();
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "data") << "\nwarm: {kind: embedded, "
                        << "chdb_library: " << *lib << "}\noffload: {max_windows_per_run: 100}\n"
                        << "tables:\n  - {name: raw_trades}\n  - {name: silver_trades}\n"
                        << "service:\n  listen: 127.0.0.1:" << port << "\n  token: " << kToken
                        << "\n  shutdown_grace: 10s\n  retry_max_attempts: 1\n";
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  ProcessResult gen = k2({"generate", "--hours", "4", "--rate", "1", "--symbols", "3", "--seed",
                          "5", "--start", WholeHoursAgo(5)});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ProcessResult off = k2({"offload"});
  ASSERT_EQ(off.exit_code, 0) << off.out << off.err;

  std::string log = dir / "serve.log";
  ServeProcess serve(K2_BINARY, config, log, port);
  ASSERT_TRUE(serve.AwaitUp()) << "k2 serve did not come up; log in " << log;
  nlohmann::json compaction = RunJobToEnd(serve.base(), "compaction");
  ASSERT_FALSE(compaction.is_null()) << "compaction did not finish";
  EXPECT_EQ(compaction["status"], "succeeded") << compaction.dump();
  nlohmann::json audit = RunJobToEnd(serve.base(), "audit");
  ASSERT_FALSE(audit.is_null()) << "audit did not finish";
  EXPECT_EQ(audit["status"], "succeeded") << audit.dump();

  // The page and its assets are served without a token; the API needs one.
  EXPECT_EQ(RunProcess({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        serve.base() + "/api/dashboard"})
                .out,
            "401");
  for (const char* path : {"/", "/ui/dashboard.js", "/ui/uPlot.iife.min.js", "/ui/uPlot.min.css"}) {
    EXPECT_EQ(
        RunProcess({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", serve.base() + path})
            .out,
        "200")
        << path;
  }
  EXPECT_EQ(RunProcess({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                        serve.base() + "/dashboard"})
                .out,
            "302 " + serve.base() + "/");

  nlohmann::json api = Api(serve.base() + "/api/dashboard");
  ASSERT_TRUE(api.is_object()) << "GET /api/dashboard";
  ASSERT_EQ(api["tables"].size(), 2u) << api.dump();
  for (const auto& t : api["tables"]) {
    EXPECT_GT(t["total_rows"].get<int64_t>(), 0) << t.dump();
    EXPECT_FALSE(t["windows"].empty()) << t.dump();
    EXPECT_EQ(t["maintenance"]["compaction"]["status"], "succeeded") << t.dump();
    EXPECT_EQ(t["maintenance"]["audit"]["audit_failures"], 0) << t.dump();
  }

  // Without a token the page asks for one.
  std::vector<std::string> anonymous = Chromium(dir / "profile-anonymous");
  anonymous.insert(anonymous.end(), {"--dump-dom", serve.base() + "/"});
  ProcessResult locked = RunProcess(anonymous, {"HOME=" + dir.path()});
  ASSERT_EQ(locked.exit_code, 0) << locked.err;
  EXPECT_NE(locked.out.find("data-state=\"error\""), std::string::npos) << locked.out;
  EXPECT_NE(locked.out.find("requires a token"), std::string::npos) << locked.out;

  // With the token (taken from the URL fragment into localStorage).
  const std::string url = serve.base() + "/#token=" + kToken;
  std::vector<std::string> dump = Chromium(dir / "profile");
  dump.insert(dump.end(), {"--dump-dom", url});
  ProcessResult dom = RunProcess(dump, {"HOME=" + dir.path()});
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  ASSERT_NE(dom.out.find("data-state=\"loaded\""), std::string::npos) << dom.out;
  nlohmann::json now_api = Api(serve.base() + "/api/dashboard");
  for (const auto& t : now_api["tables"]) {
    const std::string name = t["table"];
    auto card = CardAttributes(dom.out, name);
    ASSERT_FALSE(card.empty()) << "no card for " << name << " in " << dom.out;
    EXPECT_EQ(card["data-watermark"], t["watermark"].get<std::string>()) << name;
    EXPECT_NEAR(std::stod(card["data-lag-seconds"]), t["lag_seconds"].get<double>(), 120) << name;
    EXPECT_EQ(card["data-rows"], std::to_string(t["total_rows"].get<int64_t>())) << name;
    EXPECT_EQ(card["data-bytes"], std::to_string(t["total_bytes"].get<int64_t>())) << name;
    EXPECT_EQ(card["data-data-files"], std::to_string(t["data_files"].get<int64_t>())) << name;
    EXPECT_EQ(card["data-delete-files"], std::to_string(t["delete_files"].get<int64_t>())) << name;
    EXPECT_EQ(card["data-snapshots"], std::to_string(t["snapshots"].get<int64_t>())) << name;
    EXPECT_EQ(card["data-windows"], std::to_string(t["windows"].size())) << name;
  }
  EXPECT_NE(dom.out.find("class=\"uplot"), std::string::npos) << "no chart drawn";
  for (const auto& j : now_api["jobs"]) {
    EXPECT_NE(dom.out.find("data-job=\"" + j["name"].get<std::string>() + "\""), std::string::npos)
        << j["name"];
  }
  for (const auto& r : now_api["history"]) {
    EXPECT_NE(dom.out.find("data-run=\"" + std::to_string(r["id"].get<int64_t>()) + "\""),
              std::string::npos)
        << r.dump();
  }

  // The screenshot outlives the test's temp dir: an artifact to look at.
  const std::string out_dir = std::string(K2_BINARY_DIR) + "/test-output/DashboardTest";
  std::filesystem::create_directories(out_dir);
  const std::string png = out_dir + "/dashboard.png";
  std::filesystem::remove(png);
  std::vector<std::string> shot = Chromium(dir / "profile-shot");
  shot.insert(shot.end(), {"--window-size=1400,2200", "--screenshot=" + png, url});
  ProcessResult screenshot = RunProcess(shot, {"HOME=" + dir.path()});
  EXPECT_EQ(screenshot.exit_code, 0) << screenshot.err;
  EXPECT_TRUE(std::filesystem::exists(png)) << screenshot.err;
  std::cout << "dashboard screenshot: " << png << "\n";

  EXPECT_EQ(serve.Terminate(), 0);
}

}  // namespace
}  // namespace k2::testing
