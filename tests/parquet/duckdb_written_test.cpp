// Files DuckDB writes (PARQUET_VERSION V1 and V2, every codec, its own choice of
// encodings: PLAIN, RLE_DICTIONARY, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
// BYTE_STREAM_SPLIT) read by k2: the values DuckDB reads back from the same file,
// the statistics DuckDB reports, and row-group skipping on DuckDB's statistics.
// DuckDB (like chDB) writes v1 data page headers for both versions; data pages
// v2 are read in file_reader_test from the parquet-testing fixtures written by
// parquet-mr and Arrow (datapage_v2.snappy, page_v2_empty_compressed, ...).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "columnar/value.h"
#include "parquet/file_reader.h"
#include "parquet/parquet_test_util.h"
#include "support/support.h"

namespace k2::parquet {
namespace {

using ::k2::parquet::testing::DuckExpr;
using ::k2::parquet::testing::ExpectedText;
using ::k2::testing::QueryOracle;
using ::k2::testing::TempDir;

constexpr int kRows = 5000;
constexpr int kRowGroupRows = 2048;

/// Columns of every flat type DuckDB writes, with nulls in most of them.
const char* const kSource = R"(SELECT
  i::BIGINT AS id,
  CASE WHEN i % 5 = 1 THEN NULL ELSE (i * 7919 - 100000)::INTEGER END AS i32,
  CASE WHEN i % 5 = 2 THEN NULL ELSE (i % 7)::BIGINT END AS low64,
  CASE WHEN i % 5 = 3 THEN NULL WHEN i % 101 = 50 THEN 'nan'::FLOAT
       ELSE (i * 0.5 - 100)::FLOAT END AS f32,
  CASE WHEN i % 101 = 50 THEN 'nan'::DOUBLE ELSE (i * 0.25 - 1e6)::DOUBLE END AS f64,
  CASE WHEN i % 5 = 4 THEN NULL ELSE ((i * 13 - 500)::DECIMAL(9, 0) / 100)::DECIMAL(9, 2) END
    AS dec9,
  ((i * 100000007 - 123456789)::DECIMAL(18, 0) / 100000000)::DECIMAL(18, 8) AS dec18,
  (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END * (i * 123456789012345)::HUGEINT)::DECIMAL(38, 10)
    AS dec38,
  DATE '2020-01-01' + (i - 1000)::INTEGER AS d,
  TIMESTAMP '2023-11-14 22:13:20' + to_microseconds(i * 1000001) AS ts,
  CASE WHEN i % 5 = 0 THEN NULL
       ELSE TIMESTAMPTZ '2023-11-14 22:13:20+00' + to_microseconds(i * 1000001) END AS tstz,
  CASE WHEN i % 5 = 1 THEN NULL ELSE 'v' || i || repeat('é', i % 4) END AS s_unique,
  'sym' || (i % 3) AS s_low,
  CASE WHEN i % 5 = 2 THEN NULL ELSE encode('b' || (i % 250)) END AS bin,
  ('00000000-0000-0000-0000-' || lpad(i::VARCHAR, 12, '0'))::UUID AS u,
  CASE WHEN i % 5 = 3 THEN NULL ELSE i % 3 = 0 END AS flag
FROM range(5000) t(i))";

/// The codec names DuckDB's COPY takes.
const char* const kCodecs[] = {"uncompressed", "snappy", "gzip", "zstd", "lz4_raw"};

Result<std::unique_ptr<FileReader>> OpenPath(const std::string& path) {
  auto io = NewLocalFileIO();
  K2_ASSIGN_OR_RETURN(auto in, io->OpenInput(path));
  return FileReader::Open(std::move(in));
}

/// The page type of the first data page of every column chunk of `reader`.
std::set<format::PageType> FirstDataPageTypes(const FileReader& reader, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::set<format::PageType> out;
  for (const auto& g : reader.metadata().row_groups) {
    for (const auto& c : g.columns) {
      auto offset = static_cast<size_t>(c.meta_data->data_page_offset);
      size_t consumed = 0;
      auto h = format::ParsePageHeader(reinterpret_cast<const uint8_t*>(bytes.data()) + offset,
                                       bytes.size() - offset, path, offset, &consumed);
      if (h) out.insert(h->type);
    }
  }
  return out;
}

TEST(DuckDBWrittenTest, K2ReadsDuckDBValuesForEveryFormatVersionAndCodec) {
  TempDir dir;
  std::vector<std::string> statements;
  std::vector<std::pair<std::string, std::string>> files;  // parquet, expected tsv
  for (const char* version : {"V1", "V2"}) {
    for (const char* codec : kCodecs) {
      std::string path = dir / fmt::format("duck_{}_{}.parquet", version, codec);
      statements.push_back(
          fmt::format("COPY ({}) TO '{}' (FORMAT parquet, PARQUET_VERSION {}, COMPRESSION {}, "
                      "ROW_GROUP_SIZE {})",
                      kSource, path, version, codec, kRowGroupRows));
      files.emplace_back(path, path + ".tsv");
    }
  }
  // DuckDB writes every file first; k2 needs the schema to build the read-back.
  K2_ASSERT_OK(QueryOracle("duckdb", statements));

  std::vector<std::string> exports;
  std::vector<std::string> metadata;
  for (const auto& [path, tsv] : files) {
    K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(path));
    const Schema& schema = reader->schema();
    ASSERT_EQ(schema.fields.size(), 16u) << path;
    std::string select = "SELECT file_row_number AS r";
    for (const Field& f : schema.fields) select += ", " + DuckExpr(f.name, f.type);
    exports.push_back(
        fmt::format("COPY ({} FROM read_parquet('{}', file_row_number=true) ORDER BY r) TO '{}' "
                    "(FORMAT csv, HEADER false, DELIMITER '\t', NULLSTR '\\N')",
                    select, path, tsv));
    metadata.push_back(
        fmt::format("SELECT row_group_id::VARCHAR AS g, column_id::VARCHAR AS c, encodings,"
                    " stats_null_count::VARCHAR AS nulls, num_values::VARCHAR AS n"
                    " FROM parquet_metadata('{}') ORDER BY row_group_id, column_id",
                    path));
  }
  K2_ASSERT_OK(QueryOracle("duckdb", exports));
  K2_ASSERT_OK_AND_ASSIGN(nlohmann::json meta, QueryOracle("duckdb", metadata));

