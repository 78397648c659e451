#pragma once
/// The version numbers of a table's metadata files
/// (`<location>/metadata/NNNNN-<uuid>.metadata.json`): the next file's path
/// and metadata-log, and the highest version already written.

#include <string>

#include "iceberg/table_metadata.h"
#include "io/file_io.h"

namespace k2::iceberg {

/// Readies `next` (built from `base`, which was read from `base_location`) for
/// writing as the table's next version: last-updated-ms after the base's, the
/// base in the metadata-log (trimmed to write.metadata.previous-versions-max).
/// Returns the new file's path `<location>/metadata/NNNNN-<uuid>.metadata.json`.
/// The version is the base's + 1, or above `highest_existing` (the highest
/// version among the table's metadata files, -1 for none): a file left by a
/// writer killed before its commit must not outrank the committed one for
/// readers that pick the highest-numbered file (chDB's icebergLocal, DuckDB).
std::string PrepareNextVersion(const TableMetadata& base, const std::string& base_location,
                               TableMetadata& next, int highest_existing = -1);

/// The highest version among `<location>/metadata/NNNNN-*.metadata.json`
/// files (-1 for none, or when the store cannot list).
int HighestMetadataVersion(FileIO& io, const std::string& location);

}  // namespace k2::iceberg
