// More of the flat parquet-testing files documented in EXPECTED.md section D:
// their values, and row-group skipping that statistics cannot fool (NaN max,
// truncated inexact min/max).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "columnar/value.h"
#include "parquet/file_reader.h"
#include "support/support.h"

namespace k2::parquet {
namespace {

Result<std::unique_ptr<FileReader>> OpenFixture(const std::string& fixtures,
                                                const std::string& name) {
  auto io = NewLocalFileIO();
  K2_ASSIGN_OR_RETURN(auto in, io->OpenInput(fixtures + "/parquet-testing/data/" + name));
  return FileReader::Open(std::move(in));
}

/// Every row of `reader` (all columns) as text, "null" for nulls.
Result<std::vector<std::vector<std::string>>> ReadText(FileReader& reader,
                                                       const Predicate* predicate = nullptr) {
  ReadOptions ro;
  ro.predicate = predicate;
  K2_ASSIGN_OR_RETURN(auto batches, reader.Read(ro));
  std::vector<std::vector<std::string>> rows;
  while (true) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* b, batches->Next());
    if (b == nullptr) break;
    for (size_t r = 0; r < b->num_rows(); ++r) {
      std::vector<std::string> row;
      for (const auto& c : b->columns) {
        Value v = Value::FromColumn(c, r);
        row.push_back(v.is_null() ? "null" : v.ToString());
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

Result<Predicate> Bound(const std::string& text, const Schema& schema) {
  K2_ASSIGN_OR_RETURN(Predicate p, Predicate::Parse(text));
  K2_RETURN_IF_ERROR(p.Bind(schema));
  return p;
}

// x = [1.0, NaN] and the chunk's max statistic is NaN, which readers must
// ignore (PARQUET-1222): the group may not be skipped for x = 1.
TEST(FixtureDocumentedTest, NanInStatsDoesNotSkipMatchingGroup) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenFixture(fixtures, "nan_in_stats.parquet"));
  K2_ASSERT_OK_AND_ASSIGN(auto rows, ReadText(*reader));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "1");
  EXPECT_EQ(rows[1][0], "nan");
  for (const char* text : {"x = 1", "x >= 0.5", "x <= 1", "x > 0.99"}) {
    K2_ASSERT_OK_AND_ASSIGN(Predicate p, Bound(text, reader->schema()));
    EXPECT_TRUE(reader->RowGroupMightMatch(0, p)) << text;
    K2_ASSERT_OK_AND_ASSIGN(auto got, ReadText(*reader, &p));
    EXPECT_EQ(got.size(), 2u) << text;
  }
  auto st = reader->Statistics(0, 0);
  if (st.max) {
    EXPECT_FALSE(std::isnan(std::get<double>(st.max->data))) << "a NaN max was used";
  }
}

// Truncated, inexact min/max (statistics_truncate_length=2) are still bounds:
// an equality on any value present never skips the group.
TEST(FixtureDocumentedTest, TruncatedStatisticsNeverSkipAPresentValue) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenFixture(fixtures, "binary_truncated_min_max.parquet"));
  const Schema& schema = reader->schema();
  ASSERT_EQ(schema.fields.size(), 6u);
  K2_ASSERT_OK_AND_ASSIGN(auto rows, ReadText(*reader));
  ASSERT_EQ(rows.size(), 12u);
  // The utf8 columns are strings; the values DuckDB reads.
  EXPECT_EQ(schema.fields[0].type.id, TypeId::kString);
  EXPECT_EQ(rows[0][0], "Blart Versenwald III");
  EXPECT_EQ(rows[1][0], "Alice Johnson");
  EXPECT_EQ(rows[1][4], "Al");
  for (size_t c = 0; c < schema.fields.size(); ++c) {
    if (schema.fields[c].type.id != TypeId::kString) continue;
    for (const auto& row : rows) {
      std::string text = fmt::format("{} = '{}'", schema.fields[c].name, row[c]);
      K2_ASSERT_OK_AND_ASSIGN(Predicate p, Bound(text, schema));
      EXPECT_TRUE(reader->RowGroupMightMatch(0, p)) << text;
    }
  }
}

