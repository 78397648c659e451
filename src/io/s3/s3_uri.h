#pragma once
/// s3://bucket/key URIs (s3a:// and s3n:// read the same way) and the
/// percent-encoding S3's SigV4 canonical request expects.

#include <string>
#include <string_view>

#include "common/result.h"

namespace k2::s3 {

/// A parsed object-store URI.
struct S3Uri {
  std::string scheme;  ///< "s3", "s3a" or "s3n", as written
  std::string bucket;
  std::string key;  ///< without a leading '/'; may be empty (the bucket's root)

  /// scheme://bucket/key
  std::string ToString() const;
};

/// True if `uri` starts with s3://, s3a:// or s3n://.
bool IsS3Uri(std::string_view uri);

/// Splits `uri`. kInvalidInput (naming the URI) for another scheme, an empty
/// or invalid bucket name, or a key with "//", "." or ".." segments.
Result<S3Uri> ParseS3Uri(std::string_view uri);

/// Percent-encodes every byte but A-Z a-z 0-9 - _ . ~ (and '/' when
/// `keep_slash`), upper-case hex: AWS's UriEncode.
std::string UriEncode(std::string_view text, bool keep_slash);

}  // namespace k2::s3
