#pragma once
/// What S3's XML answers say, apart from any request: the pages of
/// ListObjectsV2 and ListMultipartUploads, InitiateMultipartUpload's upload id
/// and DeleteObjects' per-key errors. Pure functions over the body bytes (the
/// S3 FileIO sends, these read), so they are unit-tested and fuzzed
/// (fuzz/s3_xml_fuzz.cpp) without a server. <Error> documents: s3_error.h.
///
/// Error kinds: kCorrupt for a body that is not XML or carries a malformed
/// field (a timestamp); kRemote for a well-formed answer that breaks the
/// protocol (a truncated page without its marker, no UploadId). Messages name
/// the operation; callers add the bucket and endpoint.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k2::s3 {

/// One page of ListObjectsV2.
struct ListObjectsPage {
  struct Object {
    std::string key;
    uint64_t size = 0;
    int64_t modified_ms = 0;
  };
  std::vector<Object> objects;
  /// The continuation-token of the next page; "" on the last page.
  std::string next_token;
};

/// One page of ListMultipartUploads.
struct ListUploadsPage {
  struct Upload {
    std::string key;
    std::string upload_id;
    int64_t initiated_ms = 0;
  };
  std::vector<Upload> uploads;
  /// The key-marker and upload-id-marker of the next page; next_key_marker
  /// is "" on the last page.
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

/// One <Error> of a DeleteObjects result (keys S3 could not delete).
struct DeleteObjectError {
  std::string key;
  std::string code;
  std::string message;
};

/// Parses a ListObjectsV2 answer (<ListBucketResult>).
Result<ListObjectsPage> ParseListObjectsV2(std::string_view body);

/// Parses a ListMultipartUploads answer (<ListMultipartUploadsResult>).
Result<ListUploadsPage> ParseListMultipartUploads(std::string_view body);

/// The UploadId of an InitiateMultipartUpload (CreateMultipartUpload) answer.
Result<std::string> ParseInitiateMultipartUpload(std::string_view body);

/// The per-key errors of a DeleteObjects answer (<DeleteResult>), in document
/// order; empty when every key was deleted (Quiet mode lists only errors).
Result<std::vector<DeleteObjectError>> ParseDeleteObjectsResult(std::string_view body);

}  // namespace k2::s3
