#include "io/s3/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "common/config.h"
#include "io/s3/digest.h"
#include "io/s3/s3_error.h"
#include "io/s3/s3_uri.h"

namespace k2::s3 {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

/// One curl handle per thread, reset before each request: connections (and
/// TLS sessions) are reused across requests of the same thread.
class ThreadCurl {
 public:
  ThreadCurl() : handle_(curl_easy_init()) {}
  ~ThreadCurl() {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
  }
  CURL* get() { return handle_; }

 private:
  CURL* handle_;
};

CURL* HandleForThisThread() {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  thread_local ThreadCurl curl;
  if (curl.get() != nullptr) curl_easy_reset(curl.get());
  return curl.get();
}

/// State shared with curl's callbacks during one attempt.
struct Transfer {
  const S3Request* request = nullptr;
  S3Response* response = nullptr;
  size_t upload_offset = 0;
  bool overflow = false;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view body = t->request->body;
  size_t n = std::min(size * nitems, body.size() - t->upload_offset);
  std::memcpy(buffer, body.data() + t->upload_offset, n);
  t->upload_offset += n;
  return n;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  S3Response& r = *t->response;
  // Only a 2xx answer goes to the sink; error bodies are kept for the message.
  if (t->request->sink != nullptr && r.status >= 200 && r.status < 300) {
    if (r.sink_bytes + n > t->request->sink_capacity) {
      t->overflow = true;
      return 0;
    }
    std::memcpy(t->request->sink + r.sink_bytes, data, n);
    r.sink_bytes += n;
    return n;
  }
  if (r.body.size() + n > (64u << 20)) {
    t->overflow = true;
    return 0;
  }
  r.body.append(data, n);
  return n;
}

size_t HeaderLine(char* data, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nitems;
  std::string_view line(data, n);
  S3Response& r = *t->response;
  if (line.starts_with("HTTP/")) {
    // A new status line (after 100 Continue or a redirect): start over.
    r.headers.clear();
    size_t sp = line.find(' ');
    r.status =
        sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  r.headers.emplace_back(std::move(name), std::string(value));
  return n;
}

std::string Target(const S3Request& r) {
  return r.key.empty() ? fmt::format("s3://{}", r.bucket)
                       : fmt::format("s3://{}/{}", r.bucket, r.key);
}

}  // namespace

Result<S3Options> S3OptionsFrom(const WarehouseConfig& c) {
  S3Options o;
  o.endpoint = c.s3_endpoint;
  o.region = !c.s3_region.empty() ? c.s3_region : Env("AWS_REGION");
  if (o.region.empty()) o.region = Env("AWS_DEFAULT_REGION");
  if (o.region.empty()) o.region = "us-east-1";
  if (c.s3_path_style == "auto") {
    o.path_style = !o.endpoint.empty() && o.endpoint.find("amazonaws.com") == std::string::npos;
  } else {
    o.path_style = c.s3_path_style == "true";
  }
  o.access_key_id = !c.s3_access_key_id.empty() ? c.s3_access_key_id : Env("AWS_ACCESS_KEY_ID");
  o.secret_access_key =
      !c.s3_secret_access_key.empty() ? c.s3_secret_access_key : Env("AWS_SECRET_ACCESS_KEY");
  o.session_token = !c.s3_session_token.empty() ? c.s3_session_token : Env("AWS_SESSION_TOKEN");
  o.ca_file = c.s3_ca_file;
  o.part_size = static_cast<uint64_t>(c.s3_part_size);
  o.conditional_writes = c.s3_conditional_writes;
  o.request_timeout_ms = c.s3_request_timeout_s * 1000;
  o.max_attempts = c.s3_retries + 1;
  if (o.access_key_id.empty() || o.secret_access_key.empty()) {
    return MakeError(ErrorKind::kInvalidInput,
                     "warehouse '{}': no S3 credentials (set warehouse.s3.access_key_id and "
                     "secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
                     c.location);
  }
  // Test hooks: small pages and quick retries make pagination and fault
  // tests fast; never needed in production.
  if (std::string v = Env("K2_S3_LIST_PAGE_SIZE"); !v.empty())
    o.list_page_size = std::atoi(v.c_str());
  if (std::string v = Env("K2_S3_RETRY_BASE_MS"); !v.empty())
    o.retry_base_ms = std::atoll(v.c_str());
  return o;
}

std::string S3Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

S3Client::S3Client(S3Options options) : options_(std::move(options)) {
  endpoint_ = options_.endpoint.empty()
                  ? fmt::format("https://s3.{}.amazonaws.com", options_.region)
                  : options_.endpoint;
  while (endpoint_.ends_with('/')) endpoint_.pop_back();
  sigv4_ = fmt::format("aws:amz:{}:s3", options_.region);
}

std::string S3Client::Url(const S3Request& r) const {
  std::string url;
  const std::string key = UriEncode(r.key, true);
  if (options_.path_style) {
    url = fmt::format("{}/{}/{}", endpoint_, r.bucket, key);
  } else {
    size_t scheme = endpoint_.find("://");
    url = fmt::format("{}{}.{}/{}", endpoint_.substr(0, scheme + 3), r.bucket,
                      endpoint_.substr(scheme + 3), key);
  }
  if (!r.query.empty()) {
    // SigV4's canonical query string: encoded, sorted by name, "name=" for
    // valueless parameters. curl signs the query as sent, so send it canonical.
    std::vector<std::pair<std::string, std::string>> q;
    for (const auto& [k, v] : r.query) q.emplace_back(UriEncode(k, false), UriEncode(v, false));
    std::sort(q.begin(), q.end());
    char sep = '?';
    for (const auto& [k, v] : q) {
      url += sep;
      url += k + "=" + v;
      sep = '&';
    }
  }
  return url;
}

Result<S3Response> S3Client::Send(const S3Request& request) const {
  const std::string url = Url(request);
  const std::string payload_hash =
      request.hash_body ? Sha256Hex(request.body) : std::string("UNSIGNED-PAYLOAD");
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const int max_attempts = request.idempotent ? std::max(1, options_.max_attempts) : 1;
  std::string last_failure;
  bool last_timeout = false;
  for (int attempt = 1;; ++attempt) {
    CURL* curl = HandleForThisThread();
    if (curl == nullptr) return MakeError(ErrorKind::kInternal, "curl_easy_init failed");
    S3Response response;
    response.attempts = attempt;
    Transfer t{&request, &response, 0, false};
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, ("x-amz-content-sha256: " + payload_hash).c_str());
    if (!options_.session_token.empty()) {
      headers =
          curl_slist_append(headers, ("x-amz-security-token: " + options_.session_token).c_str());
    }
    for (const auto& [k, v] : request.headers)
      headers = curl_slist_append(headers, (k + ": " + v).c_str());
    const std::string userpwd = options_.access_key_id + ":" + options_.secret_access_key;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, HeaderLine);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (request.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT") {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
      curl_easy_setopt(curl, CURLOPT_READDATA, &t);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      // Never NULL: curl would then read the body from stdin.
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (t.overflow) {
      return MakeError(ErrorKind::kCorrupt,
                       "S3 {} {} at {}: the answer is longer than expected ({} bytes wanted)",
                       request.method, Target(request), endpoint_, request.sink_capacity);
    }
    bool transport_error = rc != CURLE_OK;
    if (transport_error && !IsTransientCurlCode(rc)) {
      return MakeError(ErrorKind::kIo, "S3 {} {} at {}: {}", request.method, Target(request),
                       endpoint_, curl_easy_strerror(rc));
    }
    std::string code;
    if (!transport_error && response.status >= 300) {
      if (auto e = ParseS3ErrorBody(response.body)) code = e->code;
    }
    if (!IsRetryable(transport_error, response.status, code)) return response;
    last_timeout = rc == CURLE_OPERATION_TIMEDOUT;
    last_failure = transport_error
                       ? std::string(curl_easy_strerror(rc))
                       : fmt::format("HTTP {}{}", response.status, code.empty() ? "" : " " + code);
    if (attempt >= max_attempts) {
      if (!transport_error) return response;  // the caller turns it into an error
      return MakeError(last_timeout ? ErrorKind::kTimeout : ErrorKind::kIo,
                       "S3 {} {} at {}: {} (after {} attempt{})", request.method, Target(request),
                       endpoint_, last_failure, attempt, attempt == 1 ? "" : "s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(
        BackoffMillis(attempt, options_.retry_base_ms, options_.retry_max_ms, rng())));
  }
}

Error S3Client::ErrorFor(const S3Request& request, const S3Response& response) const {
  S3ErrorBody body = ParseS3ErrorBody(response.body).value_or(S3ErrorBody{});
  if (body.code.empty()) {
    if (response.status == 404) body.code = request.key.empty() ? "NoSuchBucket" : "NoSuchKey";
    if (response.status == 412) body.code = "PreconditionFailed";
  }
  std::string text = fmt::format("S3 {} {} at {}: HTTP {}", request.method, Target(request),
                                 endpoint_, response.status);
  if (!body.code.empty()) text += " " + body.code;
  if (!body.message.empty()) text += ": " + body.message;
  if (std::string_view hint = S3ErrorHint(body.code); !hint.empty())
    text += fmt::format(" ({})", hint);
  if (response.attempts > 1) text += fmt::format(" (after {} attempts)", response.attempts);
  return Error{S3ErrorKind(response.status, body.code), text};
}

}  // namespace k2::s3
