#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/support.h"

namespace k2 {
namespace {

using ::k2::testing::RunProcess;

/// Runs k2 in `dir` (the lineitem fixture's paths are relative to iceberg-tables/).
::k2::testing::ProcessResult RunIn(const std::string& dir, const std::vector<std::string>& argv) {
  std::error_code ec;
  auto old = std::filesystem::current_path(ec);
  std::filesystem::current_path(dir, ec);
  auto r = RunProcess(argv);
  std::filesystem::current_path(old, ec);
  return r;
}

size_t Lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// `k2 scan`, `k2 snapshots`, `k2 table show` on a table Spark wrote, by metadata path.
TEST(IcebergCliTest, ScansAndTimeTravelsAFixtureTable) {
  K2_REQUIRE_FIXTURES(fixtures);
  const std::string root = fixtures + "/iceberg-tables";
  const std::string meta = root + "/lineitem_iceberg/metadata/v2.metadata.json";
  auto cur = RunIn(root, {K2_BINARY, "scan", meta, "--columns", "l_orderkey,l_quantity"});
  ASSERT_EQ(cur.exit_code, 0) << cur.err;
  EXPECT_EQ(cur.out.substr(0, cur.out.find('\n')), "l_orderkey,l_quantity");
  EXPECT_EQ(Lines(cur.out), 51793u + 1);
  auto old = RunIn(root, {K2_BINARY, "scan", meta, "--columns", "l_orderkey", "--snapshot",
                          "7817332053627255703"});
  ASSERT_EQ(old.exit_code, 0) << old.err;
  EXPECT_EQ(Lines(old.out), 60175u + 1);
  auto filtered = RunIn(root, {K2_BINARY, "scan", meta, "--columns", "l_orderkey,l_extendedprice",
                               "--where", "l_orderkey = 1", "--format", "json"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  ASSERT_GT(Lines(filtered.out), 0u);
  auto first = nlohmann::json::parse(filtered.out.substr(0, filtered.out.find('\n')));
  EXPECT_EQ(first["l_orderkey"], 1);

  auto snaps = RunIn(root, {K2_BINARY, "snapshots", meta, "--json"});
  ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
  auto list = nlohmann::json::parse(snaps.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["snapshot-id"], 7817332053627255703);

  auto show = RunIn(root, {K2_BINARY, "table", "show", meta});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("l_extendedprice"), std::string::npos);

  auto missing = RunIn(root, {K2_BINARY, "scan", meta, "--snapshot", "1234"});
  EXPECT_NE(missing.exit_code, 0) << missing.err;
  EXPECT_NE(missing.err.find("1234"), std::string::npos);
  auto bad = RunIn(root, {K2_BINARY, "scan", meta, "--where", "nope = 1"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

}  // namespace
}  // namespace k2
