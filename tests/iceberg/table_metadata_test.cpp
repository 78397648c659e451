#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "iceberg/table.h"
#include "iceberg/table_metadata.h"
#include "support/support.h"

namespace k2::iceberg {
namespace {

std::string Resource(const std::string& name) {
  auto io = NewLocalFileIO();
  auto r = io->ReadAll(testing::SourceDir() + "/tests/iceberg/resources/" + name);
  EXPECT_TRUE(r.has_value()) << name;
  return r.value_or("");
}

TEST(TableMetadata, ParsesGoldenV2WithEveryField) {
  K2_ASSERT_OK_AND_ASSIGN(TableMetadata m,
                          TableMetadata::FromJson(Resource("TableMetadataV2Valid.json")));
  EXPECT_EQ(m.format_version, 2);
  EXPECT_EQ(m.table_uuid, "9c12d441-03fe-4693-9a96-a0705ddf69c1");
  EXPECT_EQ(m.last_sequence_number, 34);
  EXPECT_EQ(m.last_column_id, 3);
  ASSERT_EQ(m.schemas.size(), 2u);
  const TableSchema& cur = m.CurrentSchema();
  EXPECT_EQ(cur.schema_id, 1);
  EXPECT_EQ(cur.identifier_field_ids, (std::vector<int>{1, 2}));
  ASSERT_EQ(cur.schema.fields.size(), 3u);
  EXPECT_EQ(cur.schema.fields[1].doc, "comment");
  EXPECT_FALSE(cur.schema.fields[1].nullable);
  EXPECT_EQ(m.DefaultSpec().fields[0].field_id, 1000);
  EXPECT_EQ(m.DefaultSortOrder().order_id, 3);
  EXPECT_EQ(m.DefaultSortOrder().fields[1].transform.ToString(), "bucket[4]");
  EXPECT_EQ(m.DefaultSortOrder().fields[1].null_order, NullOrder::kNullsLast);
  EXPECT_EQ(m.PropertyAsInt("commit.retry.num-retries", 4), 7);
  ASSERT_NE(m.CurrentSnapshot(), nullptr);
  EXPECT_EQ(m.CurrentSnapshot()->summary.at("added-records"), "10");
  EXPECT_EQ(m.CurrentSnapshot()->schema_id, 1);
  EXPECT_EQ(m.refs.at("audit").max_ref_age_ms, 1000);
  EXPECT_EQ(m.refs.at("audit").min_snapshots_to_keep, 2);
  EXPECT_EQ(m.refs.at("v1").type, RefType::kTag);
  EXPECT_EQ(m.metadata_log.size(), 1u);
  EXPECT_EQ(m.statistics.size(), 1u);
  K2_ASSERT_OK_AND_ASSIGN(const Snapshot* asof, m.SnapshotAsOf(1515100955771));
  EXPECT_EQ(asof->snapshot_id, 3051729675574597004);
  K2_ASSERT_ERROR_KIND(m.SnapshotAsOf(1000), ErrorKind::kNotFound);
  auto ancestry = m.MainAncestry();
  ASSERT_EQ(ancestry.size(), 2u);
  EXPECT_EQ(ancestry[1]->snapshot_id, 3051729675574597004);

  // Round trip: write, parse, compare field by field through a second write.
  const std::string out = m.ToJson();
  K2_ASSERT_OK_AND_ASSIGN(TableMetadata back, TableMetadata::FromJson(out));
  EXPECT_EQ(back.ToJson(), out);
  EXPECT_EQ(nlohmann::json::parse(out)["statistics"],
            nlohmann::json::parse(Resource("TableMetadataV2Valid.json"))["statistics"]);
}

TEST(TableSchema, NestedTypesKeepTheirFieldIds) {
  const auto j = nlohmann::json::parse(R"({
    "type": "struct", "schema-id": 3, "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"},
      {"id": 2, "name": "point", "required": false, "type": {"type": "struct", "fields": [
        {"id": 5, "name": "x", "required": true, "type": "double"},
        {"id": 6, "name": "tags", "required": false,
         "type": {"type": "list", "element-id": 7, "element": "string", "element-required": false}}]}},
      {"id": 3, "name": "attrs", "required": false,
       "type": {"type": "map", "key-id": 8, "key": "string", "value-id": 9,
                "value": {"type": "list", "element-id": 10, "element": "int", "element-required": true},
                "value-required": true}},
      {"id": 4, "name": "v", "required": false, "type": "variant"}]})");
  K2_ASSERT_OK_AND_ASSIGN(TableSchema s, TableSchema::FromJson(j));
  // variant is unknown to k2: kept in the JSON, not in the readable schema.
  ASSERT_EQ(s.schema.fields.size(), 3u);
  EXPECT_EQ(s.highest_field_id, 10);
  const DataType& point = s.schema.fields[1].type;
  EXPECT_EQ(point.ToString(), "struct<x: double, tags: list<string>>");
  EXPECT_EQ(point.children[1].id, 6);
  EXPECT_EQ(point.children[1].type.children[0].id, 7);
  EXPECT_TRUE(point.children[1].type.children[0].nullable);
  const DataType& attrs = s.schema.fields[2].type;
  EXPECT_EQ(attrs.ToString(), "map<string, list<int>>");
  EXPECT_EQ(attrs.children[0].id, 8);
  EXPECT_EQ(attrs.children[1].id, 9);
  EXPECT_FALSE(attrs.children[1].nullable);
  EXPECT_FALSE(attrs.children[1].type.children[0].nullable);
  // A schema built in code writes the same type objects.
  TableSchema built;
  built.schema = s.schema;
  nlohmann::json out = built.ToJson();
  EXPECT_EQ(out["fields"][1]["type"], j["fields"][1]["type"]);
  EXPECT_EQ(out["fields"][2]["type"], j["fields"][2]["type"]);
  K2_ASSERT_OK_AND_ASSIGN(TableSchema again, TableSchema::FromJson(out));
  EXPECT_EQ(again.schema, s.schema);
  // Malformed nested types are invalid input, naming the field.
  auto bad = j;
  bad["fields"][2]["type"].erase("key-id");
  auto r = TableSchema::FromJson(bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(r.error().message.find("attrs"), std::string::npos) << r.error().message;
}

