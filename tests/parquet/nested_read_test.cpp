// Nested columns (struct, list, map, repeated fields) read from files other
// engines wrote, checked against DuckDB reading the same files and against the
// values parquet-testing and hyparquet document.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "columnar/value.h"
#include "columnar/value_json.h"
#include "parquet/file_reader.h"
#include "support/support.h"

namespace k2::parquet {
namespace {

using Json = nlohmann::json;

std::string DataFile(const std::string& fixtures, const std::string& name) {
  return std::filesystem::absolute(fixtures + "/parquet-testing/data/" + name).string();
}

Result<std::unique_ptr<FileReader>> Open(const std::string& path) {
  auto io = NewLocalFileIO();
  K2_ASSIGN_OR_RETURN(auto in, io->OpenInput(path));
  return FileReader::Open(std::move(in));
}

/// Row `row` of `c` in DuckDB's JSON shape with every scalar as text: maps are
/// arrays of {key, value}, structs objects, lists arrays.
Json Canonical(const Column& c, size_t row) {
  if (!c.IsValid(row)) return nullptr;
  const DataType& t = c.type();
  switch (t.id) {
    case TypeId::kStruct: {
      Json o = Json::object();
      for (size_t i = 0; i < t.children.size(); ++i) {
        o[t.children[i].name] = Canonical(c.children()[i], row);
      }
      return o;
    }
    case TypeId::kList: {
      Json a = Json::array();
      auto [b, e] = c.ChildRange(row);
      for (size_t i = b; i < e; ++i) a.push_back(Canonical(c.children()[0], i));
      return a;
    }
    case TypeId::kMap: {
      Json a = Json::array();
      auto [b, e] = c.ChildRange(row);
      for (size_t i = b; i < e; ++i) {
        a.push_back(
            {{"key", Canonical(c.children()[0], i)}, {"value", Canonical(c.children()[1], i)}});
      }
      return a;
    }
    default:
      return Value::FromColumn(c, row).ToString();
  }
}

/// DuckDB's JSON with every scalar as text.
Json CanonicalJson(const Json& j) {
  if (j.is_null()) return nullptr;
  if (j.is_object()) {
    Json o = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) o[it.key()] = CanonicalJson(it.value());
    return o;
  }
  if (j.is_array()) {
    Json a = Json::array();
    for (const Json& e : j) a.push_back(CanonicalJson(e));
    return a;
  }
  if (j.is_string()) return j;
  return j.dump();
}

/// Equal canonical JSON, up to DuckDB's text for doubles (17 digits, not the
/// shortest) and timestamps ("2026-01-01 10:00:00" for "2026-01-01T10:00:00.000000Z").
bool Same(const Json& k2, const Json& duck, const std::string& where, std::string* why) {
  if (k2.type() != duck.type() || k2.size() != duck.size()) {
    *why = where + ": k2 " + k2.dump().substr(0, 200) + " vs DuckDB " + duck.dump().substr(0, 200);
    return false;
  }
  if (k2.is_object()) {
    for (auto it = k2.begin(); it != k2.end(); ++it) {
      if (!duck.contains(it.key())) {
        *why = where + ": DuckDB lacks " + it.key();
        return false;
      }
      if (!Same(it.value(), duck[it.key()], where + "." + it.key(), why)) return false;
    }
    return true;
  }
  if (k2.is_array()) {
    for (size_t i = 0; i < k2.size(); ++i) {
      if (!Same(k2[i], duck[i], where + "[" + std::to_string(i) + "]", why)) return false;
    }
    return true;
  }
  if (k2 == duck) return true;
  if (k2.is_string()) {
    std::string a = k2.get<std::string>(), b = duck.get<std::string>();
    if (a.ends_with(".000000Z") && a.find('T') != std::string::npos) {
      a = a.substr(0, a.size() - 8);
      a[a.find('T')] = ' ';
      if (a == b) return true;
    }
    char* end_a = nullptr;
    char* end_b = nullptr;
    double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
    if (*end_a == 0 && *end_b == 0 && !a.empty() && !b.empty() &&
        std::abs(x - y) <= 1e-15 * std::max(std::abs(x), std::abs(y))) {
      return true;
    }
  }
  *why = where + ": k2 " + k2.dump() + " vs DuckDB " + duck.dump();
  return false;
}

/// Every row of the projected columns as one object per row (canonical form).
Result<Json> ReadRows(FileReader& reader, std::vector<int> columns = {}, size_t batch_rows = 0) {
  ReadOptions ro;
  ro.columns = std::move(columns);
  if (batch_rows > 0) ro.batch_rows = batch_rows;
  K2_ASSIGN_OR_RETURN(auto batches, reader.Read(ro));
  Json rows = Json::array();
  while (true) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* b, batches->Next());
    if (b == nullptr) break;
    K2_RETURN_IF_ERROR(b->Validate());
    for (size_t r = 0; r < b->num_rows(); ++r) {
      Json row = Json::object();
      for (size_t c = 0; c < b->num_columns(); ++c) {
        row[b->schema->fields[c].name] = Canonical(b->columns[c], r);
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

class NestedAgainstDuckDB : public ::testing::TestWithParam<std::string> {};

TEST_P(NestedAgainstDuckDB, SameRowsAsDuckDB) {
  K2_REQUIRE_FIXTURES(fixtures);
  const std::string path = DataFile(fixtures, GetParam());
  K2_ASSERT_OK_AND_ASSIGN(auto reader, Open(path));
  bool any_nested = false;
  for (const Field& f : reader->schema().fields) any_nested |= f.type.IsNested();
  EXPECT_TRUE(any_nested) << "no nested column in " << path;
  K2_ASSERT_OK_AND_ASSIGN(Json k2_rows, ReadRows(*reader));
  K2_ASSERT_OK_AND_ASSIGN(Json duck, ::k2::testing::QueryDuckDB("SELECT * FROM '" + path + "'"));
  ASSERT_TRUE(duck.is_array()) << duck.dump();
  std::string why;
  EXPECT_TRUE(Same(k2_rows, CanonicalJson(duck), "", &why)) << why;
  // Batches that cut the file between records give the same rows.
  K2_ASSERT_OK_AND_ASSIGN(Json small, ReadRows(*reader, {}, 1));
  EXPECT_EQ(small, k2_rows);
}

INSTANTIATE_TEST_SUITE_P(Files, NestedAgainstDuckDB,
                         ::testing::Values("nested_lists.snappy.parquet",
                                           "nested_maps.snappy.parquet", "list_columns.parquet",
                                           "null_list.parquet", "old_list_structure.parquet",
                                           "repeated_primitive_no_list.parquet",
                                           "nested_structs.rust.parquet"),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.find('.'));
                           return n;
                         });

TEST(NestedRead, TypesCarryParquetFieldShapes) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto reader, Open(DataFile(fixtures, "nested_maps.snappy.parquet")));
  const Field& a = reader->schema().fields[0];
  EXPECT_EQ(a.type.ToString(), "map<string, map<int, boolean>>");
  ASSERT_EQ(a.type.children.size(), 2u);
  EXPECT_FALSE(a.type.children[0].nullable);
  K2_ASSERT_OK_AND_ASSIGN(auto lists, Open(DataFile(fixtures, "nested_lists.snappy.parquet")));
  EXPECT_EQ(lists->schema().fields[0].type.ToString(), "list<list<list<string>>>");
  // Nested columns have no single leaf: no element, statistics or pruning by them.
  EXPECT_EQ(lists->element(0), nullptr);
  EXPECT_EQ(lists->leaf_index(0), -1);
}

