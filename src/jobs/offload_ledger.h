#pragma once
/// The offload ledger: which windows a table already holds, read from the
/// snapshot summaries of its main-branch ancestry. Every offload commit records
/// its window there, so the table itself is the source of truth for "exactly
/// once": no side database can disagree with it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/window.h"

namespace k2::jobs {

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
  int64_t source_rows = 0;
  std::string source_checksum;
  std::string checksum_kind;     ///< as recorded ("" for the first format: text)
  int64_t snapshot_id = 0;       ///< the newest commit of this window
  std::optional<int> schema_id;  ///< the table schema that commit wrote with
  std::string run_id;
};

/// One snapshot of the main branch, newest first, as the ledger needs it.
struct AncestorSummary {
  int64_t snapshot_id = 0;
  std::map<std::string, std::string> summary;
  std::optional<int> schema_id;
};

/// Windows recorded in an ancestry (newest commit of each window wins).
class OffloadLedger {
 public:
  /// Builds the ledger from the main branch's ancestors, newest first.
  static OffloadLedger FromAncestry(const std::vector<AncestorSummary>& ancestors);

  /// The record of `window`, if it was committed.
  const WindowRecord* Find(const Window& window) const;
  /// End of the newest committed window (the cold watermark), if any.
  std::optional<int64_t> WatermarkUs() const;
  /// The `n` newest committed windows, newest first.
  std::vector<const WindowRecord*> Newest(size_t n) const;
  size_t size() const { return windows_.size(); }

 private:
  std::map<int64_t, WindowRecord> windows_;  // by window start
};

/// Summary properties recording `record` (plus the table name).
std::map<std::string, std::string> SummaryFor(const std::string& table, const WindowRecord& record,
                                              bool replace);

}  // namespace k2::jobs
