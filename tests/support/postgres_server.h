#pragma once
/// A real PostgreSQL server (Debian's postgresql-15 binaries) on a free
/// loopback port, with its own initdb'ed data dir and unix-socket dir in a temp
/// dir, for integration tests. Superuser `k2` with password `secret`
/// (password auth over TCP), database `k2`.
///
/// initdb and postgres refuse to run as root: when the test runs as root the
/// temp dir is handed to the `postgres` system user and both run under it.

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "support/support.h"

namespace k2::testing {

class PostgresServer {
 public:
  /// Runs initdb, starts postgres, waits until it accepts connections (up to
  /// 30 s) and creates database `k2`. kNotFound if the binaries are missing.
  static Result<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();  ///< Stops the server (SIGTERM, then SIGKILL) and removes its dir.

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// postgresql://k2:secret@127.0.0.1:<port>/k2
  std::string uri() const { return UriFor("k2"); }
  /// The URI of database `db` on this server.
  std::string UriFor(const std::string& db) const;
  /// Creates database `db` and returns its URI. kRemote on failure.
  Result<std::string> CreateDatabase(const std::string& db) const;
  /// Runs SQL through psql in database `db`; returns its unaligned, tuples-only
  /// output (fields separated by '|'). kRemote carries psql's error.
  Result<std::string> Query(const std::string& sql, const std::string& db = "k2") const;
  /// Stops the server (fast shutdown, closing every client connection) and
  /// starts it again on the same port and data, for reconnect tests.
  Status Restart();
  /// Kills the postmaster at once (SIGKILL), for lost-connection tests. Its
  /// backends exit as soon as they notice.
  void Kill();

 private:
  PostgresServer() = default;
  /// Starts postgres on `port` and waits until it answers.
  Status Launch(int port);
  /// Polls pg_isready until the server answers; pid_ = -1 if it exited.
  Status WaitReady(const std::string& log);
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool switch_user_ = false;  ///< run as `postgres` (we are root)
  uid_t who_uid_ = 0;
  gid_t who_gid_ = 0;
};

/// In a test body: starts a server or skips with the reason when the binaries
/// are missing (scripts/test installs them); fails on any other error.
#define K2_START_POSTGRES(var)                                                    \
  auto var##_result_ = ::k2::testing::PostgresServer::Start();                    \
  if (!var##_result_ && var##_result_.error().kind == ::k2::ErrorKind::kNotFound) \
    GTEST_SKIP() << var##_result_.error().message;                                \
  ASSERT_TRUE(var##_result_.has_value()) << var##_result_.error().ToString();     \
  auto var = std::move(*var##_result_)

}  // namespace k2::testing
