#pragma once
/// Fresh catalog databases for tests that run on every SQL backend: a SQLite
/// file in a temp dir, or a new database on one PostgreSQL server shared by
/// the test executable (started on first use, stopped at exit).

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/postgres_server.h"
#include "support/support.h"

namespace k2::testing {

/// The shared server, or nullptr with the start-up error in `error` (kNotFound
/// when PostgreSQL is not installed).
inline PostgresServer* SharedPostgres(Error* error) {
  static std::unique_ptr<PostgresServer> server;
  static Error start_error;
  static bool started = false;
  if (!started) {
    started = true;
    auto r = PostgresServer::Start();
    if (r) {
      server = std::move(*r);
    } else {
      start_error = r.error();
    }
  }
  if (!server) *error = start_error;
  return server.get();
}

/// One database for one test. `uri` is what OpenSqlCatalog takes.
struct TestDatabase {
  std::unique_ptr<TempDir> dir;
  std::string uri;
  PostgresServer* server = nullptr;  ///< Set for "postgres".
};

/// Makes a fresh database on `backend` ("sqlite" or "postgres").
inline Result<TestDatabase> FreshDatabase(const std::string& backend) {
  TestDatabase db;
  if (backend == "sqlite") {
    db.dir = std::make_unique<TempDir>();
    db.uri = *db.dir / "catalog.db";
    return db;
  }
  Error error;
  db.server = SharedPostgres(&error);
  if (db.server == nullptr) return std::unexpected(error);
  static std::atomic<int> counter{0};
  K2_ASSIGN_OR_RETURN(db.uri, db.server->CreateDatabase(fmt::format("t{}", ++counter)));
  return db;
}

/// In a TEST_P body whose parameter is the backend name: binds a fresh
/// database to `var`, skipping when PostgreSQL is not installed.
#define K2_FRESH_DATABASE(var)                                                    \
  auto var##_result_ = ::k2::testing::FreshDatabase(GetParam());                  \
  if (!var##_result_ && var##_result_.error().kind == ::k2::ErrorKind::kNotFound) \
    GTEST_SKIP() << var##_result_.error().message;                                \
  ASSERT_TRUE(var##_result_.has_value()) << var##_result_.error().ToString();     \
  auto var = std::move(*var##_result_)

/// Forks `n` processes that race: child `i` runs `body(i, start)` and exits
/// with what it returns; `start()` returns once all `n` are forked (call it
/// after what must happen before the race). Returns each child's exit code
/// (-1 when it died by a signal).
inline std::vector<int> ForkTogether(
    int n, const std::function<int(int, const std::function<void()>&)>& body) {
  int go[2];
  if (pipe(go) != 0) return std::vector<int>(static_cast<size_t>(n), -1);
  std::vector<pid_t> children;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      close(go[1]);
      auto start = [&] {
        char byte;
        (void)!read(go[0], &byte, 1);  // returns when the parent closes the pipe
      };
      _exit(body(i, start));
    }
    children.push_back(pid);
  }
  close(go[0]);
  close(go[1]);  // start the race
  std::vector<int> codes;
  for (pid_t pid : children) {
    int status = 0;
    codes.push_back(
        pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  return codes;
}

}  // namespace k2::testing
