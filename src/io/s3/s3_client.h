#pragma once
/// One S3 endpoint: builds request URLs (path-style or virtual-hosted), signs
/// every request with SigV4 (libcurl's CURLOPT_AWS_SIGV4, plus an
/// x-amz-content-sha256 header: UNSIGNED-PAYLOAD or the body's real hash),
/// applies timeouts, and retries idempotent requests on transient failures
/// with exponential backoff and jitter. Thread-safe: each thread uses its own
/// curl handle (connections are reused per thread).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace k2 {
struct WarehouseConfig;
}

namespace k2::s3 {

/// Everything a client needs; see docs/s3.md for the config keys.
struct S3Options {
  std::string endpoint;  ///< scheme://host[:port]; "" = https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  bool path_style = true;  ///< /bucket/key (MinIO) vs bucket.host/key (AWS)
  std::string access_key_id;
  std::string secret_access_key;  ///< secret: never logged
  std::string session_token;      ///< secret: never logged
  std::string ca_file;            ///< https: CA bundle; "" = the system's
  uint64_t part_size = 16ULL << 20;
  int parts_in_flight = 2;  ///< multipart parts uploading at once per file (memory bound)
  /// If-None-Match: * on exclusive writes: "auto" (use it; fall back to a HEAD
  /// check if the server answers NotImplemented), "on" (required), "off" (HEAD check).
  std::string conditional_writes = "auto";
  int64_t connect_timeout_ms = 10'000;
  int64_t request_timeout_ms = 300'000;
  int max_attempts = 5;  ///< per idempotent request, first try included
  int64_t retry_base_ms = 100;
  int64_t retry_max_ms = 5'000;
  int list_page_size = 1000;  ///< max-keys of ListObjectsV2 / ListMultipartUploads
};

/// Options from the warehouse config, with credentials and region falling
/// back to AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
/// AWS_REGION. kInvalidInput names the key (warehouse.s3.part_size ...).
Result<S3Options> S3OptionsFrom(const WarehouseConfig& config);

/// One request. `query` pairs are given decoded; the client encodes and sorts
/// them (the canonical order SigV4 signs).
struct S3Request {
  std::string method = "GET";
  std::string bucket;
  std::string key;
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;   ///< must outlive Send()
  bool hash_body = false;  ///< sign the body's SHA-256 instead of UNSIGNED-PAYLOAD
  bool idempotent = true;  ///< only idempotent requests are retried
  /// If set, a 2xx body is written here (at most `sink_capacity` bytes; more is
  /// an error) instead of into S3Response::body.
  uint8_t* sink = nullptr;
  size_t sink_capacity = 0;
};

/// The final answer to a request (after retries).
struct S3Response {
  long status = 0;
  std::string body;       ///< the body (error bodies always land here)
  size_t sink_bytes = 0;  ///< bytes written to S3Request::sink
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-case
  int attempts = 0;

  /// The value of header `name` (lower-case), or "".
  std::string Header(std::string_view name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

class S3Client {
 public:
  explicit S3Client(S3Options options);

  /// Sends `request`, retrying transient failures of idempotent requests.
  /// Returns the final answer whatever its status (callers decide what a 404
  /// means); an error only when no answer came: kTimeout or kIo naming the
  /// method, bucket, key and endpoint.
  Result<S3Response> Send(const S3Request& request) const;

  /// The error for a non-2xx answer (or a 200 carrying an <Error> body): kind
  /// by S3ErrorKind; the message names method, bucket, key, endpoint, HTTP
  /// status, the S3 code and message and a hint for well-known codes.
  Error ErrorFor(const S3Request& request, const S3Response& response) const;

  /// The URL a request goes to.
  std::string Url(const S3Request& request) const;
  const S3Options& options() const { return options_; }
  /// The endpoint as shown in messages.
  const std::string& endpoint() const { return endpoint_; }

 private:
  S3Options options_;
  std::string endpoint_;  ///< resolved: scheme://host[:port], no trailing '/'
  std::string sigv4_;     ///< "aws:amz:<region>:s3"
};

}  // namespace k2::s3
