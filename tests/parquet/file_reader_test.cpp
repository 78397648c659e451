#include "parquet/file_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "columnar/value.h"
#include "parquet/file_writer.h"
#include "parquet/inspect.h"
#include "parquet/parquet_test_util.h"
#include "support/support.h"

namespace k2::parquet {
namespace {

namespace fs = std::filesystem;
using ::k2::testing::TempDir;

Result<std::unique_ptr<FileReader>> OpenPath(const std::string& path) {
  auto io = NewLocalFileIO();
  K2_ASSIGN_OR_RETURN(auto in, io->OpenInput(path));
  return FileReader::Open(std::move(in));
}

/// Reads every batch (copied) of `reader` with `options`.
Result<std::vector<ColumnBatch>> ReadAll(FileReader& reader, const ReadOptions& options = {}) {
  K2_ASSIGN_OR_RETURN(auto batches, reader.Read(options));
  std::vector<ColumnBatch> out;
  while (true) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* b, batches->Next());
    if (b == nullptr) break;
    out.push_back(*b);
  }
  return out;
}

/// Row `r` across batches as Values.
std::vector<std::vector<Value>> Rows(const std::vector<ColumnBatch>& batches) {
  std::vector<std::vector<Value>> rows;
  for (const auto& b : batches) {
    for (size_t r = 0; r < b.num_rows(); ++r) {
      std::vector<Value> row;
      for (const auto& c : b.columns) row.push_back(Value::FromColumn(c, r));
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

Result<std::shared_ptr<const Schema>> WriteTestFile(const std::string& path,
                                                    const std::vector<ColumnBatch>& batches,
                                                    WriterOptions options = {}) {
  K2_RETURN_IF_ERROR(
      ::k2::parquet::testing::WriteLocalFile(path, batches[0].schema, batches, std::move(options)));
  return batches[0].schema;
}

// k2 writes every type with every codec and null pattern; k2 reads back the same values.
class RoundTripTest : public ::testing::TestWithParam<DataType> {};

TEST_P(RoundTripTest, ReadsBackWhatItWrote) {
  const DataType type = GetParam();
  TempDir dir;
  const Codec codecs[] = {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip, Codec::kZstd,
                          Codec::kLz4Raw};
  int variant = 0;
  for (Codec codec : codecs) {
    for (int nulls = 0; nulls < 3; ++nulls) {
      for (bool dictionary : {true, false}) {
        ++variant;
        auto schema = std::make_shared<Schema>();
        schema->fields.push_back(Field{3, "c", type, nulls != 2, ""});
        std::vector<ColumnBatch> batches;
        size_t row = 0;
        for (size_t n : {size_t{1}, size_t{700}, size_t{1299}}) {
          ColumnBatch b(schema);
          for (size_t i = 0; i < n; ++i, ++row) {
            if (nulls == 1 && row % 4 == 2) {
              b.columns[0].AppendNull();
            } else {
              ::k2::parquet::testing::AppendKey(
                  b.columns[0], type, static_cast<int64_t>(variant % 2 ? row % 13 : row * 7));
            }
          }
          batches.push_back(std::move(b));
        }
        WriterOptions o;
        o.codec = codec;
        o.dictionary = dictionary;
        o.page_bytes = 700;
        o.row_group_bytes = 3000;
        std::string path = dir / fmt::format("rt{}.parquet", variant);
        K2_ASSERT_OK(WriteTestFile(path, batches, o));
        K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(path));
        EXPECT_EQ(reader->schema(), *schema);
        EXPECT_EQ(reader->num_rows(), 2000);
        ReadOptions ro;
        ro.batch_rows = 333;
        K2_ASSERT_OK_AND_ASSIGN(auto got, ReadAll(*reader, ro));
        auto want_rows = Rows(batches);
        auto got_rows = Rows(got);
        ASSERT_EQ(got_rows.size(), want_rows.size());
        for (size_t r = 0; r < want_rows.size(); ++r) {
          ASSERT_EQ(got_rows[r][0].ToString(), want_rows[r][0].ToString())
              << type.ToString() << " variant " << variant << " row " << r;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RoundTripTest,
                         ::testing::ValuesIn(::k2::parquet::testing::AllTypes()),
                         [](const ::testing::TestParamInfo<DataType>& info) {
                           std::string name;
                           for (char c : info.param.ToString()) {
                             if (std::isalnum(static_cast<unsigned char>(c))) name += c;
                           }
                           return name;
                         });

TEST(FileReaderTest, ProjectionAndRowGroupSkipping) {
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  schema->fields.push_back(Field{1, "id", DataType::Int64(), false, ""});
  schema->fields.push_back(Field{2, "sym", DataType::String(), true, ""});
  schema->fields.push_back(Field{3, "px", DataType::Decimal(18, 8), true, ""});
  std::vector<ColumnBatch> batches;
  for (int b = 0; b < 10; ++b) {
    ColumnBatch batch(schema);
    for (int64_t i = 0; i < 1000; ++i) {
      int64_t id = b * 1000 + i;
      batch.columns[0].Append<int64_t>(id);
      batch.columns[1].AppendBytes(fmt::format("S{:05d}", id));
      batch.columns[2].AppendDecimal(id * 100000000);
    }
    batches.push_back(std::move(batch));
  }
  WriterOptions o;
  o.row_group_bytes = 4000;  // many row groups
  std::string path = dir / "p.parquet";
  K2_ASSERT_OK(WriteTestFile(path, batches, o));
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(path));
  ASSERT_GT(reader->num_row_groups(), 3);

  K2_ASSERT_OK_AND_ASSIGN(Predicate pred, Predicate::Parse("id >= 5000 AND id < 5010"));
  K2_ASSERT_OK(pred.Bind(reader->schema()));
  ReadOptions ro;
  ro.columns = {2, 0};
  ro.predicate = &pred;
  K2_ASSERT_OK_AND_ASSIGN(auto got, ReadAll(*reader, ro));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0].schema->fields[0].name, "px");
  EXPECT_EQ(got[0].schema->fields[1].name, "id");
  size_t rows = 0;
  bool found = false;
  for (const auto& b : got) {
    rows += b.num_rows();
    for (size_t r = 0; r < b.num_rows(); ++r) {
      int64_t id = b.columns[1].Value<int64_t>(r);
      EXPECT_EQ(b.columns[0].DecimalValue(r), static_cast<int128_t>(id) * 100000000);
      found |= id == 5005;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_LT(rows, 10000u);  // groups were skipped
  // Groups are skipped, rows are not filtered.
  EXPECT_GT(rows, 10u);

  K2_ASSERT_OK_AND_ASSIGN(Predicate none, Predicate::Parse("sym > 'T'"));
  K2_ASSERT_OK(none.Bind(reader->schema()));
  ro.predicate = &none;
  K2_ASSERT_OK_AND_ASSIGN(auto empty, ReadAll(*reader, ro));
  EXPECT_TRUE(empty.empty());

  ro.columns = {7};
  K2_ASSERT_ERROR_KIND(reader->Read(ro), ErrorKind::kInvalidInput);
}

/// An InputFile that counts its reads and says its reads are costly (as S3's
/// do) when `coalesce` is set.
class CountingInputFile final : public InputFile {
 public:
  CountingInputFile(std::unique_ptr<InputFile> in, bool coalesce)
      : in_(std::move(in)), coalesce_(coalesce) {}
  const std::string& path() const override { return in_->path(); }
  Result<uint64_t> Size() override { return in_->Size(); }
  Status ReadAt(uint64_t offset, size_t length, uint8_t* out) override {
    ++*reads_;
    *bytes_ += length;
    return in_->ReadAt(offset, length, out);
  }
  bool CoalesceReads() const override { return coalesce_; }
  std::shared_ptr<int64_t> reads() const { return reads_; }
  std::shared_ptr<int64_t> bytes() const { return bytes_; }

 private:
  std::unique_ptr<InputFile> in_;
  bool coalesce_;
  std::shared_ptr<int64_t> reads_ = std::make_shared<int64_t>(0);
  std::shared_ptr<int64_t> bytes_ = std::make_shared<int64_t>(0);
};

struct Counted {
  std::unique_ptr<FileReader> reader;
  std::shared_ptr<int64_t> reads, bytes;
};

Result<Counted> OpenCounted(const std::string& path, bool coalesce) {
  auto io = NewLocalFileIO();
  K2_ASSIGN_OR_RETURN(auto in, io->OpenInput(path));
  auto counting = std::make_unique<CountingInputFile>(std::move(in), coalesce);
  Counted c{nullptr, counting->reads(), counting->bytes()};
  K2_ASSIGN_OR_RETURN(c.reader, FileReader::Open(std::move(counting)));
  return c;
}

/// Every row as text, for comparing reads.
std::vector<std::string> RowTexts(const std::vector<ColumnBatch>& batches) {
  std::vector<std::string> out;
  for (const auto& row : Rows(batches)) {
    std::string line;
    for (const Value& v : row) line += (v.is_null() ? "<null>" : v.ToString()) + "|";
    out.push_back(std::move(line));
  }
  return out;
}

// Where reads are costly (S3), the footer is one read of the file's tail and a
// row group's projected chunks are merged into few reads; the rows are those
// of one read per chunk.
TEST(FileReaderTest, CostlyReadsAreCoalescedPerRowGroup) {
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  const char* names[] = {"a", "b", "c", "d", "e", "f"};
  for (int i = 0; i < 6; ++i) {
    DataType t = i % 3 == 0   ? DataType::Int64()
                 : i % 3 == 1 ? DataType::String()
                              : DataType::Double();
    schema->fields.push_back(Field{i + 1, names[i], t, true, ""});
  }
  std::mt19937_64 rng(42);
  std::vector<ColumnBatch> batches;
  for (int b = 0; b < 8; ++b) {
    ColumnBatch batch(schema);
    for (int64_t i = 0; i < 5000; ++i) {
      for (size_t c = 0; c < 6; ++c) {
        if (rng() % 50 == 0) {
          batch.columns[c].AppendNull();
        } else if (c % 3 == 0) {
          batch.columns[c].Append<int64_t>(static_cast<int64_t>(rng()));
        } else if (c % 3 == 1) {
          batch.columns[c].AppendBytes(fmt::format("{:x}", rng()));
        } else {
          batch.columns[c].Append<double>(static_cast<double>(rng() % 1000000) / 7.0);
        }
      }
    }
    batches.push_back(std::move(batch));
  }
  WriterOptions o;
  o.row_group_bytes = 256 << 10;
  const std::string path = dir / "wide.parquet";
  K2_ASSERT_OK(WriteTestFile(path, batches, o));
  ASSERT_GT(fs::file_size(path), 256u << 10);

  K2_ASSERT_OK_AND_ASSIGN(Counted plain, OpenCounted(path, /*coalesce=*/false));
  const int64_t groups = plain.reader->num_row_groups();
  ASSERT_GE(groups, 3);
  EXPECT_EQ(*plain.reads, 2) << "local: the tail, then the leading magic";
  K2_ASSERT_OK_AND_ASSIGN(auto want_all, ReadAll(*plain.reader));
  EXPECT_EQ(*plain.reads, 2 + 6 * groups) << "local: one read per column chunk";

  auto count_reads = [&](const ReadOptions& ro, int64_t* reads,
                         int64_t* bytes = nullptr) -> std::vector<std::string> {
    auto c = OpenCounted(path, /*coalesce=*/true);
    EXPECT_TRUE(c.has_value());
    EXPECT_EQ(*c->reads, 1) << "the footer in one read of the tail";
    auto got = ReadAll(*c->reader, ro);
    EXPECT_TRUE(got.has_value()) << got.error().ToString();
    *reads = *c->reads;
    if (bytes != nullptr) *bytes = *c->bytes;
    return got ? RowTexts(*got) : std::vector<std::string>{};
  };
  int64_t reads = 0;
  EXPECT_EQ(count_reads({}, &reads), RowTexts(want_all));
  EXPECT_EQ(reads, 1 + groups) << "every column: one read per row group";

  // Two far-apart columns: two ranges per group once the gap between them
  // (the four columns in between) is above max_gap; one read under it.
  ReadOptions far;
  far.columns = {5, 0};
  K2_ASSERT_OK_AND_ASSIGN(auto plain_far, OpenCounted(path, false));
  K2_ASSERT_OK_AND_ASSIGN(auto want_far, ReadAll(*plain_far.reader, far));
  int64_t bytes = 0;
  EXPECT_EQ(count_reads(far, &reads, &bytes), RowTexts(want_far));
  EXPECT_EQ(reads, 1 + groups) << "gaps under the default 1 MiB are read through";
  EXPECT_GT(bytes, fs::file_size(path) / 2);
  far.coalesce.max_gap = 1 << 10;
  EXPECT_EQ(count_reads(far, &reads, &bytes), RowTexts(want_far));
  EXPECT_EQ(reads, 1 + 2 * groups) << "far-apart columns: two ranges per row group";
  EXPECT_EQ(bytes, *plain_far.bytes - 4) << "the same bytes as one read per chunk, no gaps";

  // Adjacent columns merge even with no gap allowed; a small span limit splits.
  ReadOptions adjacent;
  adjacent.columns = {1, 2, 3};
  adjacent.coalesce.max_gap = 0;
  K2_ASSERT_OK_AND_ASSIGN(auto plain_adj, OpenCounted(path, false));
  K2_ASSERT_OK_AND_ASSIGN(auto want_adj, ReadAll(*plain_adj.reader, adjacent));
  EXPECT_EQ(count_reads(adjacent, &reads), RowTexts(want_adj));
  EXPECT_EQ(reads, 1 + groups);
  ReadOptions small_spans;
  small_spans.coalesce.max_span = 128 << 10;
  EXPECT_EQ(count_reads(small_spans, &reads), RowTexts(want_all));
  EXPECT_GT(reads, 1 + groups);
  EXPECT_LT(reads, 1 + 6 * groups);
}

// A footer larger than the tail read: one more read for the rest of it.
TEST(FileReaderTest, AFooterLargerThanTheTailReadTakesASecondRead) {
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  for (int i = 0; i < 20; ++i) {
    schema->fields.push_back(
        Field{i + 1, fmt::format("column_{}", i), DataType::Int64(), true, ""});
  }
  std::vector<ColumnBatch> batches;
  for (int b = 0; b < 100; ++b) {
    ColumnBatch batch(schema);
    for (int64_t r = 0; r < 100; ++r) {
      for (auto& c : batch.columns) c.Append<int64_t>((b * 100 + r) * 7919 % 100003);
    }
    batches.push_back(std::move(batch));
  }
  WriterOptions o;
  o.row_group_bytes = 1;  // a row group per batch: a footer of well over 64 KiB
  const std::string path = dir / "footer.parquet";
  K2_ASSERT_OK(WriteTestFile(path, batches, o));
  K2_ASSERT_OK_AND_ASSIGN(Counted plain, OpenCounted(path, false));
  K2_ASSERT_OK_AND_ASSIGN(Counted costly, OpenCounted(path, true));
  uint32_t footer_len = 0;
  {
    std::ifstream in(path, std::ios::binary);
    in.seekg(-8, std::ios::end);
    in.read(reinterpret_cast<char*>(&footer_len), 4);
  }
  ASSERT_GT(footer_len, 64u << 10);
  EXPECT_EQ(*costly.reads, 2) << "the tail, then the rest of the footer";
  EXPECT_EQ(*plain.reads, 3) << "the tail, the leading magic, the rest of the footer";
  EXPECT_EQ(costly.reader->num_row_groups(), plain.reader->num_row_groups());
  K2_ASSERT_OK_AND_ASSIGN(auto want, ReadAll(*plain.reader));
  K2_ASSERT_OK_AND_ASSIGN(auto got, ReadAll(*costly.reader));
  EXPECT_EQ(RowTexts(got), RowTexts(want));
  EXPECT_EQ(*costly.reads, 2 + costly.reader->num_row_groups());
}

// The same rows, coalesced or not, on other engines' files: nested leaves
// (lists, maps, structs), dictionary pages, many row groups.
TEST(FileReaderTest, CoalescedReadsOfOtherEnginesFilesMatch) {
  K2_REQUIRE_FIXTURES(fixtures);
  int files = 0;
  for (const char* name :
       {"nested_lists.snappy.parquet", "nested_maps.snappy.parquet", "list_columns.parquet",
        "nested_structs.rust.parquet", "old_list_structure.parquet", "alltypes_plain.parquet",
        "alltypes_dictionary.parquet", "datapage_v2.snappy.parquet",
        "overflow_i16_page_cnt.parquet", "byte_stream_split_extended.gzip.parquet"}) {
    const std::string path = fixtures + "/parquet-testing/data/" + name;
    if (!fs::exists(path)) continue;
    ++files;
    K2_ASSERT_OK_AND_ASSIGN(auto plain, OpenCounted(path, false));
    ReadOptions ro;
    for (size_t i = 0; i < plain.reader->schema().fields.size(); ++i) {
      if (plain.reader->Read({.columns = {static_cast<int>(i)}})) {
        ro.columns.push_back(static_cast<int>(i));
      }
    }
    K2_ASSERT_OK_AND_ASSIGN(auto want, ReadAll(*plain.reader, ro));
    for (CoalesceOptions co :
         {CoalesceOptions{}, CoalesceOptions{0, 1}, CoalesceOptions{1 << 20, 100}}) {
      K2_ASSERT_OK_AND_ASSIGN(auto c, OpenCounted(path, true));
      ro.coalesce = co;
      K2_ASSERT_OK_AND_ASSIGN(auto got, ReadAll(*c.reader, ro));
      EXPECT_EQ(RowTexts(got), RowTexts(want))
          << name << " gap " << co.max_gap << " span " << co.max_span;
    }
  }
  EXPECT_GE(files, 8);
}

// ---- files written by other engines ----

std::string Fixture(const std::string& dir, const std::string& name) {
  return dir + "/parquet-testing/data/" + name;
}

/// Parses a simple CSV line with optional double quotes.
std::vector<std::optional<std::string>> ParseCsvLine(const std::string& line) {
  std::vector<std::optional<std::string>> out;
  size_t i = 0;
  while (i <= line.size()) {
    if (i < line.size() && line[i] == '"') {
      std::string v;
      ++i;
      while (i < line.size()) {
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          v.push_back('"');
          i += 2;
        } else if (line[i] == '"') {
          ++i;
          break;
        } else {
          v.push_back(line[i++]);
        }
      }
      out.push_back(v);
      ++i;  // comma
    } else {
      size_t j = line.find(',', i);
      if (j == std::string::npos) j = line.size();
      std::string v = line.substr(i, j - i);
      if (v.empty()) {
        out.push_back(std::nullopt);
      } else {
        out.push_back(v);
      }
      i = j + 1;
    }
  }
  return out;
}

class ExpectCsvTest : public ::testing::TestWithParam<std::string> {};

// parquet-testing's own *_expect.csv files (values as text; empty = null).
TEST_P(ExpectCsvTest, MatchesExpectCsv) {
  K2_REQUIRE_FIXTURES(fixtures);
  std::string name = GetParam();
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(Fixture(fixtures, name + ".parquet")));
  K2_ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
  auto rows = Rows(batches);
  std::ifstream in(Fixture(fixtures, name + "_expect.csv"));
  std::string line;
  std::getline(in, line);
  auto header = ParseCsvLine(line);
  ASSERT_EQ(header.size(), reader->schema().fields.size());
  size_t r = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto cells = ParseCsvLine(line);
    ASSERT_LT(r, rows.size());
    ASSERT_EQ(cells.size(), rows[r].size()) << line;
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string got = rows[r][c].is_null() ? "<null>" : rows[r][c].ToString();
      std::string want = cells[c] ? *cells[c] : "<null>";
      ASSERT_EQ(got, want) << name << " row " << r << " column " << *header[c];
    }
    ++r;
  }
  EXPECT_EQ(r, rows.size());
  EXPECT_GT(r, 0u);
}

INSTANTIATE_TEST_SUITE_P(ParquetTesting, ExpectCsvTest,
                         ::testing::Values("delta_binary_packed", "delta_byte_array",
                                           "delta_encoding_optional_column",
                                           "delta_encoding_required_column"));

/// True if a k2 value equals hyparquet's JSON rendering of it.
bool JsonMatches(const Value& v, const nlohmann::json& j, std::string* why) {
  if (j.is_null()) {
    if (v.is_null()) return true;
    if (auto* f = std::get_if<float>(&v.data); f && std::isnan(*f)) return true;
    if (auto* d = std::get_if<double>(&v.data); d && std::isnan(*d)) return true;
    *why = "expected null, got " + v.ToString();
    return false;
  }
  if (v.is_null()) {
    *why = "got null, expected " + j.dump();
    return false;
  }
  auto numeric = [&]() -> std::optional<double> {
    if (auto* b = std::get_if<bool>(&v.data)) return *b ? 1 : 0;
    if (auto* x = std::get_if<int32_t>(&v.data)) return *x;
    if (auto* x = std::get_if<int64_t>(&v.data)) return static_cast<double>(*x);
    if (auto* x = std::get_if<float>(&v.data)) return *x;
    if (auto* x = std::get_if<double>(&v.data)) return *x;
    if (std::holds_alternative<int128_t>(v.data)) return std::stod(v.ToString());
    return std::nullopt;
  };
  if (j.is_boolean()) {
    auto* b = std::get_if<bool>(&v.data);
    if (b && *b == j.get<bool>()) return true;
  } else if (j.is_number_integer() && std::holds_alternative<int64_t>(v.data)) {
    if (j.is_number_unsigned()) {
      if (static_cast<uint64_t>(std::get<int64_t>(v.data)) == j.get<uint64_t>()) return true;
    } else if (std::get<int64_t>(v.data) == j.get<int64_t>()) {
      return true;
    }
  } else if (j.is_number()) {
    auto d = numeric();
    double want = j.get<double>();
    if (d && (*d == want || std::fabs(*d - want) <= 1e-6 * std::max(1.0, std::fabs(want)))) {
      return true;
    }
  } else if (j.is_string()) {
    auto* s = std::get_if<std::string>(&v.data);
    if (s && *s == j.get<std::string>()) return true;
  } else if (j.is_array()) {
    auto* s = std::get_if<std::string>(&v.data);
    if (s && s->size() == j.size()) {
      bool same = true;
      for (size_t i = 0; i < s->size(); ++i) {
        same &= static_cast<uint8_t>((*s)[i]) == j[i].get<int>();
      }
      if (same) return true;
    }
  }
  *why = "got " + v.ToString() + ", expected " + j.dump();
  return false;
}

class HyparquetTest : public ::testing::TestWithParam<std::string> {};

// hyparquet's expected rows (its readFiles test), flat columns only.
TEST_P(HyparquetTest, MatchesHyparquetJson) {
  K2_REQUIRE_FIXTURES(fixtures);
  std::string name = GetParam();
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(Fixture(fixtures, name + ".parquet")));
  ReadOptions ro;
  std::vector<size_t> json_index;
  for (size_t i = 0; i < reader->schema().fields.size(); ++i) {
    if (reader->element(i) == nullptr) continue;  // nested
    ro.columns.push_back(static_cast<int>(i));
    json_index.push_back(i);
  }
  std::ifstream in(fixtures + "/parquet-testing/expected/hyparquet/" + name + ".json");
  nlohmann::json expected = nlohmann::json::parse(in);
  if (ro.columns.empty()) GTEST_SKIP() << "no flat columns";
  K2_ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader, ro));
  auto rows = Rows(batches);
  ASSERT_EQ(rows.size(), expected.size()) << name;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < json_index.size(); ++c) {
      std::string why;
      ASSERT_TRUE(JsonMatches(rows[r][c], expected[r][json_index[c]], &why))
          << name << " row " << r << " column " << reader->schema().fields[json_index[c]].name
          << ": " << why;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    ParquetTesting, HyparquetTest,
    ::testing::Values("byte_array_decimal", "byte_stream_split.zstd",
                      "byte_stream_split_extended.gzip", "concatenated_gzip_members",
                      "datapage_v2.snappy", "delta_binary_packed", "delta_byte_array",
                      "delta_encoding_optional_column", "delta_encoding_required_column",
                      "delta_length_byte_array", "fixed_length_decimal",
                      "float16_nonzeros_and_nans", "hadoop_lz4_compressed", "lz4_raw_compressed",
                      "nonnullable.impala", "nullable.impala", "plain-dict-uncompressed-checksum",
                      "rle_boolean_encoding"),
    [](const ::testing::TestParamInfo<std::string>& info) {
      std::string name;
      for (char c : info.param) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

std::string Column0Text(const std::vector<ColumnBatch>& batches, size_t col) {
  std::string out;
  for (const auto& row : Rows(batches)) {
    if (!out.empty()) out += ",";
    out += row[col].is_null() ? "null" : row[col].ToString();
  }
  return out;
}

// EXPECTED.md section C: alltypes_plain per DuckDB's test, decimals per arrow-rs.
TEST(FixtureTest, AllTypesPlainAndDictionary) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(Fixture(fixtures, "alltypes_plain.parquet")));
  K2_ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
  const Schema& s = reader->schema();
  ASSERT_EQ(s.fields.size(), 11u);
  EXPECT_EQ(Column0Text(batches, 0), "4,5,6,7,2,3,0,1");
  EXPECT_EQ(Column0Text(batches, 1), "true,false,true,false,true,false,true,false");
  EXPECT_EQ(Column0Text(batches, 5), "0,10,0,10,0,10,0,10");
  EXPECT_EQ(Column0Text(batches, 6), "0,1.1,0,1.1,0,1.1,0,1.1");
  EXPECT_EQ(Column0Text(batches, 7), "0,10.1,0,10.1,0,10.1,0,10.1");
  // BYTE_ARRAY without UTF8 annotation: binary ("03/01/09" as hex).
  EXPECT_EQ(s.fields[8].type.id, TypeId::kBinary);
  EXPECT_EQ(Rows(batches)[0][8].ToString(), "30332f30312f3039");
  // INT96 timestamps.
  EXPECT_EQ(s.fields[10].type.id, TypeId::kTimestamp);
  EXPECT_EQ(Rows(batches)[0][10].ToString(), "2009-03-01T00:00:00.000000");
  EXPECT_EQ(Rows(batches)[1][10].ToString(), "2009-03-01T00:01:00.000000");

  K2_ASSERT_OK_AND_ASSIGN(auto snappy,
                          OpenPath(Fixture(fixtures, "alltypes_plain.snappy.parquet")));
  K2_ASSERT_OK_AND_ASSIGN(auto sb, ReadAll(*snappy));
  EXPECT_EQ(Column0Text(sb, 0), "6,7");
  K2_ASSERT_OK_AND_ASSIGN(auto dict, OpenPath(Fixture(fixtures, "alltypes_dictionary.parquet")));
  K2_ASSERT_OK_AND_ASSIGN(auto db, ReadAll(*dict));
  EXPECT_EQ(Column0Text(db, 0), "0,1");
  EXPECT_EQ(Column0Text(db, 6), "0,1.1");
}

