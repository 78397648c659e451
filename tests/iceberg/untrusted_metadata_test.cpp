// Table metadata files k2 did not write: JSON nested a million levels deep, a
// gzip bomb, and a file truncated at every byte offset give kCorrupt in bounded
// memory and stack (fuzz/table_metadata_fuzz.cpp explores the rest; what it
// found is kept here).
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <iterator>
#include <string>

#include "catalog/memory_catalog.h"
#include "iceberg/table.h"
#include "iceberg/table_metadata.h"
#include "io/memory_file_io.h"
#include "support/support.h"

namespace k2::iceberg {
namespace {

std::string Metadata(const std::string& extra = "") {
  return R"({"format-version":2,"table-uuid":"9c12d441-03fe-4693-9a96-a0705ddf69c1",)"
         R"("location":"s3://b/t","last-sequence-number":1,"last-updated-ms":1,)"
         R"("last-column-id":1,"schemas":[{"type":"struct","schema-id":0,"fields":)"
         R"([{"id":1,"name":"x","required":true,"type":"long"}]}],"current-schema-id":0,)"
         R"("partition-specs":[{"spec-id":0,"fields":[]}],"default-spec-id":0,)"
         R"("snapshots":[{"snapshot-id":5,"timestamp-ms":1,"manifest-list":"s3://b/t/m.avro",)"
         R"("summary":{"operation":"append","k2.window-start-us":"0"}}],)"
         R"("current-snapshot-id":5)" +
         extra + "}";
}

std::string Nested(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

/// Gzip of `repeat` copies of `chunk`, compressed as it streams (the inflated
/// text is never held here).
std::string GzipRepeated(const std::string& chunk, size_t repeat) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out;
  char buf[1 << 16];
  for (size_t i = 0; i <= repeat; ++i) {
    const bool last = i == repeat;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
    zs.avail_in = last ? 0 : static_cast<uInt>(chunk.size());
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
      out.append(buf, sizeof(buf) - zs.avail_out);
    } while (zs.avail_out == 0);
  }
  deflateEnd(&zs);
  return out;
}

TEST(MetadataUntrusted, DeepNestingIsCorruptNotAStackOverflow) {
  K2_ASSERT_OK(TableMetadata::FromJson(Metadata()));
  // An unknown key (kept and written back), a property, a summary value.
  K2_ASSERT_ERROR_KIND(TableMetadata::FromJson(Metadata(R"(,"x":)" + Nested(1000000))),
                       ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(
      TableMetadata::FromJson(Metadata(R"(,"properties":{"p":)" + Nested(100000) + "}")),
      ErrorKind::kCorrupt);
  std::string deep_summary = Metadata();
  deep_summary.replace(deep_summary.find(R"("0"}})"), 3, Nested(100000));
  K2_ASSERT_ERROR_KIND(TableMetadata::FromJson(deep_summary), ErrorKind::kCorrupt);
  // Nesting within the limit still reads, and k2 reads back what it writes.
  K2_ASSERT_OK_AND_ASSIGN(auto m, TableMetadata::FromJson(Metadata(R"(,"x":)" + Nested(400))));
  K2_ASSERT_OK(TableMetadata::FromJson(m.ToJson()));
  // A schema whose types nest past the schema parser's limit.
  std::string type = R"("long")";
  for (int i = 0; i < 200; ++i) {
    type = R"({"type":"list","element-id":)" + std::to_string(100 + i) +
           R"(,"element-required":false,"element":)" + type + "}";
  }
  std::string deep_type = Metadata();
  deep_type.replace(deep_type.find(R"("type":"long")") + 7, 6, type);
  K2_ASSERT_ERROR_KIND(TableMetadata::FromJson(deep_type), ErrorKind::kCorrupt);
}

TEST(MetadataUntrusted, GzipBombIsCorrupt) {
  const std::string path = "s3://b/t/metadata/00001-x.gz.metadata.json";
  std::string gz = GzipRepeated(Metadata(), 1);
  K2_ASSERT_OK(TableMetadata::FromFileBytes(gz, path));
  // 1 GiB of spaces in about 1 MB: refused once past kMaxMetadataBytes.
  std::string bomb = GzipRepeated(std::string(1 << 20, ' '), 1024);
  EXPECT_LT(bomb.size(), size_t{2} << 20);
  auto r = TableMetadata::FromFileBytes(bomb, path);
  K2_ASSERT_ERROR_KIND(r, ErrorKind::kCorrupt);
  EXPECT_NE(r.error().message.find("inflates past"), std::string::npos) << r.error().message;
}

// Found by table_metadata_fuzz: a v1 table without a table-uuid (optional in
// v1) read fine, but a commit wrote it as v2 without one, which no reader
// (k2 included) accepts. The commit now gives it a uuid.
TEST(MetadataUntrusted, CommitToAV1TableWithoutUuidWritesOne) {
  std::ifstream in(
      k2::testing::SourceDir() + "/tests/iceberg/resources/fuzz/metadata-v1-without-uuid",
      std::ios::binary);
  std::string found(std::istreambuf_iterator<char>(in), {});
  ASSERT_GT(found.size(), 1u);
  K2_ASSERT_OK_AND_ASSIGN(auto fuzzed, TableMetadata::FromJson(found.substr(1)));
  EXPECT_EQ(fuzzed.format_version, 1);
  EXPECT_TRUE(fuzzed.table_uuid.empty());

  std::string v1 = R"({"format-version":1,"location":"mem://w/db/t","last-updated-ms":1,)"
                   R"("last-column-id":1,"schema":{"type":"struct","fields":)"
                   R"([{"id":1,"name":"x","required":true,"type":"long"}]},)"
                   R"("properties":{}})";
  auto io = NewMemoryFileIO();
  const std::string location = "mem://w/db/t/metadata/00001-a.metadata.json";
  K2_ASSERT_OK(io->WriteAll(location, v1));
  auto catalog = NewMemoryCatalog("k2");
  K2_ASSERT_OK(catalog->CreateNamespace({"db"}, {}));
  const TableIdentifier id{{"db"}, "t"};
  K2_ASSERT_OK(catalog->CreateTable(id, location));
  K2_ASSERT_OK_AND_ASSIGN(Table table, Table::Load(*catalog, *io, id));
  EXPECT_TRUE(table.metadata().table_uuid.empty());
  K2_ASSERT_OK(table.NewUpdateProperties().Set("k", "v").Commit());
  K2_ASSERT_OK_AND_ASSIGN(Table again, Table::Load(*catalog, *io, id));
  EXPECT_EQ(again.metadata().format_version, 2);
  EXPECT_EQ(again.metadata().table_uuid.size(), 36u);
}

TEST(MetadataUntrusted, TruncatedAtEveryOffsetIsCorrupt) {
  K2_ASSERT_OK_AND_ASSIGN(auto m, TableMetadata::FromJson(Metadata()));
  const std::string text = m.ToJson();  // as k2 writes it
  const std::string gz = GzipRepeated(text, 1);
  for (size_t n = 0; n < text.size(); ++n) {
    auto r = TableMetadata::FromFileBytes(text.substr(0, n), "m.metadata.json");
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << n << ": " << r.error().ToString();
  }
  for (size_t n = 2; n < gz.size(); ++n) {
    auto r = TableMetadata::FromFileBytes(gz.substr(0, n), "m.gz.metadata.json");
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << n << ": " << r.error().ToString();
  }
}

}  // namespace
}  // namespace k2::iceberg
