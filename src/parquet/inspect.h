#pragma once
/// `k2 parquet inspect`: a Parquet file's schema, row groups, column chunks
/// (codecs, encodings, sizes) and statistics, as JSON or text.

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "parquet/file_reader.h"

namespace k2::parquet {

/// Describes the file behind `reader`: {path, num_rows, created_by,
/// key_value_metadata, schema: [...], row_groups: [{num_rows, columns: [...]}]}.
/// Statistics are rendered as k2 value text. Never fails after Open succeeded.
nlohmann::json InspectFile(const FileReader& reader);

/// Human-readable rendering of InspectFile's JSON.
std::string FormatInspect(const nlohmann::json& info);

}  // namespace k2::parquet
