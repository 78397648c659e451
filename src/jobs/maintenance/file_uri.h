#pragma once
/// File URI normalization for orphan cleanup: the same file can be spelled
/// `/x`, `file:/x`, `file:///x`, or `s3://b/x` vs `s3a://b/x`. Listing and
/// metadata are compared on the normalized path; a scheme or authority that
/// differs for the same path is a prefix mismatch, reported, never guessed.

#include <string>
#include <string_view>

namespace k2::jobs {

/// A URI split into comparable parts.
struct NormalizedUri {
  std::string scheme;     ///< "file" for plain paths; s3a/s3n folded into "s3"
  std::string authority;  ///< bucket or host; empty for local files
  std::string path;       ///< absolute path with duplicate slashes collapsed

  bool operator==(const NormalizedUri&) const = default;
};

/// Splits and normalizes `uri`: "file:/x", "file:///x" and "/x" give
/// {file, "", "/x"}; "s3a://b/k" gives {s3, b, /k}. Relative paths keep their
/// text as path with scheme "file".
NormalizedUri NormalizeUri(std::string_view uri);

}  // namespace k2::jobs
