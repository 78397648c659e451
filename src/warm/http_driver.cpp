// The HTTP driver: a ClickHouse server through its HTTP interface (libcurl).
// One curl multi handle per driver keeps connections alive across requests;
// a query's response is pulled from the socket only when the reader needs
// bytes (the write callback pauses the transfer once a bounded chunk has been
// buffered), so memory stays at one batch plus about one MiB.

#include <curl/curl.h>

#include <chrono>
#include <random>
#include <thread>

#include "warm/clickhouse_error.h"
#include "warm/driver_common.h"
#include "warm/native_reader.h"
#include "warm/row_binary.h"
#include "warm/warm_driver.h"

namespace k2::warm {
namespace {

constexpr size_t kPumpBytes = size_t{1} << 20;  // bytes buffered per pull
constexpr size_t kTailBytes = 4096;             // kept to spot a trailing exception
constexpr size_t kMaxErrorBody = size_t{1} << 16;
constexpr size_t kMaxExecuteBytes = size_t{256} << 20;

void GlobalInit() {
  static const bool once = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)once;
}

std::string NewQueryId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("k2-{:016x}", rng());
}

// One HTTP request/response in flight on the driver's multi handle.
struct Transfer {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string url;
  std::string body;  // request body (kept alive for curl)
  std::string query_id;
  std::string server_query_id;
  long http_code = 0;
  bool done = false;
  bool paused = false;
  CURLcode result = CURLE_OK;
  std::string* out = nullptr;  // where the body goes during Pump
  size_t pump_start = 0;
  std::string error_body;
  std::string tail;
  uint64_t received = 0;
  std::string exception_code;  // X-ClickHouse-Exception-Code

  ~Transfer() {
    if (easy) {
      curl_multi_remove_handle(multi, easy);
      curl_easy_cleanup(easy);
    }
    if (headers) curl_slist_free_all(headers);
  }

  static size_t OnHeader(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    std::string_view line(data, size * n);
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (line.size() < name.size() + 1) return std::nullopt;
      for (size_t i = 0; i < name.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return std::nullopt;
      }
      if (line[name.size()] != ':') return std::nullopt;
      std::string v(line.substr(name.size() + 1));
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(0, 1);
      return v;
    };
    if (auto v = value("x-clickhouse-query-id")) t->server_query_id = *v;
    if (auto v = value("x-clickhouse-exception-code")) t->exception_code = *v;
    return size * n;
  }

  static size_t OnData(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    size_t len = size * n;
    if (t->http_code == 0) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->http_code);
    if (t->http_code != 200) {
      if (t->error_body.size() < kMaxErrorBody) t->error_body.append(data, len);
      return len;
    }
    if (!t->out ||
        (t->out->size() > t->pump_start && t->out->size() + len > t->pump_start + kPumpBytes)) {
      t->paused = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    t->out->append(data, len);
    t->received += len;
    if (len >= kTailBytes) {
      t->tail.assign(data + len - kTailBytes, kTailBytes);
    } else {
      t->tail.append(data, len);
      if (t->tail.size() > 2 * kTailBytes) t->tail.erase(0, t->tail.size() - kTailBytes);
    }
    return len;
  }

  std::string Id() const { return server_query_id.empty() ? query_id : server_query_id; }

  // The error of a finished transfer, if any.
  std::optional<Error> Failure() const {
    if (http_code != 0 && http_code != 200) {
      std::string text = error_body.empty() ? fmt::format("HTTP {}", http_code) : error_body;
      Error e = ClickHouseError(text, Id());
      if (!ParseClickHouseCode(text)) {
        e.kind = (http_code == 401 || http_code == 403) ? ErrorKind::kInvalidInput
                 : (http_code == 502 || http_code == 503 || http_code == 504) ? ErrorKind::kIo
                                                                              : ErrorKind::kRemote;
      }
      e.message = fmt::format("ClickHouse HTTP {}: {}", http_code, e.message);
      return e;
    }
    if (result != CURLE_OK) {
      ErrorKind kind = result == CURLE_OPERATION_TIMEDOUT ? ErrorKind::kTimeout : ErrorKind::kIo;
      if (result == CURLE_URL_MALFORMAT || result == CURLE_UNSUPPORTED_PROTOCOL) {
        kind = ErrorKind::kInvalidInput;
      }
      // An untrusted certificate is configuration, not a transient failure.
      if (result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_CACERT_BADFILE) {
        return Error{ErrorKind::kInvalidInput,
                     fmt::format("TLS connection to {} failed (query_id {}): {}; give the "
                                 "server's CA certificate (ca_file) or fix the certificate",
                                 url.substr(0, url.find('?')), Id(), curl_easy_strerror(result))};
      }
      std::string where = received > 0 ? fmt::format(" mid-stream after {} bytes", received) : "";
      return Error{
          kind, fmt::format("ClickHouse request to {} failed{} (query_id {}): {}",
                            url.substr(0, url.find('?')), where, Id(), curl_easy_strerror(result))};
    }
    if (http_code == 200) {
      if (auto e = FindClickHouseException(tail)) {
        Error err = *e;
        err.message +=
            fmt::format(" (query_id {}, reported mid-stream after {} bytes)", Id(), received);
        return err;
      }
    }
    return std::nullopt;
  }

  // Drives the transfer until `out` grew or the response ended. Returns false at
  // the end of a successful response.
  Result<bool> Pump(std::string& buffer) {
    out = &buffer;
    pump_start = buffer.size();
    struct Reset {
      Transfer* t;
      ~Reset() { t->out = nullptr; }
    } reset{this};
    if (paused) {
      paused = false;
      curl_easy_pause(easy, CURLPAUSE_CONT);
    }
    while (true) {
      if (buffer.size() > pump_start) return true;
      if (done) {
        if (auto e = Failure()) return std::unexpected(*e);
        return false;
      }
      int running = 0;
      CURLMcode mc = curl_multi_perform(multi, &running);
      if (mc != CURLM_OK) {
        return MakeError(ErrorKind::kIo, "curl_multi_perform: {}", curl_multi_strerror(mc));
      }
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
          done = true;
          result = msg->data.result;
          if (http_code == 0) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http_code);
        }
      }
      if (buffer.size() > pump_start || done || paused) continue;
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
  }
};

