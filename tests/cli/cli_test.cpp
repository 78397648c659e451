// Runs the real k2 binary: help, version, config errors and exit codes.
#include <gtest/gtest.h>

#include <fstream>

#include "support/support.h"

namespace k2::testing {
namespace {

ProcessResult K2(std::vector<std::string> args) {
  args.insert(args.begin(), K2_BINARY);
  return RunProcess(args);
}

TEST(CliTest, HelpListsEverySubcommand) {
  ProcessResult r = K2({"--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* cmd : {"version", "config"}) {
    EXPECT_NE(r.out.find(std::string("  ") + cmd), std::string::npos) << cmd << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
  ProcessResult sub = K2({"config", "check", "--help"});
  EXPECT_EQ(sub.exit_code, 0);
  EXPECT_NE(sub.out.find("Validate"), std::string::npos);
}

TEST(CliTest, VersionAndUsageErrors) {
  ProcessResult v = K2({"version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("k2 ", 0), 0u) << v.out;
  EXPECT_EQ(K2({}).exit_code, 2);
  EXPECT_EQ(K2({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(K2({"--log-format", "xml", "version"}).exit_code, 2);
}

TEST(CliTest, TypoInConfigFailsWithExit2NamingKeyAndLine) {
  TempDir dir;
  std::string path = dir / "k2.yaml";
  std::ofstream(path) << "data_dir: data\nwarm:\n  kind: embedded\n  dta_dir: x\n";
  ProcessResult r = K2({"--log-format", "text", "config", "check", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("warm.dta_dir (line 4)"), std::string::npos) << r.err;
  ProcessResult missing = K2({"config", "check", dir / "absent.yaml"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("absent.yaml"), std::string::npos) << missing.err;
}

TEST(CliTest, ExampleConfigChecksClean) {
  TempDir dir;
  ProcessResult ex = K2({"config", "example"});
  ASSERT_EQ(ex.exit_code, 0);
  std::ofstream(dir / "k2.yaml") << ex.out;
  ProcessResult r = K2({"config", "check", dir / "k2.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("raw_trades"), std::string::npos);
  EXPECT_NE(r.out.find("gold_ohlcv_1d"), std::string::npos);
}

TEST(CliTest, JsonLogsAreJsonLines) {
  TempDir dir;
  ProcessResult r = K2({"--log-format", "json", "config", "check", dir / "absent.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  ASSERT_FALSE(r.err.empty());
  auto line = nlohmann::json::parse(r.err.substr(0, r.err.find('\n')), nullptr, false);
  ASSERT_FALSE(line.is_discarded()) << r.err;
  EXPECT_EQ(line["level"], "error");
  EXPECT_NE(line["msg"].get<std::string>().find("absent.yaml"), std::string::npos);
}

}  // namespace
}  // namespace k2::testing
