#include "iceberg/partition_spec.h"

namespace k2::iceberg {

using Json = nlohmann::json;

std::string EscapePathSegment(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '*') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<PartitionSpec> PartitionSpec::Make(
    const Schema& schema, const std::vector<std::pair<std::string, std::string>>& fields,
    int spec_id, int first_field_id) {
  PartitionSpec spec;
  spec.spec_id = spec_id;
  int next_id = first_field_id;
  for (const auto& [column, transform_text] : fields) {
    auto idx = schema.IndexOf(column);
    if (!idx) {
      return MakeError(ErrorKind::kInvalidInput, "partition spec: unknown column '{}'", column);
    }
    K2_ASSIGN_OR_RETURN(Transform t, Transform::Parse(transform_text));
    K2_RETURN_IF_ERROR(t.ResultType(schema.fields[*idx].type));
    PartitionField pf;
    pf.source_id = schema.fields[*idx].id;
    pf.field_id = next_id++;
    pf.transform = t;
    switch (t.kind) {
      case TransformKind::kIdentity:
        pf.name = column;
        break;
      case TransformKind::kBucket:
        pf.name = column + "_bucket";
        break;
      case TransformKind::kTruncate:
        pf.name = column + "_trunc";
        break;
      case TransformKind::kVoid:
        pf.name = column + "_null";
        break;
      default:
        pf.name = column + "_" + t.ToString();
    }
    spec.fields.push_back(std::move(pf));
  }
  return spec;
}

bool PartitionSpec::IsUnpartitioned() const {
  for (const auto& f : fields) {
    if (f.transform.kind != TransformKind::kVoid) return false;
  }
  return true;
}

Result<Schema> PartitionSpec::PartitionType(const Schema& schema) const {
  Schema out;
  for (const auto& f : fields) {
    auto idx = schema.IndexOfId(f.source_id);
    DataType type = DataType::Int32();
    if (idx) {
      K2_ASSIGN_OR_RETURN(type, f.transform.ResultType(schema.fields[*idx].type));
    } else if (f.transform.kind != TransformKind::kVoid) {
      return MakeError(ErrorKind::kInvalidInput,
                       "partition field '{}' refers to missing source field id {}", f.name,
                       f.source_id);
    }
    out.fields.push_back(Field{f.field_id, f.name, type, true, ""});
  }
  return out;
}

Result<PartitionValues> PartitionSpec::PartitionFor(const ColumnBatch& batch, size_t row) const {
  PartitionValues values;
  values.reserve(fields.size());
  for (const auto& f : fields) {
    auto idx = batch.schema->IndexOfId(f.source_id);
    if (!idx) {
      return MakeError(ErrorKind::kInvalidInput,
                       "partition field '{}': batch has no column with field id {}", f.name,
                       f.source_id);
    }
    K2_ASSIGN_OR_RETURN(Value v, f.transform.Apply(Value::FromColumn(batch.columns[*idx], row)));
    values.push_back(std::move(v));
  }
  return values;
}

std::string PartitionSpec::PartitionPath(const PartitionValues& values) const {
  std::string out;
  for (size_t i = 0; i < fields.size() && i < values.size(); ++i) {
    if (!out.empty()) out.push_back('/');
    out += EscapePathSegment(fields[i].name) + "=" +
           EscapePathSegment(fields[i].transform.ToHumanString(values[i]));
  }
  return out;
}

Json PartitionSpec::FieldsJson() const {
  Json arr = Json::array();
  for (const auto& f : fields) {
    arr.push_back({{"source-id", f.source_id},
                   {"field-id", f.field_id},
                   {"name", f.name},
                   {"transform", f.transform.ToString()}});
  }
  return arr;
}

Json PartitionSpec::ToJson() const {
  return {{"spec-id", spec_id}, {"fields", FieldsJson()}};
}

Result<PartitionSpec> PartitionSpec::FromJson(const Json& j) {
  PartitionSpec spec;
  const Json* arr = &j;
  if (j.is_object()) {
    spec.spec_id = j.value("spec-id", 0);
    if (!j.contains("fields") || !j["fields"].is_array()) {
      return MakeError(ErrorKind::kInvalidInput, "partition spec {}: no fields array",
                       spec.spec_id);
    }
    arr = &j["fields"];
  } else if (!j.is_array()) {
    return MakeError(ErrorKind::kInvalidInput, "partition spec: expected object or array");
  }
  int next_id = kFirstPartitionFieldId;
  for (const Json& f : *arr) {
    if (!f.is_object() || !f.contains("source-id") || !f.contains("transform") ||
        !f.contains("name") || !f["transform"].is_string() || !f["name"].is_string() ||
        !f["source-id"].is_number_integer()) {
      return MakeError(ErrorKind::kInvalidInput, "partition spec {}: malformed field {}",
                       spec.spec_id, f.dump().substr(0, 120));
    }
    PartitionField pf;
    pf.source_id = f["source-id"].get<int>();
    pf.field_id = f.contains("field-id") ? f["field-id"].get<int>() : next_id;
    next_id = pf.field_id + 1;
    pf.name = f["name"].get<std::string>();
    K2_ASSIGN_OR_RETURN(pf.transform, Transform::Parse(f["transform"].get<std::string>()));
    spec.fields.push_back(std::move(pf));
  }
  return spec;
}

Json SortOrder::ToJson() const {
  Json arr = Json::array();
  for (const auto& f : fields) {
    arr.push_back(
        {{"transform", f.transform.ToString()},
         {"source-id", f.source_id},
         {"direction", f.direction == SortDirection::kAsc ? "asc" : "desc"},
         {"null-order", f.null_order == NullOrder::kNullsFirst ? "nulls-first" : "nulls-last"}});
  }
  return {{"order-id", order_id}, {"fields", arr}};
}

Result<SortOrder> SortOrder::FromJson(const Json& j) {
  SortOrder o;
  if (!j.is_object()) return MakeError(ErrorKind::kInvalidInput, "sort order: expected object");
  o.order_id = j.value("order-id", 0);
  for (const Json& f : j.value("fields", Json::array())) {
    if (!f.is_object() || !f.contains("source-id") || !f.contains("transform")) {
      return MakeError(ErrorKind::kInvalidInput, "sort order {}: malformed field", o.order_id);
    }
    SortField sf;
    sf.source_id = f["source-id"].get<int>();
    K2_ASSIGN_OR_RETURN(sf.transform, Transform::Parse(f["transform"].get<std::string>()));
    sf.direction =
        f.value("direction", "asc") == "desc" ? SortDirection::kDesc : SortDirection::kAsc;
    sf.null_order = f.value("null-order", "nulls-first") == "nulls-last" ? NullOrder::kNullsLast
                                                                         : NullOrder::kNullsFirst;
    o.fields.push_back(sf);
  }
  return o;
}

}  // namespace k2::iceberg