TEST(TableMetadata, ParsesGoldenV1AndWritesV2) {
  K2_ASSERT_OK_AND_ASSIGN(TableMetadata m,
                          TableMetadata::FromJson(Resource("TableMetadataV1Valid.json")));
  EXPECT_EQ(m.format_version, 1);
  EXPECT_EQ(m.CurrentSchema().schema.fields.size(), 3u);
  EXPECT_EQ(m.DefaultSpec().fields.size(), 1u);
  EXPECT_EQ(m.CurrentSnapshot(), nullptr);
  m.table_uuid = "00000000-0000-4000-8000-000000000000";
  K2_ASSERT_OK_AND_ASSIGN(TableMetadata v2, TableMetadata::FromJson(m.ToJson()));
  EXPECT_EQ(v2.format_version, 2);
  EXPECT_EQ(v2.DefaultSpec().fields[0].name, "x");
}

TEST(TableMetadata, RejectsInvalidGoldenFiles) {
  K2_ASSERT_ERROR_KIND(TableMetadata::FromJson(Resource("TableMetadataV2MissingTableUuid.json")),
                       ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(
      TableMetadata::FromJson(Resource("TableMetadataV2CurrentSnapshotMissing.json")),
      ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(TableMetadata::FromJson(Resource("TableMetadataUnsupportedVersion.json")),
                       ErrorKind::kUnsupported);
  K2_ASSERT_ERROR_KIND(TableMetadata::FromJson(Resource("TableMetadataBadTransform.json")),
                       ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(TableMetadata::FromJson(Resource("TableMetadataWrongFieldType.json")),
                       ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(TableMetadata::FromJson("{not json"), ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(TableMetadata::FromJson("[]"), ErrorKind::kCorrupt);
  // Every truncation of a valid file fails cleanly.
  const std::string valid = Resource("TableMetadataV2Valid.json");
  for (size_t cut = 0; cut + 1 < valid.size(); cut += 37) {
    auto r = TableMetadata::FromJson(valid.substr(0, cut));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt);
  }
}

TEST(TableMetadata, ReadsGzipMetadata) {
  const std::string text = Resource("TableMetadataV2Valid.json");
  uLongf len = compressBound(text.size()) + 32;
  std::string gz(len, '\0');
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = text.size();
  zs.next_out = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_out = gz.size();
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  gz.resize(zs.total_out);
  deflateEnd(&zs);
  K2_ASSERT_OK_AND_ASSIGN(TableMetadata m,
                          TableMetadata::FromFileBytes(gz, "00001-x.gz.metadata.json"));
  EXPECT_EQ(m.last_sequence_number, 34);
  K2_ASSERT_ERROR_KIND(TableMetadata::FromFileBytes(gz.substr(0, gz.size() / 2), "half.gz"),
                       ErrorKind::kCorrupt);
}

TEST(TableMetadata, MetadataVersionFromFileName) {
  EXPECT_EQ(ParseMetadataVersion("/a/b/00012-6a9f.metadata.json"), 12);
  EXPECT_EQ(ParseMetadataVersion("s3://x/metadata/v3.metadata.json"), 3);
  EXPECT_EQ(ParseMetadataVersion("/a/b/metadata.json"), -1);
}

// Every metadata file written by Spark, pyiceberg, DuckDB, Athena in the shared fixtures parses.
TEST(TableMetadata, ParsesEveryFixtureMetadataFile) {
  K2_REQUIRE_FIXTURES(fixtures);
  int parsed = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(fixtures + "/iceberg-tables")) {
    const std::string path = entry.path().string();
    if (!path.ends_with(".metadata.json") && !path.ends_with(".metadata.json.gz")) continue;
    auto io = NewLocalFileIO();
    K2_ASSERT_OK_AND_ASSIGN(std::string bytes, io->ReadAll(path));
    auto m = TableMetadata::FromFileBytes(bytes, path);
    ASSERT_TRUE(m.has_value()) << path << ": " << m.error().ToString();
    EXPECT_FALSE(m->location.empty()) << path;
    EXPECT_FALSE(m->CurrentSchema().schema.fields.empty()) << path;
    // What k2 writes back parses to the same snapshots and schema.
    K2_ASSERT_OK_AND_ASSIGN(TableMetadata back, TableMetadata::FromJson(m->ToJson()));
    EXPECT_EQ(back.snapshots.size(), m->snapshots.size()) << path;
    EXPECT_EQ(back.CurrentSchema().schema, m->CurrentSchema().schema) << path;
    ++parsed;
  }
  EXPECT_GT(parsed, 10);
}

}  // namespace
}  // namespace k2::iceberg
