#pragma once
/// FileIO over S3 (AWS, MinIO, any S3-compatible store): reads are ranged GETs
/// (the tail of a file, where Parquet's footer is, in one request), sizes come
/// from HEAD, writes stream as multipart uploads published at Complete (small
/// files: one PUT), listings page through ListObjectsV2, deletes batch through
/// DeleteObjects. Paths are s3://bucket/key (s3a://, s3n:// accepted; a listing
/// answers in the scheme it was asked in).

#include <memory>

#include "io/file_io.h"
#include "io/s3/s3_client.h"

namespace k2::s3 {

/// An S3 FileIO with `options` (credentials must be set).
std::unique_ptr<FileIO> NewS3FileIO(S3Options options);

/// Parses an S3 timestamp (ISO 8601, "2026-12-06T04:31:19.000Z") into ms
/// since the epoch. kCorrupt if malformed.
Result<int64_t> ParseS3Time(std::string_view text);

}  // namespace k2::s3
