#pragma once
/// Reading manifests: every entry of a v1 or v2 manifest (v3 fields ignored),
/// with snapshot id and sequence number inheritance from its manifest-list
/// entry, and the manifest's key-value metadata.

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "iceberg/manifest/manifest_entry.h"
#include "iceberg/manifest/manifest_list.h"
#include "io/file_io.h"

namespace k2::iceberg {

/// Reads every entry of a manifest (DELETED entries included; callers filter),
/// applying snapshot id and sequence number inheritance from `manifest`.
/// Partition values are typed from the manifest's own Avro schema.
Result<std::vector<ManifestEntry>> ReadManifest(FileIO& io, const ManifestFile& manifest);

/// Reads the key-value metadata of a manifest ("partition-spec-id", "content", ...).
Result<std::map<std::string, std::string>> ReadManifestMetadata(FileIO& io,
                                                                const std::string& path);

}  // namespace k2::iceberg
