#include "parquet/file_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "columnar/value.h"
#include "parquet/parquet_test_util.h"
#include "support/support.h"

namespace k2::parquet {
namespace {

using ::k2::parquet::testing::AppendKey;
using ::k2::parquet::testing::DuckExpr;
using ::k2::parquet::testing::ExpectedText;
using ::k2::parquet::testing::WriteLocalFile;
using ::k2::testing::QueryDuckDB;
using ::k2::testing::QueryOracle;
using ::k2::testing::TempDir;

enum class Data { kLowCardinality, kUnique, kCycle300 };
enum class Nulls { kNone, kEveryThird, kAll, kRequired };

struct Variant {
  Codec codec = Codec::kZstd;
  bool dictionary = true;
  Data data = Data::kLowCardinality;
  Nulls nulls = Nulls::kNone;
  int64_t page_bytes = 1 << 20;
  int64_t row_group_bytes = 128 << 20;
  int64_t dictionary_page_bytes = 1 << 20;
  std::vector<size_t> batches = {3000};
};

std::vector<Variant> Variants() {
  std::vector<Variant> out;
  const Codec codecs[] = {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip, Codec::kZstd,
                          Codec::kLz4Raw};
  for (int c = 0; c < 5; ++c) {
    for (int n = 0; n < 4; ++n) {
      Variant v;
      v.codec = codecs[c];
      v.nulls = static_cast<Nulls>(n);
      v.data = static_cast<Data>((c + n) % 3);
      out.push_back(v);
    }
  }
  Variant plain_unique;
  plain_unique.dictionary = false;
  plain_unique.data = Data::kUnique;
  out.push_back(plain_unique);
  Variant plain_low;
  plain_low.dictionary = false;
  plain_low.codec = Codec::kSnappy;
  plain_low.nulls = Nulls::kEveryThird;
  out.push_back(plain_low);
  // Many pages and row groups, batches that cross page and group boundaries.
  Variant small;
  small.page_bytes = 512;
  small.row_group_bytes = 4096;
  small.dictionary_page_bytes = 256;
  small.data = Data::kCycle300;
  small.nulls = Nulls::kEveryThird;
  small.batches = {1, 999, 2000};
  out.push_back(small);
  // Dictionary pays on the first page, then overflows: dictionary + plain pages in one chunk.
  Variant mixed;
  mixed.page_bytes = 2048;
  mixed.dictionary_page_bytes = 1000;
  mixed.data = Data::kCycle300;
  mixed.batches = {1024, 1976};
  out.push_back(mixed);
  return out;
}

int64_t KeyFor(Data d, size_t row) {
  switch (d) {
    case Data::kLowCardinality:
      return static_cast<int64_t>(row % 7);
    case Data::kUnique:
      return static_cast<int64_t>(row);
    case Data::kCycle300:
      return static_cast<int64_t>(row % 300);
  }
  return 0;
}

/// Builds the batches of a variant for a one-column schema.
std::vector<ColumnBatch> MakeBatches(const std::shared_ptr<const Schema>& schema,
                                     const Variant& v) {
  std::vector<ColumnBatch> out;
  size_t row = 0;
  for (size_t n : v.batches) {
    ColumnBatch b(schema);
    for (size_t i = 0; i < n; ++i, ++row) {
      for (size_t c = 0; c < schema->fields.size(); ++c) {
        bool null = v.nulls == Nulls::kAll || (v.nulls == Nulls::kEveryThird && row % 3 == 1);
        if (null) {
          b.columns[c].AppendNull();
        } else {
          AppendKey(b.columns[c], schema->fields[c].type, KeyFor(v.data, row));
        }
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

WriterOptions OptionsFor(const Variant& v) {
  WriterOptions o;
  o.codec = v.codec;
  o.dictionary = v.dictionary;
  o.page_bytes = v.page_bytes;
  o.row_group_bytes = v.row_group_bytes;
  o.dictionary_page_bytes = v.dictionary_page_bytes;
  return o;
}

class WriterTypeTest : public ::testing::TestWithParam<DataType> {};

// Every variant (codec x null pattern x encoding x batch boundaries) of one
// type is written by k2 and read back by DuckDB, value by value.
TEST_P(WriterTypeTest, DuckDBReadsEveryVariant) {
  const DataType type = GetParam();
  TempDir dir;
  std::vector<Variant> variants = Variants();
  std::vector<std::string> statements;
  std::vector<std::vector<ColumnBatch>> all_batches;
  for (size_t i = 0; i < variants.size(); ++i) {
    const Variant& v = variants[i];
    auto schema = std::make_shared<Schema>();
    schema->fields.push_back(Field{7, "c", type, v.nulls != Nulls::kRequired, ""});
    all_batches.push_back(MakeBatches(schema, v));
    std::string path = dir / fmt::format("v{}.parquet", i);
    K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m,
                            WriteLocalFile(path, schema, all_batches.back(), OptionsFor(v)));
    EXPECT_EQ(m.record_count, 3000);
    EXPECT_EQ(m.file_size_in_bytes, static_cast<int64_t>(std::filesystem::file_size(path)));
    ASSERT_EQ(m.columns.size(), 1u);
    EXPECT_EQ(m.columns[0].field_id, 7);
    EXPECT_EQ(m.columns[0].value_count, 3000);
    std::string csv = dir / fmt::format("v{}.tsv", i);
    ::k2::parquet::testing::WriteExpectedCsv(csv, all_batches.back(), 0);
    statements.push_back(::k2::parquet::testing::CompareStatement(path, csv, DuckExpr("c", type)));
  }
  K2_ASSERT_OK_AND_ASSIGN(nlohmann::json results, QueryOracle("duckdb", statements));
  ASSERT_EQ(results.size(), variants.size());
  for (size_t i = 0; i < variants.size(); ++i) {
    const auto& row = results[i][0];
    EXPECT_EQ(row["bad"], "0") << type.ToString() << " variant " << i << ": " << row.dump();
    EXPECT_EQ(row["n"], "3000") << type.ToString() << " variant " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, WriterTypeTest,
                         ::testing::ValuesIn(::k2::parquet::testing::AllTypes()),
                         [](const ::testing::TestParamInfo<DataType>& info) {
                           std::string name;
                           for (char c : info.param.ToString()) {
                             if (std::isalnum(static_cast<unsigned char>(c))) name += c;
                           }
                           return name;
                         });

std::shared_ptr<const Schema> AllTypesSchema() {
  auto schema = std::make_shared<Schema>();
  int id = 1;
  for (const DataType& t : ::k2::parquet::testing::AllTypes()) {
    std::string name = "c_";
    for (char c : t.ToString()) {
      if (std::isalnum(static_cast<unsigned char>(c))) name += c;
    }
    schema->fields.push_back(Field{id * 10, name, t, true, ""});
    ++id;
  }
  return schema;
}

// Schema (names, field ids, logical types) and statistics as DuckDB sees them,
// and the Iceberg metrics agree with DuckDB's min/max.
TEST(FileWriterTest, SchemaStatisticsAndMetricsAgreeWithDuckDB) {
  TempDir dir;
  auto schema = AllTypesSchema();
  Variant v;
  v.data = Data::kCycle300;
  v.nulls = Nulls::kEveryThird;
  v.row_group_bytes = 8192;  // several row groups
  v.batches = {500, 2500};
  auto batches = MakeBatches(schema, v);
  std::string path = dir / "all.parquet";
  K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m, WriteLocalFile(path, schema, batches, OptionsFor(v)));
  ASSERT_GT(m.split_offsets.size(), 1u);
  EXPECT_EQ(m.split_offsets[0], 4);

  std::vector<std::string> statements;
  statements.push_back(
      fmt::format("SELECT name, field_id::VARCHAR AS field_id, type, logical_type::VARCHAR AS lt, "
                  "repetition_type FROM parquet_schema('{}') WHERE type IS NOT NULL",
                  path));
  statements.push_back(fmt::format(
      "SELECT row_group_id::VARCHAR AS rg, path_in_schema AS col, stats_null_count::VARCHAR AS nc,"
      " num_values::VARCHAR AS nv, total_compressed_size::VARCHAR AS cs,"
      " row_group_num_rows::VARCHAR AS rows, file_offset::VARCHAR AS fo"
      " FROM parquet_metadata('{}') ORDER BY row_group_id, column_id",
      path));
  std::string minmax = "SELECT ";
  for (size_t c = 0; c < schema->fields.size(); ++c) {
    const Field& f = schema->fields[c];
    std::string e = DuckExpr(f.name, f.type);
    if (f.type.id == TypeId::kFloat || f.type.id == TypeId::kDouble) {
      // Iceberg bounds exclude NaN.
      minmax += fmt::format(
          "printf('%.9g', min({0}) FILTER (WHERE NOT isnan({0}))::DOUBLE) AS lo{1}, "
          "printf('%.9g', max({0}) FILTER (WHERE NOT isnan({0}))::DOUBLE) AS hi{1}, "
          "count(*) FILTER (WHERE isnan({0}))::VARCHAR AS nan{1}, ",
          f.name, c);
    } else {
      std::string raw = fmt::format("\"{}\"", f.name);
      minmax += fmt::format(
          "(SELECT {0} FROM t WHERE {1} IS NOT NULL ORDER BY {1} LIMIT 1) AS lo{2}, "
          "(SELECT {0} FROM t WHERE {1} IS NOT NULL ORDER BY {1} DESC LIMIT 1) AS hi{2}, ",
          e, raw, c);
    }
    minmax += fmt::format("(count(*) - count(\"{}\"))::VARCHAR AS nulls{}, ", f.name, c);
  }
  minmax += "count(*)::VARCHAR AS n FROM t";
  statements.push_back(fmt::format("CREATE TABLE t AS SELECT * FROM read_parquet('{}')", path));
  statements.push_back(minmax);
  K2_ASSERT_OK_AND_ASSIGN(nlohmann::json r, QueryOracle("duckdb", statements));

  // Schema and field ids.
  ASSERT_EQ(r[0].size(), schema->fields.size());
  for (size_t c = 0; c < schema->fields.size(); ++c) {
    EXPECT_EQ(r[0][c]["name"], schema->fields[c].name);
    EXPECT_EQ(r[0][c]["field_id"], std::to_string(schema->fields[c].id));
    EXPECT_EQ(r[0][c]["repetition_type"], "OPTIONAL");
  }
  // Null counts per chunk add up; column sizes match the metrics.
  std::vector<int64_t> nulls(schema->fields.size(), 0), sizes(schema->fields.size(), 0);
  int64_t rows = 0;
  for (const auto& row : r[1]) {
    auto pos = schema->IndexOf(row["col"].get<std::string>());
    ASSERT_TRUE(pos.has_value()) << row.dump();
    nulls[*pos] += std::stoll(row["nc"].get<std::string>());
    sizes[*pos] += std::stoll(row["cs"].get<std::string>());
    if (*pos == 0) rows += std::stoll(row["rows"].get<std::string>());
  }
  EXPECT_EQ(rows, 3000);
  const auto& agg = r[3][0];
  for (size_t c = 0; c < schema->fields.size(); ++c) {
    const Field& f = schema->fields[c];
    const ColumnMetrics& cm = m.columns[c];
    SCOPED_TRACE(f.name);
    EXPECT_EQ(cm.field_id, f.id);
    EXPECT_EQ(std::to_string(cm.null_count), agg[fmt::format("nulls{}", c)].get<std::string>());
    EXPECT_EQ(nulls[c], cm.null_count);
    EXPECT_EQ(sizes[c], cm.column_size);
    EXPECT_EQ(cm.value_count, 3000);
    if (f.type.id == TypeId::kFloat || f.type.id == TypeId::kDouble) {
      EXPECT_EQ(std::to_string(cm.nan_count), agg[fmt::format("nan{}", c)].get<std::string>());
    } else {
      EXPECT_EQ(cm.nan_count, -1);
    }
    ASSERT_TRUE(cm.lower_bound.has_value());
    ASSERT_TRUE(cm.upper_bound.has_value());
    K2_ASSERT_OK_AND_ASSIGN(Value lo, DecodeSingleValue(f.type, *cm.lower_bound));
    K2_ASSERT_OK_AND_ASSIGN(Value hi, DecodeSingleValue(f.type, *cm.upper_bound));
    Column lc(f.type), hc(f.type);
    auto append = [&](Column& col, const Value& val) {
      switch (f.type.id) {
        case TypeId::kBoolean:
          col.Append<uint8_t>(std::get<bool>(val.data));
          break;
        case TypeId::kInt32:
        case TypeId::kDate:
          col.Append<int32_t>(std::get<int32_t>(val.data));
          break;
        case TypeId::kFloat:
          col.Append<float>(std::get<float>(val.data));
          break;
        case TypeId::kDouble:
          col.Append<double>(std::get<double>(val.data));
          break;
        case TypeId::kDecimal:
          col.AppendDecimal(std::get<int128_t>(val.data));
          break;
        case TypeId::kString:
        case TypeId::kBinary:
        case TypeId::kFixed:
        case TypeId::kUuid:
          col.AppendBytes(std::get<std::string>(val.data));
          break;
        default:
          col.Append<int64_t>(std::get<int64_t>(val.data));
      }
    };
    append(lc, lo);
    append(hc, hi);
    std::string want_lo = agg[fmt::format("lo{}", c)].get<std::string>();
    std::string want_hi = agg[fmt::format("hi{}", c)].get<std::string>();
    if (f.type.id == TypeId::kString) {
      // Truncated to 16 code points: lower is a prefix, upper is above the max.
      std::string lo_s = std::get<std::string>(lo.data);
      EXPECT_EQ(want_lo.rfind(lo_s, 0), 0u) << lo_s << " vs " << want_lo;
      EXPECT_GE(std::get<std::string>(hi.data), want_hi.substr(0, 16));
    } else {
      EXPECT_EQ(ExpectedText(lc, 0), want_lo);
      EXPECT_EQ(ExpectedText(hc, 0), want_hi);
    }
  }
}

TEST(FileWriterTest, StringBoundsAreTruncatedAndIncremented) {
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  schema->fields.push_back(Field{1, "s", DataType::String(), false, ""});
  schema->fields.push_back(Field{2, "b", DataType::Binary(), false, ""});
  ColumnBatch b(schema);
  b.columns[0].AppendBytes("aaaaaaaaaaaaaaaaaaaaZ");  // 21 chars
  b.columns[0].AppendBytes("zzzzzzzzzzzzzzzzzzzz");
  b.columns[1].AppendBytes(std::string(20, '\x01'));
  b.columns[1].AppendBytes(std::string(20, '\xFF'));
  K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m, WriteLocalFile(dir / "s.parquet", schema, {b}, {}));
  EXPECT_EQ(m.columns[0].lower_bound, std::string(16, 'a'));
  EXPECT_EQ(m.columns[0].upper_bound, std::string(15, 'z') + "{");
  EXPECT_EQ(m.columns[1].lower_bound, std::string(16, '\x01'));
  EXPECT_FALSE(m.columns[1].upper_bound.has_value());  // cannot be incremented
}

TEST(FileWriterTest, RejectsMismatchedBatchAndNullsInRequiredField) {
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  schema->fields.push_back(Field{1, "x", DataType::Int64(), false, ""});
  auto other = std::make_shared<Schema>();
  other->fields.push_back(Field{1, "y", DataType::Int32(), true, ""});
  auto io = NewLocalFileIO();
  K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput(dir / "x.parquet"));
  K2_ASSERT_OK_AND_ASSIGN(auto w, FileWriter::Open(std::move(out), schema));
  ColumnBatch wrong(other);
  wrong.columns[0].Append<int32_t>(1);
  K2_ASSERT_ERROR_KIND(w->Write(wrong), ErrorKind::kInvalidInput);
  ColumnBatch nulls(schema);
  nulls.columns[0].AppendNull();
  K2_ASSERT_ERROR_KIND(w->Write(nulls), ErrorKind::kInvalidInput);
  w->Abort();
  EXPECT_FALSE(std::filesystem::exists(dir / "x.parquet"));
}

// The writer is flat: a struct, list or map field is refused before anything is written.
TEST(FileWriterTest, NestedFieldsAreUnsupported) {
  TempDir dir;
  const DataType nested[] = {
      DataType::List(Field{11, "element", DataType::Int64(), true, ""}),
      DataType::Map(Field{12, "key", DataType::String(), false, ""},
                    Field{13, "value", DataType::Double(), true, ""}),
      DataType::Struct({Field{14, "a", DataType::Int32(), true, ""}}),
  };
  for (const DataType& t : nested) {
    SCOPED_TRACE(t.ToString());
    auto schema = std::make_shared<Schema>();
    schema->fields.push_back(Field{1, "id", DataType::Int64(), false, ""});
    schema->fields.push_back(Field{2, "legs", t, true, ""});
    auto io = NewLocalFileIO();
    std::string path = dir / "nested.parquet";
    K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput(path));
    auto w = FileWriter::Open(std::move(out), schema);
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().kind, ErrorKind::kUnsupported);
    EXPECT_NE(w.error().message.find("column legs"), std::string::npos) << w.error().ToString();
    EXPECT_FALSE(std::filesystem::exists(path));
  }
}

TEST(FileWriterTest, EmptyFileIsValidParquet) {
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  schema->fields.push_back(Field{1, "x", DataType::Int64(), true, ""});
  K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m, WriteLocalFile(dir / "e.parquet", schema, {}, {}));
  EXPECT_EQ(m.record_count, 0);
  EXPECT_TRUE(m.split_offsets.empty());
  EXPECT_FALSE(m.columns[0].lower_bound.has_value());
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows, QueryDuckDB(fmt::format("SELECT count(*)::VARCHAR AS n FROM read_parquet('{}')",
                                         dir / "e.parquet")));
  EXPECT_EQ(rows[0]["n"], "0");
}

