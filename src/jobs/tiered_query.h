#pragma once
/// Queries across the warm and the cold tier (`k2 query`): ClickHouse SQL in
/// which each configured table's name means the whole table, its rows of
/// every window the ledger says is committed read from Iceberg, its other
/// rows from ClickHouse, so no row is counted twice or missed.
///
/// Phases, in order:
///   1. Lex the user's SQL (QueryTokens) and find the configured names it
///      refers to (`silver_trades`, `warm.silver_trades`, `cold.silver_trades`).
///   2. Resolve each of those tables once (ResolveTierTable): its Iceberg
///      table's current metadata file, read once, gives both the ledger (the
///      `k2.ledger` property) and the snapshot, so the split and the rows
///      agree; the warm source (jobs/warm_source) gives the query and the
///      time column, the same rows the offload reads.
///   3. Rewrite (RewriteTieredQuery, a pure function): the user's SQL behind
///      one CTE per name: `cold.t` (icebergLocal pinned to that metadata
///      file, columns cast to the warm types), `warm.t` (the warm source's
///      rows), and `t` = cold rows of the committed ranges UNION ALL warm rows
///      outside them. `warm.t` / `cold.t` in the user's SQL become the
///      quoted CTE names; everything else is kept byte for byte, and the
///      rewrite records where each kept span went (MapPosition), so engine
///      errors point into the user's text.
///   4. Run it on the embedded engine (chDB); the caller formats the output.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "columnar/types.h"
#include "common/config.h"
#include "common/result.h"
#include "iceberg/catalog.h"
#include "io/file_io.h"
#include "jobs/warm_source.h"
#include "warm/warm_driver.h"

namespace k2::jobs {

/// A token of ClickHouse SQL, as far as the rewrite needs: comments and
/// whitespace are skipped, strings and quoted identifiers kept whole.
struct SqlToken {
  enum class Kind { kWord, kQuotedIdentifier, kString, kNumber, kPunct };
  Kind kind = Kind::kWord;
  size_t begin = 0;  ///< byte offset in the text
  size_t end = 0;
  std::string value;  ///< identifiers unquoted; words as written

  bool IsIdentifier() const { return kind == Kind::kWord || kind == Kind::kQuotedIdentifier; }
  bool Is(char c) const { return kind == Kind::kPunct && value.size() == 1 && value[0] == c; }
  /// A bare word equal to `kw` ignoring case.
  bool IsKeyword(std::string_view kw) const;
};

/// The tokens of `sql`. kInvalidInput naming the position of an unterminated
/// string, quoted identifier or comment.
Result<std::vector<SqlToken>> QueryTokens(std::string_view sql);

/// Which tier a reference names.
enum class Tier { kBoth, kWarm, kCold };

/// The cold side of a table: its Iceberg table at one metadata file.
struct ColdSide {
  std::string location;           ///< table root (local path)
  std::string metadata_location;  ///< the metadata file read (pins snapshot and ledger)
  bool has_snapshot = false;      ///< false: no rows yet
  int64_t snapshot_id = 0;
  int64_t data_files = 0;       ///< data files of that snapshot (its summary), -1 unknown
  int64_t last_updated_ms = 0;  ///< that metadata file's (orders table states)
  Schema schema;                ///< the current schema
};

/// How chDB reaches the warm rows.
struct WarmAccess {
  /// Empty: the warm tables are in the embedded engine that runs the query.
  /// Else a ClickHouse server's HTTP URL, read with chDB's url() function.
  std::string url;
  std::string user;
  std::string password;
  std::string database;
  /// Embedded: the database the warm tables are in (currentDatabase()); warm
  /// SQL names them qualified, so that no CTE named like a table shadows it.
  std::string local_database = "default";
};

/// Everything the rewrite needs about one configured table.
struct TierTable {
  std::string name;
  WarmSource warm;
  std::optional<ColdSide> cold;       ///< none: never offloaded
  std::map<int64_t, int64_t> ranges;  ///< committed [start, end) in µs (the ledger's)
};

/// Resolves `table` for a query: its warm source (through `driver`) and its
/// Iceberg table's current metadata, read once. A table not in the catalog
/// is warm only. kCorrupt for an unreadable ledger.
Result<TierTable> ResolveTierTable(warm::WarmDriver& driver, Catalog& catalog, FileIO& io,
                                   const Config& config, const TableConfig& table);

/// The configured names `tokens` refer to, with the tiers referenced.
std::map<std::string, std::vector<Tier>> ReferencedTables(const std::vector<SqlToken>& tokens,
                                                          const std::vector<std::string>& names);

/// The rewritten query and where the user's text went in it.
struct TieredSql {
  std::string sql;
  /// Spans of the user's text kept verbatim: {offset in sql, offset in the
  /// user's text, length}.
  struct Span {
    size_t out = 0;
    size_t in = 0;
    size_t len = 0;
  };
  std::vector<Span> spans;
  bool has_format = false;  ///< the user's SQL ends with its own FORMAT clause

  /// The offset in the user's text of offset `out` of `sql` (the nearest
  /// kept byte for text the rewrite added).
  size_t MapPosition(size_t out) const;
};

/// Rewrites `user_sql` (one SELECT, optionally starting with WITH or a
/// parenthesis; a trailing `;` is dropped) so that each of `tables`' names
/// means the whole table (see the header comment). kInvalidInput for
/// anything but one SELECT statement, naming the position.
Result<TieredSql> RewriteTieredQuery(std::string_view user_sql, const std::vector<SqlToken>& tokens,
                                     const std::vector<TierTable>& tables,
                                     const WarmAccess& access);

/// Phases 1 to 3 for `user_sql`: the tables it names among `config`'s,
/// resolved through `driver` (warm sources) and `catalog`/`io` (cold), and the
/// rewrite. `tables` receives the resolved tables (for --stats). Errors as
/// ResolveTierTable and RewriteTieredQuery.
Result<TieredSql> PlanTieredQuery(warm::WarmDriver& driver, Catalog& catalog, FileIO& io,
                                  const Config& config, std::string_view user_sql,
                                  const WarmAccess& access,
                                  std::vector<TierTable>* tables = nullptr);

/// The select list reading an Iceberg table of schema `cold` (as chDB
/// returns it) as `warm`'s columns, in their order and ClickHouse types
/// (NULL for a column the table lacks; Nullable where the table's is).
std::string ColdColumnsAs(const Schema& cold, const std::vector<WarmColumn>& warm);

/// `sql` with every bare name of `names` qualified by `database`: the warm
/// source's tables, which CTEs of the same names would shadow (unchanged if
/// `sql` does not lex).
std::string QualifyTables(const std::string& sql, const std::vector<std::string>& names,
                          const std::string& database);

/// The SQL condition "time column in `ranges`" (warm types; "0" when empty).
std::string InRangesSql(const warm::TimeColumn& time, const std::map<int64_t, int64_t>& ranges);

/// An engine error message with its "position N" mapped into the user's text
/// through `rewritten`, followed by the user's line and a caret under it.
std::string MapEngineError(const std::string& message, const TieredSql& rewritten,
                           std::string_view user_sql);

}  // namespace k2::jobs
