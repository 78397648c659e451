#include <gtest/gtest.h>

#include "support/support.h"
#include "warm/row_binary.h"
#include "warm/warm_test_util.h"

namespace k2::warm {
namespace {

using testing::ExpectBatchesMatchJson;
using testing::kJsonSettings;
using testing::ParseJsonEachRow;

// Every supported type, with edge values and nulls, deterministic.
constexpr const char* kAllTypesQuery = R"(
SELECT
  toInt8(toInt32(number % 256) - 128) AS i8,
  toInt16(toInt32(number * 263) % 65536 - 32768) AS i16,
  toInt32(number * 104729) - 2000000000 AS i32,
  toInt64(number) * -9223372036854775 AS i64,
  toUInt8(number % 256) AS u8,
  toUInt16(number * 257 % 65536) AS u16,
  toUInt32(number * 4294967 % 4294967296) AS u32,
  toUInt64(number * 92233720368547) AS u64,
  toFloat32(number) / 7 AS f32,
  toFloat64(number) / 3 - 100 AS f64,
  toDecimal32(toInt32(number) - 500, 2) / 7 AS d32,
  toDecimal64(number * 12345, 8) / -3 AS d64,
  CAST(toDecimal128(number, 10) / 7 AS Decimal(38, 10)) AS d128,
  CAST(toDecimal64(number, 4) / 3 AS Decimal(20, 4)) AS d20,
  concat('s', toString(number), if(number % 5 = 0, '\'"\\\n\t', '')) AS s,
  toFixedString(toString(number % 1000), 4) AS fs,
  toUUID(concat('61f0c404-5cb3-11e7-907b-a600', leftPad(lower(hex(number * 7919)), 8, '0'))) AS uuid,
  toDate('1970-01-01') + number * 17 AS d,
  toDate32('1900-01-01') + number * 97 AS d32x,
  toDateTime('2024-08-08 23:54:15', 'UTC') + number * 3601 AS dt,
  toDateTime64('2024-08-08 23:54:15.123456', 6, 'UTC') + toIntervalMicrosecond(number * 1000003) AS dt64,
  toDateTime64('1969-12-31 23:59:59.123', 3, 'UTC') + toIntervalMillisecond(number * 7) AS dt64ms,
  toDateTime64('2024-08-08 23:54:15.123456789', 9, 'UTC') + toIntervalNanosecond(number * 1000000007) AS dt64ns,
  number % 2 = 0 AS b,
  CAST(number % 3 + 1 AS Enum8('buy' = 1, 'sell' = 2, 'it''s' = 3)) AS e8,
  CAST(if(number % 2 = 0, -1000, 30000) AS Enum16('neg' = -1000, 'big' = 30000)) AS e16,
  toLowCardinality(toString(number % 10)) AS lc,
  if(number % 3 = 0, NULL, number) AS nu64,
  if(number % 4 = 1, NULL, toString(number)) AS ns,
  if(number % 4 = 2, NULL, toDecimal64(number, 8)) AS nd,
  CAST(if(number % 5 = 3, NULL, toString(number % 7)) AS LowCardinality(Nullable(String))) AS lcn,
  toIPv4(toUInt32(number * 16777259)) AS ip4,
  if(number % 2 = 0, toIPv6('2001:db8::ff00:42:8329'), toIPv6(concat('::ffff:10.0.0.', toString(number % 250)))) AS ip6
FROM numbers(2000)
)";

TEST(EmbeddedDriverTest, EveryTypeRoundTripsAgainstJsonEachRow) {
  K2_EMBEDDED(driver);
  K2_ASSERT_OK_AND_ASSIGN(auto types, driver->Describe(kAllTypesQuery));
  ASSERT_EQ(types.size(), 33u);
  K2_ASSERT_OK_AND_ASSIGN(auto json, driver->Execute(std::string(kAllTypesQuery) + kJsonSettings +
                                                     " FORMAT JSONEachRow"));
  auto rows = ParseJsonEachRow(json);
  ASSERT_EQ(rows.size(), 2000u);
  // A small batch size so rows straddle chunk and batch boundaries.
  K2_ASSERT_OK_AND_ASSIGN(auto reader, driver->Query(kAllTypesQuery, 333));
  ASSERT_EQ(reader->schema().fields.size(), 33u);
  EXPECT_EQ(reader->schema().fields[0].id, 1);
  EXPECT_EQ(reader->schema().fields[32].id, 33);
  EXPECT_TRUE(reader->schema().fields[27].nullable);   // nu64
  EXPECT_FALSE(reader->schema().fields[26].nullable);  // lc
  ExpectBatchesMatchJson(*reader, types, rows);
}

TEST(EmbeddedDriverTest, NanosecondOptionKeepsNanoseconds) {
  std::string skip;
  auto lib = k2::testing::ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so absent";
  K2_EMBEDDED(shared);
  EmbeddedDriverOptions options;
  options.library_path = *lib;
  options.types.datetime64_nanos = true;
  // Same process, same data dir: shares the connection.
  auto base = shared->Execute("SELECT 1");
  K2_ASSERT_OK(base);
  const std::string q =
      "SELECT toDateTime64('2024-08-08 23:54:15.123456789', 9, 'UTC') + "
      "toIntervalNanosecond(number) AS t FROM numbers(3)";
  K2_ASSERT_OK_AND_ASSIGN(auto reader, shared->Query(q));
  K2_ASSERT_OK_AND_ASSIGN(auto batch, reader->Next());
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->columns[0].type(), DataType::TimestampTz());
  // Truncated to microseconds by default.
  EXPECT_EQ(batch->columns[0].Value<int64_t>(2), 1723161255123456);
}

