#include "warm/type_mapping.h"

#include <gtest/gtest.h>

#include "support/support.h"
#include "warm/clickhouse_error.h"
#include "warm/warm_driver.h"

namespace k2::warm {
namespace {

DataType Mapped(std::string_view text, TypeMappingOptions options = {}) {
  auto t = MapClickHouseType(text, options);
  EXPECT_TRUE(t.has_value()) << text << ": " << (t ? "" : t.error().ToString());
  return t ? t->type : DataType{};
}

TEST(TypeMappingTest, Integers) {
  EXPECT_EQ(Mapped("Int8"), DataType::Int32());
  EXPECT_EQ(Mapped("Int16"), DataType::Int32());
  EXPECT_EQ(Mapped("Int32"), DataType::Int32());
  EXPECT_EQ(Mapped("Int64"), DataType::Int64());
  EXPECT_EQ(Mapped("UInt8"), DataType::Int32());
  EXPECT_EQ(Mapped("UInt16"), DataType::Int32());
  EXPECT_EQ(Mapped("UInt32"), DataType::Int64());
  EXPECT_EQ(Mapped("UInt64"), DataType::Int64());
  EXPECT_EQ(Mapped("UInt64", {.uint64_as_decimal = true}), DataType::Decimal(20, 0));
}

TEST(TypeMappingTest, DecimalsAndFloats) {
  EXPECT_EQ(Mapped("Float32"), DataType::Float());
  EXPECT_EQ(Mapped("Float64"), DataType::Double());
  EXPECT_EQ(Mapped("Decimal(18, 8)"), DataType::Decimal(18, 8));
  EXPECT_EQ(Mapped("Decimal(9,2)"), DataType::Decimal(9, 2));
  EXPECT_EQ(Mapped("Decimal32(3)"), DataType::Decimal(9, 3));
  EXPECT_EQ(Mapped("Decimal64(8)"), DataType::Decimal(18, 8));
  EXPECT_EQ(Mapped("Decimal128(20)"), DataType::Decimal(38, 20));
  EXPECT_EQ(MapClickHouseType("Decimal(18, 8)")->wire, WireKind::kDecimal64);
  EXPECT_EQ(MapClickHouseType("Decimal(5, 2)")->wire, WireKind::kDecimal32);
  EXPECT_EQ(MapClickHouseType("Decimal(38, 2)")->wire, WireKind::kDecimal128);
  K2_ASSERT_ERROR_KIND(MapClickHouseType("Decimal(76, 10)"), ErrorKind::kUnsupported);
  K2_ASSERT_ERROR_KIND(MapClickHouseType("Decimal256(10)"), ErrorKind::kUnsupported);
  K2_ASSERT_ERROR_KIND(MapClickHouseType("Decimal(5, 7)"), ErrorKind::kInvalidInput);
}

TEST(TypeMappingTest, StringsTimesAndOthers) {
  EXPECT_EQ(Mapped("String"), DataType::String());
  EXPECT_EQ(Mapped("FixedString(16)"), DataType::Fixed(16));
  EXPECT_EQ(Mapped("UUID"), DataType::Uuid());
  EXPECT_EQ(Mapped("Date"), DataType::Date());
  EXPECT_EQ(Mapped("Date32"), DataType::Date());
  EXPECT_EQ(Mapped("DateTime"), DataType::TimestampTz());
  EXPECT_EQ(Mapped("DateTime('UTC')"), DataType::TimestampTz());
  EXPECT_EQ(Mapped("DateTime64(3)"), DataType::TimestampTz());
  EXPECT_EQ(Mapped("DateTime64(6, 'UTC')"), DataType::TimestampTz());
  EXPECT_EQ(Mapped("DateTime64(9, 'UTC')"), DataType::TimestampTz());
  EXPECT_EQ(Mapped("DateTime64(9, 'UTC')", {.datetime64_nanos = true}), DataType::TimestampNs());
  EXPECT_EQ(MapClickHouseType("DateTime64(3, 'Asia/Tokyo')")->scale, 3);
  EXPECT_EQ(Mapped("Bool"), DataType::Boolean());
  EXPECT_EQ(Mapped("IPv4"), DataType::String());
  EXPECT_EQ(Mapped("IPv6"), DataType::String());
}

TEST(TypeMappingTest, WrappersAndEnums) {
  auto t = MapClickHouseType("LowCardinality(Nullable(String))");
  K2_ASSERT_OK(t);
  EXPECT_TRUE(t->nullable);
  EXPECT_EQ(t->type, DataType::String());
  t = MapClickHouseType("Nullable(Decimal(18, 8))");
  K2_ASSERT_OK(t);
  EXPECT_TRUE(t->nullable);
  EXPECT_EQ(t->type, DataType::Decimal(18, 8));
  EXPECT_FALSE(MapClickHouseType("LowCardinality(String)")->nullable);

  auto e = MapClickHouseType("Enum8('buy' = 1, 'se\\'ll' = -2, 'a,b' = 3)");
  K2_ASSERT_OK(e);
  EXPECT_EQ(e->wire, WireKind::kEnum8);
  EXPECT_EQ(e->type, DataType::String());
  ASSERT_EQ(e->enum_values.size(), 3u);
  EXPECT_EQ(e->enum_values[1].first, -2);
  EXPECT_EQ(e->enum_values[1].second, "se'll");
  EXPECT_EQ(e->enum_values[2].second, "a,b");
  EXPECT_EQ(MapClickHouseType("Enum16('x' = 1000)")->wire, WireKind::kEnum16);
}

TEST(TypeMappingTest, UnsupportedTypesNameTheColumn) {
  K2_ASSERT_ERROR_KIND(MapClickHouseType("Array(UInt8)"), ErrorKind::kUnsupported);
  K2_ASSERT_ERROR_KIND(MapClickHouseType("Map(String, UInt64)"), ErrorKind::kUnsupported);
  K2_ASSERT_ERROR_KIND(MapClickHouseType("Tuple(a UInt8, b String)"), ErrorKind::kUnsupported);
  K2_ASSERT_ERROR_KIND(MapClickHouseType("AggregateFunction(sum, UInt64)"),
                       ErrorKind::kUnsupported);
  K2_ASSERT_ERROR_KIND(MapClickHouseType("Nullable(Nullable(String))"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(MapClickHouseType("FixedString(x)"), ErrorKind::kInvalidInput);
  auto cols = MapClickHouseColumns({{"id", "UInt64"}, {"tags", "Array(String)"}});
  ASSERT_FALSE(cols.has_value());
  EXPECT_EQ(cols.error().kind, ErrorKind::kUnsupported);
  EXPECT_NE(cols.error().message.find("tags"), std::string::npos) << cols.error().message;
  EXPECT_NE(cols.error().message.find("Array(String)"), std::string::npos);
}

TEST(QuotingTest, IdentifiersAndLiterals) {
  EXPECT_EQ(QuoteIdentifier("trades"), "`trades`");
  EXPECT_EQ(QuoteIdentifier("a`b\\c"), "`a\\`b\\\\c`");
  EXPECT_EQ(QuoteTableName("db.t"), "`db`.`t`");
  EXPECT_EQ(QuoteLiteral("it's"), "'it\\'s'");
  EXPECT_EQ(QuoteLiteral("a\\' OR 1=1 --"), "'a\\\\\\' OR 1=1 --'");
  EXPECT_EQ(QuoteLiteral(std::string("x\0y\n", 4)), "'x\\0y\\n'");
}

TEST(ClickHouseErrorTest, KindsFromCodes) {
  auto e = ClickHouseError("Code: 60. DB::Exception: Table default.nope doesn't exist.\n", "q1");
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_NE(e.message.find("Code: 60"), std::string::npos);
  EXPECT_NE(e.message.find("q1"), std::string::npos);
  EXPECT_EQ(ClickHouseError("Code: 62. DB::Exception: Syntax error").kind,
            ErrorKind::kInvalidInput);
  EXPECT_EQ(ClickHouseError("Code: 516. DB::Exception: k2: Authentication failed").kind,
            ErrorKind::kInvalidInput);
  EXPECT_EQ(ClickHouseError("something else").kind, ErrorKind::kRemote);
  auto found =
      FindClickHouseException(std::string("\x01\x02garbageCode: 395. DB::Exception: boom\n"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->message, "Code: 395. DB::Exception: boom");
  EXPECT_FALSE(FindClickHouseException("Code: abc and Code: 12 no").has_value());
}

}  // namespace
}  // namespace k2::warm
