// Avro container files k2 did not write: lengths and counts claiming 2 GiB or
// more, and a file truncated at every byte offset, each give kCorrupt without
// allocating what they claim (fuzz/avro_container_fuzz.cpp explores the rest;
// the inputs it found are kept here).
#include <gtest/gtest.h>

#include "avro/container.h"
#include "avro/encoding.h"
#include "io/memory_file_io.h"
#include "support/support.h"

namespace k2::avro {
namespace {

constexpr int64_t k2GiB = int64_t{1} << 31;
const std::string kSync(16, 'S');
const std::string kStringRecord =
    R"({"type":"record","name":"r","fields":[{"name":"s","type":"string"}]})";

std::string Header(const std::string& schema, const std::string& codec = "null") {
  Encoder e;
  e.WriteFixed(std::string_view("Obj\x01", 4));
  e.WriteLong(2);
  e.WriteBytes("avro.schema");
  e.WriteBytes(schema);
  e.WriteBytes("avro.codec");
  e.WriteBytes(codec);
  e.WriteLong(0);
  e.WriteFixed(kSync);
  return e.buffer();
}

std::string Block(int64_t count, const std::string& data) {
  Encoder e;
  e.WriteLong(count);
  e.WriteLong(static_cast<int64_t>(data.size()));
  e.WriteFixed(data);
  e.WriteFixed(kSync);
  return e.buffer();
}

/// Opens `bytes` and reads every record; the number of records read.
Result<int64_t> ReadAll(std::string bytes) {
  K2_ASSIGN_OR_RETURN(auto reader,
                      ContainerReader::Open(NewMemoryInputFile("t.avro", std::move(bytes))));
  Datum record;
  int64_t n = 0;
  while (true) {
    K2_ASSIGN_OR_RETURN(bool more, reader->Next(record));
    if (!more) return n;
    ++n;
  }
}

TEST(AvroUntrusted, MetadataLengthOf2GiBIsCorrupt) {
  Encoder e;
  e.WriteFixed(std::string_view("Obj\x01", 4));
  e.WriteLong(1);
  e.WriteLong(k2GiB);  // key length
  e.WriteFixed("avro.schema");
  K2_ASSERT_ERROR_KIND(ReadAll(e.buffer()), ErrorKind::kCorrupt);

  Encoder count;
  count.WriteFixed(std::string_view("Obj\x01", 4));
  count.WriteLong(k2GiB);  // entries in the metadata map
  count.WriteBytes("k");
  count.WriteBytes("v");
  K2_ASSERT_ERROR_KIND(ReadAll(count.buffer()), ErrorKind::kCorrupt);
}

TEST(AvroUntrusted, BlockSizeAndCountOf2GiBAreCorrupt) {
  Encoder size;
  size.WriteLong(1);
  size.WriteLong(k2GiB);
  K2_ASSERT_ERROR_KIND(ReadAll(Header(kStringRecord) + size.buffer() + "xx" + kSync),
                       ErrorKind::kCorrupt);
  Encoder s;
  s.WriteBytes("x");
  K2_ASSERT_ERROR_KIND(ReadAll(Header(kStringRecord) + Block(k2GiB, s.buffer())),
                       ErrorKind::kCorrupt);
}

TEST(AvroUntrusted, StringLengthOf2GiBIsCorrupt) {
  Encoder s;
  s.WriteLong(k2GiB);
  s.WriteFixed("abc");
  K2_ASSERT_ERROR_KIND(ReadAll(Header(kStringRecord) + Block(1, s.buffer())), ErrorKind::kCorrupt);
}

TEST(AvroUntrusted, TruncatedAtEveryOffsetIsCorruptOrFewerRecords) {
  for (Codec codec : {Codec::kNull, Codec::kDeflate}) {
    auto io = NewMemoryFileIO();
    K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput("t.avro"));
    K2_ASSERT_OK_AND_ASSIGN(
        auto writer, ContainerWriter::Open(std::move(out), kStringRecord, {{"k", "v"}}, codec, 64));
    for (int i = 0; i < 40; ++i) {
      Datum r = Datum::Record(&writer->schema());
      r.Set("s", Datum::String("value " + std::to_string(i)));
      K2_ASSERT_OK(writer->Append(r));
    }
    K2_ASSERT_OK(writer->Finish());
    K2_ASSERT_OK_AND_ASSIGN(std::string bytes, io->ReadAll("t.avro"));
    K2_ASSERT_OK_AND_ASSIGN(int64_t all, ReadAll(bytes));
    ASSERT_EQ(all, 40);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto r = ReadAll(bytes.substr(0, n));
      // A cut right after a block's sync marker is a valid, shorter file.
      if (r) {
        EXPECT_LT(*r, 40) << n;
      } else {
        EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << n << ": " << r.error().ToString();
      }
    }
  }
}

}  // namespace
}  // namespace k2::avro
