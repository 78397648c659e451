// `k2 audit` on the real binary: exit 0 and every window ok after an offload;
// after warm rows of one offloaded hour are deleted, exit 1 and the window is
// named in the text and the JSON output.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/support.h"

namespace k2::testing {
namespace {

std::string HourText(int64_t epoch_s, const char* format) {
  std::chrono::sys_seconds t{std::chrono::seconds{epoch_s}};
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  return fmt::format(fmt::runtime(format), static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     std::chrono::duration_cast<std::chrono::hours>(t - day).count());
}

TEST(AuditCliTest, ExitCodeAndOutputNameTheMismatchedWindow) {
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  TempDir dir;
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "data") << "\nwarm: {kind: embedded, "
                        << "chdb_library: " << *lib << "}\ntables:\n  - {name: raw_trades}\n";
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  int64_t hour = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count() /
                 3600 * 3600;
  int64_t start = hour - 4 * 3600;  // three closed hours of trades
  ProcessResult gen = k2({"generate", "--hours", "3", "--rate", "1", "--symbols", "2", "--seed",
                          "3", "--start", HourText(start, "{:04d}-{:02d}-{:02d}T{:02d}:00:00Z")});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ProcessResult offload = k2({"offload"});
  ASSERT_EQ(offload.exit_code, 0) << offload.err;

  ProcessResult clean = k2({"audit", "--json"});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  auto report = nlohmann::json::parse(clean.out, nullptr, false);
  ASSERT_TRUE(report.is_array() && report.size() == 1) << clean.out;
  EXPECT_TRUE(report[0]["ok"].get<bool>());
  EXPECT_GE(report[0]["windows_by_status"]["ok"].get<int>(), 3);

  // Warm loses the middle hour (older rows stay): missing in warm.
  std::string middle = HourText(start + 3600, "{:04d}-{:02d}-{:02d} {:02d}:00:00");
  ProcessResult del = k2(
      {"warm", "query",
       fmt::format("ALTER TABLE raw_trades DELETE WHERE ingested_at >= toDateTime('{0}', 'UTC') "
                   "AND ingested_at < toDateTime('{0}', 'UTC') + 3600 SETTINGS mutations_sync = 2",
                   middle)});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  std::string window = HourText(start + 3600, "{:04d}-{:02d}-{:02d}T{:02d}:00:00Z");
  ProcessResult text = k2({"audit", "--table", "raw_trades"});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_NE(text.out.find(window + "/"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("missing_in_warm"), std::string::npos) << text.out;
  ProcessResult json = k2({"audit", "--layer", "raw", "--json"});
  EXPECT_EQ(json.exit_code, 1);
  auto failed = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(failed.is_array()) << json.out;
  int missing = 0;
  for (const auto& w : failed[0]["windows"]) {
    if (w["status"] == "missing_in_warm") {
      ++missing;
      EXPECT_TRUE(w["window"].get<std::string>().starts_with(window)) << w.dump();
    }
  }
  EXPECT_EQ(missing, 1);

  ProcessResult bad = k2({"audit", "--since", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

}  // namespace
}  // namespace k2::testing
