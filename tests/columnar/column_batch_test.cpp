#include "columnar/column_batch.h"

#include <gtest/gtest.h>

#include "columnar/value.h"
#include "columnar/value_json.h"
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

namespace k2 {
namespace {

// list<struct<a: int, b: string>> built by hand: nulls, empty lists, copies
// and JSON text.
TEST(NestedColumn, BuildCopyClearAndJson) {
  DataType item = DataType::Struct(
      {Field{2, "a", DataType::Int32(), false, ""}, Field{3, "b", DataType::String(), true, ""}});
  DataType type = DataType::List(Field{1, "ignored", item, true, ""});
  EXPECT_EQ(type.ToString(), "list<struct<a: int, b: string>>");
  EXPECT_EQ(type.children[0].name, "element");
  Column c(type);
  Column& elem = c.mutable_children()[0];
  // Row 0: [{1, "x"}, null]
  elem.mutable_children()[0].Append<int32_t>(1);
  elem.mutable_children()[1].AppendBytes("x");
  elem.AppendNestedRow();
  elem.AppendNull();
  c.AppendNestedRow();
  // Row 1: null; row 2: []
  c.AppendNull();
  c.AppendNestedRow();
  ASSERT_EQ(c.length(), 3u);
  EXPECT_EQ(c.null_count(), 1u);
  EXPECT_EQ(c.ChildRange(0), (std::pair<size_t, size_t>{0, 2}));
  EXPECT_EQ(c.ChildRange(1), (std::pair<size_t, size_t>{2, 2}));
  EXPECT_EQ(c.ChildRange(2), (std::pair<size_t, size_t>{2, 2}));
  EXPECT_EQ(elem.length(), 2u);
  EXPECT_EQ(elem.children()[0].length(), 2u);  // a null struct has null children
  EXPECT_EQ(Value::FromColumn(c, 0).ToString(), R"([{"a":1,"b":"x"},null])");
  EXPECT_TRUE(Value::FromColumn(c, 1).is_null());
  EXPECT_EQ(Value::FromColumn(c, 2).ToString(), "[]");

  Column copy(type);
  copy.AppendFrom(c, 2);
  copy.AppendFrom(c, 0);
  copy.AppendFrom(c, 1);
  EXPECT_EQ(Value::FromColumn(copy, 0).ToString(), "[]");
  EXPECT_EQ(Value::FromColumn(copy, 1).ToString(), R"([{"a":1,"b":"x"},null])");
  EXPECT_TRUE(Value::FromColumn(copy, 2).is_null());

  auto schema = std::make_shared<const Schema>(Schema{{Field{9, "items", type, true, ""}}});
  ColumnBatch batch(schema);
  batch.columns[0] = copy;
  K2_ASSERT_OK(batch.Validate());
  batch.Clear();
  EXPECT_EQ(batch.columns[0].length(), 0u);
  EXPECT_EQ(batch.columns[0].children()[0].length(), 0u);
  EXPECT_EQ(batch.columns[0].offsets(), (std::vector<uint32_t>{0}));
  // Nested values have no literal form.
  K2_ASSERT_ERROR_KIND(Value::Parse(type, "[]"), ErrorKind::kInvalidInput);
}

TEST(NestedColumn, MapJsonKeysAreText) {
  DataType type = DataType::Map(Field{1, "k", DataType::Int64(), true, ""},
                                Field{2, "v", DataType::Double(), true, ""});
  EXPECT_FALSE(type.children[0].nullable);
  Column c(type);
  c.mutable_children()[0].Append<int64_t>(7);
  c.mutable_children()[1].Append<double>(0.5);
  c.mutable_children()[0].Append<int64_t>(8);
  c.mutable_children()[1].AppendNull();
  c.AppendNestedRow();
  EXPECT_EQ(ColumnValueToJson(c, 0), nlohmann::json::parse(R"({"7":0.5,"8":null})"));
}

}  // namespace
}  // namespace k2
