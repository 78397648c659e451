// k2's Thrift compact decoder on bytes k2 did not write: lengths and counts
// claiming 2 GiB, nesting past the limit, and a footer truncated at every byte
// offset, each give kCorrupt without allocating what they claim
// (fuzz/thrift_compact_fuzz.cpp explores the rest; its findings are kept here).
#include <gtest/gtest.h>

#include <cstring>

#include "columnar/column_batch.h"
#include "io/memory_file_io.h"
#include "parquet/file_writer.h"
#include "parquet/metadata.h"
#include "parquet/parquet_test_util.h"
#include "parquet/thrift_compact.h"
#include "support/support.h"

namespace k2::parquet {
namespace {

using thrift::CType;

const uint8_t* U8(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

TEST(ThriftUntrusted, BinaryLengthOf2GiBIsCorrupt) {
  // Field 1 (binary), length varint 2^31, then three bytes.
  const std::string bytes(
      "\x18\x80\x80\x80\x80\x08"
      "abc",
      9);
  thrift::Reader r(U8(bytes), bytes.size(), "footer", 100);
  CType type;
  int16_t id;
  K2_ASSERT_OK(r.FieldHeader(&type, &id));
  ASSERT_EQ(type, CType::kBinary);
  auto s = r.Binary();
  K2_ASSERT_ERROR_KIND(s, ErrorKind::kCorrupt);
  EXPECT_NE(s.error().message.find("footer at byte offset 10"), std::string::npos)
      << s.error().message;
  // The same through Skip, and as FileMetaData's schema list.
  thrift::Reader skip(U8(bytes), bytes.size(), "footer", 0);
  K2_ASSERT_OK(skip.FieldHeader(&type, &id));
  K2_ASSERT_ERROR_KIND(skip.Skip(type), ErrorKind::kCorrupt);
}

TEST(ThriftUntrusted, ListOf2GiBElementsIsCorrupt) {
  // Field 2 (list) of i32 with a long-form count of 2^31.
  const std::string bytes("\x29\xf5\x80\x80\x80\x80\x08\x02\x04", 9);
  thrift::Reader r(U8(bytes), bytes.size(), "footer", 0);
  CType type;
  int16_t id;
  K2_ASSERT_OK(r.FieldHeader(&type, &id));
  CType elem;
  uint32_t n;
  K2_ASSERT_ERROR_KIND(r.ListHeader(&elem, &n), ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(format::ParseFileMetaData(U8(bytes), bytes.size(), "footer", 0),
                       ErrorKind::kCorrupt);
}

TEST(ThriftUntrusted, DeepNestingIsCorrupt) {
  // 100000 nested struct fields (field 1, type struct), never closed.
  const std::string bytes(100000, '\x1c');
  thrift::Reader r(U8(bytes), bytes.size(), "footer", 0);
  CType type;
  int16_t id;
  K2_ASSERT_OK(r.FieldHeader(&type, &id));
  K2_ASSERT_ERROR_KIND(r.Skip(type), ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(format::ParseFileMetaData(U8(bytes), bytes.size(), "footer", 0),
                       ErrorKind::kCorrupt);
  size_t consumed = 0;
  K2_ASSERT_ERROR_KIND(format::ParsePageHeader(U8(bytes), bytes.size(), "page", 0, &consumed),
                       ErrorKind::kCorrupt);
}

TEST(ThriftUntrusted, FooterTruncatedAtEveryOffsetIsCorrupt) {
  auto schema = std::make_shared<Schema>();
  int id = 1;
  for (const DataType& t : testing::AllTypes()) {
    schema->fields.push_back({id, "c" + std::to_string(id), t, true, ""});
    ++id;
  }
  ColumnBatch batch(schema);
  for (int64_t key = 0; key < 10; ++key) {
    for (size_t c = 0; c < schema->fields.size(); ++c) {
      testing::AppendKey(batch.columns[c], schema->fields[c].type, key);
    }
  }
  auto io = NewMemoryFileIO();
  K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput("t.parquet"));
  K2_ASSERT_OK_AND_ASSIGN(auto writer, FileWriter::Open(std::move(out), schema));
  K2_ASSERT_OK(writer->Write(batch));
  K2_ASSERT_OK(writer->Finish());
  K2_ASSERT_OK_AND_ASSIGN(std::string file, io->ReadAll("t.parquet"));
  ASSERT_GT(file.size(), 12u);
  uint32_t len = 0;
  std::memcpy(&len, file.data() + file.size() - 8, 4);
  ASSERT_LE(len, file.size() - 12);
  const std::string footer = file.substr(file.size() - 8 - len, len);
  K2_ASSERT_OK(format::ParseFileMetaData(U8(footer), footer.size(), "footer", 0));
  for (size_t n = 0; n < footer.size(); ++n) {
    auto meta = format::ParseFileMetaData(U8(footer), n, "footer", 0);
    ASSERT_FALSE(meta.has_value()) << n;
    EXPECT_EQ(meta.error().kind, ErrorKind::kCorrupt) << n << ": " << meta.error().ToString();
  }
}

}  // namespace
}  // namespace k2::parquet
