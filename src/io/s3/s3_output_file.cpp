#include "io/s3/s3_output_file.h"

#include <deque>
#include <thread>

#include <spdlog/spdlog.h>
#include "io/s3/digest.h"
#include "io/s3/s3_answers.h"
#include "io/s3/s3_error.h"
#include "io/s3/xml.h"

namespace k2::s3 {

namespace {

std::string HexOf(const std::array<uint8_t, 16>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::string Unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return etag;
}

/// Files up to this size grow their buffer gradually (see Write).
constexpr size_t kSmallFileBytes = 1u << 20;

/// One part on its way up, on its own thread.
struct PartUpload {
  int number = 0;
  std::string body;
  std::string etag;
  Status status;
  std::thread thread;
};

class S3OutputFile final : public OutputFile {
 public:
  S3OutputFile(std::shared_ptr<S3WriteContext> context, S3Uri uri, std::string path, bool exclusive)
      : context_(std::move(context)),
        client_(*context_->client),
        uri_(std::move(uri)),
        path_(std::move(path)),
        exclusive_(exclusive),
        part_size_(std::max<uint64_t>(client_.options().part_size, 5u << 20)) {}

  ~S3OutputFile() override { Abort(); }

  const std::string& path() const override { return path_; }
  uint64_t Position() const override { return position_; }

  Status Write(const void* data, size_t length) override {
    if (closed_) return MakeError(ErrorKind::kInternal, "{}: write after close", path_);
    const auto* p = static_cast<const char*>(data);
    position_ += length;
    while (length > 0) {
      size_t take = std::min<size_t>(length, part_size_ - buffer_.size());
      if (const size_t need = buffer_.size() + take; need > buffer_.capacity()) {
        // Small files (metadata, manifests) grow by doubling; a file past
        // 1 MiB is a data file: its buffer takes a whole part at once rather
        // than doubling up to it (each step holds the old and new copies).
        Grow(need > kSmallFileBytes ? part_size_ : std::max(need, buffer_.size() * 2));
      }
      buffer_.append(p, take);
      p += take;
      length -= take;
      if (buffer_.size() == part_size_) {
        if (auto st = StartPart(); !st) {
          Abort();
          return st;
        }
      }
    }
    return {};
  }

  Status Finish() override {
    if (closed_) return MakeError(ErrorKind::kInternal, "{}: finish after close", path_);
    Status st = upload_id_.empty() ? PutWhole() : CompleteMultipart();
    if (!st) {
      Abort();
      return st;
    }
    closed_ = true;
    ReleaseBuffers();
    return {};
  }

  void Abort() override {
    if (closed_) return;
    closed_ = true;
    JoinAll();
    ReleaseBuffers();
    if (upload_id_.empty()) return;
    S3Request r = Request("DELETE");
    r.query = {{"uploadId", upload_id_}};
    auto resp = client_.Send(r);
    if (!resp || (!resp->ok() && resp->status != 404)) {
      // The upload stays until orphan cleanup aborts it (it lists uploads older
      // than its threshold); the path itself never became visible.
      spdlog::warn("{}: could not abort multipart upload {}: {}", path_, upload_id_,
                   resp ? client_.ErrorFor(r, *resp).ToString() : resp.error().ToString());
    }
    upload_id_.clear();
  }

 private:
  S3Request Request(std::string method) const {
    S3Request r;
    r.method = std::move(method);
    r.bucket = uri_.bucket;
    r.key = uri_.key;
    return r;
  }

  /// Gives buffer_ exactly `capacity` bytes (std::string::reserve may double
  /// past it, and a full part must not cost more than part_size).
  void Grow(size_t capacity) {
    std::string bigger;
    bigger.reserve(capacity);
    bigger.append(buffer_);
    buffer_.swap(bigger);
  }

  /// Frees the part buffers (assigning an empty string would keep the capacity).
  void ReleaseBuffers() {
    std::string().swap(buffer_);
    spare_.clear();
  }

  bool UseConditional() const {
    const std::string& mode = client_.options().conditional_writes;
    return exclusive_ && mode != "off" && (mode == "on" || context_->conditional_supported.load());
  }

