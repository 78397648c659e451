#pragma once
/// One entry point for every maintenance operation on the configured tables,
/// shared by `k2 maintain` and the daemon's scheduled jobs.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config.h"
#include "iceberg/catalog.h"
#include "io/file_io.h"

namespace k2 {
class CancellationToken;
}

namespace k2::jobs {

/// The Iceberg identifiers of the configured tables that exist in the catalog,
/// or just `only` (a k2 table name or namespace.table) when given.
Result<std::vector<TableIdentifier>> MaintainedTables(const Config& config, Catalog& catalog,
                                                      const std::string& only);

/// What a maintenance run did: one JSON report per table and operation.
struct MaintenanceRun {
  nlohmann::json reports = nlohmann::json::array();
  int failed = 0;
  std::optional<Error> first_error;
};

/// Runs `op` (compact | manifests | expire | orphans | all: in that order)
/// with the config's maintenance policy on each of `tables`. A failing table
/// does not stop the others; its error is in the reports.
MaintenanceRun RunMaintenance(const std::string& op, const Config& config, Catalog& catalog,
                              FileIO& io, const std::vector<TableIdentifier>& tables, bool dry_run,
                              const CancellationToken* cancel = nullptr);

}  // namespace k2::jobs
