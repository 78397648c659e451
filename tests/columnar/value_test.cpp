#include "columnar/value.h"

#include <gtest/gtest.h>

#include "columnar/predicate.h"
#include "support/support.h"

namespace k2 {
namespace {

TEST(ValueTest, SingleValueSerializationFollowsIcebergAppendixD) {
  // Decimal: minimal two's-complement big-endian. 12.34 at scale 2 = 1234 = 0x04d2.
  K2_ASSERT_OK_AND_ASSIGN(Value d, Value::Parse(DataType::Decimal(9, 2), "12.34"));
  EXPECT_EQ(EncodeSingleValue(d), std::string("\x04\xd2", 2));
  K2_ASSERT_OK_AND_ASSIGN(Value neg, Value::Parse(DataType::Decimal(9, 2), "-1.29"));
  EXPECT_EQ(EncodeSingleValue(neg), std::string("\xff\x7f", 2));
  K2_ASSERT_OK_AND_ASSIGN(Value back, DecodeSingleValue(neg.type, EncodeSingleValue(neg)));
  EXPECT_EQ(back.ToString(), "-1.29");
  // Long: 8 bytes little-endian.
  Value l{DataType::Int64(), int64_t{1}};
  EXPECT_EQ(EncodeSingleValue(l), std::string("\x01\0\0\0\0\0\0\0", 8));
  K2_ASSERT_ERROR_KIND(DecodeSingleValue(DataType::Int64(), "abc"), ErrorKind::kCorrupt);
}

TEST(ValueTest, ParsesAndFormatsTimes) {
  K2_ASSERT_OK_AND_ASSIGN(Value ts, Value::Parse(DataType::TimestampTz(), "2026-11-24T10:00:00Z"));
  EXPECT_EQ(std::get<int64_t>(ts.data), 1795514400000000LL);
  EXPECT_EQ(ts.ToString(), "2026-11-24T10:00:00.000000Z");
  K2_ASSERT_OK_AND_ASSIGN(Value d, Value::Parse(DataType::Date(), "1969-12-31"));
  EXPECT_EQ(std::get<int32_t>(d.data), -1);
  EXPECT_EQ(FormatTimestampMicros(-1), "1969-12-31T23:59:59.999999");
  K2_ASSERT_ERROR_KIND(Value::Parse(DataType::Date(), "2026-13-01"), ErrorKind::kInvalidInput);
}

TEST(PredicateTest, ParsesBindsAndPrunes) {
  Schema schema{
      {{1, "symbol", DataType::String(), false}, {2, "price", DataType::Decimal(18, 8), true}}};
  K2_ASSERT_OK_AND_ASSIGN(Predicate p, Predicate::Parse("symbol = 'BTC''X' AND price >= 100.5"));
  ASSERT_EQ(p.terms.size(), 2u);
  EXPECT_EQ(p.terms[0].literal_text, "BTC'X");
  K2_ASSERT_OK(p.Bind(schema));
  Value lo{schema.fields[1].type, int128_t{1000000000}};   // 10
  Value hi{schema.fields[1].type, int128_t{10000000000}};  // 100
  EXPECT_FALSE(p.MightMatch(1, &lo, &hi, 0, 10));
  Value hi2{schema.fields[1].type, int128_t{20000000000}};  // 200
  EXPECT_TRUE(p.MightMatch(1, &lo, &hi2, 0, 10));
  K2_ASSERT_OK_AND_ASSIGN(Predicate bad, Predicate::Parse("nope = 1"));
  K2_ASSERT_ERROR_KIND(bad.Bind(schema), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(Predicate::Parse("price >"), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace k2
