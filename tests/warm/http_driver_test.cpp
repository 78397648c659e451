#include <gtest/gtest.h>

#include "columnar/value_json.h"
#include "support/clickhouse_server.h"
#include "warm/native_reader.h"
#include "warm/row_binary.h"
#include "warm/warm_test_util.h"

namespace k2::warm {
namespace {

using testing::ExpectBatchesMatchJson;
using testing::ParseJsonEachRow;

// The types Debian's ClickHouse 18.16 has (no DateTime64, Date32, Bool, IPv4 type,
// LowCardinality is experimental), with edge values and nulls.
constexpr const char* kOldServerTypesQuery = R"(
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
  toDecimal32(toInt32(number) - 500, 2) AS d32,
  toDecimal64(number * 12345, 8) AS d64,
  toDecimal128(number, 10) AS d128,
  concat('s', toString(number), if(number % 5 = 0, '\'"\\\n\t', '')) AS s,
  toFixedString(toString(number % 1000), 4) AS fs,
  toUUID(concat('61f0c404-5cb3-11e7-907b-', lower(hex(toUInt64(number * 7919 + 17592186044416))))) AS uuid,
  toDate('1970-01-02') + number * 17 AS d,  -- day 0 prints as 0000-00-00 on 18.16
  toDateTime('2024-08-08 23:54:15', 'UTC') + number * 3601 AS dt,
  CAST(number % 3 + 1 AS Enum8('buy' = 1, 'sell' = 2, 'it\'s' = 3)) AS e8,
  CAST(if(number % 2 = 0, -1000, 30000) AS Enum16('neg' = -1000, 'big' = 30000)) AS e16,
  if(number % 3 = 0, NULL, number) AS nu64,
  if(number % 4 = 1, NULL, toString(number)) AS ns,
  if(number % 3 = 0, NULL, CAST(number % 2 + 1 AS Enum8('buy' = 1, 'sell' = 2))) AS ne8,
  if(number % 5 = 0, NULL, toDecimal64(number, 4)) AS nd64
FROM system.numbers LIMIT 2000
)";

HttpDriverOptions OptionsFor(const k2::testing::ClickHouseServer& server) {
  HttpDriverOptions o;
  o.url = server.url();
  o.user = "k2";
  o.password = "secret";
  o.retries = 1;
  o.connect_timeout_s = 5;
  return o;
}

TEST(HttpDriverTest, EveryOldServerTypeRoundTripsAgainstJsonEachRow) {
  K2_START_CLICKHOUSE(server);
  for (bool native : {true, false}) {
    SCOPED_TRACE(native ? "Native" : "RowBinary");
    HttpDriverOptions o = OptionsFor(*server);
    o.native_format = native;
    K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver(o));
    EXPECT_FALSE(driver->ServerVersion().empty());
    K2_ASSERT_OK_AND_ASSIGN(auto types, driver->Describe(kOldServerTypesQuery));
    ASSERT_EQ(types.size(), 24u);
    K2_ASSERT_OK_AND_ASSIGN(
        auto json, driver->Execute(std::string(kOldServerTypesQuery) + " FORMAT JSONEachRow"));
    auto rows = ParseJsonEachRow(json);
    ASSERT_EQ(rows.size(), 2000u);
    K2_ASSERT_OK_AND_ASSIGN(auto reader, driver->Query(kOldServerTypesQuery, 333));
    EXPECT_EQ(dynamic_cast<NativeReader*>(reader.get()) != nullptr, native);
    ExpectBatchesMatchJson(*reader, types, rows);
  }
}

