#include "columnar/column_batch.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2 {
namespace {

TEST(ColumnTest, FixedWidthWithNulls) {
  Column c(DataType::Int64());
  c.Append<int64_t>(5);
  c.AppendNull();
  c.Append<int64_t>(-7);
  ASSERT_EQ(c.length(), 3u);
  EXPECT_EQ(c.null_count(), 1u);
  EXPECT_TRUE(c.IsValid(0));
  EXPECT_FALSE(c.IsValid(1));
  EXPECT_EQ(c.Values<int64_t>()[2], -7);
  EXPECT_EQ(c.Values<int64_t>()[1], 0);
}

TEST(ColumnTest, StringsAndDecimals) {
  Column s(DataType::String());
  s.AppendBytes("BTCUSDT");
  s.AppendNull();
  s.AppendBytes("");
  EXPECT_EQ(s.Bytes(0), "BTCUSDT");
  EXPECT_EQ(s.Bytes(1), "");
  EXPECT_FALSE(s.IsValid(1));
  EXPECT_TRUE(s.IsValid(2));

  Column narrow(DataType::Decimal(18, 8));
  narrow.AppendDecimal(-12345678901);
  EXPECT_EQ(narrow.DecimalValue(0), -12345678901);
  Column wide(DataType::Decimal(38, 10));
  int128_t big = static_cast<int128_t>(1) << 100;
  wide.AppendDecimal(big);
  EXPECT_TRUE(wide.DecimalValue(0) == big);
  EXPECT_EQ(wide.data().size(), 16u);
}

TEST(ColumnBatchTest, ValidateNamesTheColumn) {
  auto schema = std::make_shared<Schema>(
      Schema{{{1, "price", DataType::Double(), false}, {2, "symbol", DataType::String(), true}}});
  ColumnBatch batch(schema);
  batch.columns[0].Append<double>(1.5);
  batch.columns[1].AppendBytes("ETH");
  K2_EXPECT_OK(batch.Validate());
  batch.columns[0].AppendNull();
  batch.columns[1].AppendNull();
  auto st = batch.Validate();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("price"), std::string::npos);
}

TEST(DataTypeTest, ParsesIcebergSpelling) {
  for (const char* t :
       {"boolean", "int", "long", "float", "double", "decimal(18, 8)", "date", "time", "timestamp",
        "timestamptz", "string", "binary", "fixed[16]", "uuid"}) {
    K2_ASSERT_OK_AND_ASSIGN(DataType d, DataType::Parse(t));
    EXPECT_EQ(d.ToString(), t);
  }
  K2_ASSERT_ERROR_KIND(DataType::Parse("decimal(39, 2)"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(DataType::Parse("strin"), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace k2