TEST(FixtureTest, Decimals) {
  K2_REQUIRE_FIXTURES(fixtures);
  std::string want;
  for (int i = 1; i <= 24; ++i) want += fmt::format("{}{}.00", i == 1 ? "" : ",", i);
  for (auto [name, precision] :
       std::vector<std::pair<std::string, int>>{{"int32_decimal", 4},
                                                {"int64_decimal", 10},
                                                {"fixed_length_decimal", 25},
                                                {"byte_array_decimal", 4},
                                                {"fixed_length_decimal_legacy", 13}}) {
    K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(Fixture(fixtures, name + ".parquet")));
    ASSERT_EQ(reader->schema().fields[0].type.id, TypeId::kDecimal) << name;
    if (name != "fixed_length_decimal_legacy") {
      EXPECT_EQ(reader->schema().fields[0].type.precision, precision) << name;
    }
    K2_ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
    EXPECT_EQ(Column0Text(batches, 0), want) << name;
  }
}

TEST(FixtureTest, Int96FromSpark) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(Fixture(fixtures, "int96_from_spark.parquet")));
  K2_ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
  std::string got;
  for (const auto& row : Rows(batches)) {
    got += row[0].is_null() ? "null" : std::to_string(std::get<int64_t>(row[0].data));
    got += " ";
  }
  EXPECT_EQ(got,
            "1704141296123456 1704070800000000 253402225200000000 1735599600000000 null "
            "9089380393200000000 ");
}

