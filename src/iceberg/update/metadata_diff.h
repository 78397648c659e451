#pragma once
/// DiffMetadata: the client side of a REST commit, the requirements and
/// updates (table_requirement.h, metadata_builder.h) that turn a table's
/// current metadata into the metadata the client would have written.

#include <nlohmann/json.hpp>
#include <vector>

#include "iceberg/table_metadata.h"

namespace k2::iceberg {

/// A commit as the REST protocol carries it.
struct TableCommit {
  std::vector<nlohmann::json> requirements;
  std::vector<nlohmann::json> updates;
};

/// What a client sends to turn `base` into `next`: assert-table-uuid, and
/// assert-ref-snapshot-id for every ref it moves; assert-current-schema-id and
/// assert-last-assigned-field-id with schema changes; the partition and sort
/// order asserts with spec and order changes; then the updates that rebuild
/// `next`'s schemas, specs, orders, snapshots, refs, properties, location and
/// statistics from `base`'s. Metadata-log and timestamps are the server's.
TableCommit DiffMetadata(const TableMetadata& base, const TableMetadata& next);

}  // namespace k2::iceberg
