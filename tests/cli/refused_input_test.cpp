// Inputs that cannot be right are refused before anything happens: the
// command names the thing, exits 2 (usage or config error) or 1, and
// creates nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/support.h"

namespace k2::testing {
namespace {

ProcessResult K2(std::vector<std::string> args) {
  args.insert(args.begin(), {K2_BINARY, "--log-format", "text"});
  return RunProcess(args);
}

/// Occurrences of `needle` in `text`.
size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

class RefusedInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_ / "k2.yaml";
    std::ofstream(config_) << "data_dir: " << (dir_ / "data") << "\n";
  }
  ProcessResult Offload(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_, "offload"});
    return K2(args);
  }
  TempDir dir_;
  std::string config_;
};

TEST_F(RefusedInputTest, WindowsThatCannotBeRightAreUsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& c :
       std::vector<Case>{{{"--window", "garbage"}, "--window 'garbage'"},
                         {{"--window", "2026-11-20T10:30Z"}, "not the start of a 3600s window"},
                         {{"--window", "1960-01-01T00:00Z"}, "outside 1970-01-01 .. 9999-12-31"},
                         {{"--window", "2026-11-20T10:00Z", "--until", "2026-11-20T09:00Z"},
                          "is not after --window"},
                         {{"--until", "2026-11-20T09:00Z"}, "--until needs --window"},
                         {{"--replace"}, "--replace needs --window"}}) {
    ProcessResult r = Offload(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << " " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(Count(r.err, c.says), 1u) << "one message, not one per table: " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data")) << "a refused command created its data dir";
}

TEST_F(RefusedInputTest, DryRunCreatesNothing) {
  ProcessResult r = Offload({"--dry-run"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data"));
}

TEST_F(RefusedInputTest, ConfigCheckAppliesEveryCheckServeApplies) {
  struct Case {
    std::string table_yaml;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"{name: raw_trades, schedule: '61 5 * * * *'}", "61"},
           {"{name: raw_trades, schedule: 'CRON_TZ=Mars/Olympus 0 5 * * * *'}", "Mars/Olympus"},
           {"{name: raw_trades, schedule: '0 0 0 30 2 *'}", "offload_raw"},
           {"{name: '../../x'}", "'../../x' is not a plain identifier"},
           {"{name: \"a'b\"}", "is not a plain identifier"},
           {"{name: x, source: 'x; DROP TABLE y'}", "source"},
           {"{name: x, target: 'market.x/../../y'}", "target"},
           {"{name: x, time_column: ts, time_unit: minutes}", "time_unit"}}) {
    std::ofstream(config_) << "data_dir: data\ntables:\n  - " << c.table_yaml << "\n";
    ProcessResult r = K2({"config", "check", config_});
    EXPECT_EQ(r.exit_code, 2) << c.table_yaml << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.table_yaml << "\n" << r.err;
  }
}

TEST_F(RefusedInputTest, ConfigThatIsADirectoryIsAnError) {
  ProcessResult r = K2({"--config", dir_.path(), "tables"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "k2-data"));
}

}  // namespace
}  // namespace k2::testing