TEST(FixtureTest, DocumentedFiles) {
  K2_REQUIRE_FIXTURES(fixtures);
  {
    K2_ASSERT_OK_AND_ASSIGN(auto r, OpenPath(Fixture(fixtures, "int32_with_null_pages.parquet")));
    K2_ASSERT_OK_AND_ASSIGN(auto b, ReadAll(*r));
    auto rows = Rows(b);
    ASSERT_EQ(rows.size(), 1000u);
    int nulls = 0;
    int32_t mn = INT32_MAX, mx = INT32_MIN;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i][0].is_null()) {
        ++nulls;
        continue;
      }
      EXPECT_FALSE(i >= 200 && i < 300) << "page 2 is all null";
      mn = std::min(mn, std::get<int32_t>(rows[i][0].data));
      mx = std::max(mx, std::get<int32_t>(rows[i][0].data));
    }
    EXPECT_EQ(nulls, 275);
    EXPECT_EQ(mn, -2136906554);
    EXPECT_EQ(mx, 2145722375);
  }
  {
    K2_ASSERT_OK_AND_ASSIGN(auto r, OpenPath(Fixture(fixtures, "fixed_length_byte_array.parquet")));
    K2_ASSERT_OK_AND_ASSIGN(auto b, ReadAll(*r));
    auto rows = Rows(b);
    ASSERT_EQ(rows.size(), 1000u);
    int nulls = 0;
    std::string mn = "\xff\xff\xff\xff", mx;
    for (const auto& row : rows) {
      if (row[0].is_null()) {
        ++nulls;
        continue;
      }
      mn = std::min(mn, std::get<std::string>(row[0].data));
      mx = std::max(mx, std::get<std::string>(row[0].data));
    }
    EXPECT_EQ(nulls, 105);
    EXPECT_EQ(mn, std::string("\0\0\0\x01", 4));
    EXPECT_EQ(mx, std::string("\0\0\x03\xE8", 4));
  }
  {
    K2_ASSERT_OK_AND_ASSIGN(auto r, OpenPath(Fixture(fixtures, "float16_zeros_and_nans.parquet")));
    K2_ASSERT_OK_AND_ASSIGN(auto b, ReadAll(*r));
    EXPECT_EQ(Column0Text(b, 0), "null,0,nan");
  }
  for (const char* name :
       {"datapage_v1-uncompressed-checksum.parquet",
        "datapage_v1-snappy-compressed-checksum.parquet", "rle-dict-snappy-checksum.parquet"}) {
    K2_ASSERT_OK_AND_ASSIGN(auto r, OpenPath(Fixture(fixtures, name)));
    K2_EXPECT_OK(ReadAll(*r));
  }
  for (const char* name :
       {"datapage_v1-corrupt-checksum.parquet", "rle-dict-uncompressed-corrupt-checksum.parquet"}) {
    K2_ASSERT_OK_AND_ASSIGN(auto r, OpenPath(Fixture(fixtures, name)));
    K2_ASSERT_ERROR_KIND(ReadAll(*r), ErrorKind::kCorrupt);
  }
  {
    K2_ASSERT_OK_AND_ASSIGN(auto r,
                            OpenPath(Fixture(fixtures, "page_v2_empty_compressed.parquet")));
    K2_ASSERT_OK_AND_ASSIGN(auto b, ReadAll(*r));
    auto rows = Rows(b);
    ASSERT_EQ(rows.size(), 10u);
    for (const auto& row : rows) EXPECT_TRUE(row[0].is_null());
  }
  {
    K2_ASSERT_OK_AND_ASSIGN(
        auto r, OpenPath(Fixture(fixtures, "datapage_v2_empty_datapage.snappy.parquet")));
    K2_ASSERT_OK_AND_ASSIGN(auto b, ReadAll(*r));
    EXPECT_EQ(Column0Text(b, 0), "null");
  }
  {
    K2_ASSERT_OK_AND_ASSIGN(auto r, OpenPath(Fixture(fixtures, "overflow_i16_page_cnt.parquet")));
    K2_ASSERT_OK_AND_ASSIGN(auto b, ReadAll(*r));
    EXPECT_EQ(Rows(b).size(), 40000u);
  }
  for (const char* name :
       {"hadoop_lz4_compressed_larger.parquet", "non_hadoop_lz4_compressed.parquet",
        "lz4_raw_compressed_larger.parquet"}) {
    K2_ASSERT_OK_AND_ASSIGN(auto r, OpenPath(Fixture(fixtures, name)));
    K2_ASSERT_OK_AND_ASSIGN(auto b, ReadAll(*r));
    EXPECT_EQ(static_cast<int64_t>(Rows(b).size()), r->num_rows()) << name;
  }
}

