#pragma once
/// The warm tier: where k2 reads the tables it offloads. Two drivers share one
/// interface: a ClickHouse server over HTTP (libcurl) and ClickHouse embedded in
/// the process (chDB, libchdb.so loaded at run time). Both stream query results
/// as ColumnBatches decoded from RowBinary, in bounded memory.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "columnar/column_batch.h"
#include "common/result.h"
#include "warm/type_mapping.h"

namespace k2::warm {

/// A connection to a ClickHouse engine. Not thread-safe: use one per thread
/// (the embedded driver serializes statements on its one shared connection).
class WarmDriver {
 public:
  virtual ~WarmDriver() = default;
  /// Streams the result of a SELECT as batches of up to `batch_rows` rows; the
  /// schema is derived from ClickHouse types by the type mapping (field ids
  /// 1..n). Fails before any data moves if a column's type is unsupported
  /// (kUnsupported naming column and type). ClickHouse errors: kRemote, or
  /// kNotFound (unknown table/column), kInvalidInput (syntax, credentials),
  /// kTimeout; transport failures kIo. The reader must not outlive the driver.
  virtual Result<std::unique_ptr<BatchReader>> Query(const std::string& sql,
                                                     size_t batch_rows = 65536) = 0;
  /// Column names and ClickHouse type strings of a query or table (DESCRIBE).
  /// `query_or_table` is a table name (optionally db.table, quoted as needed)
  /// or a SELECT.
  virtual Result<std::vector<std::pair<std::string, std::string>>> Describe(
      const std::string& query_or_table) = 0;
  /// Runs a statement, returns its text output (TabSeparated; small results only).
  virtual Result<std::string> Execute(const std::string& sql) = 0;
  /// Inserts a batch into a table (RowBinary). Columns are matched by name to
  /// the table's columns; table columns missing from the batch get defaults.
  virtual Status Insert(const std::string& table, const ColumnBatch& batch) = 0;
  /// The engine's version string ("18.16.1", "26.5.1..."): SELECT version(),
  /// or "unknown" when the query fails.
  virtual std::string ServerVersion();
};

/// Options of the HTTP driver.
struct HttpDriverOptions {
  std::string url = "http://127.0.0.1:8123";  ///< http:// or https://
  std::string user = "default";
  std::string password;  ///< Sent as a header, never logged.
  std::string database;  ///< Empty: the server's default.
  int connect_timeout_s = 10;
  int query_timeout_s = 3600;  ///< Whole-request limit (0: none).
  int retries = 3;             ///< Retries on transient failures before any row was consumed.
  bool compression = true;     ///< Ask for compressed responses (Accept-Encoding).
  /// https: PEM file of the CA (or self-signed certificate) to trust instead of
  /// the system store. Empty: the system store. The server's certificate is
  /// always verified.
  std::string ca_file;
  /// Servers without RowBinaryWithNamesAndTypes (before 19.x): stream results
  /// in the Native (columnar) format, cheaper for the server than RowBinary;
  /// queries with LowCardinality columns use RowBinary either way.
  bool native_format = true;
  TypeMappingOptions types;
};

/// Options of the embedded (chDB) driver.
struct EmbeddedDriverOptions {
  std::string data_dir;      ///< Persistent data dir (--path). Empty: in memory.
  std::string library_path;  ///< libchdb.so; empty: $K2_CHDB_LIBRARY, then the install paths.
  TypeMappingOptions types;
};

/// Connects to a ClickHouse server over HTTP and checks it answers (SELECT
/// version()). kInvalidInput for a bad URL or credentials, kIo when unreachable.
Result<std::unique_ptr<WarmDriver>> OpenHttpDriver(const HttpDriverOptions& options);

/// Opens ClickHouse embedded in this process. libchdb.so is loaded once per
/// process and one connection is shared by every embedded driver: opening a
/// second driver on a different data_dir is kInvalidInput. kNotFound (with the
/// install command) when libchdb.so cannot be found.
Result<std::unique_ptr<WarmDriver>> OpenEmbeddedDriver(const EmbeddedDriverOptions& options);

/// Closes the process's embedded ClickHouse connection, if open (chDB waits
/// for its background work), releasing its data dir for other processes; a
/// later OpenEmbeddedDriver opens it again. Every driver and result stream of
/// it must be gone.
void CloseEmbeddedEngine();

/// Quotes an identifier for ClickHouse SQL: `name` with backquotes and
/// backslashes escaped. "db.table" is NOT split: quote each part.
std::string QuoteIdentifier(std::string_view name);
/// Quotes a table name that may be qualified ("db.t" -> `db`.`t`).
std::string QuoteTableName(std::string_view name);
/// The fields of the first line of a TabSeparated answer (Execute's output).
std::vector<std::string> TsvFirstRow(const std::string& text);
/// A decimal integer field of a server answer; kRemote names `what` and the text.
Result<int64_t> ParseTsvInt(const std::string& field, const std::string& what);
/// Quotes a string literal: 'text' with quotes, backslashes and control bytes escaped.
std::string QuoteLiteral(std::string_view value);

}  // namespace k2::warm