TEST(FileWriterTest, KeyValueMetadataAndEncodingsVisibleToDuckDB) {
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  schema->fields.push_back(Field{1, "seq", DataType::Int64(), false, ""});
  schema->fields.push_back(Field{2, "sym", DataType::String(), false, ""});
  ColumnBatch b(schema);
  for (int64_t i = 0; i < 10000; ++i) {
    b.columns[0].Append<int64_t>(1000000 + i);
    b.columns[1].AppendBytes(i % 3 == 0 ? "BTCUSDT" : "ETHUSDT");
  }
  WriterOptions o;
  o.key_value_metadata = {{"k2.writer", "test"}};
  std::string path = dir / "kv.parquet";
  K2_ASSERT_OK(WriteLocalFile(path, schema, {b}, o));
  K2_ASSERT_OK_AND_ASSIGN(
      nlohmann::json r,
      QueryOracle("duckdb",
                  {fmt::format("SELECT decode(key) AS k, decode(value) AS v FROM "
                               "parquet_kv_metadata('{}')",
                               path),
                   fmt::format("SELECT path_in_schema AS col, encodings, compression FROM "
                               "parquet_metadata('{}') ORDER BY column_id",
                               path)}));
  ASSERT_EQ(r[0].size(), 1u);
  EXPECT_EQ(r[0][0]["k"], "k2.writer");
  EXPECT_EQ(r[0][0]["v"], "test");
  // Sequential longs are delta-encoded, repeated strings dictionary-encoded.
  EXPECT_NE(r[1][0]["encodings"].get<std::string>().find("DELTA_BINARY_PACKED"), std::string::npos)
      << r[1].dump();
  EXPECT_NE(r[1][1]["encodings"].get<std::string>().find("RLE_DICTIONARY"), std::string::npos)
      << r[1].dump();
  EXPECT_EQ(r[1][0]["compression"], "ZSTD");
}

