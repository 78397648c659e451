#include <gtest/gtest.h>

#include <filesystem>

#include "avro/container.h"
#include "avro/encoding.h"
#include "avro/schema.h"
#include "support/support.h"

namespace k2::avro {
namespace {

using ::k2::testing::TempDir;

TEST(AvroEncoding, ZigZagVarintsMatchSpecExamples) {
  // Avro spec: 0->00, -1->01, 1->02, -2->03, 2->04, -64->7f, 64->80 01.
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "\x00"}, {-1, "\x01"},  {1, "\x02"},     {-2, "\x03"},
      {2, "\x04"}, {-64, "\x7f"}, {64, "\x80\x01"}};
  for (const auto& [v, bytes] : cases) {
    Encoder e;
    e.WriteLong(v);
    EXPECT_EQ(e.buffer(), std::string(bytes.data(), bytes.size() == 0 ? 1 : bytes.size())) << v;
    Decoder d(e.buffer(), "test");
    K2_ASSERT_OK_AND_ASSIGN(int64_t back, d.ReadLong());
    EXPECT_EQ(back, v);
  }
  for (int64_t v : {INT64_MIN, INT64_MAX, int64_t{-123456789012}}) {
    Encoder e;
    e.WriteLong(v);
    Decoder d(e.buffer(), "test");
    K2_ASSERT_OK_AND_ASSIGN(int64_t back, d.ReadLong());
    EXPECT_EQ(back, v);
  }
}

TEST(AvroEncoding, TruncatedInputIsCorruptWithOffset) {
  Decoder d(std::string_view("\x80\x80", 2), "file.avro", 100);
  auto r = d.ReadLong();
  K2_ASSERT_ERROR_KIND(r, ErrorKind::kCorrupt);
  EXPECT_NE(r.error().message.find("file.avro"), std::string::npos);
  EXPECT_NE(r.error().message.find("byte offset 102"), std::string::npos);
  Decoder d2(std::string_view("\x10x", 2), "f");
  K2_ASSERT_ERROR_KIND(d2.ReadBytes(), ErrorKind::kCorrupt);
}

constexpr const char* kSchema = R"({
  "type": "record", "name": "r", "fields": [
    {"name": "id", "type": "long", "field-id": 1},
    {"name": "name", "type": ["null", "string"], "field-id": 2},
    {"name": "score", "type": "double"},
    {"name": "f", "type": "float"},
    {"name": "ok", "type": "boolean"},
    {"name": "raw", "type": "bytes"},
    {"name": "fx", "type": {"type": "fixed", "name": "f4", "size": 4}},
    {"name": "color", "type": {"type": "enum", "name": "c", "symbols": ["RED", "GREEN"]}},
    {"name": "tags", "type": {"type": "array", "items": "int", "element-id": 7}},
    {"name": "props", "type": {"type": "map", "values": "long"}},
    {"name": "nested", "type": ["null", {"type": "record", "name": "n", "fields": [
       {"name": "x", "type": "int"}]}]},
    {"name": "again", "type": ["null", "n"]}
  ]})";

Datum MakeRecord(const Node& schema, int64_t i) {
  Datum r = Datum::Record(&schema);
  r.Set("id", Datum::Long(i));
  r.Set("name", i % 3 == 0 ? Datum::Null() : Datum::String("name-" + std::to_string(i)));
  r.Set("score", Datum::Double(i * 1.5));
  r.Set("f", Datum::Float(static_cast<float>(i) / 4));
  r.Set("ok", Datum::Bool(i % 2 == 0));
  r.Set("raw", Datum::Bytes(std::string("\0\1\2", 3)));
  r.Set("fx", Datum::Fixed("abcd"));
  Datum color = Datum::String(i % 2 ? "GREEN" : "RED");
  color.type = Type::kEnum;
  r.Set("color", color);
  r.Set("tags", Datum::Array({Datum::Int(1), Datum::Int(static_cast<int32_t>(i))}));
  Datum props;
  props.type = Type::kMap;
  props.keys = {"a", "b"};
  props.items = {Datum::Long(i), Datum::Long(-i)};
  r.Set("props", props);
  const Node* n = schema.fields[*schema.FieldIndex("nested")].type->NonNullBranch();
  Datum nested = Datum::Record(n);
  nested.Set("x", Datum::Int(static_cast<int32_t>(i * 2)));
  r.Set("nested", nested);
  r.Set("again", i % 2 ? nested : Datum::Null());
  return r;
}

class AvroContainerTest : public ::testing::TestWithParam<Codec> {};