// The Native reader on the bytes the server sent, delivered in pieces of 1 to
// 7 bytes: the same batches as delivered whole; a cut stream, an exception
// text after it, and a column other than the expected one are clear errors.
TEST(HttpDriverTest, NativeStreamInPiecesAndBroken) {
  K2_START_CLICKHOUSE(server);
  HttpDriverOptions o = OptionsFor(*server);
  o.compression = false;
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver(o));
  K2_ASSERT_OK_AND_ASSIGN(auto columns, driver->Describe(kOldServerTypesQuery));
  K2_ASSERT_OK_AND_ASSIGN(std::string bytes, driver->Execute(std::string(kOldServerTypesQuery) +
                                                             " SETTINGS max_block_size = 700 "
                                                             "FORMAT Native"));
  ASSERT_GT(bytes.size(), 10000u);
  auto source_of = [](std::string data, size_t max_piece) -> ByteSource {
    auto pos = std::make_shared<size_t>(0);
    auto piece = std::make_shared<size_t>(0);
    return [data = std::move(data), pos, piece, max_piece](std::string& buffer) -> Result<bool> {
      if (*pos >= data.size()) return false;
      size_t n = std::min(data.size() - *pos, 1 + (*piece)++ % max_piece);
      buffer.append(data, *pos, n);
      *pos += n;
      return true;
    };
  };
  auto read_all = [&](ByteSource source, size_t batch_rows) -> Result<std::vector<std::string>> {
    K2_ASSIGN_OR_RETURN(auto reader,
                        NativeReader::Open(std::move(source), columns, batch_rows, {}));
    std::vector<std::string> rows;
    for (;;) {
      K2_ASSIGN_OR_RETURN(const ColumnBatch* b, reader->Next());
      if (b == nullptr) break;
      for (size_t r = 0; r < b->num_rows(); ++r) {
        std::string row;
        for (const Column& c : b->columns) row += ColumnValueToJson(c, r).dump() + "|";
        rows.push_back(std::move(row));
      }
    }
    return rows;
  };
  K2_ASSERT_OK_AND_ASSIGN(auto whole, read_all(source_of(bytes, bytes.size()), 1000));
  ASSERT_EQ(whole.size(), 2000u);
  K2_ASSERT_OK_AND_ASSIGN(auto pieces, read_all(source_of(bytes, 7), 333));
  EXPECT_EQ(pieces, whole);

  auto cut = read_all(source_of(bytes.substr(0, bytes.size() - 10), 4096), 1000);
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().kind, ErrorKind::kCorrupt) << cut.error().ToString();
  EXPECT_NE(cut.error().message.find("ends inside a block"), std::string::npos)
      << cut.error().message;

  std::string with_exception =
      bytes.substr(0, bytes.size() / 2) +
      "Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded";
  auto failed = read_all(source_of(with_exception, 4096), 1000);
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message.find("Memory limit"), std::string::npos)
      << failed.error().ToString();

  auto renamed = columns;
  renamed[3].first = "not_i64";
  K2_ASSERT_OK_AND_ASSIGN(auto reader,
                          NativeReader::Open(source_of(bytes, 4096), renamed, 1000, {}));
  auto wrong = reader->Next();
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().kind, ErrorKind::kCorrupt);
  EXPECT_NE(wrong.error().message.find("not_i64"), std::string::npos) << wrong.error().message;

  auto lc = NativeReader::Open(source_of(bytes, 4096), {{"x", "LowCardinality(String)"}}, 10, {});
  ASSERT_FALSE(lc.has_value());
  EXPECT_EQ(lc.error().kind, ErrorKind::kUnsupported);
}

TEST(HttpDriverTest, InsertRoundTrips) {
  K2_START_CLICKHOUSE(server);
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver(OptionsFor(*server)));
  K2_ASSERT_OK(driver->Execute(
      "CREATE TABLE ins (id UInt64, name String, price Decimal(18, 8), at DateTime, "
      "side Enum8('buy' = 1, 'sell' = 2), note Nullable(String)) ENGINE = MergeTree ORDER BY id"));
  auto schema = std::make_shared<Schema>();
  schema->fields = {
      {1, "id", DataType::Int64(), false},           {2, "name", DataType::String(), false},
      {3, "price", DataType::Decimal(18, 8), false}, {4, "at", DataType::TimestampTz(), false},
      {5, "side", DataType::String(), false},        {6, "note", DataType::String(), true}};
  ColumnBatch batch(schema);
  for (int64_t i = 0; i < 5000; ++i) {
    batch.columns[0].Append<int64_t>(i);
    batch.columns[1].AppendBytes(i % 2 ? "BTCUSDT" : "ETH'USDT\n");
    batch.columns[2].AppendDecimal(static_cast<int128_t>(i) * 123456789 - 5);
    batch.columns[3].Append<int64_t>(1723161255000000 + i * 1000000);
    batch.columns[4].AppendBytes(i % 3 ? "buy" : "sell");
    if (i % 4 == 0) {
      batch.columns[5].AppendNull();
    } else {
      batch.columns[5].AppendBytes("n" + std::to_string(i));
    }
  }
  K2_ASSERT_OK(driver->Insert("ins", batch));
  K2_ASSERT_OK_AND_ASSIGN(auto reader, driver->Query("SELECT * FROM ins ORDER BY id", 1000));
  size_t seen = 0;
  while (true) {
    K2_ASSERT_OK_AND_ASSIGN(auto b, reader->Next());
    if (!b) break;
    for (size_t r = 0; r < b->num_rows(); ++r, ++seen) {
      for (size_t c = 0; c < b->num_columns(); ++c) {
        ASSERT_EQ(Value::FromColumn(b->columns[c], r).ToString(),
                  Value::FromColumn(batch.columns[c], seen).ToString())
            << "row " << seen << " column " << c;
      }
    }
  }
  EXPECT_EQ(seen, 5000u);
}

