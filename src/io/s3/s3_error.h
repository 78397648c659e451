#pragma once
/// What an S3 answer means: the <Error> document, the ErrorKind a failed
/// request maps to, and whether an attempt is worth retrying. Pure functions,
/// so the classification is unit-tested without a server.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace k2::s3 {

/// The fields of an S3 <Error> document.
struct S3ErrorBody {
  std::string code;  ///< e.g. NoSuchKey, SlowDown, SignatureDoesNotMatch
  std::string message;
  std::string request_id;
};

/// Parses `body` if it is an <Error> document (CompleteMultipartUpload may
/// answer 200 with one); nullopt otherwise.
std::optional<S3ErrorBody> ParseS3ErrorBody(std::string_view body);

/// The ErrorKind of a failed answer: kNotFound (NoSuchKey, NoSuchBucket,
/// NoSuchUpload, 404), kAlreadyExists (412 on a conditional write),
/// kInvalidInput (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId and
/// other 4xx that a retry cannot fix), kTimeout (RequestTimeout), kRemote
/// (5xx, SlowDown).
ErrorKind S3ErrorKind(long http_status, std::string_view code);

/// A sentence telling the operator what to check for well-known codes
/// ("the secret access key does not match..."), or "".
std::string_view S3ErrorHint(std::string_view code);

/// Whether an attempt that ended this way may be retried (for idempotent
/// requests only): `transport_error` (a dropped or refused connection, a
/// timeout: curl's codes) or HTTP 500/502/503/504, SlowDown, RequestTimeout,
/// InternalError. 4xx answers other than 408/429 are final.
bool IsRetryable(bool transport_error, long http_status, std::string_view code);

/// Whether a curl result code is a transient transport failure (connection
/// refused/reset/dropped, timeout, partial transfer) rather than a local
/// problem (bad URL, unsupported option, TLS setup).
bool IsTransientCurlCode(int curl_code);

/// Delay before retry number `retry` (1 = first retry): exponential from
/// `base_ms`, capped at `max_ms`, with "full jitter" (uniform in [cap/2, cap])
/// drawn from `random`.
int64_t BackoffMillis(int retry, int64_t base_ms, int64_t max_ms, uint64_t random);

}  // namespace k2::s3