// Expected values from hyparquet's tests (expected/hyparquet/*.json).
TEST(NestedRead, MatchesHyparquetExpectedRows) {
  K2_REQUIRE_FIXTURES(fixtures);
  // A Presto map whose key is optional.
  K2_ASSERT_OK_AND_ASSIGN(auto r, Open(DataFile(fixtures, "incorrect_map_schema.parquet")));
  ASSERT_EQ(r->schema().fields.size(), 1u);
  K2_ASSERT_OK_AND_ASSIGN(auto batches, r->Read({}));
  K2_ASSERT_OK_AND_ASSIGN(const ColumnBatch* b, batches->Next());
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->num_rows(), 1u);
  EXPECT_EQ(ColumnValueToJson(b->columns[0], 0),
            Json::parse(R"({"name":"report","parent":"another"})"));
  // nested_structs.rust: column sums quoted by hyparquet.
  std::ifstream in(fixtures + "/parquet-testing/expected/hyparquet/nested_structs.rust.json");
  Json expected = Json::parse(in);
  K2_ASSERT_OK_AND_ASSIGN(auto ns, Open(DataFile(fixtures, "nested_structs.rust.parquet")));
  K2_ASSERT_OK_AND_ASSIGN(auto nb, ns->Read({}));
  K2_ASSERT_OK_AND_ASSIGN(const ColumnBatch* row, nb->Next());
  ASSERT_NE(row, nullptr);
  ASSERT_EQ(row->num_rows(), expected.size());
  ASSERT_EQ(row->num_columns(), expected[0].size());
  for (size_t c = 0; c < row->num_columns(); ++c) {
    Json got = ColumnValueToJson(row->columns[c], 0);
    const Json& want = expected[0][c];
    ASSERT_TRUE(got.is_object()) << got.dump();
    SCOPED_TRACE(got.dump());
    for (auto it = want.begin(); it != want.end(); ++it) {
      ASSERT_TRUE(got.contains(it.key())) << it.key();
      if (it.value().is_string()) {
        // A timestamp: hyparquet prints "+052951-07-27T10:00:00.000Z", k2
        // "52951-07-27T10:00:00.000000Z".
        std::string w = it.value().get<std::string>();
        if (w.starts_with("+0")) w = w.substr(2);
        EXPECT_EQ(got[it.key()].get<std::string>(), w.substr(0, w.size() - 1) + "000Z");
        continue;
      }
      EXPECT_NEAR(got[it.key()].get<double>(), it.value().get<double>(),
                  1e-9 * std::max(1.0, std::abs(it.value().get<double>())))
          << "column " << c << " field " << it.key();
    }
  }
}

