// What the CLI prints: each command's stdout table, its --json shape (numbers
// as JSON numbers) and exit codes, bad input included; logs stay on stderr.
// Runs the real binary on a table it offloaded from the embedded engine.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/support.h"

namespace k2::testing {
namespace {

class CliOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lib = ChdbLibraryPath();
    if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
    config_ = dir_ / "k2.yaml";
    std::ofstream(config_) << "data_dir: " << (dir_ / "data") << "\nwarm: {kind: embedded, "
                           << "chdb_library: " << *lib << "}\noffload: {max_windows_per_run: 100}\n"
                           << "maintenance:\n  expire: {older_than: 0s, retain_last: 1}\n"
                           << "tables:\n  - {name: raw_trades}\n";
  }

  ProcessResult K2(std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config_, "--log-format", "text"});
    return RunProcess(args);
  }

  static nlohmann::json Json(const ProcessResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON: " << r.out << r.err;
    return j;
  }

  /// The first line of stdout (a table's header).
  static std::string Header(const ProcessResult& r) { return r.out.substr(0, r.out.find('\n')); }

  TempDir dir_;
  std::string config_;
};

TEST_F(CliOutputTest, UnknownCommandsAndBadInputExitTwoNamingTheProblem) {
  ProcessResult top = K2({"nosuchcmd"});
  EXPECT_EQ(top.exit_code, 2);
  EXPECT_EQ(top.out, "");
  EXPECT_NE(top.err.find("unknown command 'nosuchcmd'"), std::string::npos) << top.err;
  EXPECT_NE(top.err.find("offload"), std::string::npos) << "lists the commands: " << top.err;
  EXPECT_EQ(top.err.find("A subcommand is required"), std::string::npos) << top.err;

  ProcessResult nested = K2({"maintain", "shrink"});
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_NE(nested.err.find("unknown command 'maintain shrink'"), std::string::npos) << nested.err;
  EXPECT_NE(nested.err.find("compact"), std::string::npos) << nested.err;

  EXPECT_EQ(K2({"jobs", "history", "--limit", "0"}).exit_code, 2);
  EXPECT_EQ(K2({"offload", "--layer", "platinum"}).exit_code, 2);
  ProcessResult missing = K2({"snapshots", "market.no_such_table"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("no_such_table"), std::string::npos) << missing.err;

  ProcessResult all = K2({"--help-all"});
  EXPECT_EQ(all.exit_code, 0);
  for (const char* text : {"k2 maintain compact", "k2 jobs history", "k2 config check", "--dry-run",
                           "--limit", "--where"}) {
    EXPECT_NE(all.out.find(text), std::string::npos) << "--help-all lacks " << text;
  }
}

TEST_F(CliOutputTest, TablesSnapshotsMaintainAndJobsPrintTablesAndJson) {
  const std::string start = WholeHoursAgo(4);
  ProcessResult gen = K2({"generate", "--hours", "3", "--rate", "1", "--symbols", "2", "--seed",
                          "3", "--start", start});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ProcessResult off = K2({"offload", "--json"});
  ASSERT_EQ(off.exit_code, 0) << off.err;

  // tables: counts are numbers.
  ProcessResult tables = K2({"tables", "--json"});
  ASSERT_EQ(tables.exit_code, 0) << tables.err;
  nlohmann::json t = Json(tables);
  ASSERT_EQ(t.size(), 1u) << tables.out;
  EXPECT_EQ(t[0]["table"], "market.raw_trades");
  for (const char* key : {"snapshots", "records", "data_files", "delete_files", "bytes"}) {
    EXPECT_TRUE(t[0][key].is_number_integer()) << key << " in " << t.dump();
  }
  const int64_t snapshots = t[0]["snapshots"].get<int64_t>();
  EXPECT_GE(snapshots, 3) << "one commit per closed hour";
  EXPECT_GT(t[0]["records"].get<int64_t>(), 0);
  ProcessResult tables_text = K2({"tables"});
  EXPECT_EQ(Header(tables_text).substr(0, 5), "TABLE");
  EXPECT_NE(tables_text.out.find("market.raw_trades"), std::string::npos);

  // snapshots: each commit's window and operation.
  ProcessResult snaps = K2({"snapshots", "market.raw_trades", "--json"});
  ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
  nlohmann::json s = Json(snaps);
  ASSERT_EQ(static_cast<int64_t>(s.size()), snapshots);
  EXPECT_EQ(s[0]["operation"], "append");
  EXPECT_EQ(s[0]["window"]["start"], start) << s[0].dump();
  const std::string end = s[0]["window"]["end"];
  EXPECT_EQ(end.substr(0, 11), start.substr(0, 11)) << "a one-hour window";
  ProcessResult snaps_text = K2({"snapshots", "market.raw_trades"});
  EXPECT_NE(Header(snaps_text).find("OPERATION"), std::string::npos) << snaps_text.out;
  EXPECT_NE(Header(snaps_text).find("WINDOW"), std::string::npos) << snaps_text.out;
  EXPECT_NE(snaps_text.out.find(start.substr(0, 16) + "Z .. " + end.substr(11, 5) + "Z"),
            std::string::npos)
      << snaps_text.out;

  // maintain --dry-run: a table per operation on stdout, logs on stderr only.
  ProcessResult dry = K2({"maintain", "all", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(Header(dry).find("OPERATION"), std::string::npos) << dry.out;
  EXPECT_NE(Header(dry).find("dry run"), std::string::npos) << dry.out;
  for (const char* op : {" compact ", " manifests ", " expire ", " orphans "}) {
    EXPECT_NE(dry.out.find(std::string("market.raw_trades") + std::string(28 - 17, ' ') + op),
              std::string::npos)
        << op << " row missing:\n"
        << dry.out;
  }
  EXPECT_EQ(dry.out.find("[info]"), std::string::npos) << "a log line on stdout:\n" << dry.out;
  ProcessResult dry_json = K2({"maintain", "all", "--dry-run", "--json"});
  ASSERT_EQ(dry_json.exit_code, 0) << dry_json.err;
  nlohmann::json reports = Json(dry_json);
  ASSERT_EQ(reports.size(), 4u) << dry_json.out;
  for (const auto& r : reports) {
    EXPECT_EQ(r["dry_run"], true) << r.dump();
    EXPECT_EQ(r["table"], "market.raw_trades");
  }
  EXPECT_TRUE(reports[0]["files_before"].is_number_integer()) << reports[0].dump();
  EXPECT_EQ(K2({"snapshots", "market.raw_trades", "--json"}).out, snaps.out) << "dry run changed";

  // A real expiry: snapshots expired are counted in the table and the JSON.
  ProcessResult expire = K2({"maintain", "expire"});
  ASSERT_EQ(expire.exit_code, 0) << expire.err;
  EXPECT_NE(expire.out.find(fmt::format("snapshots {} -> 1", snapshots)), std::string::npos)
      << expire.out;
  EXPECT_EQ(Json(K2({"snapshots", "market.raw_trades", "--json"})).size(), 1u);
  ProcessResult bad_table = K2({"maintain", "compact", "--table", "market.nope"});
  EXPECT_NE(bad_table.exit_code, 0);
  EXPECT_NE(bad_table.err.find("market.nope"), std::string::npos) << bad_table.err;

  // jobs and jobs history read the job store: no daemon runs here.
  ProcessResult jobs = K2({"jobs", "--json"});
  ASSERT_EQ(jobs.exit_code, 0) << jobs.err;
  nlohmann::json j = Json(jobs);
  ASSERT_TRUE(j.is_array());
  bool offload_raw = false;
  for (const auto& job : j) {
    if (job["name"] != "offload_raw") continue;
    offload_raw = true;
    EXPECT_EQ(job["cron"], "0 5 * * * *");
    EXPECT_TRUE(job["next_fire"].is_string()) << job.dump();
    EXPECT_EQ(job["running"], false);
    EXPECT_TRUE(job["last_run"].is_null());
  }
  EXPECT_TRUE(offload_raw) << jobs.out;
  ProcessResult jobs_text = K2({"jobs"});
  ASSERT_EQ(jobs_text.exit_code, 0) << jobs_text.err;
  EXPECT_EQ(Header(jobs_text).substr(0, 3), "JOB");
  EXPECT_NE(jobs_text.out.find("compaction"), std::string::npos);
  ProcessResult history = K2({"jobs", "history", "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_EQ(Json(history), nlohmann::json::array());
  ProcessResult run = K2({"jobs", "run", "compaction"});
  EXPECT_EQ(run.exit_code, 1) << "jobs run needs the daemon";
  EXPECT_NE(run.err.find("k2 serve"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace k2::testing