TEST(HttpDriverTest, ErrorsAreClearWithKinds) {
  K2_START_CLICKHOUSE(server);
  HttpDriverOptions bad = OptionsFor(*server);
  bad.password = "wrong";
  auto denied = OpenHttpDriver(bad);
  K2_ASSERT_ERROR_KIND(denied, ErrorKind::kInvalidInput);
  EXPECT_EQ(denied.error().message.find("wrong"), std::string::npos) << "password leaked";
  EXPECT_NE(denied.error().message.find("k2"), std::string::npos) << denied.error().message;
  EXPECT_NE(denied.error().message.find("Code: 193"), std::string::npos)  // wrong password
      << denied.error().message;
  EXPECT_NE(denied.error().message.find("k2-"), std::string::npos) << "query id missing";

  HttpDriverOptions bad_url = OptionsFor(*server);
  bad_url.url = "ftp://x";
  K2_ASSERT_ERROR_KIND(OpenHttpDriver(bad_url), ErrorKind::kInvalidInput);
  HttpDriverOptions down = OptionsFor(*server);
  down.url = "http://127.0.0.1:" + std::to_string(k2::testing::FreeLoopbackPort());
  down.retries = 0;
  K2_ASSERT_ERROR_KIND(OpenHttpDriver(down), ErrorKind::kIo);

  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver(OptionsFor(*server)));
  auto missing = driver->Query("SELECT * FROM no_such_table_k2");
  K2_ASSERT_ERROR_KIND(missing, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find("Code: 60"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("k2-"), std::string::npos) << "query id missing";
  auto syntax = driver->Query("SELEC 1");
  K2_ASSERT_ERROR_KIND(syntax, ErrorKind::kInvalidInput);
  EXPECT_NE(syntax.error().message.find("Code: 62"), std::string::npos) << syntax.error().message;
  EXPECT_NE(syntax.error().message.find("k2-"), std::string::npos) << "query id missing";
  auto arr = driver->Query("SELECT [1, 2] AS arr");
  K2_ASSERT_ERROR_KIND(arr, ErrorKind::kUnsupported);
  EXPECT_NE(arr.error().message.find("arr"), std::string::npos) << arr.error().message;
  EXPECT_NE(arr.error().message.find("Array(UInt8)"), std::string::npos) << arr.error().message;
  // A table with an unsupported column fails before any data moves, naming it.
  K2_ASSERT_OK(driver->Execute(
      "CREATE TABLE with_array (id UInt64, tags Array(String)) ENGINE = MergeTree ORDER BY id"));
  K2_ASSERT_OK(
      driver->Execute("INSERT INTO with_array SELECT number, ['a', 'b'] FROM "
                      "system.numbers LIMIT 1000"));
  auto table = driver->Query("SELECT * FROM with_array");
  K2_ASSERT_ERROR_KIND(table, ErrorKind::kUnsupported);
  EXPECT_NE(table.error().message.find("tags"), std::string::npos) << table.error().message;
  EXPECT_NE(table.error().message.find("Array(String)"), std::string::npos)
      << table.error().message;

  // An exception after rows were streamed is reported, not decoded as rows.
  K2_ASSERT_OK_AND_ASSIGN(
      auto reader,
      driver->Query("SELECT number, throwIf(number = 3000000) AS x FROM system.numbers "
                    "LIMIT 4000000 SETTINGS max_block_size = 8192",
                    8192));
  Status final_status = OkStatus();
  uint64_t rows = 0;
  while (true) {
    auto b = reader->Next();
    if (!b) {
      final_status = std::unexpected(b.error());
      break;
    }
    if (!*b) break;
    rows += (*b)->num_rows();
  }
  ASSERT_FALSE(final_status.has_value()) << "mid-stream exception not reported after " << rows;
  EXPECT_NE(final_status.error().message.find("Code: 395"), std::string::npos)
      << final_status.error().ToString();
  EXPECT_LT(rows, 4000000u);
}