// Every file: opens and reads (or is cleanly unsupported); FOOTERS.tsv row counts agree.
TEST(FixtureTest, EveryDataFileMatchesFooterInventory) {
  K2_REQUIRE_FIXTURES(fixtures);
  std::ifstream in(fixtures + "/parquet-testing/FOOTERS.tsv");
  std::string line;
  std::getline(in, line);
  int files = 0;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string file, num_rows, groups;
    std::getline(ss, file, '\t');
    std::getline(ss, num_rows, '\t');
    std::getline(ss, groups, '\t');
    if (file.rfind("data/", 0) != 0) continue;
    SCOPED_TRACE(file);
    K2_ASSERT_OK_AND_ASSIGN(auto r, OpenPath(fixtures + "/parquet-testing/" + file));
    EXPECT_EQ(std::to_string(r->num_rows()), num_rows);
    EXPECT_EQ(std::to_string(r->num_row_groups()), groups);
    ReadOptions ro;
    for (size_t i = 0; i < r->schema().fields.size(); ++i) {
      if (r->element(i) != nullptr && r->schema().fields[i].type.id != TypeId::kBinary) {
        ro.columns.push_back(static_cast<int>(i));
      } else if (r->element(i) != nullptr) {
        ro.columns.push_back(static_cast<int>(i));
      }
    }
    if (!ro.columns.empty()) {
      auto got = ReadAll(*r, ro);
      bool bad_crc = file.find("corrupt-checksum") != std::string::npos;
      if (!got) {
        EXPECT_EQ(got.error().kind, bad_crc ? ErrorKind::kCorrupt : ErrorKind::kUnsupported)
            << got.error().ToString();
      } else if (file != "data/repeated_no_annotation.parquet") {
        size_t rows = 0;
        for (const auto& b : *got) rows += b.num_rows();
        EXPECT_EQ(std::to_string(rows), num_rows);
      }
    }
    ++files;
  }
  EXPECT_GT(files, 50);
}

