#pragma once
/// ClickHouse's error text ("Code: 60. DB::Exception: Table x does not exist...")
/// turned into k2 errors with the kind a job can act on.

#include <optional>
#include <string_view>

#include "common/result.h"

namespace k2::warm {

/// Kind for a ClickHouse error code: unknown table/database/column -> kNotFound,
/// syntax and bad credentials -> kInvalidInput, already exists -> kAlreadyExists,
/// timeouts -> kTimeout, cancelled -> kCancelled, anything else -> kRemote.
ErrorKind KindForClickHouseCode(int code);

/// The code in "Code: NNN." text, if present.
std::optional<int> ParseClickHouseCode(std::string_view text);

/// Finds a ClickHouse exception ("Code: NNN. DB::Exception...") in `text`
/// (e.g. appended to a result body mid-stream) and returns it as an Error
/// carrying the text from there on, trimmed.
std::optional<Error> FindClickHouseException(std::string_view text);

/// Builds the Error for a failed statement: kind from the code in `text`
/// (kRemote if none), message = `text` verbatim, plus the query id if given.
Error ClickHouseError(std::string_view text, std::string_view query_id = {});

}  // namespace k2::warm
