#include "catalog/sql/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

namespace k2::sql {

namespace {

ErrorKind KindOfSqliteError(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return ErrorKind::kAlreadyExists;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::kTimeout;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::kCorrupt;
    default:
      return ErrorKind::kIo;
  }
}

std::string_view Abbreviate(std::string_view sql) {
  return sql.size() <= 80 ? sql : sql.substr(0, 80);
}

struct StatementCloser {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementCloser>;

class SqliteStore final : public CatalogStore {
 public:
  SqliteStore(sqlite3* db, std::string display) : db_(db), display_(std::move(display)) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  const std::string& display_name() const override { return display_; }

  Result<int64_t> Execute(std::string_view sql, const std::vector<SqlValue>& params) override {
    std::lock_guard lock(mu_);
    K2_RETURN_IF_ERROR(Run(sql, params, nullptr));
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlValue>& params) override {
    std::lock_guard lock(mu_);
    std::vector<SqlRow> rows;
    K2_RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }

  Status InTransaction(const std::function<Status()>& body) override {
    std::lock_guard lock(mu_);
    K2_RETURN_IF_ERROR(Run("BEGIN IMMEDIATE", {}, nullptr));
    Status status = body();
    if (status) status = Run("COMMIT", {}, nullptr);
    if (!status) {
      if (!sqlite3_get_autocommit(db_)) {
        (void)Run("ROLLBACK", {}, nullptr);  // the transaction's own error is the one reported
      }
      return status;
    }
    return OkStatus();
  }

  /// Applies connection settings; the first statements to touch the file.
  Status Configure() {
    sqlite3_busy_timeout(db_, kSqliteBusyTimeoutMs);
    // Switching a new file to WAL takes an exclusive lock. When processes open
    // it at once, SQLite answers SQLITE_BUSY at once to all but one, without
    // calling the busy handler (it would deadlock: each holds a shared lock):
    // `k2 offload` run twice together failed so. Retry for the busy timeout.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kSqliteBusyTimeoutMs);
    for (int attempt = 0;; ++attempt) {
      std::vector<SqlRow> rows;
      Status status = Run("PRAGMA journal_mode=WAL", {}, &rows);
      if (status || status.error().kind != ErrorKind::kTimeout ||
          std::chrono::steady_clock::now() >= deadline) {
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2 << std::min(attempt, 5)));  // 2-64 ms
    }
  }

 private:
  Status Fail(int rc, std::string_view sql) {
    return MakeError(KindOfSqliteError(rc), "{}: {} (in '{}')", display_, sqlite3_errmsg(db_),
                     Abbreviate(sql));
  }

  Status Run(std::string_view sql, const std::vector<SqlValue>& params, std::vector<SqlRow>* rows) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK) return Fail(rc, sql);
    for (size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i) + 1;
      const SqlValue& p = params[i];
      if (const auto* n = std::get_if<int64_t>(&p)) {
        rc = sqlite3_bind_int64(stmt.get(), index, *n);
      } else if (const auto* s = std::get_if<std::string>(&p)) {
        rc = sqlite3_bind_text(stmt.get(), index, s->data(), static_cast<int>(s->size()),
                               SQLITE_TRANSIENT);
      } else {
        rc = sqlite3_bind_null(stmt.get(), index);
      }
      if (rc != SQLITE_OK) return Fail(rc, sql);
    }
    for (;;) {
      rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) return OkStatus();
      if (rc != SQLITE_ROW) return Fail(rc, sql);
      if (rows == nullptr) continue;
      int n = sqlite3_column_count(stmt.get());
      SqlRow row(static_cast<size_t>(n));
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(stmt.get(), c) == SQLITE_NULL) continue;
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), c));
        int bytes = sqlite3_column_bytes(stmt.get(), c);
        row[static_cast<size_t>(c)] = std::string(text, static_cast<size_t>(bytes));
      }
      rows->push_back(std::move(row));
    }
  }

  sqlite3* db_;
  std::string display_;
  std::recursive_mutex mu_;
};

}  // namespace

Result<std::unique_ptr<CatalogStore>> OpenSqliteStore(const std::string& path) {
  std::string display = "sqlite:" + path;
  if (path != ":memory:") {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return MakeError(ErrorKind::kIo, "{}: cannot create directory {}: {}", display,
                         parent.string(), ec.message());
      }
    }
  }
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return MakeError(ErrorKind::kIo, "{}: cannot open database: {}", display, message);
  }
  auto store = std::make_unique<SqliteStore>(db, display);
  K2_RETURN_IF_ERROR(store->Configure());
  return store;
}

}  // namespace k2::sql