// DuckDB's view of k2's Parquet statistics (one row group) equals the column's
// own min/max as DuckDB computes them from the values.
TEST(FileWriterTest, ParquetStatisticsAgreeWithDuckDBMinMax) {
  TempDir dir;
  auto schema = AllTypesSchema();
  Variant v;
  v.data = Data::kUnique;
  v.nulls = Nulls::kEveryThird;
  auto batches = MakeBatches(schema, v);
  std::string path = dir / "stats.parquet";
  K2_ASSERT_OK(WriteLocalFile(path, schema, batches, OptionsFor(v)));
  std::vector<std::string> statements;
  for (const Field& f : schema->fields) {
    if (f.type.id == TypeId::kFloat || f.type.id == TypeId::kDouble) continue;  // NaN order
    statements.push_back(fmt::format(
        "SELECT (SELECT stats_min_value FROM parquet_metadata('{0}') WHERE path_in_schema = '{1}')"
        " AS smin, (SELECT stats_max_value FROM parquet_metadata('{0}') WHERE path_in_schema ="
        " '{1}') AS smax, min(\"{1}\")::VARCHAR AS vmin, max(\"{1}\")::VARCHAR AS vmax,"
        " count(*) FILTER (WHERE \"{1}\" >= (SELECT min(\"{1}\") FROM read_parquet('{0}')))"
        "::VARCHAR AS pushed, count(\"{1}\")::VARCHAR AS nonnull FROM read_parquet('{0}')",
        path, f.name));
  }
  K2_ASSERT_OK_AND_ASSIGN(nlohmann::json r, QueryOracle("duckdb", statements));
  for (size_t i = 0; i < r.size(); ++i) {
    const auto& row = r[i][0];
    SCOPED_TRACE(row.dump());
    if (row["smin"].is_null()) {
      ADD_FAILURE() << "no statistics";
      continue;
    }
    if (row["vmin"].get<std::string>().size() <= 64) {
      EXPECT_EQ(row["smin"], row["vmin"]);
    }
    if (row["vmax"].get<std::string>().size() <= 64) {
      EXPECT_EQ(row["smax"], row["vmax"]);
    }
    EXPECT_EQ(row["pushed"], row["nonnull"]);
  }
}