  std::set<std::string> encodings_seen;
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const auto& [path, tsv] = files[fi];
    SCOPED_TRACE(path);
    K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(path));
    const Schema& schema = reader->schema();
    EXPECT_EQ(schema.fields[1].type, DataType::Int32());
    EXPECT_EQ(schema.fields[5].type, DataType::Decimal(9, 2));
    EXPECT_EQ(schema.fields[7].type, DataType::Decimal(38, 10));
    EXPECT_EQ(schema.fields[9].type, DataType::Timestamp());
    EXPECT_EQ(schema.fields[10].type, DataType::TimestampTz());
    EXPECT_EQ(schema.fields[14].type, DataType::Uuid());
    EXPECT_EQ(reader->num_row_groups(), (kRows + kRowGroupRows - 1) / kRowGroupRows);

    // The page headers parse where the footer says the data pages start.
    EXPECT_EQ(FirstDataPageTypes(*reader, path),
              std::set<format::PageType>{format::PageType::kDataPage});

    // Values: every cell as DuckDB prints it.
    ReadOptions ro;
    ro.batch_rows = 777;  // batches cross pages and row groups
    K2_ASSERT_OK_AND_ASSIGN(auto batches, reader->Read(ro));
    std::ifstream expected(tsv);
    std::string line;
    size_t row = 0;
    while (true) {
      K2_ASSERT_OK_AND_ASSIGN(const ColumnBatch* b, batches->Next());
      if (b == nullptr) break;
      for (size_t r = 0; r < b->num_rows(); ++r, ++row) {
        ASSERT_TRUE(std::getline(expected, line)) << "k2 read more rows than DuckDB: " << row;
        std::vector<std::string> cells;
        std::stringstream ss(line);
        std::string cell;
        while (std::getline(ss, cell, '\t')) cells.push_back(cell);
        if (!line.empty() && line.back() == '\t') cells.emplace_back();
        ASSERT_EQ(cells.size(), schema.fields.size() + 1) << line;
        ASSERT_EQ(cells[0], std::to_string(row));
        for (size_t c = 0; c < schema.fields.size(); ++c) {
          std::string want = cells[c + 1] == "\\N" ? "null" : cells[c + 1];
          ASSERT_EQ(ExpectedText(b->columns[c], r), want)
              << "row " << row << " column " << schema.fields[c].name;
        }
      }
    }
    EXPECT_EQ(row, static_cast<size_t>(kRows));
    EXPECT_FALSE(std::getline(expected, line)) << "DuckDB has more rows than k2 read";

    // Statistics: k2's null counts and value counts per chunk equal DuckDB's.
    const auto& chunks = meta[fi];
    ASSERT_EQ(chunks.size(), static_cast<size_t>(reader->num_row_groups()) * schema.fields.size());
    for (const auto& chunk : chunks) {
      int g = std::stoi(chunk["g"].get<std::string>());
      auto c = static_cast<size_t>(std::stoi(chunk["c"].get<std::string>()));
      auto st = reader->Statistics(g, c);
      EXPECT_EQ(std::to_string(st.value_count), chunk["n"].get<std::string>());
      if (!chunk["nulls"].is_null()) {
        ASSERT_TRUE(st.null_count.has_value()) << "group " << g << " column " << c;
        EXPECT_EQ(std::to_string(*st.null_count), chunk["nulls"].get<std::string>());
      }
      std::stringstream encs(chunk["encodings"].get<std::string>());
      std::string e;
      while (std::getline(encs, e, ',')) {
        e.erase(0, e.find_first_not_of(' '));
        encodings_seen.insert(e);
      }
    }
  }
  // DuckDB chose each of these encodings somewhere, so k2 decoded each of them.
  for (const char* e : {"PLAIN", "RLE_DICTIONARY", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
                        "BYTE_STREAM_SPLIT"}) {
    EXPECT_TRUE(encodings_seen.contains(e)) << e;
  }
}

