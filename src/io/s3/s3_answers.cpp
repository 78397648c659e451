#include "io/s3/s3_answers.h"

#include <cstdlib>

#include "io/s3/s3_file_io.h"
#include "io/s3/xml.h"

namespace k2::s3 {

Result<ListObjectsPage> ParseListObjectsV2(std::string_view body) {
  K2_ASSIGN_OR_RETURN(XmlElement doc, ParseXml(body));
  ListObjectsPage page;
  for (const XmlElement* c : doc.Children("Contents")) {
    ListObjectsPage::Object o;
    o.key = c->ChildText("Key");
    o.size = std::strtoull(c->ChildText("Size").c_str(), nullptr, 10);
    auto t = ParseS3Time(c->ChildText("LastModified"));
    if (!t) return std::unexpected(t.error().WithContext("ListObjectsV2: key " + o.key));
    o.modified_ms = *t;
    page.objects.push_back(std::move(o));
  }
  if (doc.ChildText("IsTruncated") == "true") {
    page.next_token = doc.ChildText("NextContinuationToken");
    if (page.next_token.empty()) {
      return MakeError(ErrorKind::kRemote, "ListObjectsV2: truncated without a token");
    }
  }
  return page;
}

Result<ListUploadsPage> ParseListMultipartUploads(std::string_view body) {
  K2_ASSIGN_OR_RETURN(XmlElement doc, ParseXml(body));
  ListUploadsPage page;
  for (const XmlElement* u : doc.Children("Upload")) {
    ListUploadsPage::Upload p;
    p.key = u->ChildText("Key");
    p.upload_id = u->ChildText("UploadId");
    auto t = ParseS3Time(u->ChildText("Initiated"));
    if (!t) return std::unexpected(t.error().WithContext("ListMultipartUploads: key " + p.key));
    p.initiated_ms = *t;
    page.uploads.push_back(std::move(p));
  }
  if (doc.ChildText("IsTruncated") == "true") {
    page.next_key_marker = doc.ChildText("NextKeyMarker");
    page.next_upload_id_marker = doc.ChildText("NextUploadIdMarker");
    if (page.next_key_marker.empty()) {
      return MakeError(ErrorKind::kRemote, "ListMultipartUploads: truncated without a marker");
    }
  }
  return page;
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view body) {
  K2_ASSIGN_OR_RETURN(XmlElement doc, ParseXml(body));
  std::string id = doc.ChildText("UploadId");
  if (id.empty())
    return MakeError(ErrorKind::kRemote, "CreateMultipartUpload answered no UploadId");
  return id;
}

Result<std::vector<DeleteObjectError>> ParseDeleteObjectsResult(std::string_view body) {
  K2_ASSIGN_OR_RETURN(XmlElement doc, ParseXml(body));
  std::vector<DeleteObjectError> out;
  for (const XmlElement* e : doc.Children("Error")) {
    out.push_back({e->ChildText("Key"), e->ChildText("Code"), e->ChildText("Message")});
  }
  return out;
}

}  // namespace k2::s3
