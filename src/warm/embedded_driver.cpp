// The embedded driver: ClickHouse in this process through libchdb.so, loaded
// with dlopen once per process. chDB allows one connection (one data path) per
// process, so every EmbeddedDriver shares it; statements on it are serialized
// by a mutex, and an open result stream holds the mutex until it ends.

#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "warm/clickhouse_error.h"
#include "warm/driver_common.h"
#include "warm/row_binary.h"
#include "warm/warm_driver.h"

namespace k2::warm {
namespace {

// The few chDB C API declarations k2 uses (chdb.h, chDB 3.x / ClickHouse 26.x).
struct chdb_result_ {
  void* internal_data;
};
using chdb_result = chdb_result_;
struct chdb_connection_ {
  void* internal_data;
};
using chdb_connection = chdb_connection_*;
struct chdb_insert_stream_ {
  void* internal_data;
};
using chdb_insert_stream = chdb_insert_stream_*;

struct ChdbApi {
  void* handle = nullptr;
  std::string path;
  chdb_connection* (*connect)(int, char**) = nullptr;
  void (*close_conn)(chdb_connection*) = nullptr;
  chdb_result* (*query_n)(chdb_connection, const char*, size_t, const char*, size_t) = nullptr;
  chdb_result* (*stream_query_n)(chdb_connection, const char*, size_t, const char*,
                                 size_t) = nullptr;
  chdb_result* (*stream_fetch)(chdb_connection, chdb_result*) = nullptr;
  void (*stream_cancel)(chdb_connection, chdb_result*) = nullptr;
  void (*destroy_result)(chdb_result*) = nullptr;
  char* (*result_buffer)(chdb_result*) = nullptr;
  size_t (*result_length)(chdb_result*) = nullptr;
  const char* (*result_error)(chdb_result*) = nullptr;
  chdb_insert_stream (*stream_insert_n)(chdb_connection, const char*, size_t, const char*,
                                        size_t) = nullptr;
  int (*stream_append)(chdb_insert_stream, const void*, size_t) = nullptr;
  chdb_result* (*stream_done)(chdb_insert_stream) = nullptr;
  const char* (*stream_insert_error)(chdb_insert_stream) = nullptr;
  void (*destroy_insert_stream)(chdb_insert_stream) = nullptr;
  const char* (*version)() = nullptr;
};

// Process-wide state: the library and the one connection.
struct Shared {
  std::mutex init_mu;
  ChdbApi api;
  bool loaded = false;
  chdb_connection* conn = nullptr;
  std::string data_dir;
  std::mutex stmt_mu;  // one statement at a time on the connection
  std::thread::id owner;
  bool exit_handler = false;
};

Shared& State() {
  static Shared* s = new Shared();  // never destroyed: chDB stays loaded for the process
  return *s;
}

std::vector<std::string> CandidatePaths(const std::string& configured) {
  std::vector<std::string> out;
  const std::string rel = "tools/oracle/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so";
  if (!configured.empty()) out.push_back(configured);
  if (const char* env = std::getenv("K2_CHDB_LIBRARY"); env && *env) out.push_back(env);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back((exe.parent_path() / ".." / rel).lexically_normal().string());
    out.push_back((exe.parent_path() / rel).lexically_normal().string());
  }
  out.push_back(rel);
  return out;
}

template <typename F>
bool Bind(void* h, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(h, name));
  return fn != nullptr;
}

