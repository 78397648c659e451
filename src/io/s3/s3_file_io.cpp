#include "io/s3/s3_file_io.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>

#include "io/s3/digest.h"
#include "io/s3/s3_answers.h"
#include "io/s3/s3_error.h"
#include "io/s3/s3_output_file.h"
#include "io/s3/s3_uri.h"
#include "io/s3/xml.h"

namespace k2::s3 {

namespace {

/// Reads at the end of a file (Parquet's footer, the last row group's
/// columns of a small file, a small file whole) are served from one GET of
/// this many tail bytes.
constexpr uint64_t kTailBytes = 64 << 10;
/// S3's DeleteObjects limit.
constexpr size_t kDeleteBatch = 1000;

class S3InputFile final : public InputFile {
 public:
  S3InputFile(std::shared_ptr<const S3Client> client, S3Uri uri, std::string path, uint64_t size)
      : client_(std::move(client)), uri_(std::move(uri)), path_(std::move(path)), size_(size) {}

  const std::string& path() const override { return path_; }
  Result<uint64_t> Size() override { return size_; }
  bool CoalesceReads() const override { return true; }

  Status ReadAt(uint64_t offset, size_t length, uint8_t* out) override {
    if (length == 0) return {};
    if (offset + length > size_) {
      return MakeError(ErrorKind::kCorrupt,
                       "{}: unexpected end of file (wanted {} bytes at offset {}, size {})", path_,
                       length, offset, size_);
    }
    const uint64_t tail_start = size_ > kTailBytes ? size_ - kTailBytes : 0;
    if (offset >= tail_start && length <= kTailBytes) {
      if (tail_.empty()) {
        std::string tail(size_ - tail_start, '\0');
        K2_RETURN_IF_ERROR(Get(tail_start, tail.size(), reinterpret_cast<uint8_t*>(tail.data())));
        tail_ = std::move(tail);  // kept only once complete
      }
      std::memcpy(out, tail_.data() + (offset - tail_start), length);
      return {};
    }
    return Get(offset, length, out);
  }

 private:
  Status Get(uint64_t offset, size_t length, uint8_t* out) {
    S3Request r;
    r.bucket = uri_.bucket;
    r.key = uri_.key;
    r.headers.emplace_back("Range", fmt::format("bytes={}-{}", offset, offset + length - 1));
    r.sink = out;
    r.sink_capacity = length;
    K2_ASSIGN_OR_RETURN(S3Response resp, client_->Send(r));
    if (!resp.ok()) {
      return std::unexpected(client_->ErrorFor(r, resp).WithContext(
          fmt::format("{} bytes at offset {}", length, offset)));
    }
    if (resp.sink_bytes != length) {
      return MakeError(ErrorKind::kIo, "{}: GET of {} bytes at offset {} returned {} bytes", path_,
                       length, offset, resp.sink_bytes);
    }
    return {};
  }

  std::shared_ptr<const S3Client> client_;
  S3Uri uri_;
  std::string path_;
  uint64_t size_;
  std::string tail_;
};

class S3FileIO final : public FileIO {
 public:
  explicit S3FileIO(S3Options options)
      : client_(std::make_shared<S3Client>(std::move(options))),
        write_context_(std::make_shared<S3WriteContext>()) {
    write_context_->client = client_;
  }

  Result<std::unique_ptr<InputFile>> OpenInput(const std::string& path) override {
    K2_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(path));
    S3Request head = Request("HEAD", uri);
    K2_ASSIGN_OR_RETURN(S3Response resp, client_->Send(head));
    if (!resp.ok()) return std::unexpected(client_->ErrorFor(head, resp));
    const std::string length = resp.Header("content-length");
    char* end = nullptr;
    uint64_t size = std::strtoull(length.c_str(), &end, 10);
    if (length.empty() || *end != '\0') {
      return MakeError(ErrorKind::kRemote, "{}: HEAD at {} answered no Content-Length", path,
                       client_->endpoint());
    }
    return std::make_unique<S3InputFile>(client_, std::move(uri), path, size);
  }

