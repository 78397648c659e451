#include "iceberg/schema.h"

#include <algorithm>

namespace k2::iceberg {

namespace {

using Json = nlohmann::json;

int MaxId(const Json& type) {
  int best = 0;
  if (!type.is_object()) return 0;
  std::string t = type.value("type", "");
  if (t == "struct" && type.contains("fields") && type["fields"].is_array()) {
    for (const Json& f : type["fields"]) {
      if (f.contains("id") && f["id"].is_number_integer())
        best = std::max(best, f["id"].get<int>());
      if (f.contains("type")) best = std::max(best, MaxId(f["type"]));
    }
  } else if (t == "list") {
    best = std::max(best, type.value("element-id", 0));
    if (type.contains("element")) best = std::max(best, MaxId(type["element"]));
  } else if (t == "map") {
    best = std::max(best, std::max(type.value("key-id", 0), type.value("value-id", 0)));
    if (type.contains("key")) best = std::max(best, MaxId(type["key"]));
    if (type.contains("value")) best = std::max(best, MaxId(type["value"]));
  }
  return best;
}

}  // namespace

Json TableSchema::ToJson() const {
  if (!json.is_null()) return json;
  Json j;
  j["type"] = "struct";
  j["schema-id"] = schema_id;
  if (!identifier_field_ids.empty()) j["identifier-field-ids"] = identifier_field_ids;
  Json fields = Json::array();
  for (const Field& f : schema.fields) {
    Json jf;
    jf["id"] = f.id;
    jf["name"] = f.name;
    jf["required"] = !f.nullable;
    jf["type"] = f.type.ToString();
    if (!f.doc.empty()) jf["doc"] = f.doc;
    fields.push_back(std::move(jf));
  }
  j["fields"] = std::move(fields);
  return j;
}

Result<TableSchema> TableSchema::FromJson(const Json& j) {
  if (!j.is_object() || !j.contains("fields") || !j["fields"].is_array()) {
    return MakeError(ErrorKind::kInvalidInput, "schema: expected an object with 'fields'");
  }
  TableSchema s;
  s.json = j;
  s.schema_id = j.value("schema-id", 0);
  if (j.contains("identifier-field-ids") && j["identifier-field-ids"].is_array()) {
    for (const Json& id : j["identifier-field-ids"]) {
      if (!id.is_number_integer()) {
        return MakeError(ErrorKind::kInvalidInput, "schema {}: bad identifier-field-ids",
                         s.schema_id);
      }
      s.identifier_field_ids.push_back(id.get<int>());
    }
  }
  for (const Json& f : j["fields"]) {
    if (!f.is_object() || !f.contains("id") || !f["id"].is_number_integer() ||
        !f.contains("name") || !f["name"].is_string() || !f.contains("type")) {
      return MakeError(ErrorKind::kInvalidInput, "schema {}: field needs id, name and type: {}",
                       s.schema_id, f.dump().substr(0, 120));
    }
    if (!f["type"].is_string()) continue;  // nested: kept in json only
    Field field;
    field.id = f["id"].get<int>();
    field.name = f["name"].get<std::string>();
    field.nullable = !f.value("required", false);
    if (f.contains("doc") && f["doc"].is_string()) field.doc = f["doc"].get<std::string>();
    auto type = DataType::Parse(f["type"].get<std::string>());
    if (!type) {
      // Unknown primitive (variant, geometry, ...): skip for reads, keep in json.
      continue;
    }
    field.type = *type;
    s.schema.fields.push_back(std::move(field));
  }
  s.highest_field_id = MaxId(j);
  return s;
}

}  // namespace k2::iceberg
