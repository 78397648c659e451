// One suite per column-writer kind of src/parquet/writer/ (boolean, numeric,
// byte array): a column of that kind, with nulls, across several row groups,
// written by k2 and read back by DuckDB (values, null counts, per-chunk
// statistics, encodings, dictionary pages) and by k2's reader (values).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "columnar/value.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "parquet/parquet_test_util.h"
#include "support/support.h"

namespace k2::parquet {
namespace {

using ::k2::parquet::testing::AppendKey;
using ::k2::parquet::testing::CompareStatement;
using ::k2::parquet::testing::DuckExpr;
using ::k2::parquet::testing::WriteExpectedCsv;
using ::k2::parquet::testing::WriteLocalFile;
using ::k2::testing::QueryOracle;
using ::k2::testing::TempDir;

/// Rows per batch: FileWriter checks the row-group size after every 8192 rows,
/// so with a tiny row_group_bytes each batch becomes one row group.
constexpr size_t kGroupRows = 8192;

/// How the keys of a column repeat.
enum class Keys { kSeven, kCycle300, kUnique };

int64_t KeyOf(Keys keys, size_t row) {
  int64_t key = 0;
  switch (keys) {
    case Keys::kSeven:
      key = static_cast<int64_t>(row % 7);
      break;
    case Keys::kCycle300:
      key = static_cast<int64_t>(row % 300);
      break;
    case Keys::kUnique:
      key = static_cast<int64_t>(row);
      break;
  }
  // AppendKey makes a NaN of float keys k % 101 == 50: keep them out, so that
  // DuckDB's min/max and the statistics (which skip NaN) order the same values.
  return key % 101 == 50 ? key + 1000000 : key;
}

/// One nullable column "c" of `type`: `groups` batches of kGroupRows, every
/// fifth row null.
std::vector<ColumnBatch> MakeBatches(const std::shared_ptr<const Schema>& schema, Keys keys,
                                     size_t groups) {
  std::vector<ColumnBatch> out;
  size_t row = 0;
  for (size_t g = 0; g < groups; ++g) {
    ColumnBatch b(schema);
    for (size_t i = 0; i < kGroupRows; ++i, ++row) {
      if (row % 5 == 3) {
        b.columns[0].AppendNull();
      } else {
        AppendKey(b.columns[0], schema->fields[0].type, KeyOf(keys, row));
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

/// One column "c" without nulls (the writers' dense paths): `groups` batches
/// of kGroupRows where each key repeats 3 times, so runs cross the batch (and
/// row group) boundaries. Group 0 has 20 distinct keys (a dictionary that
/// starts small and outgrows the writers' small-dictionary scan), later groups
/// 1,500 (the dictionary's hash table grows mid-run).
std::vector<ColumnBatch> MakeDenseRuns(const std::shared_ptr<const Schema>& schema, size_t groups) {
  std::vector<ColumnBatch> out;
  size_t row = 0;
  for (size_t g = 0; g < groups; ++g) {
    ColumnBatch b(schema);
    for (size_t i = 0; i < kGroupRows; ++i, ++row) {
      const auto run = static_cast<int64_t>(row / 3);
      int64_t key = g == 0 ? (run * 7) % 20 : run % 1500;
      if (key % 101 == 50) key += 1000000;  // not a NaN key: see KeyOf
      AppendKey(b.columns[0], schema->fields[0].type, key);
    }
    out.push_back(std::move(b));
  }
  return out;
}

std::shared_ptr<const Schema> OneColumn(const DataType& type) {
  auto schema = std::make_shared<Schema>();
  schema->fields.push_back(Field{3, "c", type, true, ""});
  return schema;
}

/// Options that close a row group after every batch.
WriterOptions GroupPerBatch() {
  WriterOptions o;
  o.row_group_bytes = 1;
  return o;
}

/// What DuckDB sees of a file's chunks, one row per row group: the chunk's
/// encodings, whether it has a dictionary page, its statistics (smin, smax,
/// snulls) and the same computed from the rows of that group (vmin, vmax, vnulls).
std::string ChunkStatement(const std::string& path) {
  return fmt::format(
      "SELECT m.row_group_id::VARCHAR AS g, m.encodings, m.type,"
      " (m.dictionary_page_offset IS NOT NULL)::VARCHAR AS dict,"
      " m.stats_min_value AS smin, m.stats_max_value AS smax, m.stats_null_count::VARCHAR AS "
      "snulls, a.vmin, a.vmax, a.vnulls FROM parquet_metadata('{0}') m JOIN (SELECT "
      "file_row_number // {1} AS g, min(c)::VARCHAR AS vmin, max(c)::VARCHAR AS vmax,"
      " (count(*) - count(c))::VARCHAR AS vnulls FROM read_parquet('{0}', file_row_number=true)"
      " GROUP BY g) a ON a.g = m.row_group_id ORDER BY m.row_group_id",
      path, kGroupRows);
}

/// Values and chunks of one written file, checked against DuckDB; returns the
/// chunk rows for kind-specific checks.
nlohmann::json CheckWithDuckDB(const TempDir& dir, const std::string& path,
                               const std::vector<ColumnBatch>& batches, const DataType& type,
                               size_t groups) {
  std::string csv = dir / "expected.tsv";
  WriteExpectedCsv(csv, batches, 0);
  auto r = QueryOracle("duckdb",
                       {CompareStatement(path, csv, DuckExpr("c", type)), ChunkStatement(path)});
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  if (!r) return nlohmann::json::array();
  const auto& cmp = (*r)[0][0];
  EXPECT_EQ(cmp["bad"], "0") << cmp.dump();
  EXPECT_EQ(cmp["n"], std::to_string(groups * kGroupRows));
  const auto& chunks = (*r)[1];
  EXPECT_EQ(chunks.size(), groups) << chunks.dump();
  for (const auto& row : chunks) {
    SCOPED_TRACE(row.dump());
    EXPECT_EQ(row["snulls"], row["vnulls"]);
    EXPECT_EQ(row["smin"], row["vmin"]);
    EXPECT_EQ(row["smax"], row["vmax"]);
  }
  return chunks;
}

/// Every value of the file as k2's reader returns it ("null" for nulls).
std::vector<std::string> ReadBack(const std::string& path) {
  std::vector<std::string> out;
  auto in = NewLocalFileIO()->OpenInput(path);
  EXPECT_TRUE(in.has_value());
  if (!in) return out;
  auto reader = FileReader::Open(std::move(*in));
  EXPECT_TRUE(reader.has_value());
  if (!reader) return out;
  auto batches = (*reader)->Read({});
  EXPECT_TRUE(batches.has_value());
  if (!batches) return out;
  while (true) {
    auto b = (*batches)->Next();
    EXPECT_TRUE(b.has_value());
    if (!b || *b == nullptr) break;
    const Column& c = (*b)->columns[0];
    for (size_t i = 0; i < (*b)->num_rows(); ++i) {
      out.push_back(c.IsValid(i) ? Value::FromColumn(c, i).ToString() : "null");
    }
  }
  return out;
}

/// The values k2's reader should return for `batches`.
std::vector<std::string> Written(const std::vector<ColumnBatch>& batches) {
  std::vector<std::string> out;
  for (const auto& b : batches) {
    for (size_t i = 0; i < b.num_rows(); ++i) {
      out.push_back(b.columns[0].IsValid(i) ? Value::FromColumn(b.columns[0], i).ToString()
                                            : "null");
    }
  }
  return out;
}

bool Has(const nlohmann::json& chunk, const std::string& encoding) {
  return chunk["encodings"].get<std::string>().find(encoding) != std::string::npos;
}

std::string TestName(const ::testing::TestParamInfo<DataType>& info) {
  std::string name;
  for (char c : info.param.ToString()) {
    if (std::isalnum(static_cast<unsigned char>(c))) name += c;
  }
  return name;
}

// BooleanColumnWriter: PLAIN bit-packed pages, never a dictionary; a group of
// only `true` has min = max = true.

/// Writes three row groups of MakeDenseRuns (no nulls, runs crossing group
/// boundaries) in `type`, checks them with DuckDB and k2's reader; returns
/// DuckDB's chunk rows.
nlohmann::json WriteDenseRunsAndCheck(const DataType& type) {
  TempDir dir;
  auto schema = OneColumn(type);
  auto batches = MakeDenseRuns(schema, 3);
  std::string path = dir / "runs.parquet";
  auto written = WriteLocalFile(path, schema, batches, GroupPerBatch());
  EXPECT_TRUE(written.has_value()) << written.error().ToString();
  if (!written) return nlohmann::json::array();
  nlohmann::json chunks = CheckWithDuckDB(dir, path, batches, type, 3);
  EXPECT_EQ(ReadBack(path), Written(batches));
  return chunks;
}

TEST(BooleanColumnWriterTest, BitPackedPagesNullsAndStatistics) {
  TempDir dir;
  auto schema = OneColumn(DataType::Boolean());
  auto batches = MakeBatches(schema, Keys::kSeven, 3);
  for (size_t i = 0; i < kGroupRows; ++i) {  // the last group: true or null
    if (batches[2].columns[0].IsValid(i)) batches[2].columns[0].mutable_data()[i] = 1;
  }
  std::string path = dir / "bool.parquet";
  WriterOptions o = GroupPerBatch();
  o.page_bytes = 256;  // many pages per chunk
  K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m, WriteLocalFile(path, schema, batches, o));
  ASSERT_EQ(m.columns.size(), 1u);
  EXPECT_EQ(m.columns[0].value_count, static_cast<int64_t>(3 * kGroupRows));
  EXPECT_EQ(m.columns[0].null_count, static_cast<int64_t>(3 * kGroupRows / 5));
  EXPECT_EQ(m.columns[0].lower_bound, EncodeSingleValue(Value{DataType::Boolean(), false}));
  EXPECT_EQ(m.columns[0].upper_bound, EncodeSingleValue(Value{DataType::Boolean(), true}));
  auto chunks = CheckWithDuckDB(dir, path, batches, DataType::Boolean(), 3);
  for (const auto& chunk : chunks) {
    SCOPED_TRACE(chunk.dump());
    EXPECT_EQ(chunk["type"], "BOOLEAN");
    EXPECT_EQ(chunk["dict"], "false");
    EXPECT_TRUE(Has(chunk, "PLAIN"));
    EXPECT_FALSE(Has(chunk, "DICTIONARY"));
  }
  if (chunks.size() == 3) {
    EXPECT_EQ(chunks[2]["smin"], "true");
    EXPECT_EQ(chunks[2]["smax"], "true");
  }
  EXPECT_EQ(ReadBack(path), Written(batches));
}

class NumericColumnWriterTest : public ::testing::TestWithParam<DataType> {};

// A few distinct values: every chunk is dictionary-encoded.
TEST_P(NumericColumnWriterTest, DictionaryWhileItPays) {
  const DataType type = GetParam();
  TempDir dir;
  auto schema = OneColumn(type);
  auto batches = MakeBatches(schema, Keys::kSeven, 3);
  std::string path = dir / "n.parquet";
  K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m,
                          WriteLocalFile(path, schema, batches, GroupPerBatch()));
  EXPECT_EQ(m.columns[0].null_count, static_cast<int64_t>(3 * kGroupRows / 5));
  EXPECT_TRUE(m.columns[0].lower_bound.has_value());
  EXPECT_TRUE(m.columns[0].upper_bound.has_value());
  for (const auto& chunk : CheckWithDuckDB(dir, path, batches, type, 3)) {
    SCOPED_TRACE(chunk.dump());
    EXPECT_EQ(chunk["dict"], "true");
    EXPECT_TRUE(Has(chunk, "RLE_DICTIONARY"));
  }
  EXPECT_EQ(ReadBack(path), Written(batches));
}

// Distinct values: the dictionary never pays, integers are DELTA_BINARY_PACKED
// (sequential keys) and floating point PLAIN, in every chunk.
TEST_P(NumericColumnWriterTest, PlainOrDeltaWhenDistinct) {
  const DataType type = GetParam();
  TempDir dir;
  auto schema = OneColumn(type);
  auto batches = MakeBatches(schema, Keys::kUnique, 3);
  std::string path = dir / "n.parquet";
  WriterOptions o = GroupPerBatch();
  o.dictionary_page_bytes = 1024;
  K2_ASSERT_OK(WriteLocalFile(path, schema, batches, o));
  bool floating = type.id == TypeId::kFloat || type.id == TypeId::kDouble;
  for (const auto& chunk : CheckWithDuckDB(dir, path, batches, type, 3)) {
    SCOPED_TRACE(chunk.dump());
    EXPECT_EQ(chunk["dict"], "false");
    EXPECT_FALSE(Has(chunk, "DICTIONARY"));
    EXPECT_TRUE(Has(chunk, floating ? "PLAIN" : "DELTA_BINARY_PACKED"));
  }
  EXPECT_EQ(ReadBack(path), Written(batches));
}

// The dictionary pays on the first page, then outgrows dictionary_page_bytes:
// that chunk holds a dictionary and plain pages, later chunks are plain.
TEST_P(NumericColumnWriterTest, FallbackMidChunkStaysPlain) {
  const DataType type = GetParam();
  TempDir dir;
  auto schema = OneColumn(type);
  auto batches = MakeBatches(schema, Keys::kCycle300, 3);
  std::string path = dir / "n.parquet";
  WriterOptions o = GroupPerBatch();
  o.dictionary_page_bytes = 600;  // 240 distinct non-null values: at least 960 bytes
  K2_ASSERT_OK(WriteLocalFile(path, schema, batches, o));
  auto chunks = CheckWithDuckDB(dir, path, batches, type, 3);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0]["dict"], "true") << chunks[0].dump();
  EXPECT_TRUE(Has(chunks[0], "RLE_DICTIONARY")) << chunks[0].dump();
  EXPECT_TRUE(Has(chunks[0], "PLAIN") || Has(chunks[0], "DELTA")) << chunks[0].dump();
  for (size_t g = 1; g < 3; ++g) {
    EXPECT_EQ(chunks[g]["dict"], "false") << chunks[g].dump();
    EXPECT_FALSE(Has(chunks[g], "DICTIONARY")) << chunks[g].dump();
  }
  EXPECT_EQ(ReadBack(path), Written(batches));
}

// No nulls: runs of equal values skip the dictionary lookup, and a run that
// crosses into the next row group is looked up in that group's dictionary.
TEST_P(NumericColumnWriterTest, DenseRunsAcrossChunks) {
  for (const auto& chunk : WriteDenseRunsAndCheck(GetParam())) {
    SCOPED_TRACE(chunk.dump());
    EXPECT_EQ(chunk["dict"], "true");
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, NumericColumnWriterTest,
                         ::testing::Values(DataType::Int32(), DataType::Int64(), DataType::Float(),
                                           DataType::Double(), DataType::Decimal(9, 2),
                                           DataType::Decimal(18, 4), DataType::Date(),
                                           DataType::Timestamp()),
                         TestName);

class ByteArrayColumnWriterTest : public ::testing::TestWithParam<DataType> {};

// A few distinct values: every chunk is dictionary-encoded.
TEST_P(ByteArrayColumnWriterTest, DictionaryWhileItPays) {
  const DataType type = GetParam();
  TempDir dir;
  auto schema = OneColumn(type);
  auto batches = MakeBatches(schema, Keys::kSeven, 3);
  std::string path = dir / "b.parquet";
  K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m,
                          WriteLocalFile(path, schema, batches, GroupPerBatch()));
  EXPECT_EQ(m.columns[0].null_count, static_cast<int64_t>(3 * kGroupRows / 5));
  bool variable = type.IsVariableWidth();
  for (const auto& chunk : CheckWithDuckDB(dir, path, batches, type, 3)) {
    SCOPED_TRACE(chunk.dump());
    EXPECT_EQ(chunk["type"], variable ? "BYTE_ARRAY" : "FIXED_LEN_BYTE_ARRAY");
    EXPECT_EQ(chunk["dict"], "true");
    EXPECT_TRUE(Has(chunk, "RLE_DICTIONARY"));
  }
  EXPECT_EQ(ReadBack(path), Written(batches));
}

// Mostly distinct values: the writer gives up on the dictionary after probing
// and every chunk is PLAIN.
TEST_P(ByteArrayColumnWriterTest, PlainWhenMostlyDistinct) {
  const DataType type = GetParam();
  TempDir dir;
  auto schema = OneColumn(type);
  auto batches = MakeBatches(schema, Keys::kUnique, 3);
  std::string path = dir / "b.parquet";
  K2_ASSERT_OK(WriteLocalFile(path, schema, batches, GroupPerBatch()));
  for (const auto& chunk : CheckWithDuckDB(dir, path, batches, type, 3)) {
    SCOPED_TRACE(chunk.dump());
    EXPECT_EQ(chunk["dict"], "false");
    EXPECT_FALSE(Has(chunk, "DICTIONARY"));
    EXPECT_TRUE(Has(chunk, "PLAIN"));
  }
  EXPECT_EQ(ReadBack(path), Written(batches));
}

// No nulls, a dictionary of a few short strings (scanned, not hashed) that
// grows past the scan (one string over 16 bytes among its first entries),
// runs across row groups: every value reads back.
TEST_P(ByteArrayColumnWriterTest, DenseRunsAcrossChunks) {
  WriteDenseRunsAndCheck(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, ByteArrayColumnWriterTest,
                         ::testing::Values(DataType::String(), DataType::Binary(),
                                           DataType::Fixed(5), DataType::Uuid(),
                                           DataType::Decimal(38, 10)),
                         TestName);

// Parquet statistics of strings longer than 64 bytes are truncated: the min
// to a prefix, the max to a prefix with its last byte incremented, both
// marked inexact (read with k2's reader of the footer).
TEST(ByteArrayColumnWriterTest, LongStringStatisticsAreTruncatedAndInexact) {
  TempDir dir;
  auto schema = OneColumn(DataType::String());
  ColumnBatch b(schema);
  std::string lo = std::string(70, 'b') + "lo";
  std::string hi = std::string(70, 'y') + "hi";
  b.columns[0].AppendBytes(hi);
  b.columns[0].AppendNull();
  b.columns[0].AppendBytes(lo);
  std::string path = dir / "long.parquet";
  K2_ASSERT_OK(WriteLocalFile(path, schema, {b}, {}));
  K2_ASSERT_OK_AND_ASSIGN(auto in, NewLocalFileIO()->OpenInput(path));
  K2_ASSERT_OK_AND_ASSIGN(auto reader, FileReader::Open(std::move(in)));
  ASSERT_EQ(reader->metadata().row_groups.size(), 1u);
  const auto& meta = reader->metadata().row_groups[0].columns[0].meta_data;
  ASSERT_TRUE(meta.has_value());
  ASSERT_TRUE(meta->statistics.has_value());
  const format::Statistics& st = *meta->statistics;
  EXPECT_EQ(st.min_value, lo.substr(0, 64));
  EXPECT_EQ(st.max_value, std::string(63, 'y') + "z");
  EXPECT_EQ(st.is_min_value_exact, false);
  EXPECT_EQ(st.is_max_value_exact, false);
  EXPECT_EQ(st.null_count, 1);
  EXPECT_EQ(ReadBack(path), (std::vector<std::string>{hi, "null", lo}));
}

}  // namespace
}  // namespace k2::parquet
