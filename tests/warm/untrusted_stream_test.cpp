// ClickHouse response bodies k2 cannot trust (a proxy, a server bug, a cut
// connection): lengths claiming 2 GiB and streams truncated at every byte
// offset give a clean error in bounded memory, delivered whole or in pieces.
// fuzz/row_binary_fuzz.cpp and native_fuzz.cpp explore the rest; what they
// found is kept here. The streams are chDB's (fuzz/capture_streams.mjs).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/support.h"
#include "warm/native_reader.h"
#include "warm/row_binary.h"

namespace k2::warm {
namespace {

constexpr uint64_t k2GiB = uint64_t{1} << 31;

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string Str(const std::string& s) {
  return Varint(s.size()) + s;
}

/// `data` in pieces of at most `max_piece` bytes.
ByteSource SourceOf(std::string data, size_t max_piece) {
  auto pos = std::make_shared<size_t>(0);
  return [data = std::move(data), pos, max_piece](std::string& buffer) -> Result<bool> {
    if (*pos >= data.size()) return false;
    size_t n = std::min(data.size() - *pos, max_piece);
    buffer.append(data, *pos, n);
    *pos += n;
    return true;
  };
}

std::string ReadFile(const std::filesystem::path& relative) {
  std::ifstream in(std::filesystem::path(k2::testing::SourceDir()) / relative, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// A captured stream: fuzz/seeds/<format>/<name> without the fuzz input's
/// two leading bytes (piece seed, options).
std::string Captured(const std::string& format, const std::string& name) {
  std::string bytes = ReadFile(std::filesystem::path("fuzz/seeds") / format / name);
  return bytes.size() < 2 ? std::string() : bytes.substr(2);
}

template <typename Reader>
Result<size_t> ReadRows(Reader& reader) {
  size_t rows = 0;
  while (true) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* b, reader.Next());
    if (b == nullptr) return rows;
    rows += b->num_rows();
  }
}

Result<size_t> ReadRowBinary(std::string stream, size_t max_piece) {
  K2_ASSIGN_OR_RETURN(
      auto reader, RowBinaryReader::OpenWithHeader(SourceOf(std::move(stream), max_piece), 4, {}));
  return ReadRows(*reader);
}

Result<size_t> ReadNative(std::string stream,
                          const std::vector<std::pair<std::string, std::string>>& columns,
                          size_t max_piece) {
  K2_ASSIGN_OR_RETURN(auto reader,
                      NativeReader::Open(SourceOf(std::move(stream), max_piece), columns, 4, {}));
  return ReadRows(*reader);
}

TEST(StreamUntrusted, RowBinaryStringOf2GiBIsCorruptInBoundedMemory) {
  std::string stream = Varint(1) + Str("s") + Str("String") + Varint(k2GiB) + "abc";
  K2_ASSERT_OK_AND_ASSIGN(auto reader, RowBinaryReader::OpenWithHeader(SourceOf(stream, 7), 4, {}));
  auto r = reader->Next();
  K2_ASSERT_ERROR_KIND(r, ErrorKind::kCorrupt);
  EXPECT_LT(reader->peak_buffer_bytes(), size_t{1} << 20);
  // The header's own lengths and counts.
  K2_ASSERT_ERROR_KIND(ReadRowBinary(Varint(k2GiB) + Str("s") + Str("String"), 7),
                       ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(ReadRowBinary(Varint(1) + Varint(k2GiB) + "s", 7), ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(ReadRowBinary(Varint(1) + Str("s") + Str("FixedString(2147483648)"), 7),
                       ErrorKind::kInvalidInput);
}

TEST(StreamUntrusted, NativeLengthsOf2GiBAreCorruptInBoundedMemory) {
  const std::vector<std::pair<std::string, std::string>> columns = {{"s", "String"}};
  // A block claiming 2^31 rows; a block whose string value claims 2 GiB; a
  // column name claiming 2 GiB.
  K2_ASSERT_ERROR_KIND(
      ReadNative(Varint(1) + Varint(k2GiB) + Str("s") + Str("String") + "abc", columns, 7),
      ErrorKind::kCorrupt);
  std::string value = Varint(1) + Varint(1) + Str("s") + Str("String") + Varint(k2GiB) + "abc";
  K2_ASSERT_OK_AND_ASSIGN(auto reader, NativeReader::Open(SourceOf(value, 7), columns, 4, {}));
  K2_ASSERT_ERROR_KIND(reader->Next(), ErrorKind::kCorrupt);
  EXPECT_LT(reader->peak_buffer_bytes(), size_t{1} << 20);
  K2_ASSERT_ERROR_KIND(ReadNative(Varint(1) + Varint(1) + Varint(k2GiB) + "s", columns, 7),
                       ErrorKind::kCorrupt);
}

// Found by native_fuzz: a DateTime64 value whose microseconds overflow int64
// (ticks * 1000) was signed overflow; now kCorrupt naming the column.
TEST(StreamUntrusted, DateTime64OutOfRangeIsCorrupt) {
  std::string input = ReadFile("tests/warm/resources/fuzz/native-datetime64-overflow");
  ASSERT_GT(input.size(), 2u);
  input = input.substr(2);  // the fuzz input's piece seed and options
  std::vector<std::pair<std::string, std::string>> columns;
  K2_ASSERT_OK_AND_ASSIGN(size_t header, ParseRowBinaryHeader(input, &columns));
  ASSERT_GT(header, 0u);
  auto r = ReadNative(input.substr(header), columns, 7);
  K2_ASSERT_ERROR_KIND(r, ErrorKind::kCorrupt);
  EXPECT_NE(r.error().message.find("out of the timestamp range"), std::string::npos)
      << r.error().message;

  const std::string max("\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
  for (const char* type : {"DateTime64(3, 'UTC')", "DateTime64(0)"}) {
    auto rb = ReadRowBinary(Varint(1) + Str("t") + Str(type) + max, 7);
    K2_ASSERT_ERROR_KIND(rb, ErrorKind::kCorrupt);
    EXPECT_NE(rb.error().message.find("'t'"), std::string::npos) << rb.error().message;
  }
}

TEST(StreamUntrusted, RowBinaryTruncatedAtEveryOffset) {
  for (const char* name : {"nullable", "strings", "dates"}) {
    std::string stream = Captured("row_binary", name);
    ASSERT_FALSE(stream.empty()) << name;
    K2_ASSERT_OK_AND_ASSIGN(size_t all, ReadRowBinary(stream, 5));
    ASSERT_GT(all, 0u);
    for (size_t n = 0; n < stream.size(); ++n) {
      for (size_t piece : {size_t{1}, size_t{4096}}) {
        // A cut between two rows is a shorter valid stream; anywhere else kCorrupt.
        auto r = ReadRowBinary(stream.substr(0, n), piece);
        if (r) {
          EXPECT_LT(*r, all) << name << " at " << n;
        } else {
          EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << name << " at " << n;
        }
      }
    }
  }
}

TEST(StreamUntrusted, NativeTruncatedAtEveryOffset) {
  for (const char* name : {"nullable", "strings", "blocks"}) {
    std::string input = Captured("native", name);
    std::vector<std::pair<std::string, std::string>> columns;
    K2_ASSERT_OK_AND_ASSIGN(size_t header, ParseRowBinaryHeader(input, &columns));
    ASSERT_GT(header, 0u) << name;
    std::string stream = input.substr(header);
    K2_ASSERT_OK_AND_ASSIGN(size_t all, ReadNative(stream, columns, 5));
    ASSERT_GT(all, 0u);
    for (size_t n = 0; n < stream.size(); ++n) {
      for (size_t piece : {size_t{1}, size_t{4096}}) {
        // A cut between two blocks is a shorter valid stream; anywhere else kCorrupt.
        auto r = ReadNative(stream.substr(0, n), columns, piece);
        if (r) {
          EXPECT_LT(*r, all) << name << " at " << n;
        } else {
          EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << name << " at " << n;
        }
      }
    }
  }
}

}  // namespace
}  // namespace k2::warm