  /// Without If-None-Match: refuse when the object is already there (a check,
  /// not a guarantee: two writers may both pass it).
  Status CheckAbsent() {
    S3Request head = Request("HEAD");
    K2_ASSIGN_OR_RETURN(S3Response resp, client_.Send(head));
    if (resp.status == 404) return {};
    if (resp.ok()) return MakeError(ErrorKind::kAlreadyExists, "{}: already exists", path_);
    return std::unexpected(client_.ErrorFor(head, resp));
  }

  /// A 501/NotImplemented to If-None-Match: the server cannot do conditional
  /// writes. In "auto" mode, remember it and fall back to a HEAD check.
  bool ConditionalUnsupported(const S3Response& resp) {
    if (resp.status != 501) {
      auto body = ParseS3ErrorBody(resp.body);
      if (!body || body->code != "NotImplemented") return false;
    }
    if (client_.options().conditional_writes != "auto") return false;
    context_->conditional_supported.store(false);
    spdlog::warn(
        "S3 endpoint {} does not support If-None-Match; exclusive writes fall back to a "
        "HEAD check (not atomic)",
        client_.endpoint());
    return true;
  }

  Status PutWhole() {
    if (exclusive_ && !UseConditional()) K2_RETURN_IF_ERROR(CheckAbsent());
    S3Request r = Request("PUT");
    r.body = buffer_;
    // Small bodies (metadata, manifests) are signed with their real hash.
    r.hash_body = buffer_.size() <= (1u << 20);
    r.headers.emplace_back("Content-Type", "application/octet-stream");
    const bool conditional = UseConditional();
    if (conditional) r.headers.emplace_back("If-None-Match", "*");
    K2_ASSIGN_OR_RETURN(S3Response resp, client_.Send(r));
    if (resp.ok()) return {};
    if (conditional && ConditionalUnsupported(resp)) return PutWhole();
    if (conditional && resp.status == 412 && resp.attempts > 1) {
      // An earlier attempt may have succeeded before its answer was lost: the
      // object is ours if its ETag is our content's MD5.
      S3Request head = Request("HEAD");
      auto h = client_.Send(head);
      if (h && h->ok() && Unquote(h->Header("etag")) == HexOf(Md5(buffer_))) return {};
    }
    Error e = client_.ErrorFor(r, resp);
    if (e.kind == ErrorKind::kAlreadyExists)
      e.message = path_ + ": already exists (" + e.message + ")";
    return std::unexpected(e);
  }

  Status CreateUpload() {
    if (exclusive_ && !UseConditional()) K2_RETURN_IF_ERROR(CheckAbsent());
    S3Request r = Request("POST");
    r.query = {{"uploads", ""}};
    r.headers.emplace_back("Content-Type", "application/octet-stream");
    r.idempotent = false;  // a retry would leave a second, dangling upload
    K2_ASSIGN_OR_RETURN(S3Response resp, client_.Send(r));
    if (!resp.ok()) return std::unexpected(client_.ErrorFor(r, resp));
    auto id = ParseInitiateMultipartUpload(resp.body);
    if (!id) {
      return std::unexpected(
          id.error().WithContext(fmt::format("{} at {}", path_, client_.endpoint())));
    }
    upload_id_ = std::move(*id);
    return {};
  }

  /// Hands the full buffer to an upload thread, first waiting for the oldest
  /// part if parts_in_flight are already running.
  Status StartPart() {
    if (upload_id_.empty()) K2_RETURN_IF_ERROR(CreateUpload());
    while (static_cast<int>(in_flight_.size()) >= std::max(1, client_.options().parts_in_flight)) {
      K2_RETURN_IF_ERROR(JoinOldest());
    }
    auto part = std::make_unique<PartUpload>();
    part->number = ++parts_started_;
    part->body = std::move(buffer_);
    buffer_ = std::string();
    if (!spare_.empty()) {  // a sent part's buffer, reused: no allocation per part
      buffer_.swap(spare_.back());
      spare_.pop_back();
    }
    PartUpload* p = part.get();
    p->thread = std::thread([this, p] { p->status = UploadPart(*p); });
    in_flight_.push_back(std::move(part));
    return {};
  }

