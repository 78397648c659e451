#pragma once
/// The daemon's jobs: offload_{raw,bronze,silver,gold} run the offload of one
/// layer (offload_<table> one table with a schedule of its own); compaction,
/// expire, orphans and manifests one maintenance operation; audit the
/// warm-vs-cold audit. The table stats and detail providers read each
/// configured table's Iceberg metadata (watermark, lag, files, bytes, snapshots).

#include "service/job.h"

namespace k2::cli {

/// Registers the daemon's job factories and table providers (the list above)
/// in `registry`, which `k2 serve` builds its jobs from.
void RegisterBuiltinJobs(service::JobRegistry& registry);

}  // namespace k2::cli
