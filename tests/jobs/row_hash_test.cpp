// Each row's checksum hash computed by k2 (RowHashes, warm/city_hash.h) equals
// the hash ClickHouse computes for it (the kBinary cityHash64 of
// window_stats.h), row by row, on Debian's ClickHouse 18.16 and on the
// embedded engine (ClickHouse 26.x), for every type k2 reproduces: strings of
// every CityHash length class, every integer width at its edges, floats
// (NaN, -0, inf), Date, DateTime, decimals of 4, 8 and 16 bytes (whose bytes
// end in zeros), DateTime64 and LowCardinality(String) (26.x only: 18.16 has
// no DateTime64). Types k2 does not
// reproduce (Nullable, hashed as text) leave the hash to the server.
#include "jobs/row_hash.h"

#include <gtest/gtest.h>

#include "support/clickhouse_server.h"
#include "warm/city_hash.h"
#include "warm/type_mapping.h"
#include "warm/warm_test_util.h"

namespace k2::jobs {
namespace {

const std::vector<WarmColumn> kCommon = {
    {"id", "UInt32"},
    {"s", "String"},
    {"fs", "FixedString(3)"},
    {"i8", "Int8"},
    {"i16", "Int16"},
    {"i32", "Int32"},
    {"i64", "Int64"},
    {"u8", "UInt8"},
    {"u16", "UInt16"},
    {"u64", "UInt64"},
    {"f32", "Float32"},
    {"f64", "Float64"},
    {"d", "Date"},
    {"t", "DateTime('UTC')"},
    {"d32", "Decimal(9, 2)"},
    {"d64", "Decimal(18, 8)"},
    {"d128", "Decimal(38, 16)"},
};

std::string ColumnsSql(const std::vector<WarmColumn>& columns) {
  std::string sql;
  for (const auto& [name, type] : columns) sql += (sql.empty() ? "" : ", ") + name + " " + type;
  return "(" + sql + ")";
}

// Edge rows, then 2,000 generated ones (strings of 0-130 bytes, every sign).
constexpr const char* kEdgeRows =
    "(1, '', 'abc', -1, -1, -1, -1, 255, 65535, 9223372036854775807, -0.0, nan, '1970-01-01', "
    "0, 0, 0, 0), "
    "(2, 'a', 'xy\\0', -128, -32768, -2147483648, -9223372036854775808, 0, 0, 0, 1.5, -inf, "
    "'2106-01-01', 4294967295, 2.56, -0.00000001, 1e20), "
    "(3, 'BTCUSDT', '\\0\\0\\0', 127, 32767, 2147483647, 9223372036854775807, 128, 256, 1, "
    "3.4e38, inf, '2026-11-01', 1793491200, -9999999.99, 99999.99999999, "
    "-0.0000000000000001)";

std::string GeneratedRows(bool old_server) {
  // 18.16 has no repeat(): the long strings are concatenations of hashes.
  const char* str = old_server ? "substring(concat(toString(cityHash64(number)), "
                                 "toString(cityHash64(number + 1)), toString(cityHash64(number "
                                 "+ 2)), toString(cityHash64(number + 3)), toString("
                                 "cityHash64(number + 4)), toString(cityHash64(number + 5)), "
                                 "toString(cityHash64(number + 6))), 1, number % 131)"
                               : "substring(repeat(toString(cityHash64(number)), 7), 1, number "
                                 "% 131)";
  return fmt::format(
      "SELECT toUInt32(number + 10), {}, substring(concat(toString(number), 'abc'), 1, 3), "
      "toInt8(number * 37), toInt16(number * 997), toInt32(number * 7919 - 8000000), "
      "toInt64(number * 2654435761 - 2000000000000), toUInt8(number), toUInt16(number * 31), "
      "toUInt64(number * 1000003), toFloat32(number) / 7, toFloat64(number) * -1.25, "
      "toDate(17000 + number), toDateTime(1700000000 + number * 3600), "
      "toDecimal32(number, 2) / 100, toDecimal64(number, 8) / -3, "
      "toDecimal128(number, 16) * 1000000 FROM system.numbers LIMIT 2000",
      str);
}

/// For every row of `table`: k2's hash of the row equals the server's.
void ExpectHashesEqual(warm::WarmDriver& driver, const std::string& table,
                       const std::vector<WarmColumn>& columns) {
  const std::string sql = fmt::format("SELECT *, toInt64({}) AS h FROM {} ORDER BY id",
                                      RowHashSql(columns, ChecksumKind::kBinary), table);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, driver.Query(sql));
  size_t rows = 0, batches = 0;
  for (;;) {
    K2_ASSERT_OK_AND_ASSIGN(const ColumnBatch* batch, reader->Next());
    if (batch == nullptr) break;
    ColumnBatch copy = *batch;
    const Column expected = copy.columns.back();
    copy.columns.pop_back();
    auto schema = std::make_shared<Schema>(*copy.schema);
    schema->fields.pop_back();
    RowHashes local(columns, *schema, ChecksumKind::kBinary, RowHashing::kK2);
    ASSERT_TRUE(local.local()) << "k2 should hash these columns itself";
    EXPECT_EQ(local.Query("SELECT 1"), "SELECT 1");
    copy.schema = schema;
    K2_ASSERT_OK(local.Hook()(copy));
    K2_ASSERT_OK_AND_ASSIGN(auto hashes, local.Take(copy, schema, table));
    EXPECT_EQ(copy.columns.size(), columns.size());
    ASSERT_EQ(hashes.size(), expected.length());
    for (size_t r = 0; r < hashes.size(); ++r) {
      ASSERT_EQ(hashes[r], expected.Value<int64_t>(r))
          << table << " row " << rows + r << " (id " << copy.columns[0].Value<int64_t>(r) << ")";
    }
    rows += hashes.size();
    ++batches;
  }
  EXPECT_EQ(rows, 2003u);
  EXPECT_GT(batches, 0u);
}

void CreateTable(const std::function<Status(const std::string&)>& exec, const std::string& table,
                 const std::vector<WarmColumn>& columns, const std::string& generated) {
  K2_ASSERT_OK(exec("DROP TABLE IF EXISTS " + table));
  K2_ASSERT_OK(exec(fmt::format("CREATE TABLE {} {} ENGINE = Memory", table, ColumnsSql(columns))));
  K2_ASSERT_OK(exec(fmt::format("INSERT INTO {} VALUES {}", table, kEdgeRows)));
  K2_ASSERT_OK(exec(fmt::format("INSERT INTO {} {}", table, generated)));
}

TEST(RowHashTest, CityHash64IsVersion102) {
  // What ClickHouse 26.x answers to SELECT cityHash64(''), cityHash64('abc'),
  // cityHash64(repeat('a', 100)), cityHash64(1), cityHash64('a', 1),
  // cityHash64(toInt8(-1)) (= intHash64(255): zero-extended, not sign-extended).
  EXPECT_EQ(warm::CityHash64(""), 11160318154034397263ULL);
  EXPECT_EQ(warm::CityHash64("abc"), 4220206313085259313ULL);
  EXPECT_EQ(warm::CityHash64(std::string(100, 'a')), 15932594195150229182ULL);
  EXPECT_EQ(warm::IntHash64(1), 10577349846663553072ULL);
  EXPECT_EQ(warm::Hash128to64(warm::CityHash64("a"), warm::IntHash64(1)), 11051256024482834174ULL);
  EXPECT_EQ(warm::IntHash64(0xFF), 8055013221972926055ULL);
}

TEST(RowHashTest, TypesK2DoesNotReproduceAreHashedByTheServer) {
  Schema schema;
  schema.fields.push_back(Field{1, "a", DataType::String(), true});
  schema.fields.push_back(Field{2, "b", DataType::String(), true});
  RowHashes enums({{"a", "String"}, {"b", "Enum8('x' = 1)"}}, schema, ChecksumKind::kBinary,
                  RowHashing::kK2);
  EXPECT_FALSE(enums.local()) << "an Enum is hashed as its name's text";
  EXPECT_NE(enums.Query("SELECT 1").find("cityHash64"), std::string::npos);
  EXPECT_TRUE(RowHashes({{"a", "String"}, {"b", "LowCardinality(String)"}}, schema,
                        ChecksumKind::kBinary, RowHashing::kK2)
                  .local());
  EXPECT_FALSE(RowHashes({{"a", "String"}, {"b", "LowCardinality(Nullable(String))"}}, schema,
                         ChecksumKind::kBinary, RowHashing::kK2)
                   .local());
  RowHashes text({{"a", "String"}, {"b", "String"}}, schema, ChecksumKind::kText, RowHashing::kK2);
  EXPECT_FALSE(text.local()) << "text hashes format values: the server's";
  RowHashes both({{"a", "String"}, {"b", "String"}}, schema, ChecksumKind::kBinary,
                 RowHashing::kK2);
  EXPECT_TRUE(both.local());
  EXPECT_TRUE(both.Hook());
  RowHashes server({{"a", "String"}, {"b", "String"}}, schema, ChecksumKind::kBinary,
                   RowHashing::kServer);
  EXPECT_FALSE(server.local()) << "asked to leave it to the server";
  EXPECT_FALSE(server.Hook());
  Schema micros;
  micros.fields.push_back(Field{1, "t", DataType::TimestampTz(), true});
  EXPECT_FALSE(
      RowHashes({{"t", "DateTime64(9, 'UTC')"}}, micros, ChecksumKind::kBinary, RowHashing::kK2)
          .local())
      << "nanoseconds truncated to micros cannot give the server's ticks";
  EXPECT_TRUE(
      RowHashes({{"t", "DateTime64(3, 'UTC')"}}, micros, ChecksumKind::kBinary, RowHashing::kK2)
          .local());
  // assumeNotNull hashes the value a column holds under a NULL, which an
  // if(..., NULL, x) leaves as x: not in the decoded batch.
  EXPECT_FALSE(RowHashes({{"t", "Nullable(DateTime64(3, 'UTC'))"}}, micros, ChecksumKind::kBinary,
                         RowHashing::kK2)
                   .local());
}

TEST(RowHashTest, EqualsClickHouse1816RowByRow) {
  K2_START_CLICKHOUSE(server);
  warm::HttpDriverOptions o;
  o.url = server->url();
  K2_ASSERT_OK_AND_ASSIGN(auto http, warm::OpenHttpDriver(o));
  auto exec = [&](const std::string& q) -> Status {
    K2_RETURN_IF_ERROR(http->Execute(q));
    return OkStatus();
  };
  CreateTable(exec, "rh", kCommon, GeneratedRows(true));
  ExpectHashesEqual(*http, "rh", kCommon);
}

TEST(RowHashTest, EqualsTheEmbeddedEngineRowByRow) {
  std::string skip;
  warm::WarmDriver* embedded = warm::testing::EmbeddedForTests(&skip);
  if (embedded == nullptr) GTEST_SKIP() << "embedded engine: " << skip;
  auto exec = [&](const std::string& q) -> Status {
    K2_RETURN_IF_ERROR(embedded->Execute(q));
    return OkStatus();
  };
  std::vector<WarmColumn> columns = kCommon;
  CreateTable(exec, "rh", columns, GeneratedRows(false));
  ExpectHashesEqual(*embedded, "rh", columns);
  // DateTime64 (not in 18.16), as the ticks' bytes.
  columns = {{"id", "UInt32"},
             {"t3", "DateTime64(3, 'UTC')"},
             {"t6", "DateTime64(6)"},
             {"lc", "LowCardinality(String)"}};
  K2_ASSERT_OK(exec("DROP TABLE IF EXISTS rh64"));
  K2_ASSERT_OK(exec(fmt::format("CREATE TABLE rh64 {} ENGINE = Memory", ColumnsSql(columns))));
  K2_ASSERT_OK(
      exec("INSERT INTO rh64 SELECT number, toDateTime64(1700000000, 3) + number * 0.123, "
           "toDateTime64(-1000, 6) + number * 0.000001, toString(number % 7) FROM numbers(2003)"));
  ExpectHashesEqual(*embedded, "rh64", columns);
}

}  // namespace
}  // namespace k2::jobs