  Result<std::unique_ptr<OutputFile>> OpenOutput(const std::string& path, bool exclusive) override {
    K2_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(path));
    if (uri.key.empty()) return MakeError(ErrorKind::kInvalidInput, "{}: no object key", path);
    return NewS3OutputFile(write_context_, std::move(uri), path, exclusive);
  }

  Result<bool> Exists(const std::string& path) override {
    K2_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(path));
    S3Request head = Request("HEAD", uri);
    K2_ASSIGN_OR_RETURN(S3Response resp, client_->Send(head));
    if (resp.status == 404) return false;
    if (!resp.ok()) return std::unexpected(client_->ErrorFor(head, resp));
    return true;
  }

  Status Delete(const std::string& path) override {
    K2_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(path));
    S3Request r = Request("DELETE", uri);
    K2_ASSIGN_OR_RETURN(S3Response resp, client_->Send(r));
    if (resp.ok() || resp.status == 404) return {};
    Error e = client_->ErrorFor(r, resp);
    if (e.kind == ErrorKind::kNotFound && e.message.find("NoSuchBucket") == std::string::npos)
      return {};
    return std::unexpected(e);
  }

  Result<std::vector<FileInfo>> List(const std::string& prefix) override {
    K2_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(prefix));
    const std::string key_prefix = uri.key.empty() ? "" : uri.key + "/";
    std::vector<FileInfo> out;
    std::string token;
    while (true) {
      S3Request r = Request("GET", uri);
      r.key.clear();
      r.query = {{"list-type", "2"},
                 {"prefix", key_prefix},
                 {"max-keys", std::to_string(client_->options().list_page_size)}};
      if (!token.empty()) r.query.emplace_back("continuation-token", token);
      K2_ASSIGN_OR_RETURN(std::string body, SendForBody(r));
      auto page = ParseListObjectsV2(body);
      if (!page) return std::unexpected(AnswerError(page.error(), prefix));
      for (ListObjectsPage::Object& o : page->objects) {
        out.push_back(FileInfo{fmt::format("{}://{}/{}", uri.scheme, uri.bucket, o.key), o.size,
                               o.modified_ms});
      }
      if (page->next_token.empty()) break;
      token = std::move(page->next_token);
    }
    return out;
  }

  std::vector<DeleteFailure> DeleteFiles(const std::vector<std::string>& paths) override {
    std::vector<DeleteFailure> failed;
    // Group by bucket (and scheme, to answer in the caller's spelling).
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_bucket;
    for (const std::string& p : paths) {
      auto uri = ParseS3Uri(p);
      if (!uri) {
        failed.push_back(DeleteFailure{p, uri.error()});
        continue;
      }
      by_bucket[uri->bucket].emplace_back(uri->key, p);
    }
    for (const auto& [bucket, keys] : by_bucket) {
      for (size_t start = 0; start < keys.size(); start += kDeleteBatch) {
        const size_t end = std::min(keys.size(), start + kDeleteBatch);
        DeleteBatch(bucket, keys, start, end, failed);
      }
    }
    return failed;
  }

  Result<std::vector<PendingUpload>> ListPendingUploads(const std::string& prefix) override {
    K2_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(prefix));
    const std::string key_prefix = uri.key.empty() ? "" : uri.key + "/";
    std::vector<PendingUpload> out;
    std::string key_marker, id_marker;
    while (true) {
      S3Request r = Request("GET", uri);
      r.key.clear();
      r.query = {{"uploads", ""},
                 {"prefix", key_prefix},
                 {"max-uploads", std::to_string(client_->options().list_page_size)}};
      if (!key_marker.empty()) r.query.emplace_back("key-marker", key_marker);
      if (!id_marker.empty()) r.query.emplace_back("upload-id-marker", id_marker);
      K2_ASSIGN_OR_RETURN(std::string body, SendForBody(r));
      auto page = ParseListMultipartUploads(body);
      if (!page) return std::unexpected(AnswerError(page.error(), prefix));
      for (ListUploadsPage::Upload& u : page->uploads) {
        out.push_back(PendingUpload{fmt::format("{}://{}/{}", uri.scheme, uri.bucket, u.key),
                                    std::move(u.upload_id), u.initiated_ms});
      }
      if (page->next_key_marker.empty()) break;
      key_marker = std::move(page->next_key_marker);
      id_marker = std::move(page->next_upload_id_marker);
    }
    return out;
  }

  Status AbortPendingUpload(const PendingUpload& upload) override {
    K2_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(upload.path));
    S3Request r = Request("DELETE", uri);
    r.query = {{"uploadId", upload.upload_id}};
    K2_ASSIGN_OR_RETURN(S3Response resp, client_->Send(r));
    if (resp.ok() || resp.status == 404) return {};
    return std::unexpected(client_->ErrorFor(r, resp));
  }

 private:
  static S3Request Request(std::string method, const S3Uri& uri) {
    S3Request r;
    r.method = std::move(method);
    r.bucket = uri.bucket;
    r.key = uri.key;
    return r;
  }

  /// The body of a 2xx answer to `r`; the error for any other.
  Result<std::string> SendForBody(const S3Request& r) {
    K2_ASSIGN_OR_RETURN(S3Response resp, client_->Send(r));
    if (!resp.ok()) return std::unexpected(client_->ErrorFor(r, resp));
    return std::move(resp.body);
  }

  /// An error of an answer's parser, naming what was asked and the endpoint.
  Error AnswerError(const Error& e, std::string_view what) const {
    return e.WithContext(fmt::format("{} at {}", what, client_->endpoint()));
  }

  void DeleteBatch(const std::string& bucket,
                   const std::vector<std::pair<std::string, std::string>>& keys, size_t start,
                   size_t end, std::vector<DeleteFailure>& failed) {
    std::string xml = "<Delete><Quiet>true</Quiet>";
    std::map<std::string, std::string> path_of;
    for (size_t i = start; i < end; ++i) {
      xml += "<Object><Key>" + XmlEscape(keys[i].first) + "</Key></Object>";
      path_of[keys[i].first] = keys[i].second;
    }
    xml += "</Delete>";
    S3Request r;
    r.method = "POST";
    r.bucket = bucket;
    r.query = {{"delete", ""}};
    r.body = xml;
    r.hash_body = true;
    const auto md5 = Md5(xml);
    r.headers.emplace_back("Content-MD5",
                           Base64(std::string_view(reinterpret_cast<const char*>(md5.data()), 16)));
    r.headers.emplace_back("Content-Type", "application/xml");
    auto fail_all = [&](const Error& e) {
      for (size_t i = start; i < end; ++i) failed.push_back(DeleteFailure{keys[i].second, e});
    };
    auto body = SendForBody(r);
    if (!body) {
      fail_all(body.error());
      return;
    }
    auto errors = ParseDeleteObjectsResult(*body);
    if (!errors) {
      fail_all(AnswerError(errors.error(), "s3://" + bucket));
      return;
    }
    for (const DeleteObjectError& e : *errors) {
      if (e.code == "NoSuchKey") continue;
      auto it = path_of.find(e.key);
      const std::string path =
          it != path_of.end() ? it->second : fmt::format("s3://{}/{}", bucket, e.key);
      failed.push_back(
          DeleteFailure{path, Error{S3ErrorKind(403, e.code),
                                    fmt::format("S3 DeleteObjects s3://{}/{} at {}: {}: {}", bucket,
                                                e.key, client_->endpoint(), e.code, e.message)}});
    }
  }

  std::shared_ptr<const S3Client> client_;
  std::shared_ptr<S3WriteContext> write_context_;
};

}  // namespace

std::unique_ptr<FileIO> NewS3FileIO(S3Options options) {
  return std::make_unique<S3FileIO>(std::move(options));
}

Result<int64_t> ParseS3Time(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::string t(text);
  int consumed = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
      6) {
    return MakeError(ErrorKind::kCorrupt, "'{}' is not an ISO 8601 time", text);
  }
  int64_t ms = 0;
  std::string_view rest = text.substr(static_cast<size_t>(consumed));
  if (rest.starts_with('.')) {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) ms = ms * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (rest != "Z" && rest != "+00:00" && !rest.empty()) {
    return MakeError(ErrorKind::kCorrupt, "'{}' is not a UTC ISO 8601 time", text);
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

}  // namespace k2::s3