TEST(HttpDriverTest, ServerKilledMidStreamIsAnIoError) {
  K2_START_CLICKHOUSE(server);
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver(OptionsFor(*server)));
  K2_ASSERT_OK_AND_ASSIGN(auto reader,
                          driver->Query("SELECT number, toString(number) AS s FROM system.numbers "
                                        "LIMIT 200000000",
                                        65536));
  K2_ASSERT_OK_AND_ASSIGN(auto first, reader->Next());
  ASSERT_NE(first, nullptr);
  server->Kill();
  Status final_status = OkStatus();
  while (true) {
    auto b = reader->Next();
    if (!b) {
      final_status = std::unexpected(b.error());
      break;
    }
    if (!*b) break;
  }
  ASSERT_FALSE(final_status.has_value());
  EXPECT_TRUE(final_status.error().kind == ErrorKind::kIo ||
              final_status.error().kind == ErrorKind::kCorrupt)
      << final_status.error().ToString();
  if (final_status.error().kind == ErrorKind::kIo) {
    EXPECT_NE(final_status.error().message.find("mid-stream"), std::string::npos)
        << final_status.error().message;
    EXPECT_NE(final_status.error().message.find("k2-"), std::string::npos)
        << "query id missing: " << final_status.error().message;
  }
}

TEST(HttpDriverTest, TenMillionRowsStreamInBoundedMemory) {
  K2_START_CLICKHOUSE(server);
  // 18.16 streams in Native by default (RowBinary when asked): both bounded.
  for (bool native : {true, false}) {
    SCOPED_TRACE(native ? "Native" : "RowBinary");
    HttpDriverOptions o = OptionsFor(*server);
    o.native_format = native;
    K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver(o));
    K2_ASSERT_OK_AND_ASSIGN(
        auto reader,
        driver->Query("SELECT number AS id, toString(number % 1000) AS s, toFloat64(number) AS f, "
                      "toDateTime('2024-01-01 00:00:00', 'UTC') + number AS t "
                      "FROM system.numbers LIMIT 10000000",
                      65536));
    auto* rb = dynamic_cast<RowBinaryReader*>(reader.get());
    auto* nr = dynamic_cast<NativeReader*>(reader.get());
    ASSERT_EQ(rb != nullptr, !native);
    ASSERT_EQ(nr != nullptr, native);
    uint64_t rows = 0;
    int64_t last = -1;
    size_t peak_batch = 0;
    while (true) {
      K2_ASSERT_OK_AND_ASSIGN(auto b, reader->Next());
      if (!b) break;
      ASSERT_EQ(b->columns[0].Value<int64_t>(0), last + 1);
      last = b->columns[0].Value<int64_t>(b->num_rows() - 1);
      EXPECT_EQ(b->columns[3].Value<int64_t>(0) - b->columns[0].Value<int64_t>(0) * 1000000,
                1704067200LL * 1000000);
      rows += b->num_rows();
      peak_batch = std::max(peak_batch, b->MemoryUsage());
    }
    EXPECT_EQ(rows, 10000000u);
    EXPECT_LT(peak_batch, 8u << 20) << peak_batch;
    if (rb != nullptr) {
      EXPECT_GT(rb->bytes_read(), 200u << 20);  // 10M x (8 + ~4 + 8 + 4)
      EXPECT_LT(rb->peak_buffer_bytes(), 4u << 20) << rb->peak_buffer_bytes();
    } else {
      EXPECT_EQ(nr->rows_read(), 10000000u);
      // About one block (65536 rows here) is buffered at a time.
      EXPECT_LT(nr->peak_buffer_bytes(), 8u << 20) << nr->peak_buffer_bytes();
    }
  }
}

}  // namespace
}  // namespace k2::warm
