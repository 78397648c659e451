#pragma once
/// Table requirements of a REST commit (spec "TableRequirement" in
/// open-api/rest-catalog-open-api.yaml), in their JSON wire form:
///   assert-create, assert-table-uuid, assert-ref-snapshot-id,
///   assert-last-assigned-field-id, assert-current-schema-id,
///   assert-last-assigned-partition-id, assert-default-spec-id,
///   assert-default-sort-order-id
/// The server checks them (CheckRequirement) before applying the updates
/// (MetadataBuilder); the client derives them (DiffMetadata).

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "iceberg/table_metadata.h"

namespace k2::iceberg {

/// Checks one requirement against the table's current metadata (`current` is
/// null when the table does not exist). kCommitConflict when it does not hold
/// (the message names the requirement and both values); kInvalidInput for an
/// unknown type or a malformed requirement.
Status CheckRequirement(const nlohmann::json& requirement, const TableMetadata* current);

}  // namespace k2::iceberg
