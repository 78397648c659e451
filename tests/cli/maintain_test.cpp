// `k2 maintain compact|manifests|expire|orphans|all` on a table the real
// binary offloaded from the embedded engine: each operation's --json report,
// --dry-run, --table, exit codes, and chDB's counts and sums unchanged after
// every step; time travel to a retained snapshot works, to an expired one it
// fails cleanly.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "support/support.h"

namespace k2::testing {
namespace {

class MaintainCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lib = ChdbLibraryPath();
    if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
    config_ = dir_ / "k2.yaml";
    // Orphans keep their 1-day floor; expiry keeps only the newest snapshot.
    std::ofstream(config_) << "data_dir: data\nwarm: {kind: embedded, chdb_library: " << *lib
                           << "}\noffload: {max_windows_per_run: 100}\n"
                           << "maintenance:\n  expire: {older_than: 0s, retain_last: 1}\n"
                           << "  orphans: {older_than: 2d}\n"
                           << "tables:\n  - {name: raw_trades}\n";
    location_ = dir_.path() + "/data/warehouse/market/raw_trades";
  }

  ProcessResult K2(std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config_, "--log-level", "warn"});
    return RunProcess(args);
  }

  /// count and sum over a hash of every trade, read by chDB.
  std::string ChdbTotals(std::optional<int64_t> snapshot = {}) {
    std::string sql = fmt::format(
        "SELECT toString(count()) AS c, toString(sum(cityHash64(message))) AS s FROM "
        "icebergLocal('{}')",
        location_);
    if (snapshot) sql += " SETTINGS iceberg_snapshot_id = " + std::to_string(*snapshot);
    auto rows = QueryChdb(sql);
    if (!rows) return "error: " + rows.error().ToString();
    return (*rows)[0]["c"].get<std::string>() + "/" + (*rows)[0]["s"].get<std::string>();
  }

  nlohmann::json Json(const ProcessResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  nlohmann::json Snapshots() { return Json(K2({"snapshots", "market.raw_trades", "--json"})); }

  TempDir dir_;
  std::string config_;
  std::string location_;
};

