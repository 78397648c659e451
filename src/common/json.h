#pragma once
/// JSON text k2 did not write (table metadata, Avro schemas in file headers,
/// catalog responses): parsed with a nesting limit. nlohmann's parser is
/// iterative, but copying, dumping and walking a value recurse once per level,
/// so a file of a million '[' would overflow the stack long after parsing.

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"

namespace k2 {

/// Deepest nesting of arrays and objects ParseUntrustedJson accepts. Iceberg
/// metadata and Avro schemas nest a few levels per nested type.
inline constexpr int kMaxJsonDepth = 512;

/// Parses `text`. kCorrupt names `what` for text that is not JSON or nests
/// arrays/objects deeper than `max_depth` (checked before parsing).
Result<nlohmann::json> ParseUntrustedJson(std::string_view text, std::string_view what,
                                          int max_depth = kMaxJsonDepth);

}  // namespace k2
