#pragma once
/// A real ClickHouse server (Debian's `clickhouse-server`) on a free loopback
/// port with its own config and temp data dir, for integration tests.
/// Users: `default` (no password) and `k2` (password `secret`).

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "support/support.h"

namespace k2::testing {

class ClickHouseServer {
 public:
  /// Starts the server and waits until /ping answers (up to 30 s). kNotFound if
  /// clickhouse-server is not installed.
  static Result<std::unique_ptr<ClickHouseServer>> Start();
  ~ClickHouseServer();  ///< Stops the server (SIGTERM, then SIGKILL) and removes its dir.

  int http_port() const { return http_port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  pid_t pid() const { return pid_; }
  /// Runs a statement over HTTP as `default`; returns the response body.
  Result<std::string> Query(const std::string& sql) const;
  /// Kills the server at once (SIGKILL), for mid-stream failure tests.
  void Kill();

 private:
  ClickHouseServer() = default;
  TempDir dir_;
  int http_port_ = 0;
  pid_t pid_ = -1;
};

/// In a test body: starts a server or skips with the reason when the binary is
/// missing (scripts/test always installs it); fails on any other error.
#define K2_START_CLICKHOUSE(var)                                                  \
  auto var##_result_ = ::k2::testing::ClickHouseServer::Start();                  \
  if (!var##_result_ && var##_result_.error().kind == ::k2::ErrorKind::kNotFound) \
    GTEST_SKIP() << var##_result_.error().message;                                \
  ASSERT_TRUE(var##_result_.has_value()) << var##_result_.error().ToString();     \
  auto var = std::move(*var##_result_)

}  // namespace k2::testing
