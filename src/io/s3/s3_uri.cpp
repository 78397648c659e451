#include "io/s3/s3_uri.h"

namespace k2::s3 {

std::string S3Uri::ToString() const {
  return key.empty() ? fmt::format("{}://{}", scheme, bucket)
                     : fmt::format("{}://{}/{}", scheme, bucket, key);
}

bool IsS3Uri(std::string_view uri) {
  return uri.starts_with("s3://") || uri.starts_with("s3a://") || uri.starts_with("s3n://");
}

Result<S3Uri> ParseS3Uri(std::string_view uri) {
  S3Uri out;
  size_t sep = uri.find("://");
  if (sep == std::string_view::npos || !IsS3Uri(uri)) {
    return MakeError(ErrorKind::kInvalidInput, "'{}' is not an s3://, s3a:// or s3n:// URI", uri);
  }
  out.scheme = std::string(uri.substr(0, sep));
  std::string_view rest = uri.substr(sep + 3);
  size_t slash = rest.find('/');
  out.bucket = std::string(rest.substr(0, slash));
  std::string_view key = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  while (key.ends_with('/')) key.remove_suffix(1);
  // Bucket names: 3-63 of [a-z0-9.-] (AWS); MinIO follows the same rule.
  bool bucket_ok = out.bucket.size() >= 3 && out.bucket.size() <= 63;
  for (char c : out.bucket) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) bucket_ok = false;
  }
  if (!bucket_ok) {
    return MakeError(ErrorKind::kInvalidInput,
                     "'{}': bucket '{}' is not a valid bucket name (3-63 of a-z 0-9 . -)", uri,
                     out.bucket);
  }
  size_t start = 0;
  while (start <= key.size() && !key.empty()) {
    size_t end = key.find('/', start);
    std::string_view seg = key.substr(start, end == std::string_view::npos ? end : end - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return MakeError(ErrorKind::kInvalidInput,
                       "'{}': key '{}' has an empty, '.' or '..' path segment", uri, key);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out.key = std::string(key);
  return out;
}

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace k2::s3