TEST_F(MaintainCliTest, EveryOperationKeepsTheDataAndReportsWhatItDid) {
  for (const char* op : {"compact", "expire", "orphans", "manifests", "all"}) {
    ProcessResult help = K2({"maintain", op, "--help"});
    EXPECT_EQ(help.exit_code, 0) << op;
    EXPECT_NE(help.out.find("--dry-run"), std::string::npos) << op;
    EXPECT_NE(help.out.find("--json"), std::string::npos) << op;
  }
  ProcessResult gen = K2({"generate", "--hours", "30", "--rate", "1", "--symbols", "3", "--seed",
                          "9", "--start", "2026-11-01T00:00:00Z"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ProcessResult off = K2({"offload"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  const std::string totals = ChdbTotals();
  ASSERT_EQ(totals.find("error"), std::string::npos) << totals;
  const size_t snaps_before = Snapshots().size();
  ASSERT_GE(snaps_before, 30u);
  const int64_t first_snapshot = Snapshots()[0]["snapshot-id"].get<int64_t>();

  // Dry run: a plan, no change.
  ProcessResult dry = K2({"maintain", "compact", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  nlohmann::json plan = Json(dry);
  ASSERT_EQ(plan.size(), 1u) << dry.out;
  EXPECT_EQ(plan[0]["operation"], "compact");
  EXPECT_EQ(plan[0]["dry_run"], true);
  ASSERT_GE(plan[0]["groups"].size(), 2u) << "two closed days of hourly files";
  for (const auto& g : plan[0]["groups"]) EXPECT_EQ(g["status"], "planned") << g.dump();
  EXPECT_EQ(Snapshots().size(), snaps_before);

  // Compaction: one replace per day, same rows.
  ProcessResult comp = K2({"maintain", "compact", "--table", "raw_trades", "--json"});
  ASSERT_EQ(comp.exit_code, 0) << comp.err;
  nlohmann::json cr = Json(comp)[0];
  EXPECT_EQ(cr["groups_committed"], plan[0]["groups"].size()) << cr.dump();
  EXPECT_GE(cr["files_before"].get<int64_t>(), 30);
  EXPECT_LT(cr["files_after"].get<int64_t>(), cr["files_before"].get<int64_t>());
  EXPECT_EQ(ChdbTotals(), totals) << "compaction changed the data";
  nlohmann::json snaps = Snapshots();
  int replaces = 0;
  for (const auto& s : snaps) {
    if (s["summary"].value("k2.maintenance", "") != "compaction") continue;
    ++replaces;
    EXPECT_EQ(s["operation"], "replace");
    EXPECT_TRUE(s["summary"].contains("k2.compaction.input-bytes")) << s.dump();
    EXPECT_TRUE(s["summary"].contains("k2.compaction.output-bytes")) << s.dump();
  }
  EXPECT_EQ(replaces, cr["groups_committed"].get<int>());
  // Time travel to the first offload snapshot still works (nothing expired yet).
  const std::string first_totals = ChdbTotals(first_snapshot);
  ASSERT_EQ(first_totals.find("error"), std::string::npos) << first_totals;

  // Manifest rewrite: fewer manifests, same rows.
  ProcessResult man = K2({"maintain", "manifests", "--json"});
  ASSERT_EQ(man.exit_code, 0) << man.err;
  nlohmann::json mr = Json(man)[0];
  EXPECT_EQ(mr["operation"], "manifests");
  EXPECT_EQ(ChdbTotals(), totals) << "manifest rewrite changed the data";
  const int64_t head = Snapshots().back()["snapshot-id"].get<int64_t>();

  // Expiry: only the head is kept; the replaced hourly files are deleted.
  ProcessResult exp = K2({"maintain", "expire", "--json"});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  nlohmann::json er = Json(exp)[0];
  EXPECT_EQ(er["operation"], "expire");
  EXPECT_GE(er["data_files_deleted"].get<int64_t>(), 30) << er.dump();
  EXPECT_EQ(Snapshots().size(), 1u);
  EXPECT_EQ(ChdbTotals(), totals) << "expiry changed the data";
  EXPECT_EQ(ChdbTotals(head), totals) << "time travel to the retained snapshot";
  ProcessResult old = K2({"scan", "market.raw_trades", "--snapshot", std::to_string(first_snapshot),
                          "--columns", "message"});
  EXPECT_NE(old.exit_code, 0) << "reading an expired snapshot must fail";
  EXPECT_NE(old.err.find(std::to_string(first_snapshot)), std::string::npos) << old.err;
  EXPECT_EQ(old.out, "") << "no partial output";

  // Orphans: an old unreferenced file goes, a young one and every live file stay.
  const std::string old_orphan = location_ + "/data/orphan-old.parquet";
  const std::string young_orphan = location_ + "/data/orphan-young.parquet";
  std::ofstream(old_orphan) << "x";
  std::ofstream(young_orphan) << "y";
  std::filesystem::last_write_time(
      old_orphan, std::filesystem::file_time_type::clock::now() - std::chrono::hours(24 * 5));
  ProcessResult dry_orph = K2({"maintain", "orphans", "--dry-run", "--json"});
  ASSERT_EQ(dry_orph.exit_code, 0) << dry_orph.err;
  EXPECT_TRUE(std::filesystem::exists(old_orphan)) << "dry run deleted a file";
  ProcessResult orph = K2({"maintain", "orphans", "--json"});
  ASSERT_EQ(orph.exit_code, 0) << orph.err;
  nlohmann::json orr = Json(orph)[0];
  EXPECT_EQ(orr["operation"], "orphans");
  EXPECT_FALSE(std::filesystem::exists(old_orphan)) << orph.out;
  EXPECT_TRUE(std::filesystem::exists(young_orphan));
  EXPECT_EQ(ChdbTotals(), totals) << "orphan cleanup deleted live data";

  // all: runs the four in order and leaves the data as it was.
  ProcessResult all = K2({"maintain", "all", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::vector<std::string> ops;
  for (const auto& r : Json(all)) ops.push_back(r["operation"].get<std::string>());
  EXPECT_EQ(ops, (std::vector<std::string>{"compact", "manifests", "expire", "orphans"}));
  EXPECT_EQ(ChdbTotals(), totals);

  // Text output without --json goes to the log; a bad table is an error exit.
  ProcessResult bad = K2({"maintain", "compact", "--table", "market.no_such_table"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("no_such_table"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace k2::testing