// parquet-testing's data/README.md: map_no_value's my_map and my_list; its map
// without a value field is refused as unsupported, and only when projected.
TEST(NestedRead, MapNoValue) {
  K2_REQUIRE_FIXTURES(fixtures);
  K2_ASSERT_OK_AND_ASSIGN(auto r, Open(DataFile(fixtures, "map_no_value.parquet")));
  std::vector<int> readable;
  int unsupported = -1;
  for (size_t i = 0; i < r->schema().fields.size(); ++i) {
    const std::string& n = r->schema().fields[i].name;
    if (n == "my_map" || n == "my_list") readable.push_back(static_cast<int>(i));
    if (n == "my_map_no_v") unsupported = static_cast<int>(i);
  }
  ASSERT_EQ(readable.size(), 2u);
  ASSERT_GE(unsupported, 0);
  ReadOptions bad;
  bad.columns = {unsupported};
  K2_ASSERT_ERROR_KIND(r->Read(bad), ErrorKind::kUnsupported);
  ReadOptions ro;
  ro.columns = readable;
  K2_ASSERT_OK_AND_ASSIGN(auto batches, r->Read(ro));
  K2_ASSERT_OK_AND_ASSIGN(const ColumnBatch* b, batches->Next());
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->num_rows(), 3u);
  std::vector<std::string> maps, lists;
  for (size_t row = 0; row < 3; ++row) {
    for (size_t c = 0; c < 2; ++c) {
      std::string text = Value::FromColumn(b->columns[c], row).ToString();
      (b->schema->fields[c].name == "my_map" ? maps : lists).push_back(text);
    }
  }
  EXPECT_EQ(maps, (std::vector<std::string>{R"({"1":null,"2":null,"3":null})",
                                            R"({"4":null,"5":null,"6":null})",
                                            R"({"7":null,"8":null,"9":null})"}));
  EXPECT_EQ(lists, (std::vector<std::string>{"[1,2,3]", "[4,5,6]", "[7,8,9]"}));
}

TEST(NestedRead, CorruptLevelsAreErrorsNotCrashes) {
  K2_REQUIRE_FIXTURES(fixtures);
  for (const char* name : {"ARROW-RS-GH-6229-LEVELS.parquet", "ARROW-GH-45185.parquet"}) {
    SCOPED_TRACE(name);
    auto r = Open(std::filesystem::absolute(fixtures + "/parquet-testing/bad_data/" + name));
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << r.error().ToString();
      continue;
    }
    auto rows = ReadRows(**r);
    ASSERT_FALSE(rows.has_value()) << rows->dump().substr(0, 200);
    EXPECT_EQ(rows.error().kind, ErrorKind::kCorrupt) << rows.error().ToString();
  }
}

}  // namespace
}  // namespace k2::parquet