TEST(FixtureTest, BadDataIsRejectedCleanly) {
  K2_REQUIRE_FIXTURES(fixtures);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(fixtures + "/parquet-testing/bad_data")) {
    if (entry.path().extension() != ".parquet") continue;
    SCOPED_TRACE(entry.path().string());
    ++files;
    auto r = OpenPath(entry.path().string());
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << r.error().ToString();
      EXPECT_NE(r.error().message.find(entry.path().filename().string()), std::string::npos);
      continue;
    }
    auto got = ReadAll(**r);
    if (entry.path().filename() == "ARROW-GH-43605.parquet") {
      // Bit width 0 for the indices of a one-entry dictionary is valid (pyarrow,
      // parquet-java and DuckDB read it as 21186 zeros); it was an Arrow crash, not bad data.
      K2_ASSERT_OK(got);
      auto rows = Rows(*got);
      ASSERT_EQ(rows.size(), 21186u);
      for (const auto& row : rows) ASSERT_EQ(row[0].ToString(), "0");
      continue;
    }
    ASSERT_FALSE(got.has_value()) << "read a corrupt file without error";
    EXPECT_TRUE(got.error().kind == ErrorKind::kCorrupt ||
                got.error().kind == ErrorKind::kUnsupported)
        << got.error().ToString();
    EXPECT_NE(got.error().message.find(entry.path().filename().string()), std::string::npos)
        << got.error().ToString();
  }
  EXPECT_EQ(files, 8);
}