Status LoadLibrary(Shared& s, const std::string& configured) {
  if (s.loaded) return OkStatus();
  std::string tried;
  for (const auto& path : CandidatePaths(configured)) {
    if (!std::filesystem::exists(path)) {
      tried += "\n  " + path + " (absent)";
      continue;
    }
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      tried += "\n  " + path + " (" + (e ? e : "dlopen failed") + ")";
      continue;
    }
    ChdbApi& a = s.api;
    bool ok = Bind(h, "chdb_connect", a.connect) && Bind(h, "chdb_close_conn", a.close_conn) &&
              Bind(h, "chdb_query_n", a.query_n) &&
              Bind(h, "chdb_stream_query_n", a.stream_query_n) &&
              Bind(h, "chdb_stream_fetch_result", a.stream_fetch) &&
              Bind(h, "chdb_stream_cancel_query", a.stream_cancel) &&
              Bind(h, "chdb_destroy_query_result", a.destroy_result) &&
              Bind(h, "chdb_result_buffer", a.result_buffer) &&
              Bind(h, "chdb_result_length", a.result_length) &&
              Bind(h, "chdb_result_error", a.result_error) &&
              Bind(h, "chdb_stream_insert_n", a.stream_insert_n) &&
              Bind(h, "chdb_stream_append", a.stream_append) &&
              Bind(h, "chdb_stream_done", a.stream_done) &&
              Bind(h, "chdb_stream_insert_error", a.stream_insert_error) &&
              Bind(h, "chdb_destroy_insert_stream", a.destroy_insert_stream);
    Bind(h, "chdb_version", a.version);
    if (!ok) {
      return MakeError(ErrorKind::kUnsupported,
                       "{} lacks the chDB streaming C API (chdb_stream_query_n, "
                       "chdb_stream_insert_n...): install a recent @chdb/lib-linux-x64-gnu",
                       path);
    }
    a.handle = h;
    a.path = path;
    s.loaded = true;
    return OkStatus();
  }
  return MakeError(ErrorKind::kNotFound,
                   "libchdb.so not found; install it with scripts/install-deps or "
                   "`npm install @chdb/lib-linux-x64-gnu` (in tools/oracle), or set "
                   "warm.chdb_library / $K2_CHDB_LIBRARY. Tried:{}",
                   tried);
}

// Holds the statement mutex (and records the owning thread so that a second
// statement on the same thread fails instead of deadlocking).
class ConnGuard {
 public:
  ConnGuard() = default;
  ConnGuard(ConnGuard&& o) noexcept : lock_(std::move(o.lock_)) {}
  ConnGuard& operator=(ConnGuard&& o) noexcept {
    Release();
    lock_ = std::move(o.lock_);
    return *this;
  }
  ~ConnGuard() { Release(); }

