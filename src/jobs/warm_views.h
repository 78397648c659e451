#pragma once
/// Views on a ClickHouse server that reads Iceberg itself (`k2 warm views`):
/// for each configured table, `<table>_all` is the same union `k2 query`
/// runs (jobs/tiered_query), inside ClickHouse: the Iceberg table's rows of
/// the committed windows (icebergLocal, the table's latest metadata) plus
/// the warm source's rows of every other window.
///
/// The split is not in the view's text: the view reads the committed ranges
/// from the warm table `k2_cold_ranges`, which k2 rewrites after each offload
/// (PublishColdRanges), so the views stay exact without being recreated.
/// The ranges are written after the commit that makes them committed, so the
/// ranges the table holds are always committed in Iceberg: between a commit
/// and the ranges write a window is read from ClickHouse (which keeps its
/// rows), after it from Iceberg; never from both, never from neither.
///
/// `k2_cold_ranges` holds one row per write: (table_name, version, ranges),
/// version the metadata's last-updated-ms, so the newest table state wins
/// whatever order two writers insert in (argMax; a ReplacingMergeTree
/// drops the older rows at merges). One INSERT of one row is atomic.

#include <cstdint>
#include <map>
#include <string>

#include "common/result.h"
#include "jobs/tiered_query.h"
#include "jobs/warm_source.h"
#include "warm/warm_driver.h"

namespace k2::jobs {

/// The warm table of committed ranges the views filter with.
inline constexpr const char* kColdRangesTable = "k2_cold_ranges";

/// The suffix of a table's view: `silver_trades` -> `silver_trades_all`.
inline constexpr const char* kViewSuffix = "_all";

/// CREATE TABLE IF NOT EXISTS `database`.k2_cold_ranges.
std::string ColdRangesTableDdl(const std::string& database);

/// The INSERT recording `ranges` (committed [start, end) in µs) as `table`'s
/// at `version`; `database` empty: the connection's database.
std::string ColdRangesInsertSql(const std::string& database, const std::string& table,
                                int64_t version, const std::map<int64_t, int64_t>& ranges);

/// The SQL condition "`time` in the committed ranges k2_cold_ranges holds
/// for `table`" (false when it holds none). Windows start on whole seconds,
/// so comparing the column's epoch second is exact, as InRangesSql is.
std::string InColdRangesSql(const warm::TimeColumn& time, const std::string& database,
                            const std::string& table);

/// The CREATE OR REPLACE VIEW `database`.`<name>_all` of `table` (resolved
/// by ResolveTierTable). A table without an Iceberg snapshot yet gets a
/// view of its warm rows alone (run `k2 warm views --apply` again after its
/// first offload). `configured` are every configured table's names, which
/// the warm SQL names qualified by `database`.
std::string WarmViewSql(const TierTable& table, const std::string& database,
                        const std::vector<std::string>& configured);

/// kUnsupported naming the server's version when it has no icebergLocal
/// table function (ClickHouse before 24.x, e.g. 18.16), or when it cannot
/// say (no system.table_functions).
Status CheckServerReadsIceberg(warm::WarmDriver& driver);

/// After an offload of `table`: records its ledger's `ranges` at `version`
/// (the metadata's last-updated-ms) in k2_cold_ranges if that table exists
/// (`k2 warm views --apply` created it); nothing otherwise. Errors of the
/// driver (kRemote, kIo).
Status PublishColdRanges(warm::WarmDriver& driver, const std::string& table, int64_t version,
                         const std::map<int64_t, int64_t>& ranges);

}  // namespace k2::jobs