// Every chunk's statistics (min, max, null count) across several row groups,
// with negative and positive values, equal what DuckDB computes from the rows
// of that row group.
TEST(FileWriterTest, ChunkStatisticsAgreeWithDuckDBPerRowGroup) {
  TempDir dir;
  auto schema = AllTypesSchema();
  Variant v;
  v.data = Data::kUnique;
  v.nulls = Nulls::kEveryThird;
  v.row_group_bytes = 6000;               // a row group after nearly every batch
  v.batches = {500, 700, 300, 900, 600};  // (groups close at batch-slice boundaries)
  auto batches = MakeBatches(schema, v);
  std::string path = dir / "groups.parquet";
  K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m, WriteLocalFile(path, schema, batches, OptionsFor(v)));
  ASSERT_GE(m.split_offsets.size(), 3u);
  // Row r belongs to the row group whose cumulative row range holds it.
  std::string groups = fmt::format(
      "CREATE TABLE g AS SELECT row_group_id AS g, sum(row_group_num_rows) OVER (ORDER BY "
      "row_group_id) - row_group_num_rows AS lo, sum(row_group_num_rows) OVER (ORDER BY "
      "row_group_id) AS hi FROM (SELECT DISTINCT row_group_id, row_group_num_rows FROM "
      "parquet_metadata('{}'))",
      path);
  std::string rows = fmt::format(
      "CREATE TABLE t AS SELECT g.g, p.* FROM read_parquet('{}', file_row_number=true) p JOIN g "
      "ON p.file_row_number >= g.lo AND p.file_row_number < g.hi",
      path);
  std::vector<std::string> statements = {groups, rows};
  std::vector<const Field*> checked;
  for (const Field& f : schema->fields) {
    if (f.type.id == TypeId::kFloat || f.type.id == TypeId::kDouble) continue;  // NaN order
    checked.push_back(&f);
    statements.push_back(fmt::format(
        "SELECT m.row_group_id::VARCHAR AS g, m.stats_min_value AS smin, m.stats_max_value AS smax,"
        " m.stats_null_count::VARCHAR AS snulls, a.vmin, a.vmax, a.vnulls"
        " FROM parquet_metadata('{0}') m JOIN (SELECT g, min(\"{1}\")::VARCHAR AS vmin,"
        " max(\"{1}\")::VARCHAR AS vmax, (count(*) - count(\"{1}\"))::VARCHAR AS vnulls FROM t"
        " GROUP BY g) a ON a.g = m.row_group_id WHERE m.path_in_schema = '{1}'"
        " ORDER BY m.row_group_id",
        path, f.name));
  }
  K2_ASSERT_OK_AND_ASSIGN(nlohmann::json r, QueryOracle("duckdb", statements));
  ASSERT_EQ(r.size(), statements.size());
  for (size_t i = 0; i < checked.size(); ++i) {
    const auto& per_group = r[i + 2];
    SCOPED_TRACE(checked[i]->name);
    ASSERT_EQ(per_group.size(), m.split_offsets.size());
    for (const auto& row : per_group) {
      SCOPED_TRACE(row.dump());
      EXPECT_EQ(row["snulls"], row["vnulls"]);
      ASSERT_FALSE(row["smin"].is_null());
      ASSERT_FALSE(row["smax"].is_null());
      if (row["vmin"].get<std::string>().size() <= 64) {
        EXPECT_EQ(row["smin"], row["vmin"]);
      }
      if (row["vmax"].get<std::string>().size() <= 64) {
        EXPECT_EQ(row["smax"], row["vmax"]);
      }
    }
  }
}

// chDB (ClickHouse) reads nanosecond timestamps exactly.
TEST(FileWriterTest, NanosecondTimestampsExactInChdb) {
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  schema->fields.push_back(Field{1, "ts", DataType::TimestampNs(), false, ""});
  ColumnBatch b(schema);
  b.columns[0].Append<int64_t>(1700000000123456789LL);
  b.columns[0].Append<int64_t>(-1001);
  std::string path = dir / "ns.parquet";
  K2_ASSERT_OK(WriteLocalFile(path, schema, {b}, {}));
  K2_ASSERT_OK_AND_ASSIGN(
      auto rows,
      ::k2::testing::QueryChdb(fmt::format(
          "SELECT toString(toUnixTimestamp64Nano(ts)) AS ns FROM file('{}', Parquet)", path)));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["ns"], "1700000000123456789");
  EXPECT_EQ(rows[1]["ns"], "-1001");
}

}  // namespace
}  // namespace k2::parquet