  static Result<ConnGuard> Acquire() {
    Shared& s = State();
    if (s.owner == std::this_thread::get_id()) {
      return MakeError(ErrorKind::kInvalidInput,
                       "the embedded ClickHouse connection is busy with an open result stream on "
                       "this thread: finish reading it first");
    }
    ConnGuard g;
    g.lock_ = std::unique_lock<std::mutex>(s.stmt_mu);
    s.owner = std::this_thread::get_id();
    return g;
  }
  void Release() {
    if (lock_.owns_lock()) {
      State().owner = std::thread::id();
      lock_.unlock();
    }
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

// A statement result owned by k2.
struct ResultHandle {
  chdb_result* r = nullptr;
  ~ResultHandle() {
    if (r) State().api.destroy_result(r);
  }
};

// The streaming state behind a reader's ByteSource.
struct StreamState {
  ConnGuard lock;
  chdb_result* stream = nullptr;
  bool finished = false;
  std::string query_head;
  std::string header;
  ~StreamState() {
    ChdbApi& a = State().api;
    if (stream) {
      if (!finished) a.stream_cancel(*State().conn, stream);
      a.destroy_result(stream);
    }
    lock.Release();
  }
};

Error ChdbError(const char* text, std::string_view sql) {
  Error e = ClickHouseError(text);
  std::string_view head = sql.substr(0, 200);
  e.message += fmt::format(" [embedded ClickHouse, statement: {}{}]", head,
                           sql.size() > head.size() ? "..." : "");
  return e;
}

class EmbeddedDriver final : public WarmDriver {
 public:
  explicit EmbeddedDriver(EmbeddedDriverOptions options) : options_(std::move(options)) {}

  Result<std::unique_ptr<BatchReader>> Query(const std::string& sql, size_t batch_rows) override {
    Shared& s = State();
    auto state = std::make_shared<StreamState>();
    K2_ASSIGN_OR_RETURN(state->lock, ConnGuard::Acquire());
    static constexpr std::string_view kFormat = "RowBinaryWithNamesAndTypes";
    state->stream =
        s.api.stream_query_n(*s.conn, sql.data(), sql.size(), kFormat.data(), kFormat.size());
    if (!state->stream) return MakeError(ErrorKind::kRemote, "chDB returned no result for query");
    if (const char* err = s.api.result_error(state->stream)) {
      state->finished = true;
      return std::unexpected(ChdbError(err, sql));
    }
    state->query_head = sql.substr(0, 200);
    ByteSource source = [state](std::string& buffer) -> Result<bool> {
      if (state->finished) return false;
      ChdbApi& a = State().api;
      while (true) {
        ResultHandle chunk{a.stream_fetch(*State().conn, state->stream)};
        if (!chunk.r) {
          state->finished = true;
          return MakeError(ErrorKind::kRemote, "chDB stream fetch returned nothing");
        }
        if (const char* err = a.result_error(chunk.r)) {
          state->finished = true;
          return std::unexpected(ChdbError(err, state->query_head));
        }
        size_t len = a.result_length(chunk.r);
        if (len == 0) {
          state->finished = true;
          state->lock.Release();
          return false;
        }
        // chDB formats every streamed block on its own, header included: keep
        // the first header and drop the repeats.
        std::string_view data(a.result_buffer(chunk.r), len);
        if (state->header.empty()) {
          K2_ASSIGN_OR_RETURN(size_t header_len, ParseRowBinaryHeader(data, nullptr));
          if (header_len == 0) {
            state->finished = true;
            return MakeError(ErrorKind::kCorrupt,
                             "chDB stream chunk of {} bytes holds no complete "
                             "RowBinaryWithNamesAndTypes header",
                             len);
          }
          state->header.assign(data.substr(0, header_len));
        } else if (data.starts_with(state->header)) {
          data.remove_prefix(state->header.size());
          if (data.empty()) continue;
        }
        buffer.append(data);
        return true;
      }
    };
    K2_ASSIGN_OR_RETURN(auto reader, RowBinaryReader::OpenWithHeader(std::move(source), batch_rows,
                                                                     options_.types));
    return std::unique_ptr<BatchReader>(std::move(reader));
  }

  Result<std::vector<std::pair<std::string, std::string>>> Describe(
      const std::string& query_or_table) override {
    K2_ASSIGN_OR_RETURN(auto text, Execute(internal::DescribeStatement(query_or_table)));
    return internal::ParseDescribe(text);
  }

  Result<std::string> Execute(const std::string& sql) override {
    Shared& s = State();
    K2_ASSIGN_OR_RETURN(auto lock, ConnGuard::Acquire());
    static constexpr std::string_view kFormat = "TabSeparated";
    ResultHandle res{
        s.api.query_n(*s.conn, sql.data(), sql.size(), kFormat.data(), kFormat.size())};
    lock.Release();
    if (!res.r) return MakeError(ErrorKind::kRemote, "chDB returned no result");
    if (const char* err = s.api.result_error(res.r)) return std::unexpected(ChdbError(err, sql));
    const char* buf = s.api.result_buffer(res.r);
    return std::string(buf ? buf : "", s.api.result_length(res.r));
  }

  Status Insert(const std::string& table, const ColumnBatch& batch) override {
    K2_ASSIGN_OR_RETURN(auto columns, Describe(table));
    K2_ASSIGN_OR_RETURN(auto plan, internal::PlanInsert(table, batch, columns, options_.types));
    Shared& s = State();
    K2_ASSIGN_OR_RETURN(auto lock, ConnGuard::Acquire());
    static constexpr std::string_view kFormat = "RowBinary";
    chdb_insert_stream ins = s.api.stream_insert_n(
        *s.conn, plan.statement.data(), plan.statement.size(), kFormat.data(), kFormat.size());
    struct InsertGuard {
      chdb_insert_stream h;
      ~InsertGuard() {
        if (h) State().api.destroy_insert_stream(h);
      }
    } guard{ins};
    if (!ins) return MakeError(ErrorKind::kRemote, "chDB could not start {}", plan.statement);
    if (const char* err = s.api.stream_insert_error(ins)) {
      return std::unexpected(ChdbError(err, plan.statement));
    }
    // Encode in slices so the RowBinary copy stays small.
    std::string chunk;
    const size_t rows = batch.num_rows();
    for (size_t begin = 0; begin < rows;) {
      size_t end = std::min(rows, begin + 8192);
      chunk.clear();
      K2_RETURN_IF_ERROR(EncodeRowBinary(batch, plan.types, begin, end, chunk));
      if (s.api.stream_append(ins, chunk.data(), chunk.size()) != 0) {
        const char* err = s.api.stream_insert_error(ins);
        return std::unexpected(ChdbError(err ? err : "append failed", plan.statement));
      }
      begin = end;
    }
    ResultHandle done{s.api.stream_done(ins)};
    if (done.r) {
      if (const char* err = s.api.result_error(done.r)) {
        return std::unexpected(ChdbError(err, plan.statement));
      }
    }
    if (const char* err = s.api.stream_insert_error(ins)) {
      return std::unexpected(ChdbError(err, plan.statement));
    }
    return OkStatus();
  }

 private:
  EmbeddedDriverOptions options_;
};

}  // namespace

Result<std::unique_ptr<WarmDriver>> OpenEmbeddedDriver(const EmbeddedDriverOptions& options) {
  Shared& s = State();
  std::lock_guard<std::mutex> init(s.init_mu);
  K2_RETURN_IF_ERROR(LoadLibrary(s, options.library_path));
  std::string dir = options.data_dir;
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return MakeError(ErrorKind::kIo, "cannot create embedded ClickHouse data dir {}: {}", dir,
                       ec.message());
    }
    dir = std::filesystem::absolute(dir, ec).lexically_normal().string();
  }
  if (s.conn) {
    if (dir != s.data_dir) {
      return MakeError(ErrorKind::kInvalidInput,
                       "embedded ClickHouse is already open on '{}' in this process; chDB allows "
                       "one data dir per process (asked for '{}')",
                       s.data_dir, dir);
    }
    return std::unique_ptr<WarmDriver>(new EmbeddedDriver(options));
  }
  std::vector<std::string> args = {"clickhouse"};
  if (!dir.empty()) args.push_back("--path=" + dir);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  chdb_connection* conn = s.api.connect(static_cast<int>(argv.size()), argv.data());
  if (!conn || !*conn) {
    return MakeError(ErrorKind::kIo, "chDB could not open data dir '{}' (library {})", dir,
                     s.api.path);
  }
  s.conn = conn;
  s.data_dir = dir;
  if (s.exit_handler) return std::unique_ptr<WarmDriver>(new EmbeddedDriver(options));
  s.exit_handler = true;
  // chDB's own exit handlers crash when a connection is still open: close it
  // first (exit handlers run in reverse order of registration). chDB's close
  // has been seen to block forever on an internal lock at exit; a watchdog
  // then ends the process with its exit status after 20 s (the data is as
  // safe as after a kill: parts are written on insert).
  on_exit(
      [](int status, void*) {
        std::thread([status] {
          std::this_thread::sleep_for(std::chrono::seconds(20));
          std::_Exit(status);
        }).detach();
        Shared& st = State();
        std::lock_guard<std::mutex> stmt(st.stmt_mu);
        if (st.conn) st.api.close_conn(st.conn);
        st.conn = nullptr;
      },
      nullptr);
  return std::unique_ptr<WarmDriver>(new EmbeddedDriver(options));
}

void CloseEmbeddedEngine() {
  Shared& s = State();
  std::lock_guard<std::mutex> init(s.init_mu);
  std::lock_guard<std::mutex> stmt(s.stmt_mu);
  if (s.conn) s.api.close_conn(s.conn);
  s.conn = nullptr;
  s.data_dir.clear();
}

}  // namespace k2::warm
