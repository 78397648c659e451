// Checks the test harness itself: the oracles answer, the real ClickHouse
// server starts on loopback and stops, the fixtures are where tests look.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/clickhouse_server.h"
#include "support/support.h"

namespace k2::testing {
namespace {

TEST(HarnessTest, DuckDBOracleAnswers) {
  K2_ASSERT_OK_AND_ASSIGN(auto rows, QueryDuckDB("SELECT 40 + 2 AS x, 'k2' AS s"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["x"], 42);
  EXPECT_EQ(rows[0]["s"], "k2");
}

TEST(HarnessTest, ChdbOracleAnswersAndReportsErrors) {
  K2_ASSERT_OK_AND_ASSIGN(auto rows, QueryChdb("SELECT toInt64(7) * 6 AS x"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["x"], "42");
  K2_ASSERT_ERROR_KIND(QueryChdb("SELECT * FROM no_such_table_k2"), ErrorKind::kRemote);
}

TEST(HarnessTest, ClickHouseServerStartsOnLoopbackAndStops) {
  pid_t pid = -1;
  {
    K2_START_CLICKHOUSE(server);
    pid = server->pid();
    K2_ASSERT_OK_AND_ASSIGN(std::string version, server->Query("SELECT 1 + 1"));
    EXPECT_EQ(version, "2\n");
  }
  EXPECT_NE(::kill(pid, 0), 0) << "server still running after the harness stopped it";
}

TEST(HarnessTest, FixturesAreFound) {
  K2_REQUIRE_FIXTURES(dir);
  EXPECT_TRUE(std::filesystem::exists(dir + "/README.md"));
}

}  // namespace
}  // namespace k2::testing
