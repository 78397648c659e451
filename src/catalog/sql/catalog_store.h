#pragma once
/// CatalogStore: the SQL database under the SQL catalog and the job store. One
/// interface, one connection per store, two backends (SQLite, PostgreSQL).
/// Callers write SQL with `?` placeholders in the subset both dialects share
/// (INSERT ... ON CONFLICT, RETURNING, CREATE TABLE IF NOT EXISTS); the
/// PostgreSQL backend rewrites placeholders to $1..$n. Anything dialect
/// specific (auto-increment keys, schema introspection) branches on dialect().
///
/// Thread safety: every method may be called from any thread; calls on one
/// store are serialized (one connection). Processes and other stores on the
/// same database coordinate through the database itself (SQLite: WAL and a
/// busy timeout; PostgreSQL: row locks).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/config.h"
#include "common/result.h"

namespace k2::sql {

/// A bound parameter: NULL, an integer or text.
using SqlValue = std::variant<std::monostate, int64_t, std::string>;

/// One result row; NULL cells are nullopt, everything else is text.
using SqlRow = std::vector<std::optional<std::string>>;

enum class SqlDialect { kSqlite, kPostgres };

class CatalogStore {
 public:
  virtual ~CatalogStore() = default;

  virtual SqlDialect dialect() const = 0;
  /// Names the database for error messages: "sqlite:/path/catalog.db" or
  /// "postgresql://user@host:port/db". Never contains a password.
  virtual const std::string& display_name() const = 0;

  /// Runs one statement; returns the number of rows it changed.
  /// kAlreadyExists on a unique-key violation; kTimeout when the database
  /// stayed locked past the busy timeout; kCommitStateUnknown when the
  /// statement was sent but the connection broke before its outcome was known
  /// (outside a transaction); kIo when the database cannot be reached or
  /// written; kRemote for other server errors.
  virtual Result<int64_t> Execute(std::string_view sql, const std::vector<SqlValue>& params) = 0;

  /// Runs one statement and returns all of its rows (same error kinds).
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql,
                                            const std::vector<SqlValue>& params) = 0;

  /// Runs `body` in one write transaction (SQLite: BEGIN IMMEDIATE), holding
  /// this store for the calling thread. Commits if `body` succeeds, rolls back
  /// and returns its error otherwise. Statements inside report kIo rather than
  /// kCommitStateUnknown (an unfinished transaction is never applied); a lost
  /// connection during COMMIT is kCommitStateUnknown. Not reentrant.
  virtual Status InTransaction(const std::function<Status()>& body) = 0;
};

/// Opens a store from `uri_or_path`:
///   postgresql://user:pass@host:port/db or postgres://... (also with a
///   "jdbc:" prefix) → PostgreSQL;
///   sqlite:///abs/path, sqlite:path or a plain path → SQLite (the file and its
///   parent directories are created on first use).
/// kInvalidInput for a malformed URI or an unknown scheme; kIo when the
/// database cannot be opened or reached. Messages never contain the password.
Result<std::unique_ptr<CatalogStore>> OpenCatalogStore(const std::string& uri_or_path);

using ::k2::RedactUri;  // common/config.h: one redaction for every URI k2 prints

/// Parses a decimal int64 cell; kCorrupt naming `what` if NULL or not a number.
Result<int64_t> ParseInt64Cell(const std::optional<std::string>& cell, std::string_view what);

}  // namespace k2::sql
