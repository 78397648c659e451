#pragma once
/// What one table's offload resolves once per run (phase 1) and the later
/// phases share: the warm source and schema, the Iceberg table, and the
/// schema the window's files are written with.

#include <memory>
#include <optional>
#include <vector>

#include "columnar/types.h"
#include "common/config.h"
#include "iceberg/table.h"
#include "jobs/warm_source.h"

namespace k2::jobs {

/// Everything one table's offload needs, resolved once per run.
struct TableContext {
  const TableConfig* cfg = nullptr;
  WarmSource source;
  std::vector<WarmColumn> columns;  ///< ClickHouse names and types
  Schema warm_schema;
  std::optional<iceberg::Table> table;
  std::shared_ptr<const Schema> write_schema;  ///< warm columns with the table's field ids
};

}  // namespace k2::jobs
