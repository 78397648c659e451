#pragma once
/// Wires k2's jobs into the daemon's JobRegistry: offload_{raw,bronze,silver,gold}
/// run the offload of one layer; the table stats provider reads each configured
/// table's Iceberg metadata (watermark, lag, files, bytes, snapshots).

namespace k2::cli {

/// Registers the built-in job factories and the table stats factory in
/// service::JobRegistry::Global(). Idempotent.
void RegisterBuiltinJobs();

}  // namespace k2::cli
