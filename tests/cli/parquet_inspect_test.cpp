#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/support.h"

namespace k2 {
namespace {

using ::k2::testing::RunProcess;

// `k2 parquet inspect` on a file DuckDB wrote: schema, codecs, encodings and
// statistics agree with what DuckDB wrote.
TEST(ParquetInspectTest, DescribesADuckDBFile) {
  ::k2::testing::TempDir dir;
  std::string path = dir / "d.parquet";
  auto r = ::k2::testing::QueryDuckDB(
      "COPY (SELECT i::BIGINT AS id, 'sym' || (i % 3) AS sym FROM range(1000) t(i)) TO '" + path +
      "' (FORMAT parquet, COMPRESSION zstd)");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto p = RunProcess({K2_BINARY, "parquet", "inspect", path, "--json"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto info = nlohmann::json::parse(p.out);
  EXPECT_EQ(info["num_rows"], 1000);
  ASSERT_EQ(info["schema"].size(), 2u);
  EXPECT_EQ(info["schema"][0]["name"], "id");
  EXPECT_EQ(info["schema"][0]["k2_type"], "long");
  EXPECT_EQ(info["schema"][1]["k2_type"], "string");
  const auto& col = info["row_groups"][0]["columns"][0];
  EXPECT_EQ(col["codec"], "ZSTD");
  EXPECT_EQ(col["statistics"]["min"], "0");
  EXPECT_EQ(col["statistics"]["max"], "999");
  auto text = RunProcess({K2_BINARY, "parquet", "inspect", path});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("ZSTD"), std::string::npos);
  EXPECT_NE(text.out.find("sym"), std::string::npos);
}

TEST(ParquetInspectTest, CorruptFileFailsWithExitCode1) {
  ::k2::testing::TempDir dir;
  std::string path = dir / "bad.parquet";
  FILE* f = fopen(path.c_str(), "wb");
  fputs("PAR1 this is not parquet PAR1", f);
  fclose(f);
  auto p = RunProcess({K2_BINARY, "parquet", "inspect", path});
  EXPECT_EQ(p.exit_code, 1);
  EXPECT_NE((p.err + p.out).find("bad.parquet"), std::string::npos) << p.err << p.out;
}

}  // namespace
}  // namespace k2
