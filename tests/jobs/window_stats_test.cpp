// The window checksum the offload records and the late-row check and audit
// recompute, on a real ClickHouse 18.16 server and on the embedded engine
// (ClickHouse 26.x): every kind runs on both, equal rows in another order give
// the same checksum, one changed decimal changes it, and the binary kind hashes
// decimals as their value's bytes (and agrees across the two versions).
#include "jobs/window_stats.h"

#include <gtest/gtest.h>

#include "support/clickhouse_server.h"
#include "warm/warm_test_util.h"

namespace k2::jobs {
namespace {

constexpr const char* kColumns =
    "(s String, n Nullable(String), i Int64, t DateTime('UTC'), d Decimal(18, 8), "
    "w Decimal(38, 16), nd Nullable(Decimal(18, 8)))";
// The same five rows in two orders, and once with one decimal 1e-8 higher.
constexpr const char* kRows =
    "('a', NULL, 1, 1795132800, 1.5, 2.25, NULL), ('b', 'x', 2, 1795132801, 100.12345678, "
    "0.0000000000000001, 3.5), ('c', '', -3, 1795132802, 0, -7, 0), ('d', 'y', 4, 1795132803, "
    "-2.5, 1e10, -1), ('e', 'z', 5, 1795132804, 99999.99999999, 1, 2)";
constexpr const char* kRowsReordered =
    "('e', 'z', 5, 1795132804, 99999.99999999, 1, 2), ('c', '', -3, 1795132802, 0, -7, 0), ('a', "
    "NULL, 1, 1795132800, 1.5, 2.25, NULL), ('d', 'y', 4, 1795132803, -2.5, 1e10, -1), ('b', 'x', "
    "2, 1795132801, 100.12345678, 0.0000000000000001, 3.5)";
constexpr const char* kRowsChanged =
    "('a', NULL, 1, 1795132800, 1.5, 2.25, NULL), ('b', 'x', 2, 1795132801, 100.12345679, "
    "0.0000000000000001, 3.5), ('c', '', -3, 1795132802, 0, -7, 0), ('d', 'y', 4, 1795132803, "
    "-2.5, 1e10, -1), ('e', 'z', 5, 1795132804, 99999.99999999, 1, 2)";

const std::vector<WarmColumn> kWarmColumns = {
    {"s", "String"},
    {"n", "Nullable(String)"},
    {"i", "Int64"},
    {"t", "DateTime('UTC')"},
    {"d", "Decimal(18, 8)"},
    {"w", "Decimal(38, 16)"},
    {"nd", "Nullable(Decimal(18, 8))"},
};

/// Creates the three tables through `exec` (a server or the embedded engine).
template <typename Exec>
void CreateTables(Exec exec, const std::string& engine) {
  for (const char* name : {"ws_a", "ws_b", "ws_c"}) {
    K2_ASSERT_OK(exec(fmt::format("DROP TABLE IF EXISTS {}", name)));
    K2_ASSERT_OK(exec(fmt::format("CREATE TABLE {} {} ENGINE = {}", name, kColumns, engine)));
  }
  K2_ASSERT_OK(exec(fmt::format("INSERT INTO ws_a VALUES {}", kRows)));
  K2_ASSERT_OK(exec(fmt::format("INSERT INTO ws_b VALUES {}", kRowsReordered)));
  K2_ASSERT_OK(exec(fmt::format("INSERT INTO ws_c VALUES {}", kRowsChanged)));
}

/// Checksums of the three tables per kind; checks what must hold on any engine.
std::map<ChecksumKind, std::string> CheckKinds(warm::WarmDriver& driver) {
  std::map<ChecksumKind, std::string> binary_of_a;
  for (ChecksumKind kind : {ChecksumKind::kText, ChecksumKind::kNative, ChecksumKind::kBinary}) {
    SCOPED_TRACE(ChecksumKindName(kind));
    auto a = QueryWindowStats(driver, "SELECT * FROM ws_a", kWarmColumns, kind);
    auto b = QueryWindowStats(driver, "SELECT * FROM ws_b", kWarmColumns, kind);
    auto c = QueryWindowStats(driver, "SELECT * FROM ws_c", kWarmColumns, kind);
    EXPECT_TRUE(a && b && c) << (a ? b ? c.error().ToString() : b.error().ToString()
                                   : a.error().ToString());
    if (!a || !b || !c) continue;
    EXPECT_EQ(a->rows, 5);
    EXPECT_EQ(c->rows, 5);
    EXPECT_EQ(a->checksum, b->checksum) << "row order changed the checksum";
    EXPECT_NE(a->checksum, c->checksum) << "a changed decimal kept the checksum";
    binary_of_a[kind] = a->checksum;
  }
  return binary_of_a;
}

TEST(WindowStatsTest, BinaryKindHashesDecimalsAsTheirValue) {
  const std::string sql = WindowStatsSql("SELECT * FROM t", kWarmColumns, ChecksumKind::kBinary);
  EXPECT_NE(sql.find("reinterpretAsString(`d`)"), std::string::npos) << sql;
  EXPECT_NE(sql.find("reinterpretAsString(assumeNotNull(`nd`)), isNull(`nd`)"), std::string::npos)
      << sql;
  EXPECT_EQ(sql.find("toString("), std::string::npos) << sql;
  const std::string native = WindowStatsSql("SELECT * FROM t", kWarmColumns, ChecksumKind::kNative);
  EXPECT_NE(native.find("toString(`d`)"), std::string::npos) << native;
  EXPECT_EQ(kCommitChecksumKind, ChecksumKind::kBinary);
  for (ChecksumKind k : {ChecksumKind::kText, ChecksumKind::kNative, ChecksumKind::kBinary}) {
    K2_ASSERT_OK_AND_ASSIGN(ChecksumKind back, ParseChecksumKind(ChecksumKindName(k)));
    EXPECT_EQ(back, k);
  }
  K2_ASSERT_OK_AND_ASSIGN(ChecksumKind absent, ParseChecksumKind(""));
  EXPECT_EQ(absent, ChecksumKind::kText);
  auto unknown = ParseChecksumKind("sha9");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kUnsupported);
  EXPECT_NE(unknown.error().message.find("sha9"), std::string::npos);
}

TEST(WindowStatsTest, EveryKindOnClickHouse1816AndTheEmbeddedEngineAgree) {
  K2_START_CLICKHOUSE(server);
  warm::HttpDriverOptions o;
  o.url = server->url();
  K2_ASSERT_OK_AND_ASSIGN(auto http, warm::OpenHttpDriver(o));
  CreateTables([&](const std::string& q) { return http->Execute(q); }, "Memory");
  std::map<ChecksumKind, std::string> old_server = CheckKinds(*http);

  std::string skip;
  warm::WarmDriver* embedded = warm::testing::EmbeddedForTests(&skip);
  if (embedded == nullptr) GTEST_SKIP() << "embedded engine: " << skip;
  CreateTables([&](const std::string& q) { return embedded->Execute(q); }, "Memory");
  std::map<ChecksumKind, std::string> modern = CheckKinds(*embedded);
  // Binary values and native types hash alike on both versions.
  EXPECT_EQ(old_server[ChecksumKind::kBinary], modern[ChecksumKind::kBinary]);
}

}  // namespace
}  // namespace k2::jobs