TEST(FileReaderTest, TruncatedAndGarbageFilesAreCorrupt) {
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  schema->fields.push_back(Field{1, "x", DataType::Int64(), true, ""});
  ColumnBatch b(schema);
  for (int64_t i = 0; i < 100; ++i) b.columns[0].Append<int64_t>(i);
  std::string path = dir / "ok.parquet";
  K2_ASSERT_OK(WriteTestFile(path, {b}));
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Every truncation and every single-byte corruption fails cleanly or reads.
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    std::string p = dir / "cut.parquet";
    std::ofstream(p, std::ios::binary) << bytes.substr(0, cut);
    auto r = OpenPath(p);
    ASSERT_FALSE(r.has_value()) << cut;
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << r.error().ToString();
    auto costly = OpenCounted(p, /*coalesce=*/true);  // no separate read of the leading magic
    ASSERT_FALSE(costly.has_value()) << cut;
    EXPECT_EQ(costly.error().kind, ErrorKind::kCorrupt) << costly.error().ToString();
  }
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    std::string mutated = bytes;
    mutated[pos] = static_cast<char>(mutated[pos] ^ 0x5A);
    std::string p = dir / "mut.parquet";
    std::ofstream(p, std::ios::binary) << mutated;
    auto r = OpenPath(p);
    if (r) (void)ReadAll(**r);  // must not crash; may fail or succeed
    auto costly = OpenCounted(p, /*coalesce=*/true);
    if (costly) (void)ReadAll(*costly->reader);
  }
  // A chunk outside the file is named as clearly when chunks are read merged.
  // The leading magic, then the footer and its length: the chunk (larger than
  // the footer) is cut out.
  ColumnBatch big(schema);
  for (int64_t i = 0; i < 5000; ++i) big.columns[0].Append<int64_t>(i * 7919 % 100003);
  const std::string big_path = dir / "big.parquet";
  K2_ASSERT_OK(WriteTestFile(big_path, {big}));
  std::ifstream big_in(big_path, std::ios::binary);
  bytes.assign(std::istreambuf_iterator<char>(big_in), {});
  uint32_t footer_len = 0;
  std::memcpy(&footer_len, bytes.data() + bytes.size() - 8, 4);
  std::string p = dir / "short.parquet";
  std::ofstream(p, std::ios::binary)
      << bytes.substr(0, 4) << bytes.substr(bytes.size() - 8 - footer_len);
  for (bool coalesce : {false, true}) {
    K2_ASSERT_OK_AND_ASSIGN(auto c, OpenCounted(p, coalesce));
    auto rows = ReadAll(*c.reader);
    ASSERT_FALSE(rows.has_value());
    EXPECT_EQ(rows.error().kind, ErrorKind::kCorrupt);
    EXPECT_NE(rows.error().message.find("column x chunk at byte offset 4"), std::string::npos)
        << rows.error().message;
    EXPECT_NE(rows.error().message.find("lies outside the file"), std::string::npos)
        << rows.error().message;
  }
}

