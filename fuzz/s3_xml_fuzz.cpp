// libFuzzer target: every reader of S3's XML answers (io/s3): the XML reader
// itself (walked whole), the <Error> document (ParseS3ErrorBody, and
// S3Client::ErrorFor, which turns a failed answer into the error callers
// see), the pages of ListObjectsV2 and ListMultipartUploads, the UploadId of
// InitiateMultipartUpload, DeleteObjects' per-key errors, and the S3
// timestamps inside them. Every parser reads every input: an answer of one
// kind is a strange answer of the others. A bad body is an error of kind
// kCorrupt (not XML, a bad field) or kRemote (an answer breaking the protocol).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "io/s3/s3_answers.h"
#include "io/s3/s3_client.h"
#include "io/s3/s3_error.h"
#include "io/s3/s3_file_io.h"
#include "io/s3/xml.h"

using k2::ErrorKind;

namespace {

/// Visits every element (the reader bounds the depth).
size_t Walk(const k2::s3::XmlElement& e) {
  size_t n = 1 + e.name.size() + e.text.size();
  for (const auto& c : e.children) n += Walk(c);
  return n;
}

void CheckAnswerError(const k2::Error& e) {
  k2::fuzz::CheckKind(e, {ErrorKind::kCorrupt, ErrorKind::kRemote});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  using namespace k2::s3;
  if (auto doc = ParseXml(body)) {
    (void)Walk(*doc);
    (void)doc->Children("Contents");
  } else {
    k2::fuzz::CheckKind(doc.error(), {ErrorKind::kCorrupt});
  }

  if (auto e = ParseS3ErrorBody(body)) {
    (void)S3ErrorKind(200, e->code);
    (void)S3ErrorHint(e->code);
    (void)IsRetryable(false, 500, e->code);
  }
  // The client's error for a failed answer carrying this body (no request is sent).
  static const S3Client client(S3Options{.endpoint = "http://127.0.0.1:1"});
  S3Request request;
  request.bucket = "lake";
  request.key = "t/data/f.parquet";
  for (long status : {200L, 404L, 503L}) {
    S3Response response;
    response.status = status;
    response.body = std::string(body);
    k2::Error e = client.ErrorFor(request, response);
    k2::fuzz::CheckNotInternal(e);
  }

  if (auto page = ParseListObjectsV2(body)) {
    for (const auto& o : page->objects) (void)o.key.size();
  } else {
    CheckAnswerError(page.error());
  }
  if (auto page = ParseListMultipartUploads(body)) {
    for (const auto& u : page->uploads) (void)u.upload_id.size();
  } else {
    CheckAnswerError(page.error());
  }
  if (auto id = ParseInitiateMultipartUpload(body); !id) CheckAnswerError(id.error());
  if (auto errors = ParseDeleteObjectsResult(body); !errors) CheckAnswerError(errors.error());
  if (size < 64) {
    if (auto t = ParseS3Time(body); !t) k2::fuzz::CheckKind(t.error(), {ErrorKind::kCorrupt});
  }
  return 0;
}
