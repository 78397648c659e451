#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/support.h"

namespace k2 {
namespace {

using ::k2::testing::RunProcess;

/// Runs k2 in `dir` (the lineitem fixture's paths are relative to iceberg-tables/).
::k2::testing::ProcessResult RunIn(const std::string& dir, const std::vector<std::string>& argv) {
  std::error_code ec;
  auto old = std::filesystem::current_path(ec);
  std::filesystem::current_path(dir, ec);
  auto r = RunProcess(argv);
  std::filesystem::current_path(old, ec);
  return r;
}

size_t Lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// `k2 scan`, `k2 snapshots`, `k2 table show` on a table Spark wrote, by metadata path.
TEST(IcebergCliTest, ScansAndTimeTravelsAFixtureTable) {
  K2_REQUIRE_FIXTURES(fixtures);
  const std::string root = fixtures + "/iceberg-tables";
  const std::string meta = root + "/lineitem_iceberg/metadata/v2.metadata.json";
  auto cur = RunIn(root, {K2_BINARY, "scan", meta, "--columns", "l_orderkey,l_quantity"});
  ASSERT_EQ(cur.exit_code, 0) << cur.err;
  EXPECT_EQ(cur.out.substr(0, cur.out.find('\n')), "l_orderkey,l_quantity");
  EXPECT_EQ(Lines(cur.out), 51793u + 1);
  auto old = RunIn(root, {K2_BINARY, "scan", meta, "--columns", "l_orderkey", "--snapshot",
                          "7817332053627255703"});
  ASSERT_EQ(old.exit_code, 0) << old.err;
  EXPECT_EQ(Lines(old.out), 60175u + 1);
  auto filtered = RunIn(root, {K2_BINARY, "scan", meta, "--columns", "l_orderkey,l_extendedprice",
                               "--where", "l_orderkey = 1", "--format", "json"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  ASSERT_GT(Lines(filtered.out), 0u);
  auto first = nlohmann::json::parse(filtered.out.substr(0, filtered.out.find('\n')));
  EXPECT_EQ(first["l_orderkey"], 1);

  auto snaps = RunIn(root, {K2_BINARY, "snapshots", meta, "--json"});
  ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
  auto list = nlohmann::json::parse(snaps.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["snapshot-id"], 7817332053627255703);

  auto show = RunIn(root, {K2_BINARY, "table", "show", meta});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("l_extendedprice"), std::string::npos);

  auto missing = RunIn(root, {K2_BINARY, "scan", meta, "--snapshot", "1234"});
  EXPECT_NE(missing.exit_code, 0) << missing.err;
  EXPECT_NE(missing.err.find("1234"), std::string::npos);
  auto bad = RunIn(root, {K2_BINARY, "scan", meta, "--where", "nope = 1"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// Nested values: a map column of a pyiceberg table, as JSON objects with
// --format json and as JSON text in csv.
TEST(IcebergCliTest, ScanPrintsNestedValues) {
  K2_REQUIRE_FIXTURES(fixtures);
  // The table's paths are "file://data/persistent/map_stats/default.db/map_stats/..."
  // (relative): run k2 where that path leads to the fixture.
  ::k2::testing::TempDir dir;
  const std::string table =
      std::filesystem::absolute(fixtures + "/iceberg-tables/duckdb_map_stats").string();
  std::filesystem::create_directories(dir.path() + "/data/persistent/map_stats/default.db");
  std::filesystem::create_directory_symlink(
      table, dir.path() + "/data/persistent/map_stats/default.db/map_stats");
  const std::string meta =
      table + "/metadata/00002-0e059d4b-e5e8-41af-a763-76cbf3a3d0bc.metadata.json";
  auto js = RunIn(dir.path(),
                  {K2_BINARY, "scan", meta, "--format", "json", "--columns", "timestamp,metadata"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  ASSERT_EQ(Lines(js.out), 2u) << js.out;
  std::vector<nlohmann::json> rows;
  size_t start = 0;
  while (start < js.out.size()) {
    size_t nl = js.out.find('\n', start);
    rows.push_back(nlohmann::json::parse(js.out.substr(start, nl - start)));
    start = nl + 1;
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a["timestamp"].template get<std::string>() < b["timestamp"].template get<std::string>();
  });
  EXPECT_EQ(rows[0]["timestamp"], "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(rows[0]["metadata"], nlohmann::json::parse(R"({"key":"value1"})"));
  EXPECT_EQ(rows[1]["metadata"], nlohmann::json::parse(R"({"key":"value1"})"));
  auto csv = RunIn(dir.path(), {K2_BINARY, "scan", meta, "--columns", "input,metadata", "--where",
                                "timestamp < '2026-01-02T00:00:00Z'"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out, "input,metadata\nhello,\"{\"\"key\"\":\"\"value1\"\"}\"\n");
  auto show = RunIn(dir.path(), {K2_BINARY, "table", "show", meta});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("map<string, string>"), std::string::npos) << show.out;
  auto bad = RunIn(dir.path(), {K2_BINARY, "scan", meta, "--where", "metadata = 'x'"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("metadata"), std::string::npos) << bad.err;
}

// `k2 tables`, `table show --json`, `snapshots --json` and `scan --as-of` on
// a catalog table the binary offloaded; counts agree with chDB, also as of a
// past snapshot's time.
TEST(IcebergCliTest, CatalogTablesShowSnapshotsAndAsOf) {
  auto lib = ::k2::testing::ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  ::k2::testing::TempDir dir;
  const std::string config = dir.path() + "/k2.yaml";
  std::ofstream(config) << "data_dir: data\nwarm: {kind: embedded, chdb_library: " << *lib
                        << "}\noffload: {max_windows_per_run: 100}\n"
                        << "tables:\n  - {name: raw_trades}\n";
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args);
  };
  auto gen = k2({"generate", "--hours", "4", "--rate", "1", "--symbols", "2", "--seed", "5",
                 "--start", "2026-11-01T00:00:00Z"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto off = k2({"offload"});
  ASSERT_EQ(off.exit_code, 0) << off.err;

  auto tables = k2({"tables", "--json"});
  ASSERT_EQ(tables.exit_code, 0) << tables.err;
  auto list = nlohmann::json::parse(tables.out);
  nlohmann::json entry;
  for (const auto& t : list) {
    if (t["table"] == "market.raw_trades") entry = t;
  }
  ASSERT_TRUE(entry.is_object()) << tables.out;
  const std::string location = entry["location"].get<std::string>();
  const int64_t records = entry["records"].get<int64_t>();
  EXPECT_GT(records, 0);
  auto text = k2({"tables"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("market.raw_trades"), std::string::npos) << text.out;

  auto show = k2({"table", "show", "market.raw_trades", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto meta = nlohmann::json::parse(show.out);
  EXPECT_EQ(meta["location"], location);
  EXPECT_EQ(meta["format-version"], 2);
  std::string column;
  for (const auto& sc : meta["schemas"]) {
    if (sc["schema-id"] == meta["current-schema-id"]) column = sc["fields"][0]["name"];
  }
  ASSERT_FALSE(column.empty()) << show.out;

  auto snaps_out = k2({"snapshots", "market.raw_trades", "--json"});
  ASSERT_EQ(snaps_out.exit_code, 0) << snaps_out.err;
  auto snaps = nlohmann::json::parse(snaps_out.out);
  ASSERT_GE(snaps.size(), 2u);
  EXPECT_EQ(snaps.back()["snapshot-id"], meta["current-snapshot-id"]);

  auto chdb_count = [&](const std::string& settings) -> std::string {
    auto r = ::k2::testing::QueryChdb("SELECT toString(count()) AS c FROM icebergLocal('" +
                                      location + "')" + settings);
    return r ? (*r)[0]["c"].get<std::string>() : "error: " + r.error().ToString();
  };
  auto scan = k2({"scan", "market.raw_trades", "--columns", column, "--format", "json"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_EQ(static_cast<int64_t>(Lines(scan.out)), records);
  EXPECT_EQ(chdb_count(""), std::to_string(records));

  // As of the first snapshot's time: the newest snapshot committed by then.
  const int64_t t0 = snaps[0]["timestamp-ms"].get<int64_t>();
  std::string expected;
  for (const auto& sn : snaps) {
    if (sn["timestamp-ms"].get<int64_t>() <= t0) {
      expected = sn["summary"]["total-records"].get<std::string>();
    }
  }
  auto as_of =
      k2({"scan", "market.raw_trades", "--columns", column, "--as-of", std::to_string(t0)});
  ASSERT_EQ(as_of.exit_code, 0) << as_of.err;
  EXPECT_EQ(std::to_string(Lines(as_of.out) - 1), expected);  // minus the csv header
  EXPECT_EQ(chdb_count(" SETTINGS iceberg_timestamp_ms = " + std::to_string(t0)), expected);
  auto by_id = k2({"scan", "market.raw_trades", "--columns", column, "--snapshot",
                   std::to_string(snaps[0]["snapshot-id"].get<int64_t>())});
  ASSERT_EQ(by_id.exit_code, 0) << by_id.err;
  EXPECT_EQ(std::to_string(Lines(by_id.out) - 1),
            snaps[0]["summary"]["total-records"].get<std::string>());
  auto before = k2({"scan", "market.raw_trades", "--as-of", std::to_string(t0 - 60000)});
  EXPECT_NE(before.exit_code, 0);
  EXPECT_FALSE(before.err.empty());
}

}  // namespace
}  // namespace k2