  Status UploadPart(PartUpload& part) const {
    S3Request r = Request("PUT");
    r.query = {{"partNumber", std::to_string(part.number)}, {"uploadId", upload_id_}};
    r.body = part.body;
    K2_ASSIGN_OR_RETURN(S3Response resp, client_.Send(r));
    if (!resp.ok()) {
      Error e = client_.ErrorFor(r, resp);
      return std::unexpected(e.WithContext(fmt::format("part {}", part.number)));
    }
    part.etag = resp.Header("etag");
    if (part.etag.empty()) {
      return MakeError(ErrorKind::kRemote, "{}: part {} answered without an ETag", path_,
                       part.number);
    }
    return {};
  }

  Status JoinOldest() {
    std::unique_ptr<PartUpload> part = std::move(in_flight_.front());
    in_flight_.pop_front();
    part->thread.join();
    if (part->body.capacity() == part_size_) {
      part->body.clear();
      spare_.push_back(std::move(part->body));
    }
    if (!part->status) return part->status;
    etags_.emplace_back(part->number, part->etag);
    return {};
  }

  void JoinAll() {
    // Aborting: the parts' own errors no longer matter, only that no upload is left running.
    while (!in_flight_.empty()) (void)JoinOldest();
  }

  Status CompleteMultipart() {
    if (!buffer_.empty()) K2_RETURN_IF_ERROR(StartPart());
    Status first_error;
    while (!in_flight_.empty()) {
      Status st = JoinOldest();
      if (!st && first_error) first_error = st;
    }
    K2_RETURN_IF_ERROR(first_error);
    std::string xml = "<CompleteMultipartUpload>";
    for (const auto& [number, etag] : etags_) {
      xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", number,
                         XmlEscape(etag));
    }
    xml += "</CompleteMultipartUpload>";
    S3Request r = Request("POST");
    r.query = {{"uploadId", upload_id_}};
    r.body = xml;
    r.hash_body = true;
    r.headers.emplace_back("Content-Type", "application/xml");
    const bool conditional = UseConditional();
    if (conditional) r.headers.emplace_back("If-None-Match", "*");
    // Complete is not retried: after a lost answer the object may exist and
    // the upload be gone; the file fails and becomes an orphan at worst.
    r.idempotent = false;
    K2_ASSIGN_OR_RETURN(S3Response resp, client_.Send(r));
    if (!resp.ok()) {
      if (conditional && ConditionalUnsupported(resp)) {
        K2_RETURN_IF_ERROR(CheckAbsent());
        r.headers.pop_back();
        K2_ASSIGN_OR_RETURN(resp, client_.Send(r));
      }
      if (!resp.ok()) return std::unexpected(client_.ErrorFor(r, resp));
    }
    // 200 with an <Error> document: the upload failed after the answer began.
    if (auto err = ParseS3ErrorBody(resp.body)) {
      resp.status = 500;
      return std::unexpected(client_.ErrorFor(r, resp).WithContext(
          "CompleteMultipartUpload answered 200 with an error"));
    }
    upload_id_.clear();
    return {};
  }

  std::shared_ptr<S3WriteContext> context_;
  const S3Client& client_;
  S3Uri uri_;
  std::string path_;
  bool exclusive_;
  size_t part_size_;
  bool closed_ = false;
  uint64_t position_ = 0;
  std::string buffer_;
  std::string upload_id_;
  int parts_started_ = 0;
  std::deque<std::unique_ptr<PartUpload>> in_flight_;
  std::vector<std::string> spare_;  ///< buffers of sent parts, for the next parts
  std::vector<std::pair<int, std::string>> etags_;
};

}  // namespace

std::unique_ptr<OutputFile> NewS3OutputFile(std::shared_ptr<S3WriteContext> context, S3Uri uri,
                                            std::string path, bool exclusive) {
  return std::make_unique<S3OutputFile>(std::move(context), std::move(uri), std::move(path),
                                        exclusive);
}

}  // namespace k2::s3