TEST(InspectTest, DescribesSchemaGroupsEncodingsAndStatistics) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, OpenPath(Fixture(fixtures, "alltypes_plain.parquet")));
  nlohmann::json info = InspectFile(*reader);
  EXPECT_EQ(info["num_rows"], 8);
  ASSERT_EQ(info["schema"].size(), 11u);
  EXPECT_EQ(info["schema"][10]["physical_type"], "INT96");
  EXPECT_EQ(info["schema"][10]["k2_type"], "timestamp");
  ASSERT_EQ(info["row_groups"].size(), 1u);
  const auto& id = info["row_groups"][0]["columns"][0];
  EXPECT_EQ(id["name"], "id");
  EXPECT_EQ(id["codec"], "UNCOMPRESSED");
  EXPECT_EQ(id["num_values"], 8);
  std::string text = FormatInspect(info);
  EXPECT_NE(text.find("rows: 8"), std::string::npos) << text;
  EXPECT_NE(text.find("INT96"), std::string::npos) << text;

  // k2's own file: statistics rendered as values.
  TempDir dir;
  auto schema = std::make_shared<Schema>();
  schema->fields.push_back(Field{5, "px", DataType::Decimal(18, 8), true, ""});
  ColumnBatch b(schema);
  b.columns[0].AppendDecimal(150000000);
  b.columns[0].AppendNull();
  b.columns[0].AppendDecimal(-250000000);
  std::string path = dir / "i.parquet";
  K2_ASSERT_OK(WriteTestFile(path, {b}));
  K2_ASSERT_OK_AND_ASSIGN(auto own, OpenPath(path));
  nlohmann::json o = InspectFile(*own);
  EXPECT_EQ(o["schema"][0]["field_id"], 5);
  EXPECT_EQ(o["schema"][0]["logical_type"], "DECIMAL(18,8)");
  const auto& st = o["row_groups"][0]["columns"][0]["statistics"];
  EXPECT_EQ(st["min"], "-2.50000000");
  EXPECT_EQ(st["max"], "1.50000000");
  EXPECT_EQ(st["null_count"], 1);
}

}  // namespace
}  // namespace k2::parquet
