// Separate processes committing to one table through a shared SQLite catalog,
// and processes killed at random points during commits.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <thread>

#include "catalog/catalog_factory.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "iceberg/test_tables.h"

extern char** environ;

namespace k2::iceberg {
namespace {

const TableIdentifier kId{{"market"}, "trades"};

/// Worker mode: when K2_ICEBERG_APPEND_WORKER="<catalog db>;<writer>;<count>" is set,
/// this test binary appends <count> fake files and exits before gtest starts.
int RunWorkerIfAsked() {
  const char* spec = std::getenv("K2_ICEBERG_APPEND_WORKER");
  if (spec == nullptr) return 0;
  std::string s = spec;
  size_t a = s.find(';'), b = s.find(';', a + 1);
  const std::string db = s.substr(0, a);
  const std::string writer = s.substr(a + 1, b - a - 1);
  const int count = std::atoi(s.substr(b + 1).c_str());
  auto catalog = OpenSqlCatalog(db, "k2");
  if (!catalog) {
    fmt::print(stderr, "worker: {}\n", catalog.error().ToString());
    std::_Exit(2);
  }
  auto io = NewLocalFileIO();
  auto table = Table::Load(**catalog, *io, kId);
  if (!table) {
    fmt::print(stderr, "worker: {}\n", table.error().ToString());
    std::_Exit(2);
  }
  for (int i = 0; i < count; ++i) {
    auto r = table->NewFastAppend()
                 .AppendFile(testing::FakeFile(fmt::format("/x/{}-{}.parquet", writer, i), 1))
                 .Set("writer", writer)
                 .Commit();
    if (!r) {
      fmt::print(stderr, "worker {} append {}: {}\n", writer, i, r.error().ToString());
      std::_Exit(1);
    }
  }
  std::_Exit(0);
}
const int kWorkerMode = RunWorkerIfAsked();

std::string SelfExe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, n) : std::string();
}

pid_t SpawnWorker(const std::string& db, const std::string& writer, int count) {
  std::string env_var =
      "K2_ICEBERG_APPEND_WORKER=" + db + ";" + writer + ";" + std::to_string(count);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  env_store.push_back(env_var);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string exe = SelfExe();
  std::string filter = "--gtest_filter=NoSuchTest";
  char* argv[] = {exe.data(), filter.data(), nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv, envp.data()) != 0) return -1;
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

class ProcessCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(kWorkerMode, 0);
    db_ = dir_ / "catalog.db";
    auto catalog = OpenSqlCatalog(db_, "k2");
    ASSERT_TRUE(catalog.has_value()) << catalog.error().ToString();
    catalog_ = std::move(*catalog);
    ASSERT_TRUE(catalog_->CreateNamespace({"market"}, {}).has_value());
    CreateOptions opts;
    opts.location = dir_ / "warehouse/market/trades";
    opts.properties = {{"commit.retry.num-retries", "1000"},
                       {"commit.retry.min-wait-ms", "1"},
                       {"commit.retry.max-wait-ms", "20"}};
    auto t = Table::Create(*catalog_, *io_, kId, testing::TradesSchema(),
                           PartitionSpec::Unpartitioned(), opts);
    ASSERT_TRUE(t.has_value()) << t.error().ToString();
  }

  ::k2::testing::TempDir dir_;
  std::string db_;
  std::unique_ptr<FileIO> io_ = NewLocalFileIO();
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(ProcessCommitTest, TwoProcessesTwoHundredAppendsEach) {
  constexpr int kPer = 200;
  pid_t a = SpawnWorker(db_, "a", kPer);
  pid_t b = SpawnWorker(db_, "b", kPer);
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  EXPECT_EQ(WaitExit(a), 0);
  EXPECT_EQ(WaitExit(b), 0);
  K2_ASSERT_OK_AND_ASSIGN(Table t, Table::Load(*catalog_, *io_, kId));
  const TableMetadata& m = t.metadata();
  EXPECT_EQ(m.snapshots.size(), 2u * kPer);
  auto ancestry = m.MainAncestry();
  ASSERT_EQ(ancestry.size(), 2u * kPer) << "history must be linear";
  std::map<std::string, int> by_writer;
  for (const Snapshot* s : ancestry) by_writer[s->summary.at("writer")]++;
  EXPECT_EQ(by_writer["a"], kPer);
  EXPECT_EQ(by_writer["b"], kPer);
  EXPECT_EQ(m.CurrentSnapshot()->summary.at("total-records"), std::to_string(2 * kPer));
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, t.NewScan().PlanFiles());
  EXPECT_EQ(tasks.size(), 2u * kPer);
}

TEST_F(ProcessCommitTest, KilledWritersNeverLeaveTheTableUnreadable) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 6; ++round) {
    pid_t p = SpawnWorker(db_, "k" + std::to_string(round), 1000);
    ASSERT_GT(p, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 400));
    kill(p, SIGKILL);
    WaitExit(p);
    // Whatever point it died at, the table loads, its history is linear and
    // every committed file is planned exactly once.
    K2_ASSERT_OK_AND_ASSIGN(Table t, Table::Load(*catalog_, *io_, kId));
    const TableMetadata& m = t.metadata();
    auto ancestry = m.MainAncestry();
    EXPECT_EQ(ancestry.size(), m.snapshots.size());
    K2_ASSERT_OK_AND_ASSIGN(auto tasks, t.NewScan().PlanFiles());
    EXPECT_EQ(
        static_cast<int64_t>(tasks.size()),
        m.CurrentSnapshot() ? std::stoll(m.CurrentSnapshot()->summary.at("total-records")) : 0);
    std::set<std::string> paths;
    for (const auto& task : tasks) paths.insert(task.file.file_path);
    EXPECT_EQ(paths.size(), tasks.size());
  }
  // And a fresh writer still commits on top.
  pid_t p = SpawnWorker(db_, "after", 3);
  EXPECT_EQ(WaitExit(p), 0);
}

}  // namespace
}  // namespace k2::iceberg
