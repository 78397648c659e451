#pragma once
/// Typed access to the fields of a REST commit's requirements and updates
/// (internal to the commit vocabulary: table_requirement, metadata_builder).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace k2::iceberg {

/// The field `key` of `j`, or kInvalidInput naming the update or requirement.
inline Result<const nlohmann::json*> RequiredField(const nlohmann::json& j, const char* key,
                                                   std::string_view what) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) {
    return MakeError(ErrorKind::kInvalidInput, "{}: missing '{}'", what, key);
  }
  return &j[key];
}

/// The integer field `key` of `j`; kInvalidInput when missing or not an integer.
inline Result<int64_t> RequiredInt(const nlohmann::json& j, const char* key,
                                   std::string_view what) {
  K2_ASSIGN_OR_RETURN(const nlohmann::json* v, RequiredField(j, key, what));
  if (!v->is_number_integer()) {
    return MakeError(ErrorKind::kInvalidInput, "{}: '{}' must be an integer", what, key);
  }
  return v->get<int64_t>();
}

/// The string field `key` of `j`; kInvalidInput when missing or not a string.
inline Result<std::string> RequiredString(const nlohmann::json& j, const char* key,
                                          std::string_view what) {
  K2_ASSIGN_OR_RETURN(const nlohmann::json* v, RequiredField(j, key, what));
  if (!v->is_string()) {
    return MakeError(ErrorKind::kInvalidInput, "{}: '{}' must be a string", what, key);
  }
  return v->get<std::string>();
}

}  // namespace k2::iceberg
