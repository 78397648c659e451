#pragma once
/// A real S3 endpoint on loopback for integration tests: s3rver (npm) behind
/// tools/oracle/s3front.mjs, which verifies every request's SigV4 signature,
/// adds If-None-Match, ListMultipartUploads and AbortMultipartUpload, and
/// injects faults on demand. Its own temp dir; stopped on destruction.

#include <sys/types.h>

#include <string>

#include "common/result.h"
#include "support/support.h"

namespace k2::testing {

class S3Server {
 public:
  /// Starts the front with bucket `bucket` and waits until it answers (30 s).
  /// kNotFound if node or s3rver is not installed.
  static Result<std::unique_ptr<S3Server>> Start(const std::string& bucket = "k2-lake");
  ~S3Server();  ///< SIGTERM, then SIGKILL; removes the dir.

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& bucket() const { return bucket_; }
  static constexpr const char* kAccessKey = "k2test";
  static constexpr const char* kSecret = "k2secret";

  /// Replaces the fault plan (JSON as documented in s3front.mjs; "{}" = none).
  Status SetFaults(const std::string& json) const;
  /// The front's counters: requests, faults, signature_failures, open_uploads,
  /// methods (requests per HTTP method), ranged_gets.
  Result<nlohmann::json> Stats() const;
  /// Moves an object's LastModified `seconds` into the past (`upload`: every
  /// open multipart upload whose key starts with `key`).
  Status Backdate(const std::string& key, int64_t seconds, bool upload = false) const;
  /// True if the object exists in the bucket (read through s3rver's folder).
  bool ObjectExists(const std::string& key) const;
  /// The folder where s3rver keeps the bucket's objects (key K is at
  /// <bucket_dir>/K._S3rver_object), for checks that bypass k2.
  std::string bucket_dir() const { return dir_.path() + "/data/" + bucket_; }
  /// A warehouse.s3 YAML block (flow style) for this endpoint.
  std::string ConfigYaml() const;

 private:
  S3Server() = default;
  TempDir dir_;
  std::string bucket_;
  int port_ = 0;
  pid_t pid_ = -1;
};

#define K2_START_S3(var)                                                          \
  auto var##_result_ = ::k2::testing::S3Server::Start();                          \
  if (!var##_result_ && var##_result_.error().kind == ::k2::ErrorKind::kNotFound) \
    GTEST_SKIP() << var##_result_.error().message;                                \
  ASSERT_TRUE(var##_result_.has_value()) << var##_result_.error().ToString();     \
  auto var = std::move(*var##_result_)

}  // namespace k2::testing
