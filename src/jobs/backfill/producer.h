#pragma once
/// Where a backfill's windows come from: the table's warm source (ClickHouse,
/// read as the offload reads it), or a derivation over the cold source table
/// at the snapshot pinned when the backfill started, run by the embedded
/// ClickHouse engine. Either way a TableContext for the offload's window
/// writer, and the driver that streams its rows.

#include <memory>
#include <string>
#include <string_view>

#include "jobs/backfill/backfill.h"
#include "jobs/offload/table_context.h"

namespace k2::jobs {

struct Producer {
  TableContext ctx;
  std::unique_ptr<warm::WarmDriver> driver;
};

/// The producer of backfill `st` of table `cfg`, with the Iceberg table
/// loaded (created first when `create_table` and missing).
Result<Producer> OpenProducer(const BackfillEnv& env, const TableConfig& cfg,
                              const BackfillState& st, bool create_table);

/// The FROM source reading Iceberg table `location` at `snapshot_id` (which
/// metadata file `metadata_location` holds; "" to let the engine find the
/// newest) on the embedded engine, which must run with / as its working
/// directory. kUnsupported for object-store locations.
Result<std::string> IcebergAtSnapshotSql(const std::string& location,
                                         const std::string& metadata_location, int64_t snapshot_id);

}  // namespace k2::jobs