// Two row groups with identical data (sorting_columns metadata).
TEST(FixtureDocumentedTest, SortColumnsTwoIdenticalGroups) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenFixture(fixtures, "sort_columns.parquet"));
  ASSERT_EQ(reader->num_row_groups(), 2);
  K2_ASSERT_OK_AND_ASSIGN(auto rows, ReadText(*reader));
  std::vector<std::vector<std::string>> group = {{"null", "a"}, {"2", "b"}, {"1", "c"}};
  ASSERT_EQ(rows.size(), 6u);
  for (size_t r = 0; r < 6; ++r) EXPECT_EQ(rows[r], group[r % 3]) << r;
}

// An unknown logical type: the file opens; the column reads as binary.
TEST(FixtureDocumentedTest, UnknownLogicalTypeStillReads) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenFixture(fixtures, "unknown-logical-type.parquet"));
  const Schema& schema = reader->schema();
  ASSERT_EQ(schema.fields.size(), 2u);
  EXPECT_EQ(schema.fields[0].type.id, TypeId::kString);
  EXPECT_EQ(schema.fields[1].type.id, TypeId::kBinary);
  K2_ASSERT_OK_AND_ASSIGN(auto rows, ReadText(*reader));
  ASSERT_EQ(rows.size(), 3u);
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(rows[r][0], fmt::format("known string {}", r + 1));
    std::string want;
    for (char ch : fmt::format("unknown string {}", r + 1)) {
      want += fmt::format("{:02x}", static_cast<unsigned char>(ch));
    }
    EXPECT_EQ(rows[r][1], want);
  }
}

// Zero rows, two INT32 columns, column-chunk key-value metadata.
TEST(FixtureDocumentedTest, ColumnChunkKeyValueMetadataEmptyFile) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader,
                          OpenFixture(fixtures, "column_chunk_key_value_metadata.parquet"));
  ASSERT_EQ(reader->schema().fields.size(), 2u);
  EXPECT_EQ(reader->schema().fields[0].type, DataType::Int32());
  EXPECT_EQ(reader->schema().fields[1].type, DataType::Int32());
  EXPECT_EQ(reader->num_rows(), 0);
  K2_ASSERT_OK_AND_ASSIGN(auto rows, ReadText(*reader));
  EXPECT_TRUE(rows.empty());
}

// Each *_byte_stream_split column equals its *_plain twin (float16, float,
// double, int32, int64, FLBA(5), decimal(7,3)).
TEST(FixtureDocumentedTest, ByteStreamSplitEqualsPlainTwin) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader,
                          OpenFixture(fixtures, "byte_stream_split_extended.gzip.parquet"));
  const Schema& schema = reader->schema();
  ASSERT_EQ(schema.fields.size(), 14u);
  K2_ASSERT_OK_AND_ASSIGN(auto rows, ReadText(*reader));
  ASSERT_EQ(rows.size(), 200u);
  for (size_t c = 0; c + 1 < schema.fields.size(); c += 2) {
    ASSERT_EQ(schema.fields[c].type, schema.fields[c + 1].type) << schema.fields[c].name;
    size_t differing = 0, non_null = 0;
    for (const auto& row : rows) {
      differing += row[c] != row[c + 1];
      non_null += row[c] != "null";
    }
    EXPECT_EQ(differing, 0u) << schema.fields[c + 1].name;
    EXPECT_GT(non_null, 0u) << schema.fields[c].name;
  }
}

}  // namespace
}  // namespace k2::parquet

namespace k2::parquet {
namespace {

// Every corrupt file's error names the file and a byte offset in it.
TEST(FixtureDocumentedTest, BadDataErrorsNameFileAndOffset) {
  K2_REQUIRE_FIXTURES(fixtures);
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(fixtures + "/parquet-testing/bad_data")) {
    if (entry.path().extension() != ".parquet") continue;
    if (entry.path().filename() == "ARROW-GH-43605.parquet")
      continue;  // valid, see file_reader_test
    SCOPED_TRACE(entry.path().string());
    ++files;
    auto io = NewLocalFileIO();
    K2_ASSERT_OK_AND_ASSIGN(auto in, io->OpenInput(entry.path().string()));
    auto reader = FileReader::Open(std::move(in));
    std::string message;
    if (!reader) {
      message = reader.error().ToString();
    } else {
      auto rows = ReadText(**reader);
      ASSERT_FALSE(rows.has_value());
      message = rows.error().ToString();
    }
    EXPECT_NE(message.find(entry.path().filename().string()), std::string::npos) << message;
    EXPECT_NE(message.find("offset"), std::string::npos) << message;
  }
  EXPECT_EQ(files, 7);
}

}  // namespace
}  // namespace k2::parquet