// Row groups are skipped on DuckDB's statistics, and no matching row is lost.
TEST(DuckDBWrittenTest, RowGroupSkippingOnDuckDBStatistics) {
  TempDir dir;
  std::string path = dir / "skip.parquet";
  K2_ASSERT_OK(
      QueryOracle("duckdb", {fmt::format("COPY ({}) TO '{}' (FORMAT parquet, ROW_GROUP_SIZE {})",
                                         kSource, path, kRowGroupRows)}));
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(path));
  ASSERT_EQ(reader->num_row_groups(), 3);
  struct Case {
    std::string predicate;
    int groups;       // row groups whose statistics admit the predicate
    int64_t matches;  // rows that satisfy it (all must be returned)
  };
  const Case cases[] = {
      {"id >= 2100 AND id < 2200", 1, 100},
      {"id = 4999", 1, 1},
      {"id > 5000", 0, 0},
      {"d >= '2020-01-01' AND d < '2020-01-02'", 1, 1},  // i = 1000
      {"dec18 < 0", 1, 2},                               // i = 0, 1
      {"s_low = 'sym1'", 3, 1667},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.predicate);
    K2_ASSERT_OK_AND_ASSIGN(Predicate pred, Predicate::Parse(c.predicate));
    K2_ASSERT_OK(pred.Bind(reader->schema()));
    int groups = 0;
    for (int g = 0; g < reader->num_row_groups(); ++g)
      groups += reader->RowGroupMightMatch(g, pred);
    EXPECT_EQ(groups, c.groups);
    ReadOptions ro;
    ro.predicate = &pred;
    K2_ASSERT_OK_AND_ASSIGN(auto batches, reader->Read(ro));
    int64_t rows = 0, matches = 0;
    while (true) {
      K2_ASSERT_OK_AND_ASSIGN(const ColumnBatch* b, batches->Next());
      if (b == nullptr) break;
      rows += static_cast<int64_t>(b->num_rows());
      for (size_t r = 0; r < b->num_rows(); ++r) matches += pred.Matches(*b, r);
    }
    EXPECT_EQ(matches, c.matches);
    EXPECT_LE(rows, static_cast<int64_t>(c.groups) * kRowGroupRows);
  }
}

}  // namespace
}  // namespace k2::parquet
