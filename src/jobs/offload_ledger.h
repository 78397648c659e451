#pragma once
/// The offload ledger: which windows a table holds, with what the source held
/// for each when it was committed. It lives in the table itself, so no side
/// database can disagree with it, and it survives everything that rewrites
/// or forgets snapshots:
///   - the table property `k2.ledger` (JSON), set in the same metadata
///     version as every offload commit: ranges of committed windows for the
///     table's whole life, and the details (source rows, checksum, snapshot)
///     of the newest windows. Properties are carried by every commit, by k2's
///     or any other engine's (appends, rewrites, snapshot expiry), so expiry
///     and compaction cannot lose a window;
///   - the snapshot summaries of main's ancestry (`k2.window-start-us` ...),
///     which every offload commit also writes: the only record of tables
///     written before the property existed, merged in when read and carried
///     into the property by the next commit (or by k2's expiry before it
///     removes them).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "iceberg/table_metadata.h"
#include "iceberg/update/pending_update.h"
#include "jobs/window.h"

namespace k2::jobs {

/// The table property holding the ledger.
inline constexpr const char* kLedgerProperty = "k2.ledger";
/// Details (rows, checksum, snapshot) are kept for this many newest windows;
/// older windows are kept as ranges only (16 days of hourly windows, ~30 KB).
inline constexpr size_t kLedgerDetailWindows = 400;

/// Snapshot summary keys written by every offload commit.
inline constexpr const char* kSummaryTable = "k2.table";
inline constexpr const char* kSummaryWindowStart = "k2.window-start-us";
inline constexpr const char* kSummaryWindowEnd = "k2.window-end-us";
inline constexpr const char* kSummarySourceRows = "k2.source-rows";
inline constexpr const char* kSummarySourceChecksum = "k2.source-checksum";
/// How the checksum was computed (jobs/window_stats.h); absent means "text".
inline constexpr const char* kSummaryChecksumKind = "k2.checksum-kind";
inline constexpr const char* kSummaryRunId = "k2.run-id";
inline constexpr const char* kSummaryReplace = "k2.replace";

/// What the source held for a window when it was committed.
struct WindowRecord {
  Window window;
  int64_t source_rows = -1;      ///< -1: unknown (a window kept as a range only)
  std::string source_checksum;   ///< "" when unknown
  std::string checksum_kind;     ///< as recorded ("" for the first format: text)
  int64_t snapshot_id = 0;       ///< the commit of this window; 0 for an empty window
  std::optional<int> schema_id;  ///< the table schema that commit wrote with
  std::string run_id;

  /// Whether rows and checksum are known (false for old windows kept as ranges).
  bool detailed() const { return source_rows >= 0; }
};

/// One snapshot of the main branch, newest first, as the ledger needs it.
struct AncestorSummary {
  int64_t snapshot_id = 0;
  std::map<std::string, std::string> summary;
  std::optional<int> schema_id;
};

/// The windows a table holds.
class OffloadLedger {
 public:
  /// The ledger of a table's metadata: its `k2.ledger` property, plus windows
  /// only the main ancestry's summaries record. kCorrupt when the property
  /// cannot be read (nothing is offloaded on a guess).
  static Result<OffloadLedger> FromMetadata(const iceberg::TableMetadata& metadata);
  /// The windows recorded in an ancestry (newest commit of each window wins).
  static OffloadLedger FromAncestry(const std::vector<AncestorSummary>& ancestors);
  /// Parses the property's value.
  static Result<OffloadLedger> ParseProperty(const std::string& text);
  /// The property's value: every range, the details of the newest
  /// `detail_windows` windows.
  std::string ToProperty(size_t detail_windows = kLedgerDetailWindows) const;

  /// Records `record` (a new window, or a replace of a recorded one).
  void Record(const WindowRecord& record);
  /// Records those of `records` not committed yet (empty windows: one
  /// committed meanwhile, with its rows, is left as it is), written with
  /// table schema `schema_id`.
  void RecordNew(const std::vector<WindowRecord>& records, std::optional<int> schema_id);

  /// Whether `window` was committed (in detail or within a range).
  bool Contains(const Window& window) const;
  /// The record of a committed `window`: its details, or (for an old window
  /// kept as a range) a record with source_rows -1.
  std::optional<WindowRecord> Find(const Window& window) const;
  /// End of the newest committed window (the cold watermark), if any.
  std::optional<int64_t> WatermarkUs() const;
  /// The `n` newest windows with details, newest first.
  std::vector<WindowRecord> Newest(size_t n) const;
  /// Every committed window of `window_s` seconds starting at or after
  /// `since_us`, oldest first (details where known). Check CountWindows
  /// first where the ledger came from outside (a range may span millennia).
  std::vector<WindowRecord> Windows(int64_t window_s, int64_t since_us = 0) const;
  /// How many windows Windows() would list, without listing them.
  int64_t CountWindows(int64_t window_s, int64_t since_us = 0) const;
  /// Committed ranges [start, end), oldest first, adjacent ones merged.
  const std::map<int64_t, int64_t>& ranges() const { return ranges_; }
  /// Whether every window of `other` is in this ledger.
  bool Covers(const OffloadLedger& other) const;
  bool empty() const { return ranges_.empty(); }

 private:
  void AddRange(int64_t start, int64_t end);

  std::map<int64_t, WindowRecord> details_;  // by window start
  std::map<int64_t, int64_t> ranges_;        // start -> end, disjoint, merged
};

/// A metadata-only commit (no snapshot) writing the ledger property with
/// `records` added (windows committed meanwhile are left as they are):
/// empty windows, and, with no records, the carry-over of windows only
/// snapshot summaries record (before expiry removes those snapshots).
class LedgerUpdate : public iceberg::PendingUpdate {
 public:
  explicit LedgerUpdate(std::vector<WindowRecord> records) : records_(std::move(records)) {}
  Result<iceberg::TableMetadata> Apply(const iceberg::TableMetadata& base) override;

 private:
  std::vector<WindowRecord> records_;
};

/// Whether the snapshot summaries of `metadata` record windows its ledger
/// property lacks (a table from before the property).
bool LedgerNeedsCarryOver(const iceberg::TableMetadata& metadata);

/// The main branch's ancestry of `metadata`, newest first.
std::vector<AncestorSummary> AncestryOf(const iceberg::TableMetadata& metadata);

/// The integer value of summary property `key` (nullopt when absent or not
/// a whole integer).
std::optional<int64_t> SummaryInt(const std::map<std::string, std::string>& summary,
                                  const char* key);

/// Summary properties recording `record` (plus the table name).
std::map<std::string, std::string> SummaryFor(const std::string& table, const WindowRecord& record,
                                              bool replace);

}  // namespace k2::jobs
