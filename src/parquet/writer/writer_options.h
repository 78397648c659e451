#pragma once
/// The Parquet writer's configuration: codec, page and row-group targets,
/// dictionary policy, bound truncation and encode threads.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace k2::parquet {

/// Page compression codec.
enum class Codec { kUncompressed, kSnappy, kGzip, kZstd, kLz4Raw };

/// Writer configuration.
struct WriterOptions {
  Codec codec = Codec::kZstd;
  int compression_level = 3;
  int64_t row_group_bytes = 128 << 20;  ///< target encoded bytes per row group
  int64_t page_bytes = 1 << 20;         ///< target page size
  bool dictionary = true;               ///< with fallback to plain when it stops paying
  int64_t dictionary_page_bytes = 1 << 20;
  size_t max_bound_length = 16;  ///< Iceberg metrics: truncate string/binary bounds
  /// Threads that encode and compress columns in parallel (columns split into
  /// this many groups, each with its own page scratch and codec context).
  /// The same pages whatever the count; row groups may end at other rows.
  int encode_threads = 1;
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
};

}  // namespace k2::parquet