TEST_P(AvroContainerTest, RoundTripsManyBlocks) {
  TempDir dir;
  auto io = NewLocalFileIO();
  const std::string path = dir / "t.avro";
  K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput(path));
  K2_ASSERT_OK_AND_ASSIGN(
      auto w, ContainerWriter::Open(std::move(out), kSchema, {{"format-version", "2"}}, GetParam(),
                                    /*block_bytes=*/512));
  const int n = 1000;
  for (int i = 0; i < n; ++i) K2_ASSERT_OK(w->Append(MakeRecord(w->schema(), i)));
  K2_ASSERT_OK_AND_ASSIGN(uint64_t len, w->Finish());
  EXPECT_EQ(len, std::filesystem::file_size(path));

  K2_ASSERT_OK_AND_ASSIGN(auto in, io->OpenInput(path));
  K2_ASSERT_OK_AND_ASSIGN(auto r, ContainerReader::Open(std::move(in)));
  EXPECT_EQ(r->Meta("format-version"), "2");
  EXPECT_EQ(r->schema().fields[0].field_id, 1);
  EXPECT_EQ(r->schema().fields[8].type->element_id, 7);
  Datum d;
  int count = 0;
  while (true) {
    K2_ASSERT_OK_AND_ASSIGN(bool more, r->Next(d));
    if (!more) break;
    const int64_t i = count++;
    EXPECT_EQ(d.Get("id")->l, i);
    if (i % 3 == 0) {
      EXPECT_TRUE(d.Get("name")->is_null());
    } else {
      EXPECT_EQ(d.Get("name")->s, "name-" + std::to_string(i));
    }
    EXPECT_DOUBLE_EQ(d.Get("score")->d, i * 1.5);
    EXPECT_FLOAT_EQ(static_cast<float>(d.Get("f")->d), static_cast<float>(i) / 4);
    EXPECT_EQ(d.Get("ok")->b, i % 2 == 0);
    EXPECT_EQ(d.Get("raw")->s, std::string("\0\1\2", 3));
    EXPECT_EQ(d.Get("fx")->s, "abcd");
    EXPECT_EQ(d.Get("color")->s, i % 2 ? "GREEN" : "RED");
    ASSERT_EQ(d.Get("tags")->items.size(), 2u);
    EXPECT_EQ(d.Get("tags")->items[1].l, i);
    ASSERT_EQ(d.Get("props")->keys.size(), 2u);
    EXPECT_EQ(d.Get("props")->items[1].l, -i);
    EXPECT_EQ(d.Get("nested")->Get("x")->l, i * 2);
    EXPECT_EQ(d.Get("again")->is_null(), i % 2 == 0);
  }
  EXPECT_EQ(count, n);
}

INSTANTIATE_TEST_SUITE_P(Codecs, AvroContainerTest,
                         ::testing::Values(Codec::kNull, Codec::kDeflate, Codec::kSnappy,
                                           Codec::kZstd));

TEST(AvroContainer, CorruptFilesFailWithKind) {
  TempDir dir;
  auto io = NewLocalFileIO();
  K2_ASSERT_OK(io->WriteAll(dir / "bad.avro", "not avro at all"));
  K2_ASSERT_OK_AND_ASSIGN(auto in, io->OpenInput(dir / "bad.avro"));
  K2_ASSERT_ERROR_KIND(ContainerReader::Open(std::move(in)), ErrorKind::kCorrupt);

  // A valid file cut at every length must fail cleanly or read a prefix, never crash.
  K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput(dir / "good.avro"));
  K2_ASSERT_OK_AND_ASSIGN(auto w,
                          ContainerWriter::Open(std::move(out), kSchema, {}, Codec::kDeflate, 256));
  for (int i = 0; i < 20; ++i) K2_ASSERT_OK(w->Append(MakeRecord(w->schema(), i)));
  K2_ASSERT_OK(w->Finish());
  K2_ASSERT_OK_AND_ASSIGN(std::string bytes, io->ReadAll(dir / "good.avro"));
  int failures = 0;
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    const std::string p = dir / ("cut" + std::to_string(cut));
    K2_ASSERT_OK(io->WriteAll(p, std::string_view(bytes).substr(0, cut)));
    K2_ASSERT_OK_AND_ASSIGN(auto f, io->OpenInput(p));
    auto r = ContainerReader::Open(std::move(f));
    if (!r) {
      ++failures;
      continue;
    }
    Datum d;
    while (true) {
      auto more = (*r)->Next(d);
      if (!more) {
        EXPECT_EQ(more.error().kind, ErrorKind::kCorrupt) << more.error().ToString();
        ++failures;
        break;
      }
      if (!*more) break;
    }
  }
  EXPECT_GT(failures, 0);
}

TEST(AvroContainer, ReadsManifestWrittenByIcebergJava) {
  K2_REQUIRE_FIXTURES(fixtures);
  auto io = NewLocalFileIO();
  K2_ASSERT_OK_AND_ASSIGN(auto files,
                          io->List(fixtures + "/iceberg-tables/lineitem_iceberg/metadata"));
  int manifests = 0;
  for (const auto& f : files) {
    if (!f.path.ends_with(".avro") || f.path.find("snap-") != std::string::npos) continue;
    K2_ASSERT_OK_AND_ASSIGN(auto in, io->OpenInput(f.path));
    K2_ASSERT_OK_AND_ASSIGN(auto r, ContainerReader::Open(std::move(in)));
    EXPECT_FALSE(r->Meta("schema").empty()) << f.path;
    Datum d;
    int entries = 0;
    while (true) {
      K2_ASSERT_OK_AND_ASSIGN(bool more, r->Next(d));
      if (!more) break;
      ++entries;
      ASSERT_NE(d.Get("data_file"), nullptr);
      EXPECT_NE(d.Get("data_file")->Get("file_path")->s.find("lineitem_iceberg/data"),
                std::string::npos);
      EXPECT_GT(d.Get("data_file")->Get("record_count")->l, 0);
    }
    EXPECT_GT(entries, 0);
    ++manifests;
  }
  EXPECT_GT(manifests, 0);
}

}  // namespace
}  // namespace k2::avro
