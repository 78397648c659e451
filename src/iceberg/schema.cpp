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

Result<DataType> ParseType(const Json& t, int depth);

/// A struct field, list element, map key or value.
Result<Field> ParseField(int id, std::string name, bool required, const Json& type, int depth) {
  K2_ASSIGN_OR_RETURN(DataType dt, ParseType(type, depth + 1));
  return Field{id, std::move(name), std::move(dt), !required, ""};
}

/// An Iceberg type: a primitive's name or a struct/list/map object.
/// kInvalidInput for a malformed nested type, kUnsupported for an unknown primitive.
Result<DataType> ParseType(const Json& t, int depth) {
  if (depth > 64) return MakeError(ErrorKind::kInvalidInput, "schema: type nested too deeply");
  if (t.is_string()) {
    auto p = DataType::Parse(t.get<std::string>());
    if (!p) return MakeError(ErrorKind::kUnsupported, "{}", p.error().message);
    return p;
  }
  auto bad = [&](std::string_view why) {
    return MakeError(ErrorKind::kInvalidInput, "schema: {}: {}", why, t.dump().substr(0, 120));
  };
  if (!t.is_object() || !t.contains("type") || !t["type"].is_string()) return bad("bad type");
  const std::string kind = t["type"].get<std::string>();
  auto int_of = [&](const char* key) -> Result<int> {
    if (!t.contains(key) || !t[key].is_number_integer()) return bad(std::string("needs ") + key);
    return t[key].get<int>();
  };
  if (kind == "struct") {
    if (!t.contains("fields") || !t["fields"].is_array()) return bad("struct needs fields");
    std::vector<Field> fields;
    for (const Json& f : t["fields"]) {
      if (!f.is_object() || !f.contains("id") || !f["id"].is_number_integer() ||
          !f.contains("name") || !f["name"].is_string() || !f.contains("type")) {
        return bad("struct field needs id, name and type");
      }
      K2_ASSIGN_OR_RETURN(Field field, ParseField(f["id"].get<int>(), f["name"].get<std::string>(),
                                                  f.value("required", false), f["type"], depth));
      if (f.contains("doc") && f["doc"].is_string()) field.doc = f["doc"].get<std::string>();
      fields.push_back(std::move(field));
    }
    return DataType::Struct(std::move(fields));
  }
  if (kind == "list") {
    K2_ASSIGN_OR_RETURN(int id, int_of("element-id"));
    if (!t.contains("element")) return bad("list needs element");
    K2_ASSIGN_OR_RETURN(Field e, ParseField(id, "element", t.value("element-required", false),
                                            t["element"], depth));
    return DataType::List(std::move(e));
  }
  if (kind == "map") {
    K2_ASSIGN_OR_RETURN(int kid, int_of("key-id"));
    K2_ASSIGN_OR_RETURN(int vid, int_of("value-id"));
    if (!t.contains("key") || !t.contains("value")) return bad("map needs key and value");
    K2_ASSIGN_OR_RETURN(Field k, ParseField(kid, "key", true, t["key"], depth));
    K2_ASSIGN_OR_RETURN(
        Field v, ParseField(vid, "value", t.value("value-required", false), t["value"], depth));
    return DataType::Map(std::move(k), std::move(v));
  }
  return MakeError(ErrorKind::kUnsupported, "schema: unknown type {}", kind);
}

}  // namespace

Json TypeToJson(const DataType& type) {
  switch (type.id) {
    case TypeId::kStruct: {
      Json fields = Json::array();
      for (const Field& f : type.children) {
        Json jf = {{"id", f.id},
                   {"name", f.name},
                   {"required", !f.nullable},
                   {"type", TypeToJson(f.type)}};
        if (!f.doc.empty()) jf["doc"] = f.doc;
        fields.push_back(std::move(jf));
      }
      return {{"type", "struct"}, {"fields", std::move(fields)}};
    }
    case TypeId::kList: {
      const Field& e = type.children.at(0);
      return {{"type", "list"},
              {"element-id", e.id},
              {"element", TypeToJson(e.type)},
              {"element-required", !e.nullable}};
    }
    case TypeId::kMap: {
      const Field& k = type.children.at(0);
      const Field& v = type.children.at(1);
      return {{"type", "map"},
              {"key-id", k.id},
              {"key", TypeToJson(k.type)},
              {"value-id", v.id},
              {"value", TypeToJson(v.type)},
              {"value-required", !v.nullable}};
    }
    default:
      return type.ToString();
  }
}

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
    jf["type"] = TypeToJson(f.type);
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
    Field field;
    field.id = f["id"].get<int>();
    field.name = f["name"].get<std::string>();
    field.nullable = !f.value("required", false);
    if (f.contains("doc") && f["doc"].is_string()) field.doc = f["doc"].get<std::string>();
    auto type = ParseType(f["type"], 0);
    if (!type) {
      // Unknown primitive (variant, geometry, ...) anywhere in the field: skip
      // it for reads, keep it in json.
      if (type.error().kind == ErrorKind::kUnsupported) continue;
      return MakeError(ErrorKind::kInvalidInput, "schema {}: field {}: {}", s.schema_id, field.name,
                       type.error().message);
    }
    field.type = std::move(*type);
    s.schema.fields.push_back(std::move(field));
  }
  s.highest_field_id = MaxId(j);
  return s;
}

}  // namespace k2::iceberg
