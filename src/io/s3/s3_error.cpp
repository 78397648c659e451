#include "io/s3/s3_error.h"

#include <curl/curl.h>

#include <algorithm>

#include "io/s3/xml.h"

namespace k2::s3 {

std::optional<S3ErrorBody> ParseS3ErrorBody(std::string_view body) {
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || body.find("<Error") == std::string_view::npos) {
    return std::nullopt;
  }
  auto doc = ParseXml(body);
  if (!doc || doc->name != "Error") return std::nullopt;
  return S3ErrorBody{doc->ChildText("Code"), doc->ChildText("Message"),
                     doc->ChildText("RequestId")};
}

ErrorKind S3ErrorKind(long http_status, std::string_view code) {
  if (code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchUpload" ||
      code == "NotFound") {
    return ErrorKind::kNotFound;
  }
  if (code == "PreconditionFailed" || http_status == 412) return ErrorKind::kAlreadyExists;
  if (code == "RequestTimeout" || http_status == 408) return ErrorKind::kTimeout;
  if (code == "NotImplemented") return ErrorKind::kUnsupported;
  if (code == "SlowDown" || code == "InternalError" || code == "ServiceUnavailable" ||
      http_status >= 500 || http_status == 429) {
    return ErrorKind::kRemote;
  }
  if (http_status == 404) return ErrorKind::kNotFound;
  if (http_status == 409 && code == "OperationAborted") return ErrorKind::kRemote;
  if (http_status >= 400) return ErrorKind::kInvalidInput;
  return ErrorKind::kRemote;
}

std::string_view S3ErrorHint(std::string_view code) {
  if (code == "NoSuchBucket") return "the bucket does not exist at this endpoint (create it first)";
  if (code == "AccessDenied") {
    return "the credentials are valid but not allowed this operation (check the bucket policy)";
  }
  if (code == "SignatureDoesNotMatch") {
    return "the secret access key does not match the access key id, or the region or clock is "
           "wrong (warehouse.s3.secret_access_key / region)";
  }
  if (code == "InvalidAccessKeyId") {
    return "the server does not know this access key id (warehouse.s3.access_key_id)";
  }
  if (code == "RequestTimeTooSkewed") return "this machine's clock is too far from the server's";
  if (code == "SlowDown") return "the server is throttling requests";
  return "";
}

bool IsRetryable(bool transport_error, long http_status, std::string_view code) {
  if (transport_error) return true;
  if (code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
      code == "ServiceUnavailable") {
    return true;
  }
  return http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504 ||
         http_status == 408 || http_status == 429;
}

bool IsTransientCurlCode(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

int64_t BackoffMillis(int retry, int64_t base_ms, int64_t max_ms, uint64_t random) {
  int64_t cap = base_ms;
  for (int i = 1; i < retry && cap < max_ms; ++i) cap *= 2;
  cap = std::min(cap, max_ms);
  if (cap <= 1) return cap;
  const int64_t half = cap / 2;
  return half + static_cast<int64_t>(random % static_cast<uint64_t>(cap - half + 1));
}

}  // namespace k2::s3