TEST(EmbeddedDriverTest, ErrorsHaveKinds) {
  K2_EMBEDDED(driver);
  auto missing = driver->Query("SELECT * FROM no_such_table_k2");
  K2_ASSERT_ERROR_KIND(missing, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find("no_such_table_k2"), std::string::npos);
  K2_ASSERT_ERROR_KIND(driver->Query("SELEC 1"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(driver->Execute("SELECT * FROM no_such_table_k2"), ErrorKind::kNotFound);
  K2_ASSERT_ERROR_KIND(driver->Query("SELECT [1, 2] AS arr"), ErrorKind::kUnsupported);
  auto unsupported = driver->Query("SELECT 1 AS id, map('a', 1) AS m");
  ASSERT_FALSE(unsupported.has_value());
  EXPECT_NE(unsupported.error().message.find("'m'"), std::string::npos)
      << unsupported.error().message;
  // Mid-stream error: throwIf fires after some blocks were produced.
  auto reader = driver->Query(
      "SELECT number, throwIf(number = 200000, 'k2 boom') AS x FROM numbers(400000) "
      "SETTINGS max_block_size = 1000",
      1000);
  Status final_status = OkStatus();
  if (!reader) {
    final_status = std::unexpected(reader.error());
  } else {
    while (true) {
      auto b = (*reader)->Next();
      if (!b) {
        final_status = std::unexpected(b.error());
        break;
      }
      if (!*b) break;
    }
  }
  ASSERT_FALSE(final_status.has_value()) << "mid-stream exception was not reported";
  EXPECT_NE(final_status.error().message.find("k2 boom"), std::string::npos)
      << final_status.error().message;
  // The connection is usable afterwards.
  K2_ASSERT_OK(driver->Execute("SELECT 1"));
}

TEST(EmbeddedDriverTest, InsertRoundTripsAndStreamsBounded) {
  K2_EMBEDDED(driver);
  K2_ASSERT_OK(driver->Execute(
      "CREATE TABLE IF NOT EXISTS ins_t (id UInt64, name LowCardinality(String), "
      "price Decimal(18, 8), at DateTime64(6, 'UTC'), side Enum8('buy' = 1, 'sell' = 2), "
      "note Nullable(String)) ENGINE = MergeTree ORDER BY id"));
  K2_ASSERT_OK(driver->Execute("TRUNCATE TABLE ins_t"));
  auto schema = std::make_shared<Schema>();
  schema->fields = {
      {1, "id", DataType::Int64(), false},           {2, "name", DataType::String(), false},
      {3, "price", DataType::Decimal(18, 8), false}, {4, "at", DataType::TimestampTz(), false},
      {5, "side", DataType::String(), false},        {6, "note", DataType::String(), true}};
  ColumnBatch batch(schema);
  for (int64_t i = 0; i < 1000; ++i) {
    batch.columns[0].Append<int64_t>(i);
    batch.columns[1].AppendBytes(i % 2 ? "BTCUSDT" : "ETH'USDT");
    batch.columns[2].AppendDecimal(static_cast<int128_t>(i) * 123456789 - 5);
    batch.columns[3].Append<int64_t>(1723161255000000 + i * 1001);
    batch.columns[4].AppendBytes(i % 3 ? "buy" : "sell");
    if (i % 4 == 0) {
      batch.columns[5].AppendNull();
    } else {
      batch.columns[5].AppendBytes("n" + std::to_string(i));
    }
  }
  K2_ASSERT_OK(driver->Insert("ins_t", batch));
  K2_ASSERT_OK_AND_ASSIGN(auto reader, driver->Query("SELECT * FROM ins_t ORDER BY id", 256));
  size_t seen = 0;
  while (true) {
    K2_ASSERT_OK_AND_ASSIGN(auto b, reader->Next());
    if (!b) break;
    for (size_t r = 0; r < b->num_rows(); ++r, ++seen) {
      for (size_t c = 0; c < b->num_columns(); ++c) {
        Value got = Value::FromColumn(b->columns[c], r);
        Value want = Value::FromColumn(batch.columns[c], seen);
        ASSERT_EQ(got.ToString(), want.ToString()) << "row " << seen << " column " << c;
      }
    }
  }
  EXPECT_EQ(seen, 1000u);
  // A bad value fails naming column and row, and nothing half-written is visible.
  ColumnBatch bad(schema);
  bad.columns[0].Append<int64_t>(1);
  bad.columns[1].AppendBytes("X");
  bad.columns[2].AppendDecimal(1);
  bad.columns[3].Append<int64_t>(0);
  bad.columns[4].AppendBytes("hold");
  bad.columns[5].AppendNull();
  auto st = driver->Insert("ins_t", bad);
  K2_ASSERT_ERROR_KIND(st, ErrorKind::kInvalidInput);
  EXPECT_NE(st.error().message.find("side"), std::string::npos) << st.error().message;
  K2_ASSERT_OK_AND_ASSIGN(auto count, driver->Execute("SELECT count() FROM ins_t"));
  EXPECT_EQ(count, "1000\n");
}

TEST(EmbeddedDriverTest, TenMillionRowsStreamInBoundedMemory) {
  K2_EMBEDDED(driver);
  const std::string q =
      "SELECT number AS id, toString(number % 1000) AS s, toDecimal64(number, 8) / 3 AS d, "
      "toDateTime64('2024-01-01 00:00:00', 6, 'UTC') + toIntervalMicrosecond(number) AS t "
      "FROM numbers(10000000)";
  K2_ASSERT_OK_AND_ASSIGN(auto reader, driver->Query(q, 65536));
  auto* rb = dynamic_cast<RowBinaryReader*>(reader.get());
  ASSERT_NE(rb, nullptr);
  uint64_t rows = 0;
  int64_t id_sum_check = 0;
  while (true) {
    K2_ASSERT_OK_AND_ASSIGN(auto b, reader->Next());
    if (!b) break;
    ASSERT_LE(b->num_rows(), 65536u);
    id_sum_check ^= b->columns[0].Value<int64_t>(b->num_rows() - 1);
    rows += b->num_rows();
  }
  EXPECT_EQ(rows, 10000000u);
  EXPECT_EQ(rb->rows_read(), 10000000u);
  // The whole result is ~300 MB of RowBinary; what k2 holds at once is one batch
  // (65536 rows x ~30 bytes) and one chDB chunk.
  EXPECT_LT(rb->peak_batch_bytes(), 8u << 20) << rb->peak_batch_bytes();
  EXPECT_LT(rb->peak_buffer_bytes(), 32u << 20) << rb->peak_buffer_bytes();
  EXPECT_GT(rb->bytes_read(), 250u << 20);
  (void)id_sum_check;
}

}  // namespace
}  // namespace k2::warm