bool Transient(const Error& e) {
  return e.kind == ErrorKind::kIo || e.kind == ErrorKind::kTimeout;
}

class HttpDriver final : public WarmDriver {
 public:
  explicit HttpDriver(HttpDriverOptions o) : o_(std::move(o)) {
    GlobalInit();
    multi_ = curl_multi_init();
  }
  ~HttpDriver() override {
    if (multi_) curl_multi_cleanup(multi_);
  }

  // Starts a request: `sql` goes in the body (or in the URL for inserts, with
  // `body` as data); `params` are extra URL parameters.
  Result<std::unique_ptr<Transfer>> Start(const std::string& sql, const std::string& format,
                                          std::string body, bool sql_in_url) {
    auto t = std::make_unique<Transfer>();
    t->multi = multi_;
    t->easy = curl_easy_init();
    if (!t->easy) return MakeError(ErrorKind::kInternal, "curl_easy_init failed");
    t->query_id = NewQueryId();
    auto esc = [&](const std::string& v) {
      char* e = curl_easy_escape(t->easy, v.data(), static_cast<int>(v.size()));
      std::string s = e ? e : "";
      curl_free(e);
      return s;
    };
    std::string url = o_.url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    url += "/?query_id=" + esc(t->query_id);
    if (!o_.database.empty()) url += "&database=" + esc(o_.database);
    if (!format.empty()) url += "&default_format=" + esc(format);
    if (o_.compression) url += "&enable_http_compression=1";
    if (sql_in_url) {
      url += "&query=" + esc(sql);
      t->body = std::move(body);
    } else {
      t->body = sql;
    }
    t->url = url;
    CURL* h = t->easy;
    curl_easy_setopt(h, CURLOPT_URL, t->url.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, t->body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Transfer::OnData);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(o_.connect_timeout_s));
    curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(o_.query_timeout_s));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    if (o_.compression) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (!o_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o_.ca_file.c_str());
    if (!o_.user.empty()) {
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(h, CURLOPT_USERNAME, o_.user.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, o_.password.c_str());
    }
    t->headers = curl_slist_append(t->headers, "Content-Type: text/plain; charset=utf-8");
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers);
    CURLMcode mc = curl_multi_add_handle(multi_, h);
    if (mc != CURLM_OK) {
      return MakeError(ErrorKind::kInternal, "curl_multi_add_handle: {}", curl_multi_strerror(mc));
    }
    return t;
  }

  // Runs a request to completion and returns the whole body (bounded).
  Result<std::string> RunToEnd(const std::string& sql, const std::string& format,
                               std::string body = {}, bool sql_in_url = false) {
    Error last;
    for (int attempt = 0; attempt <= o_.retries; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
      K2_ASSIGN_OR_RETURN(auto t, Start(sql, format, body, sql_in_url));
      std::string out;
      bool failed = false;
      while (true) {
        auto more = t->Pump(out);
        if (!more) {
          last = more.error();
          failed = true;
          break;
        }
        if (!*more) break;
        if (out.size() > kMaxExecuteBytes) {
          return MakeError(ErrorKind::kInvalidInput,
                           "statement output exceeds {} bytes; use Query() to stream it",
                           kMaxExecuteBytes);
        }
      }
      if (!failed) return out;
      // Inserts are not retried: the server may have applied part of them.
      if (!Transient(last) || sql_in_url) break;
    }
    return std::unexpected(last);
  }

  Result<std::unique_ptr<BatchReader>> Query(const std::string& sql, size_t batch_rows) override {
    Error last;
    for (int attempt = 0; attempt <= o_.retries; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
      Result<std::unique_ptr<BatchReader>> r =
          legacy_format_ ? OpenLegacy(sql, batch_rows) : OpenModern(sql, batch_rows);
      if (r) return r;
      last = r.error();
      if (!legacy_format_ && ParseClickHouseCode(last.message) == 73 &&
          last.message.find("RowBinaryWithNamesAndTypes") != std::string::npos) {
        legacy_format_ = true;  // old server: RowBinary + DESCRIBE
        --attempt;
        continue;
      }
      if (!Transient(last)) break;
    }
    return std::unexpected(last);
  }

  Result<std::unique_ptr<BatchReader>> OpenModern(const std::string& sql, size_t batch_rows) {
    K2_ASSIGN_OR_RETURN(auto t, Start(sql, "RowBinaryWithNamesAndTypes", {}, false));
    std::shared_ptr<Transfer> shared(std::move(t));
    ByteSource source = [shared](std::string& buffer) { return shared->Pump(buffer); };
    K2_ASSIGN_OR_RETURN(auto reader,
                        RowBinaryReader::OpenWithHeader(std::move(source), batch_rows, o_.types));
    return std::unique_ptr<BatchReader>(std::move(reader));
  }

  Result<std::unique_ptr<BatchReader>> OpenLegacy(const std::string& sql, size_t batch_rows) {
    K2_ASSIGN_OR_RETURN(auto columns, Describe(sql));
    // Types are checked before any data moves.
    K2_RETURN_IF_ERROR(MapClickHouseColumns(columns, o_.types));
    const bool native = o_.native_format && NativeSupports(columns);
    K2_ASSIGN_OR_RETURN(auto t, Start(sql, native ? "Native" : "RowBinary", {}, false));
    std::shared_ptr<Transfer> shared(std::move(t));
    // Pull the first bytes now so that errors before any row are reported here
    // (and retried by Query when transient).
    std::string first;
    K2_ASSIGN_OR_RETURN(bool more, shared->Pump(first));
    ByteSource primed_source = [shared, first = std::move(first),
                                more](std::string& buffer) mutable -> Result<bool> {
      if (!first.empty()) {
        buffer.append(first);
        first.clear();
        return true;
      }
      if (!more) return false;
      return shared->Pump(buffer);
    };
    if (native) {
      K2_ASSIGN_OR_RETURN(
          auto reader, NativeReader::Open(std::move(primed_source), columns, batch_rows, o_.types));
      return std::unique_ptr<BatchReader>(std::move(reader));
    }
    K2_ASSIGN_OR_RETURN(auto reader, RowBinaryReader::Open(std::move(primed_source), columns,
                                                           batch_rows, o_.types));
    return std::unique_ptr<BatchReader>(std::move(reader));
  }

  Result<std::vector<std::pair<std::string, std::string>>> Describe(
      const std::string& query_or_table) override {
    K2_ASSIGN_OR_RETURN(auto text,
                        RunToEnd(internal::DescribeStatement(query_or_table), "TabSeparated"));
    return internal::ParseDescribe(text);
  }

  Result<std::string> Execute(const std::string& sql) override {
    return RunToEnd(sql, "TabSeparated");
  }

  Status Insert(const std::string& table, const ColumnBatch& batch) override {
    K2_ASSIGN_OR_RETURN(auto columns, Describe(table));
    K2_ASSIGN_OR_RETURN(auto plan, internal::PlanInsert(table, batch, columns, o_.types));
    std::string data;
    K2_RETURN_IF_ERROR(EncodeRowBinary(batch, plan.types, 0, batch.num_rows(), data));
    K2_ASSIGN_OR_RETURN(auto out,
                        RunToEnd(plan.statement + " FORMAT RowBinary", "", std::move(data), true));
    (void)out;
    return OkStatus();
  }

 private:
  HttpDriverOptions o_;
  CURLM* multi_ = nullptr;
  bool legacy_format_ = false;
};

}  // namespace

Result<std::unique_ptr<WarmDriver>> OpenHttpDriver(const HttpDriverOptions& options) {
  if (!options.url.starts_with("http://") && !options.url.starts_with("https://")) {
    return MakeError(ErrorKind::kInvalidInput,
                     "warm.url must start with http:// or https://, got '{}'", options.url);
  }
  auto driver = std::make_unique<HttpDriver>(options);
  auto v = driver->Execute("SELECT version()");
  if (!v)
    return std::unexpected(v.error().WithContext(fmt::format("connecting to {}", options.url)));
  return std::unique_ptr<WarmDriver>(std::move(driver));
}

}  // namespace k2::warm
