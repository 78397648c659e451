#pragma once
/// The state of a backfill, kept in the table it rewrites: the table property
/// `k2.backfill.<id>` (JSON), written in the same metadata version as every
/// commit of the backfill's branch `backfill-<id>`. So the branch and the
/// record of what it holds never disagree, a crash leaves either, and
/// `resume` continues from the windows the property names.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "iceberg/table_metadata.h"
#include "jobs/window.h"

namespace k2::jobs {

/// Prefix of the table properties holding backfills.
inline constexpr const char* kBackfillPropertyPrefix = "k2.backfill.";

/// A window the backfill wrote on its branch (rows 0: no file, no snapshot).
struct BackfillWindow {
  int64_t start_us = 0;
  int64_t rows = 0;
  std::string checksum;     ///< kCommitChecksumKind over the rows written
  int64_t snapshot_id = 0;  ///< the branch commit that added its files
};

struct BackfillState {
  std::string id;
  std::string table;   ///< k2 table name
  std::string mode;    ///< "warm" (re-offload from ClickHouse) | "derive" (from a cold source)
  std::string query;   ///< derive: the SELECT template ({source}, {start}, {end})
  std::string source;  ///< derive: the source k2 table
  std::string source_location;     ///< derive: its Iceberg table root
  std::string source_metadata;     ///< derive: its metadata file holding the pinned snapshot
  int64_t source_snapshot_id = 0;  ///< derive: the source snapshot read (pinned at start)
  /// derive: the derivation's columns (name, ClickHouse type) as resolved at
  /// start (the pinned source does not change), so later phases need not ask.
  std::vector<std::pair<std::string, std::string>> columns;
  int64_t from_us = 0;
  int64_t to_us = 0;
  int64_t window_s = 3600;
  std::optional<int64_t> base_snapshot_id;  ///< main's head when the branch forked
  int64_t created_ms = 0;
  /// running (windows being written) | written (all written, not yet
  /// published) | published | aborted
  std::string status = "running";
  std::vector<int64_t> skipped;            ///< window starts left as they are (--skip-expired)
  std::map<int64_t, BackfillWindow> done;  ///< by window start (empty once settled)
  int64_t published_snapshot_id = 0;
  /// Once published or aborted, the per-window records are dropped (the
  /// ledger holds the published windows): the property stays ~1 KB instead
  /// of growing with every window of every backfill the table ever had.
  int64_t settled_windows = 0;
  int64_t settled_rows = 0;

  std::string Branch() const { return "backfill-" + id; }
  std::string PropertyKey() const { return kBackfillPropertyPrefix + id; }
  /// The windows to write: [from, to) minus the skipped ones, oldest first.
  std::vector<Window> Planned() const;
  /// The planned windows not written yet.
  std::vector<Window> Remaining() const;
  /// The written windows, oldest first.
  std::vector<Window> Written() const;
  int64_t RowsWritten() const;
  int64_t WindowsWritten() const;
  /// Marks the backfill `status` ("published" | "aborted") and keeps only
  /// the totals of its windows.
  void Settle(const std::string& status);

  nlohmann::json ToJson() const;
  static Result<BackfillState> FromJson(const nlohmann::json& j);
};

/// The backfills recorded in a table's metadata, oldest first. kCorrupt names
/// a property that cannot be read.
Result<std::vector<BackfillState>> BackfillsOf(const iceberg::TableMetadata& metadata);
/// Backfill `id` of a table's metadata; nullopt when it has none of that id.
Result<std::optional<BackfillState>> FindBackfill(const iceberg::TableMetadata& metadata,
                                                  const std::string& id);

/// Whether `id` is a usable backfill id (letters, digits, '-', '_'; 1..40).
bool ValidBackfillId(const std::string& id);
/// A new id: the UTC start time and a random suffix ("20261206t081500-3fa1").
std::string NewBackfillId();

}  // namespace k2::jobs
