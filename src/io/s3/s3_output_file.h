#pragma once
/// An S3 OutputFile. Phases, in order:
///   1. Write: bytes gather in a buffer; each full part (options.part_size)
///      is handed to an upload thread (CreateMultipartUpload on the first),
///      at most options.parts_in_flight at once: memory is bounded by
///      (parts_in_flight + 1) × part_size (buffers are sized exactly and a
///      sent part's buffer is reused for the next part).
///   2. Finish: a file that never filled a part goes up as one PUT; otherwise
///      the rest is the last part, every upload is joined, and
///      CompleteMultipartUpload publishes the object (a 200 carrying <Error>
///      is a failure). Exclusive files carry If-None-Match: *.
///   3. Abort (on any failure, on Abort(), or on destruction unfinished):
///      AbortMultipartUpload, so no part stays behind.
/// Nothing is visible at the path before step 2 succeeds.

#include <atomic>
#include <memory>

#include "io/file_io.h"
#include "io/s3/s3_client.h"
#include "io/s3/s3_uri.h"

namespace k2::s3 {

/// What writers of one FileIO share: the client and whether the server
/// honours If-None-Match (learned on the first NotImplemented answer).
struct S3WriteContext {
  std::shared_ptr<const S3Client> client;
  std::atomic<bool> conditional_supported{true};
};

/// A new writer for `uri` (shown as `path`). No request is made yet.
std::unique_ptr<OutputFile> NewS3OutputFile(std::shared_ptr<S3WriteContext> context, S3Uri uri,
                                            std::string path, bool exclusive);

}  // namespace k2::s3
