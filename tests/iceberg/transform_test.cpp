#include <gtest/gtest.h>

#include "iceberg/partition_spec.h"
#include "iceberg/transform.h"
#include "support/support.h"

namespace k2::iceberg {
namespace {

Value V(const DataType& t, std::string_view text) {
  auto v = Value::Parse(t, text);
  EXPECT_TRUE(v.has_value()) << text;
  return *v;
}

// Iceberg spec, Appendix B "32-bit Hash Requirements": hash values of each type.
TEST(BucketHash, MatchesSpecAppendixB) {
  EXPECT_EQ(BucketHash(Value{DataType::Int32(), int32_t{34}}), 2017239379);
  EXPECT_EQ(BucketHash(Value{DataType::Int64(), int64_t{34}}), 2017239379);
  EXPECT_EQ(BucketHash(V(DataType::Decimal(4, 2), "14.20")), -500754589);
  EXPECT_EQ(BucketHash(V(DataType::Date(), "2017-11-16")), -653330422);
  // time 22:31:08 = 81068 s after midnight.
  EXPECT_EQ(BucketHash(Value{DataType::Time(), int64_t{81068000000}}), -662762989);
  EXPECT_EQ(BucketHash(V(DataType::Timestamp(), "2017-11-16T22:31:08")), -2047944441);
  EXPECT_EQ(BucketHash(V(DataType::TimestampTz(), "2017-11-16T22:31:08Z")), -2047944441);
  EXPECT_EQ(BucketHash(V(DataType::String(), "iceberg")), 1210000089);
  EXPECT_EQ(BucketHash(V(DataType::Uuid(), "f79c3e09-677c-4bbd-a479-3f349cb785e7")), 1488055340);
  EXPECT_EQ(BucketHash(Value{DataType::Fixed(4), std::string("\x00\x01\x02\x03", 4)}), -188683207);
  EXPECT_EQ(BucketHash(Value{DataType::Binary(), std::string("\x00\x01\x02\x03", 4)}), -188683207);
  EXPECT_EQ(BucketHash(Value{DataType::Float(), 1.0f}), -142385009);
  EXPECT_EQ(BucketHash(Value{DataType::Double(), 1.0}), -142385009);
}

TEST(Transform, ParseAndPrint) {
  for (const char* text :
       {"identity", "year", "month", "day", "hour", "bucket[16]", "truncate[4]", "void"}) {
    K2_ASSERT_OK_AND_ASSIGN(Transform t, Transform::Parse(text));
    EXPECT_EQ(t.ToString(), text);
  }
  K2_ASSERT_ERROR_KIND(Transform::Parse("bucket[0]"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(Transform::Parse("bucket[x]"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(Transform::Parse("weekly"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(Transform::Day().ResultType(DataType::String()), ErrorKind::kInvalidInput);
}

TEST(Transform, TimeTransformsMatchSpec) {
  const Value ts = V(DataType::Timestamp(), "2017-11-16T22:31:08");
  auto apply = [&](const char* t, const Value& v) {
    auto r = Transform::Parse(t)->Apply(v);
    EXPECT_TRUE(r.has_value());
    return *r;
  };
  EXPECT_EQ(std::get<int32_t>(apply("year", ts).data), 47);    // 2017 - 1970
  EXPECT_EQ(std::get<int32_t>(apply("month", ts).data), 574);  // 47*12 + 10
  Value day = apply("day", ts);
  EXPECT_EQ(day.type.id, TypeId::kDate);
  EXPECT_EQ(std::get<int32_t>(day.data), 17486);
  EXPECT_EQ(std::get<int32_t>(apply("hour", ts).data), 17486 * 24 + 22);
  // Before the epoch: floor, not truncation toward zero.
  const Value before = V(DataType::Timestamp(), "1969-12-31T23:59:59");
  EXPECT_EQ(std::get<int32_t>(apply("day", before).data), -1);
  EXPECT_EQ(std::get<int32_t>(apply("hour", before).data), -1);
  EXPECT_EQ(std::get<int32_t>(apply("year", before).data), -1);
  EXPECT_EQ(std::get<int32_t>(apply("month", before).data), -1);
  // Partition path text.
  Transform hour = *Transform::Parse("hour");
  EXPECT_EQ(hour.ToHumanString(apply("hour", ts)), "2017-11-16-22");
  EXPECT_EQ(Transform::Parse("month")->ToHumanString(apply("month", ts)), "2017-11");
  EXPECT_EQ(Transform::Parse("day")->ToHumanString(day), "2017-11-16");
  EXPECT_EQ(Transform::Parse("year")->ToHumanString(apply("year", ts)), "2017");
}

TEST(Transform, TruncateMatchesSpec) {
  auto trunc = [](int w, const Value& v) { return *Transform::Truncate(w).Apply(v); };
  EXPECT_EQ(std::get<int32_t>(trunc(10, Value{DataType::Int32(), int32_t{1}}).data), 0);
  EXPECT_EQ(std::get<int32_t>(trunc(10, Value{DataType::Int32(), int32_t{-1}}).data), -10);
  EXPECT_EQ(std::get<int64_t>(trunc(10, Value{DataType::Int64(), int64_t{19}}).data), 10);
  EXPECT_EQ(trunc(50, V(DataType::Decimal(9, 2), "10.65")).ToString(), "10.50");
  EXPECT_EQ(std::get<std::string>(trunc(3, V(DataType::String(), "iceberg")).data), "ice");
  // Code points, not bytes.
  EXPECT_EQ(std::get<std::string>(trunc(2, V(DataType::String(), "\xc3\xa9t\xc3\xa9")).data),
            "\xc3\xa9t");
  EXPECT_EQ(
      std::get<int32_t>(Transform::Bucket(16).Apply(Value{DataType::Int32(), int32_t{34}})->data),
      2017239379 % 16);
  EXPECT_TRUE(Transform::Parse("void")->Apply(Value{DataType::Int32(), int32_t{3}})->is_null());
}

TEST(PartitionSpec, PartitionTupleAndPath) {
  Schema schema{{{1, "ts", DataType::Timestamp(), false, ""},
                 {2, "symbol", DataType::String(), false, ""},
                 {3, "id", DataType::Int64(), false, ""}}};
  K2_ASSERT_OK_AND_ASSIGN(
      PartitionSpec spec,
      PartitionSpec::Make(schema, {{"ts", "day"}, {"symbol", "identity"}, {"id", "bucket[4]"}}));
  ASSERT_EQ(spec.fields.size(), 3u);
  EXPECT_EQ(spec.fields[0].name, "ts_day");
  EXPECT_EQ(spec.fields[0].field_id, 1000);
  EXPECT_EQ(spec.fields[2].name, "id_bucket");
  K2_ASSERT_OK_AND_ASSIGN(Schema ptype, spec.PartitionType(schema));
  EXPECT_EQ(ptype.fields[0].type, DataType::Date());
  EXPECT_EQ(ptype.fields[2].type, DataType::Int32());

  auto s = std::make_shared<Schema>(schema);
  ColumnBatch batch(s);
  batch.columns[0].Append<int64_t>(*ParseTimestampMicros("2026-11-24T10:00:00"));
  batch.columns[1].AppendBytes("BTC USD/x");
  batch.columns[2].Append<int64_t>(34);
  K2_ASSERT_OK_AND_ASSIGN(PartitionValues values, spec.PartitionFor(batch, 0));
  EXPECT_EQ(spec.PartitionPath(values),
            "ts_day=2026-11-24/symbol=BTC+USD%2Fx/id_bucket=" + std::to_string(2017239379 % 4));
  K2_ASSERT_ERROR_KIND(PartitionSpec::Make(schema, {{"nope", "day"}}), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(PartitionSpec::Make(schema, {{"symbol", "day"}}), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace k2::iceberg
