#pragma once
/// A window's row count and order-independent checksum in the warm tier, as
/// the offload records them at commit (snapshot summary) and as the late-row
/// check and the audit recompute them later. The checksum is
/// sum(cityHash64(...)) over the window's rows, computed by ClickHouse.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "warm/warm_driver.h"

namespace k2::jobs {

/// How a checksum was computed; recorded next to it (k2.checksum-kind), so a
/// later check recomputes it the same way.
enum class ChecksumKind {
  /// Every column as text plus its null flag: cityHash64(ifNull(toString(c), ''),
  /// isNull(c), ...). The first format k2 recorded (summaries without a kind).
  kText = 1,
  /// Columns of hashable types hashed as they are (strings, integers, floats,
  /// Date, DateTime), others as text; nullable columns as their value plus
  /// the null flag. Cheaper for the server than kText: it formats only the
  /// columns cityHash64 cannot take.
  kNative = 2,
  /// kNative, but decimals and DateTime64 hashed as their binary value
  /// (reinterpretAsString: the scaled integer's bytes) instead of as text;
  /// the same answer on ClickHouse 18.16 and 26.x. What offloads record now:
  /// formatting decimals was most of the server's cost of the checksum.
  kBinary = 3,
};

/// The kind new commits record.
inline constexpr ChecksumKind kCommitChecksumKind = ChecksumKind::kBinary;

/// The name recorded in snapshot summaries ("text", "native", "binary").
const char* ChecksumKindName(ChecksumKind kind);
/// Parses a recorded name; an absent one (empty) is kText.
Result<ChecksumKind> ParseChecksumKind(const std::string& name);

/// A ClickHouse column: name and type as DESCRIBE prints them.
using WarmColumn = std::pair<std::string, std::string>;

/// True when `kind` hashes a column of ClickHouse type `type` as its value
/// itself, or for kBinary a decimal/DateTime64 as its value's bytes (plus the
/// null flag when Nullable), not as text: what k2 can reproduce (row_hash.h).
bool HashesValue(std::string_view type, ChecksumKind kind);

/// One row's hash: `cityHash64(...)` over `columns` as `kind` hashes them.
std::string RowHashSql(const std::vector<WarmColumn>& columns, ChecksumKind kind);

/// `SELECT count(), sum(RowHashSql) FROM (window_sql)`: the window's count
/// and checksum (sum of UInt64 wraps mod 2^64).
std::string WindowStatsSql(const std::string& window_sql, const std::vector<WarmColumn>& columns,
                           ChecksumKind kind);

struct WindowStats {
  int64_t rows = 0;
  std::string checksum;  ///< decimal UInt64 text, as ClickHouse prints it
};

/// Runs WindowStatsSql on the warm tier.
Result<WindowStats> QueryWindowStats(warm::WarmDriver& driver, const std::string& window_sql,
                                     const std::vector<WarmColumn>& columns, ChecksumKind kind);

}  // namespace k2::jobs
