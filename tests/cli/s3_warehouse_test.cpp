// The real binary on an S3 warehouse (s3rver behind tools/oracle/s3front.mjs,
// which verifies every SigV4 signature): every table offloaded and read back
// by chDB with its own S3 client (icebergS3), window by window against warm;
// a rerun commits nothing; audit and scan work; `maintain all` keeps the rows,
// deletes expired files and old orphans, aborts an old dangling multipart
// upload and keeps a fresh file; random faults through an offload and
// maintenance cycle lose and duplicate nothing; an offload killed with
// SIGKILL during a multipart upload leaves nothing visible, a clean run then
// loses and duplicates nothing, and orphan cleanup aborts the upload it left;
// `k2 serve` on the S3 warehouse offloads, reports the table in /api/tables,
// /metrics and the dashboard, serves it through its REST catalog and runs
// maintenance; a wrong secret fails naming SignatureDoesNotMatch.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "support/s3_server.h"
#include "support/support.h"

namespace k2::testing {
namespace {

namespace fs = std::filesystem;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// "YYYY-MM-DDTHH:00:00Z" for an epoch second on an hour.
std::string IsoHour(int64_t epoch_s) {
  std::chrono::sys_seconds t{std::chrono::seconds{epoch_s}};
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:00:00Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     std::chrono::duration_cast<std::chrono::hours>(t - day).count());
}

/// Data starts this many whole hours before the current hour: every window
/// from it to now is closed and gets a commit (empty ones too), so tests
/// keep the span short. Generated data ends an hour before the current hour
/// at least: the generator's last row falls on its end time, whose window
/// must be closed and settled for warm and cold to agree.
std::string HoursAgo(int64_t hours) {
  return IsoHour(NowSeconds() / 3600 * 3600 - hours * 3600);
}

class S3WarehouseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = ChdbLibraryPath();
    if (!lib_) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
    auto s = S3Server::Start();
    if (!s && s.error().kind == ErrorKind::kNotFound) GTEST_SKIP() << s.error().message;
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    server_ = std::move(*s);
  }

  void WriteConfig(const std::string& tables, const std::string& secret = S3Server::kSecret,
                   const std::string& s3_extra = "",
                   const std::string& expire = "{older_than: 0s, retain_last: 1}") {
    config_ = dir_ / "k2.yaml";
    std::ofstream(config_) << "data_dir: data\nwarm: {kind: embedded, chdb_library: " << *lib_
                           << "}\nwarehouse:\n  location: s3://" << server_->bucket()
                           << "/lake\n  s3: {endpoint: \"" << server_->endpoint()
                           << "\", access_key_id: " << S3Server::kAccessKey
                           << ", secret_access_key: " << secret << ", part_size: 5MiB" << s3_extra
                           << "}\n"
                           << "offload: {max_windows_per_run: 100}\n"
                           << "maintenance:\n  expire: " << expire << "\n"
                           << "  orphans: {older_than: 2d}\n"
                           << tables;
  }

  ProcessResult K2(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), {K2_BINARY, "--config", config_, "--log-level", "warn"});
    env.push_back("K2_S3_RETRY_BASE_MS=5");
    return RunProcess(args, env);
  }

  nlohmann::json Json(const ProcessResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  /// chDB's own S3 client on the table, through the signature-checking front.
  std::string IcebergS3(const std::string& table) const {
    return fmt::format("icebergS3('{}/{}/lake/market/{}', '{}', '{}')", server_->endpoint(),
                       server_->bucket(), table, S3Server::kAccessKey, S3Server::kSecret);
  }

  /// `exprs` (window first) as "c0, c1, ..." aliases, all strings.
  static std::string Select(const std::vector<std::string>& exprs) {
    std::string out;
    for (size_t i = 0; i < exprs.size(); ++i) {
      out += fmt::format("{}toString({}) AS c{}", i ? ", " : "", exprs[i], i);
    }
    return out;
  }

  /// "window<TAB>count<TAB>sums..." lines, ordered by window, from chDB over S3.
  std::string ColdByWindow(const std::string& table, const std::vector<std::string>& exprs) {
    auto rows = QueryChdb(
        fmt::format("SELECT {} FROM {} GROUP BY c0 ORDER BY c0", Select(exprs), IcebergS3(table)));
    if (!rows) return "error: " + rows.error().ToString();
    std::string out;
    for (const auto& r : *rows) {
      for (size_t i = 0; i < exprs.size(); ++i) {
        out += (i ? "\t" : "") + r[fmt::format("c{}", i)].get<std::string>();
      }
      out += "\n";
    }
    return out;
  }

  /// The same from the warm tier (the embedded engine), as TSV.
  std::string WarmByWindow(const std::string& from, const std::vector<std::string>& exprs) {
    ProcessResult r =
        K2({"warm", "query",
            fmt::format("SELECT {} FROM {} GROUP BY c0 ORDER BY c0", Select(exprs), from)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  /// count and hash sum of every raw trade, by chDB over S3.
  std::string RawTotals() {
    auto rows = QueryChdb(fmt::format(
        "SELECT toString(count()) AS c, toString(sum(cityHash64(message))) AS s FROM {}",
        IcebergS3("raw_trades")));
    if (!rows) return "error: " + rows.error().ToString();
    return (*rows)[0]["c"].get<std::string>() + "\t" + (*rows)[0]["s"].get<std::string>();
  }

  std::string WarmRawTotals() {
    ProcessResult r =
        K2({"warm", "query", "SELECT count(), sum(cityHash64(message)) FROM raw_trades"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  /// Snapshot counts per table (`k2 tables --json`).
  std::map<std::string, int64_t> SnapshotCounts() {
    std::map<std::string, int64_t> out;
    ProcessResult r = K2({"tables", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const auto& t : Json(r)) {
      std::string name = t.value("table", t.value("name", std::string("?")));
      out[name] = t.value("snapshots", int64_t{0});
    }
    return out;
  }

  /// Object keys in the bucket, read from s3rver's folder (not through k2).
  std::set<std::string> Objects(const std::string& under) {
    std::set<std::string> out;
    const std::string marker = "._S3rver_object";
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(server_dir(), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::string p = it->path().string();
      if (!p.ends_with(marker)) continue;
      std::string key = p.substr(server_dir().size() + 1);
      key = key.substr(0, key.size() - marker.size());
      if (key.starts_with(under)) out.insert(key);
    }
    return out;
  }

  /// Signs with curl (an independent SigV4 signer) and sends one request.
  ProcessResult Curl(const std::string& method, const std::string& key_and_query,
                     const std::string& body = "") {
    return RunProcess({"curl", "-sS", "--max-time", "10", "--aws-sigv4", "aws:amz:us-east-1:s3",
                       "-u", std::string(S3Server::kAccessKey) + ":" + S3Server::kSecret, "-H",
                       "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-X", method, "--data-binary",
                       body, "-w", "\n%{http_code}",
                       server_->endpoint() + "/" + server_->bucket() + "/" + key_and_query});
  }

  std::string server_dir() const { return server_->bucket_dir(); }

  std::optional<std::string> lib_;
  std::unique_ptr<S3Server> server_;
  TempDir dir_;
  std::string config_;
};

TEST_F(S3WarehouseTest, EveryTableOffloadsAndChdbReadsItBackOverS3) {
  WriteConfig("");  // the platform's tables
  ProcessResult check = K2({"config", "check", config_});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  // Three hours ending an hour before midnight: yesterday's daily candle
  // window is closed and settled too, unless midnight was minutes ago.
  int64_t midnight = NowSeconds() / 86400 * 86400;
  if (NowSeconds() - midnight < 2 * 3600) midnight -= 86400;
  ProcessResult gen = K2({"generate", "--hours", "3", "--rate", "1", "--symbols", "2", "--seed",
                          "7", "--start", IsoHour(midnight - 4 * 3600)});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const int64_t first_run = NowSeconds();
  ProcessResult off = K2({"offload", "--json"});
  ASSERT_EQ(off.exit_code, 0) << off.out << off.err;

  // Window by window, warm and cold agree: count and sums, chDB reading the
  // Iceberg tables from S3 with its own client (signatures verified).
  struct Check {
    std::string table, warm_from;
    std::vector<std::string> exprs;  ///< window, count, sums
  };
  const std::vector<Check> checks = {
      {"raw_trades",
       "raw_trades",
       {"intDiv(toUnixTimestamp(ingested_at), 3600)", "count()", "sum(cityHash64(message))"}},
      {"bronze_trades",
       "bronze_trades",
       {"intDiv(toUnixTimestamp(event_time), 3600)", "count()", "sum(trade_id)", "sum(price)"}},
      {"silver_trades",
       "silver_trades FINAL",
       {"intDiv(toUnixTimestamp(event_time), 3600)", "count()", "sum(trade_id)", "sum(quantity)"}},
  };
  for (const Check& c : checks) {
    const std::string warm = WarmByWindow(c.warm_from, c.exprs);
    EXPECT_GE(std::count(warm.begin(), warm.end(), '\n'), 3) << c.table << ": " << warm;
    EXPECT_EQ(ColdByWindow(c.table, c.exprs), warm) << c.table;
  }
  // Gold: one candle per (exchange, symbol, interval); volumes finalized by the offload.
  for (const char* gold : {"gold_ohlcv_1m", "gold_ohlcv_1h", "gold_ohlcv_1d"}) {
    const int64_t w = std::string(gold) == "gold_ohlcv_1d" ? 86400 : 3600;
    const std::string window = fmt::format("intDiv(toUnixTimestamp(candle_time), {})", w);
    const std::string warm = WarmByWindow(
        fmt::format("(SELECT candle_time, sumMerge(volume) AS volume, countMerge(trade_count) "
                    "AS trade_count FROM {} GROUP BY exchange, symbol, candle_time)",
                    gold),
        {window, "count()", "sum(volume)", "sum(trade_count)"});
    EXPECT_FALSE(warm.empty()) << gold;
    EXPECT_EQ(ColdByWindow(gold, {window, "count()", "sum(volume)", "sum(trade_count)"}), warm)
        << gold;
  }

  // A rerun commits nothing.
  const auto before = SnapshotCounts();
  ASSERT_GE(before.size(), 9u);
  for (const auto& [t, n] : before) EXPECT_GE(n, 1) << t;
  ProcessResult again = K2({"offload", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  // At most the hour that settled meanwhile (if the wall clock crossed hh:05).
  const bool hour_settled = (first_run - 300) / 3600 != (NowSeconds() - 300) / 3600;
  for (const auto& [t, n] : SnapshotCounts()) {
    const bool hourly = t != "market.gold_ohlcv_1d";
    EXPECT_GE(n, before.at(t)) << t;
    EXPECT_LE(n, before.at(t) + (hour_settled && hourly ? 1 : 0)) << t;
  }

  // Audit and scan read the S3 warehouse too.
  ProcessResult audit = K2({"audit", "--json"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  ProcessResult scan =
      K2({"scan", "market.raw_trades", "--columns", "message", "--format", "json"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  const std::string totals = WarmRawTotals();
  EXPECT_EQ(std::to_string(std::count(scan.out.begin(), scan.out.end(), '\n')),
            totals.substr(0, totals.find('\t')));
  K2_ASSERT_OK_AND_ASSIGN(auto stats, server_->Stats());
  EXPECT_EQ(stats["signature_failures"].get<int64_t>(), 0) << stats.dump();
  EXPECT_EQ(stats["open_uploads"].get<int64_t>(), 0) << stats.dump();
}

TEST_F(S3WarehouseTest, MaintainAllKeepsRowsDeletesExpiredFilesOrphansAndStaleUploads) {
  WriteConfig("tables:\n  - {name: raw_trades}\n");
  // 30 hours from the midnight two days ago: a whole closed day of 24 hourly
  // files, then 6 more. (From 32 hours ago, the first day held 32 - hour-of-day
  // files: 9 when run after 23:00 UTC, fewer than the 10 expected expired.)
  const int64_t two_days_ago = NowSeconds() / 86400 * 86400 - 2 * 86400;
  ProcessResult gen = K2({"generate", "--hours", "30", "--rate", "1", "--symbols", "3", "--seed",
                          "9", "--start", IsoHour(two_days_ago)});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ProcessResult off = K2({"offload"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  const std::string totals = RawTotals();
  ASSERT_EQ(totals, WarmRawTotals());
  const std::string table = "lake/market/raw_trades/";
  const std::set<std::string> data_before = Objects(table + "data/");
  ASSERT_GE(data_before.size(), 30u);

  // An old orphan, a fresh one, and an old multipart upload nobody finished,
  // all made with curl (its own SigV4 signer), not with k2.
  const std::string old_orphan = table + "data/orphan-old.parquet";
  const std::string young_orphan = table + "data/orphan-young.parquet";
  ASSERT_TRUE(Curl("PUT", old_orphan, "x").out.ends_with("200"));
  ASSERT_TRUE(Curl("PUT", young_orphan, "y").out.ends_with("200"));
  K2_ASSERT_OK(server_->Backdate(old_orphan, 5 * 86400));
  ProcessResult create = Curl("POST", table + "data/crashed.parquet?uploads=");
  ASSERT_TRUE(create.out.ends_with("200")) << create.out << create.err;
  K2_ASSERT_OK(server_->Backdate(table + "data/crashed", 5 * 86400, /*upload=*/true));
  ProcessResult fresh_upload = Curl("POST", table + "data/in-flight.parquet?uploads=");
  ASSERT_TRUE(fresh_upload.out.ends_with("200")) << fresh_upload.out;
  ASSERT_EQ((*server_->Stats())["open_uploads"].get<int64_t>(), 2);

  ProcessResult all = K2({"maintain", "all", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.out << all.err;
  std::map<std::string, nlohmann::json> reports;
  for (const auto& r : Json(all)) reports[r["operation"].get<std::string>()] = r;
  ASSERT_EQ(reports.size(), 4u) << all.out;
  EXPECT_GE(reports["compact"]["groups_committed"].get<int64_t>(), 1) << all.out;
  const int64_t expired = reports["expire"]["data_files_deleted"].get<int64_t>();
  EXPECT_GE(expired, 10) << "a closed day of hourly files compacted, then expired: " << all.out;
  EXPECT_EQ(reports["orphans"]["files_deleted"].get<int64_t>(), 1) << all.out;
  EXPECT_EQ(reports["orphans"]["uploads_aborted"].get<int64_t>(), 1) << all.out;

  EXPECT_EQ(RawTotals(), totals) << "maintenance changed the rows";
  // Expired (compacted-away) hourly files are gone from the bucket; what is
  // left is exactly what the table references, plus the fresh orphan.
  const std::set<std::string> data_after = Objects(table + "data/");
  int64_t gone = 0;
  for (const std::string& k : data_before) gone += data_after.count(k) ? 0 : 1;
  EXPECT_EQ(gone, expired) << "the files expiry deleted are the ones gone from the bucket";
  EXPECT_FALSE(data_after.count(old_orphan));
  EXPECT_TRUE(data_after.count(young_orphan));
  auto paths = QueryChdb(
      fmt::format("SELECT toString(count(DISTINCT _path)) AS n FROM {}", IcebergS3("raw_trades")));
  ASSERT_TRUE(paths) << paths.error().ToString();
  EXPECT_EQ((*paths)[0]["n"].get<std::string>(), std::to_string(data_after.size() - 1));
  K2_ASSERT_OK_AND_ASSIGN(auto stats, server_->Stats());
  EXPECT_EQ(stats["open_uploads"].get<int64_t>(), 1) << "the fresh upload must stay";
}

TEST_F(S3WarehouseTest, RandomFaultsThroughOffloadAndMaintenanceLoseNothing) {
  // Expiry keeps one snapshot: the ledger (the k2.ledger table property) must
  // carry every window through it, faults and all.
  WriteConfig("tables:\n  - {name: raw_trades}\n", S3Server::kSecret, ", retries: 1",
              "{older_than: 0s, retain_last: 1}");
  ProcessResult gen = K2({"generate", "--hours", "4", "--rate", "1", "--symbols", "2", "--seed",
                          "4", "--start", HoursAgo(6)});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  // 500/503/SlowDown/dropped connections at a quarter of the requests
  // (seeded), with one retry per request so that faults reach the jobs too,
  // mid-run. Which requests the draws hit moves with every change in the
  // requests k2 makes, so each phase also starts with its first request
  // failing twice, the attempt and its retry: at least one run of each job
  // fails, whatever the draws.
  auto faults_from_next_request = [&](uint32_t seed) -> Status {
    K2_ASSIGN_OR_RETURN(auto now, server_->Stats());
    const int64_t next = now["requests"].get<int64_t>() + 1;
    return server_->SetFaults(fmt::format(
        R"({{"seed": {}, "rate": 0.25, "kinds": ["500", "503", "slowdown", "drop"],
            "nth": {{"{}": "503", "{}": "503"}}}})",
        seed, next, next + 1));
  };
  K2_ASSERT_OK(faults_from_next_request(20261206));
  int failed_offloads = 0, failed_maintenance = 0;
  bool offloaded = false;
  for (int run = 0; run < 20 && !offloaded; ++run) {
    ProcessResult off = K2({"offload"});
    ASSERT_TRUE(off.exit_code == 0 || off.exit_code == 1 || off.exit_code == 3)
        << "offload crashed (" << off.exit_code << "): " << off.err;
    offloaded = off.exit_code == 0;
    if (!offloaded) ++failed_offloads;
  }
  ASSERT_TRUE(offloaded) << "no offload run got through the faults";
  const int64_t snapshots_offloaded = SnapshotCounts()["market.raw_trades"];
  EXPECT_GE(snapshots_offloaded, 4) << "one snapshot per window with rows";

  K2_ASSERT_OK(faults_from_next_request(7));
  bool maintained = false;
  for (int run = 0; run < 20 && !maintained; ++run) {
    ProcessResult m = K2({"maintain", "all", "--json"});
    ASSERT_TRUE(m.exit_code == 0 || m.exit_code == 1 || m.exit_code == 3)
        << "maintenance crashed (" << m.exit_code << "): " << m.err;
    maintained = m.exit_code == 0;
    if (!maintained) ++failed_maintenance;
  }
  EXPECT_TRUE(maintained) << "no maintenance run got through the faults";
  K2_ASSERT_OK_AND_ASSIGN(auto stats, server_->Stats());
  EXPECT_GT(stats["faults"].get<int64_t>(), 5) << stats.dump();
  K2_ASSERT_OK(server_->SetFaults("{}"));
  EXPECT_GT(failed_offloads, 0) << "no fault reached an offload: the test proved less than it says";
  EXPECT_GT(failed_maintenance, 0) << "no fault reached maintenance";
  // Expiry did run through the faults: the window snapshots are gone.
  EXPECT_EQ(SnapshotCounts()["market.raw_trades"], 1) << "was " << snapshots_offloaded;

  // Afterwards: a clean run commits nothing new (at most the hour that closed
  // meanwhile), no row lost or duplicated although every window's snapshot
  // expired, no multipart upload left open, the audit agrees window by window.
  ProcessResult clean = K2({"offload"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_LE(SnapshotCounts()["market.raw_trades"], 2);
  EXPECT_EQ(RawTotals(), WarmRawTotals());
  K2_ASSERT_OK_AND_ASSIGN(stats, server_->Stats());
  EXPECT_EQ(stats["open_uploads"].get<int64_t>(), 0) << stats.dump();
  ProcessResult audit = K2({"audit", "--json"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  std::cerr << "fault test: " << failed_offloads << " offload and " << failed_maintenance
            << " maintenance runs failed cleanly, " << stats["faults"] << " faults injected\n";
}

TEST_F(S3WarehouseTest, KilledDuringAMultipartUploadThenACleanRunLosesNothing) {
  WriteConfig("tables:\n  - {name: raw_trades}\n");  // 5 MiB parts
  // An hour whose data file is several parts (~10 MB).
  ProcessResult gen = K2({"generate", "--hours", "1", "--rate", "100", "--symbols", "2", "--seed",
                          "11", "--start", HoursAgo(3)});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  // Every PUT answers after a second: the offload's multipart upload stays
  // open long enough to be caught with a part on its way up.
  K2_ASSERT_OK(server_->SetFaults(R"({"methods": ["PUT"], "rate": 1, "kinds": ["slow"],
                                      "slow_ms": 1000})"));
  pid_t pid = SpawnProcess({K2_BINARY, "--config", config_, "offload"});
  int64_t open_uploads = 0;
  bool running = true;
  for (int i = 0; i < 1200 && open_uploads == 0 && running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    K2_ASSERT_OK_AND_ASSIGN(auto stats, server_->Stats());
    open_uploads = stats["open_uploads"].get<int64_t>();
    running = waitpid(pid, nullptr, WNOHANG) == 0;
  }
  ASSERT_TRUE(running) << "the offload ended before a multipart upload was seen";
  ::kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_EQ(open_uploads, 1) << "killed during a multipart upload";
  K2_ASSERT_OK(server_->SetFaults("{}"));
  // Nothing of the killed upload is visible: no data file in the bucket.
  const std::string table = "lake/market/raw_trades/";
  EXPECT_TRUE(Objects(table + "data/").empty());

  // A clean run offloads every window once; cold equals warm.
  ProcessResult clean = K2({"offload"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_EQ(RawTotals(), WarmRawTotals());
  ProcessResult audit = K2({"audit", "--json"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  // The upload the kill left open is aborted by orphan cleanup once older
  // than its threshold (2 days here): aged past it, then cleaned.
  K2_ASSERT_OK_AND_ASSIGN(auto stats, server_->Stats());
  ASSERT_EQ(stats["open_uploads"].get<int64_t>(), 1) << stats.dump();
  K2_ASSERT_OK(server_->Backdate(table + "data/", 3 * 86400, /*upload=*/true));
  ProcessResult orphans = K2({"maintain", "orphans", "--json"});
  ASSERT_EQ(orphans.exit_code, 0) << orphans.out << orphans.err;
  EXPECT_EQ(Json(orphans)[0]["uploads_aborted"].get<int64_t>(), 1) << orphans.out;
  K2_ASSERT_OK_AND_ASSIGN(stats, server_->Stats());
  EXPECT_EQ(stats["open_uploads"].get<int64_t>(), 0) << stats.dump();
  EXPECT_EQ(RawTotals(), WarmRawTotals());
  ProcessResult again = K2({"offload", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const auto& w : Json(again)[0]["windows"]) {
    EXPECT_NE(w["action"], "append") << "a rerun commits no rows again: " << again.out;
  }
}

TEST_F(S3WarehouseTest, ServeOffloadsAndReportsTheTableFromS3) {
  const int port = FreeLoopbackPort();
  WriteConfig(
      fmt::format("service:\n  listen: 127.0.0.1:{}\n  shutdown_grace: 5s\n"
                  "  rest_catalog: {{enabled: true, tokens: [rest-secret]}}\n"
                  "tables:\n  - {{name: raw_trades}}\n",
                  port));
  ProcessResult gen = K2({"generate", "--hours", "3", "--rate", "2", "--symbols", "2", "--seed",
                          "5", "--start", HoursAgo(5)});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ServeProcess serve(K2_BINARY, config_, "", port, {"K2_S3_RETRY_BASE_MS=5"}, "warn");
  ASSERT_TRUE(serve.AwaitUp()) << "k2 serve did not answer /health on port " << port;
  const std::string& base = serve.base();

  // The job runs in a child k2 process, as on local disk; its history says so.
  auto run_job = [&](const std::string& job) -> nlohmann::json {
    ProcessResult post = RunProcess({"curl", "-s", "-m", "5", "-X", "POST", "-w", "\n%{http_code}",
                                     base + "/api/jobs/" + job + "/run"});
    EXPECT_NE(post.out.find("202"), std::string::npos) << post.out;
    for (int i = 0; i < 900; ++i) {
      ProcessResult h = RunProcess({"curl", "-sf", base + "/api/jobs/history?job=" + job});
      auto j = nlohmann::json::parse(h.out, nullptr, false);
      if (!j.is_discarded() && !j["runs"].empty() && j["runs"][0]["status"] != "running") {
        return j["runs"][0];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return nullptr;
  };
  nlohmann::json run = run_job("offload_raw");
  ASSERT_FALSE(run.is_null()) << "the offload did not finish";
  ASSERT_EQ(run["status"], "succeeded") << run.dump(2);
  EXPECT_GT(run["outcome"].value("rows", 0), 0) << run.dump(2);

  // /api/tables and /metrics report the table as it is on S3; chDB reading
  // it with its own S3 client counts the warm tier's rows.
  const std::string totals = WarmRawTotals();
  const std::string warm_rows = totals.substr(0, totals.find('\t'));
  ProcessResult api = RunProcess({"curl", "-sf", base + "/api/tables"});
  ASSERT_EQ(api.exit_code, 0) << api.err;
  nlohmann::json table;
  const nlohmann::json tables = Json(api);
  for (const auto& t : tables["tables"]) {
    if (t["table"] == "market.raw_trades") table = t;
  }
  ASSERT_FALSE(table.is_null()) << api.out;
  EXPECT_EQ(std::to_string(table["total_rows"].get<int64_t>()), warm_rows) << api.out;
  const int64_t files = table["data_files"].get<int64_t>();
  EXPECT_GE(files, 3) << api.out;
  EXPECT_EQ(static_cast<size_t>(files), Objects("lake/market/raw_trades/data/").size());
  EXPECT_GT(table["total_bytes"].get<int64_t>(), 0) << api.out;
  EXPECT_FALSE(table["watermark"].is_null()) << api.out;
  auto cold =
      QueryChdb(fmt::format("SELECT toString(count()) AS c FROM {}", IcebergS3("raw_trades")));
  ASSERT_TRUE(cold) << cold.error().ToString();
  EXPECT_EQ((*cold)[0]["c"].get<std::string>(), warm_rows);

  ProcessResult metrics = RunProcess({"curl", "-sf", base + "/metrics"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  auto metric = [&](const std::string& name) {
    const std::string key = name + "{table=\"market.raw_trades\"} ";
    const size_t at = metrics.out.find(key);
    if (at == std::string::npos) return std::string("absent");
    return metrics.out.substr(at + key.size(), metrics.out.find('\n', at) - at - key.size());
  };
  EXPECT_EQ(metric("k2_table_rows"), warm_rows) << metrics.out;
  EXPECT_EQ(metric("k2_table_data_files"), std::to_string(files)) << metrics.out;
  EXPECT_EQ(metric("k2_table_bytes"), std::to_string(table["total_bytes"].get<int64_t>()));
  EXPECT_NE(metrics.out.find("k2_job_runs_total{job=\"offload_raw\",status=\"succeeded\"} 1"),
            std::string::npos)
      << metrics.out;

  // The REST catalog the daemon serves loads the table's metadata from S3
  // with the warehouse's endpoint and credentials.
  ProcessResult rest = RunProcess({"curl", "-s", "-H", "Authorization: Bearer rest-secret",
                                   base + "/iceberg/v1/namespaces/market/tables/raw_trades"});
  auto loaded = nlohmann::json::parse(rest.out, nullptr, false);
  ASSERT_FALSE(loaded.is_discarded()) << rest.out << rest.err;
  EXPECT_TRUE(loaded.value("metadata-location", "").starts_with("s3://")) << rest.out;
  EXPECT_TRUE(loaded["metadata"].contains("current-snapshot-id")) << rest.out;

  // The dashboard plans the table's files from its manifests on S3.
  ProcessResult dash = RunProcess({"curl", "-sf", base + "/api/dashboard"});
  ASSERT_EQ(dash.exit_code, 0) << dash.err;
  EXPECT_NE(dash.out.find("market.raw_trades"), std::string::npos) << dash.out;

  // A maintenance job through the daemon on S3 too.
  nlohmann::json compaction = run_job("compaction");
  ASSERT_FALSE(compaction.is_null()) << "compaction did not finish";
  EXPECT_EQ(compaction["status"], "succeeded") << compaction.dump(2);
  EXPECT_EQ(RawTotals(), totals);

  EXPECT_EQ(serve.Terminate(), 0) << "SIGTERM stops the daemon with exit code 0";
  K2_ASSERT_OK_AND_ASSIGN(auto stats, server_->Stats());
  EXPECT_EQ(stats["signature_failures"].get<int64_t>(), 0) << stats.dump();
  EXPECT_EQ(stats["open_uploads"].get<int64_t>(), 0) << stats.dump();
}

TEST_F(S3WarehouseTest, AWrongSecretFailsNamingSignatureDoesNotMatch) {
  WriteConfig("tables:\n  - {name: raw_trades}\n", "not-the-secret");
  ProcessResult gen = K2({"generate", "--hours", "1", "--rate", "1", "--symbols", "1", "--seed",
                          "1", "--start", "2026-11-01T00:00:00Z"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ProcessResult off = K2({"offload"});
  EXPECT_NE(off.exit_code, 0);
  EXPECT_NE(off.err.find("SignatureDoesNotMatch"), std::string::npos) << off.err;
  EXPECT_NE(off.err.find(server_->endpoint()), std::string::npos) << off.err;
  EXPECT_EQ(off.err.find("not-the-secret"), std::string::npos) << "secret leaked: " << off.err;
  EXPECT_TRUE(Objects("lake/").empty());

  // config check validates the S3 keys.
  std::ofstream(dir_ / "bad.yaml")
      << "warehouse:\n  location: s3://b-1/x\n  s3: {part_size: 1MB}\n";
  ProcessResult bad = K2({"config", "check", dir_ / "bad.yaml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("warehouse.s3.part_size"), std::string::npos) << bad.err;
  std::ofstream(dir_ / "typo.yaml") << "warehouse:\n  location: s3://b-1/x\n  s3: {regoin: x}\n";
  ProcessResult typo = K2({"config", "check", dir_ / "typo.yaml"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("regoin"), std::string::npos) << typo.err;
}

}  // namespace
}  // namespace k2::testing
