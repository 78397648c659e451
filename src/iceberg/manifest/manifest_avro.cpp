#include "iceberg/manifest/manifest_avro.h"

namespace k2::iceberg::manifest_avro {

using avro::Datum;

namespace {

Json Optional(Json type) {
  return Json::array({"null", std::move(type)});
}

Json FieldJson(const char* name, Json type, int id, bool optional) {
  Json f;
  f["name"] = name;
  f["type"] = optional ? Optional(std::move(type)) : std::move(type);
  f["field-id"] = id;
  if (optional) f["default"] = nullptr;
  return f;
}

Json IntMapJson(const char* record_name, int key_id, int value_id, Json value_type) {
  Json rec = {
      {"type", "record"},
      {"name", record_name},
      {"fields", Json::array({{{"name", "key"}, {"type", "int"}, {"field-id", key_id}},
                              {{"name", "value"}, {"type", value_type}, {"field-id", value_id}}})}};
  return {{"type", "array"}, {"items", rec}, {"logicalType", "map"}};
}

int DecimalBytes(int precision) {
  int n = 1;
  while (n < 16) {
    // Max unscaled value with n bytes: 2^(8n-1) - 1 >= 10^precision - 1.
    long double max = 1;
    for (int i = 0; i < 8 * n - 1; ++i) max *= 2;
    long double need = 1;
    for (int i = 0; i < precision; ++i) need *= 10;
    if (max >= need) break;
    ++n;
  }
  return n;
}

}  // namespace

std::string ManifestEntrySchema(const Json& partition_record) {
  Json df_fields = Json::array();
  df_fields.push_back(FieldJson("content", "int", 134, false));
  df_fields.push_back(FieldJson("file_path", "string", 100, false));
  df_fields.push_back(FieldJson("file_format", "string", 101, false));
  df_fields.push_back(FieldJson("partition", partition_record, 102, false));
  df_fields.push_back(FieldJson("record_count", "long", 103, false));
  df_fields.push_back(FieldJson("file_size_in_bytes", "long", 104, false));
  df_fields.push_back(
      FieldJson("column_sizes", IntMapJson("k117_v118", 117, 118, "long"), 108, true));
  df_fields.push_back(
      FieldJson("value_counts", IntMapJson("k119_v120", 119, 120, "long"), 109, true));
  df_fields.push_back(
      FieldJson("null_value_counts", IntMapJson("k121_v122", 121, 122, "long"), 110, true));
  df_fields.push_back(
      FieldJson("nan_value_counts", IntMapJson("k138_v139", 138, 139, "long"), 137, true));
  df_fields.push_back(
      FieldJson("lower_bounds", IntMapJson("k126_v127", 126, 127, "bytes"), 125, true));
  df_fields.push_back(
      FieldJson("upper_bounds", IntMapJson("k129_v130", 129, 130, "bytes"), 128, true));
  df_fields.push_back(FieldJson("key_metadata", "bytes", 131, true));
  df_fields.push_back(FieldJson(
      "split_offsets", Json{{"type", "array"}, {"items", "long"}, {"element-id", 133}}, 132, true));
  df_fields.push_back(FieldJson(
      "equality_ids", Json{{"type", "array"}, {"items", "int"}, {"element-id", 136}}, 135, true));
  df_fields.push_back(FieldJson("sort_order_id", "int", 140, true));
  Json data_file = {{"type", "record"}, {"name", "r2"}, {"fields", df_fields}};
  Json entry = {{"type", "record"},
                {"name", "manifest_entry"},
                {"fields", Json::array({FieldJson("status", "int", 0, false),
                                        FieldJson("snapshot_id", "long", 1, true),
                                        FieldJson("sequence_number", "long", 3, true),
                                        FieldJson("file_sequence_number", "long", 4, true),
                                        FieldJson("data_file", data_file, 2, false)})}};
  return entry.dump();
}

std::string ManifestListSchema() {
  Json summary = {{"type", "record"},
                  {"name", "r508"},
                  {"fields", Json::array({FieldJson("contains_null", "boolean", 509, false),
                                          FieldJson("contains_nan", "boolean", 518, true),
                                          FieldJson("lower_bound", "bytes", 510, true),
                                          FieldJson("upper_bound", "bytes", 511, true)})}};
  Json fields = Json::array({
      FieldJson("manifest_path", "string", 500, false),
      FieldJson("manifest_length", "long", 501, false),
      FieldJson("partition_spec_id", "int", 502, false),
      FieldJson("content", "int", 517, false),
      FieldJson("sequence_number", "long", 515, false),
      FieldJson("min_sequence_number", "long", 516, false),
      FieldJson("added_snapshot_id", "long", 503, false),
      FieldJson("added_files_count", "int", 504, false),
      FieldJson("existing_files_count", "int", 505, false),
      FieldJson("deleted_files_count", "int", 506, false),
      FieldJson("added_rows_count", "long", 512, false),
      FieldJson("existing_rows_count", "long", 513, false),
      FieldJson("deleted_rows_count", "long", 514, false),
      FieldJson("partitions", Json{{"type", "array"}, {"items", summary}, {"element-id", 508}}, 507,
                true),
      FieldJson("key_metadata", "bytes", 519, true),
  });
  return Json{{"type", "record"}, {"name", "manifest_file"}, {"fields", fields}}.dump();
}

/// Avro datum of a partition value (decimal as fixed, uuid as fixed[16]).
Datum ValueToDatum(const Value& v) {
  if (v.is_null()) return Datum::Null();
  switch (v.type.id) {
    case TypeId::kBoolean:
      return Datum::Bool(std::get<bool>(v.data));
    case TypeId::kInt32:
    case TypeId::kDate:
      return Datum::Int(std::get<int32_t>(v.data));
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      return Datum::Long(std::get<int64_t>(v.data));
    case TypeId::kFloat:
      return Datum::Float(std::get<float>(v.data));
    case TypeId::kDouble:
      return Datum::Double(std::get<double>(v.data));
    case TypeId::kDecimal: {
      int128_t x = std::get<int128_t>(v.data);
      int n = DecimalBytes(v.type.precision);
      std::string be(n, '\0');
      for (int i = 0; i < n; ++i)
        be[n - 1 - i] = static_cast<char>(static_cast<uint8_t>(x >> (8 * i)));
      return Datum::Fixed(std::move(be));
    }
    case TypeId::kString:
      return Datum::String(std::get<std::string>(v.data));
    case TypeId::kBinary:
      return Datum::Bytes(std::get<std::string>(v.data));
    case TypeId::kFixed:
    case TypeId::kUuid:
      return Datum::Fixed(std::get<std::string>(v.data));
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      break;  // partition sources are primitive (PartitionSpec refuses nested ones)
  }
  return Datum::Null();
}

/// The Iceberg type an Avro partition field was written as.
DataType TypeOfAvro(const avro::Node& n) {
  switch (n.type) {
    case avro::Type::kBoolean:
      return DataType::Boolean();
    case avro::Type::kInt:
      return n.logical_type == "date" ? DataType::Date() : DataType::Int32();
    case avro::Type::kLong:
      if (n.logical_type == "time-micros") return DataType::Time();
      if (n.logical_type == "timestamp-micros") {
        return n.adjust_to_utc ? DataType::TimestampTz() : DataType::Timestamp();
      }
      if (n.logical_type == "timestamp-nanos") return DataType::TimestampNs();
      return DataType::Int64();
    case avro::Type::kFloat:
      return DataType::Float();
    case avro::Type::kDouble:
      return DataType::Double();
    case avro::Type::kFixed:
      if (n.logical_type == "decimal") return DataType::Decimal(n.precision, n.scale);
      if (n.logical_type == "uuid") return DataType::Uuid();
      return DataType::Fixed(static_cast<int>(n.size));
    case avro::Type::kBytes:
      if (n.logical_type == "decimal") return DataType::Decimal(n.precision, n.scale);
      return DataType::Binary();
    case avro::Type::kString:
      return n.logical_type == "uuid" ? DataType::Uuid() : DataType::String();
    default:
      return DataType::String();
  }
}

Result<Value> DatumToValue(const DataType& type, const Datum& d, const std::string& path) {
  Value v{type, std::monostate{}};
  if (d.is_null()) return v;
  switch (type.id) {
    case TypeId::kBoolean:
      v.data = d.b;
      break;
    case TypeId::kInt32:
    case TypeId::kDate:
      v.data = static_cast<int32_t>(d.l);
      break;
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      v.data = d.l;
      break;
    case TypeId::kFloat:
      v.data = static_cast<float>(d.d);
      break;
    case TypeId::kDouble:
      v.data = d.d;
      break;
    case TypeId::kDecimal: {
      auto r = DecodeSingleValue(type, d.s);
      if (!r)
        return MakeError(ErrorKind::kCorrupt, "{}: partition decimal: {}", path, r.error().message);
      return r;
    }
    case TypeId::kUuid:
      if (d.type == avro::Type::kString) return Value::Parse(type, d.s);
      v.data = d.s;
      break;
    default:
      v.data = d.s;
  }
  return v;
}

Datum IntLongMap(const avro::Node& field_type, const std::map<int, int64_t>& m) {
  const avro::Node* arr = field_type.NonNullBranch();
  if (m.empty() || arr == nullptr) return Datum::Null();
  std::vector<Datum> items;
  for (const auto& [k, v] : m) {
    Datum kv = Datum::Record(arr->items.get());
    kv.items[0] = Datum::Int(k);
    kv.items[1] = Datum::Long(v);
    items.push_back(std::move(kv));
  }
  return Datum::Array(std::move(items));
}

Datum IntBytesMap(const avro::Node& field_type, const std::map<int, std::string>& m) {
  const avro::Node* arr = field_type.NonNullBranch();
  if (m.empty() || arr == nullptr) return Datum::Null();
  std::vector<Datum> items;
  for (const auto& [k, v] : m) {
    Datum kv = Datum::Record(arr->items.get());
    kv.items[0] = Datum::Int(k);
    kv.items[1] = Datum::Bytes(v);
    items.push_back(std::move(kv));
  }
  return Datum::Array(std::move(items));
}

const avro::Node* FieldType(const avro::Node& record, std::string_view name) {
  auto idx = record.FieldIndex(name);
  return idx ? record.fields[*idx].type.get() : nullptr;
}

int64_t LongOr(const Datum* d, int64_t dflt) {
  return d == nullptr || d->is_null() ? dflt : d->l;
}

Json PartitionRecordJson(const Schema& partition_type) {
  Json fields = Json::array();
  for (const Field& f : partition_type.fields) {
    fields.push_back(FieldJson(f.name.c_str(), AvroTypeOf(f.type), f.id, true));
  }
  return {{"type", "record"}, {"name", "r102"}, {"fields", fields}};
}

Json AvroTypeOf(const DataType& type) {
  switch (type.id) {
    case TypeId::kBoolean:
      return "boolean";
    case TypeId::kInt32:
      return "int";
    case TypeId::kInt64:
      return "long";
    case TypeId::kFloat:
      return "float";
    case TypeId::kDouble:
      return "double";
    case TypeId::kDate:
      return {{"type", "int"}, {"logicalType", "date"}};
    case TypeId::kTime:
      return {{"type", "long"}, {"logicalType", "time-micros"}};
    case TypeId::kTimestamp:
      return {{"type", "long"}, {"logicalType", "timestamp-micros"}, {"adjust-to-utc", false}};
    case TypeId::kTimestampTz:
      return {{"type", "long"}, {"logicalType", "timestamp-micros"}, {"adjust-to-utc", true}};
    case TypeId::kTimestampNs:
      return {{"type", "long"}, {"logicalType", "timestamp-nanos"}, {"adjust-to-utc", true}};
    case TypeId::kString:
      return "string";
    case TypeId::kBinary:
      return "bytes";
    case TypeId::kFixed:
      return {
          {"type", "fixed"}, {"name", fmt::format("fixed_{}", type.width)}, {"size", type.width}};
    case TypeId::kUuid:
      return {{"type", "fixed"}, {"name", "uuid_fixed"}, {"size", 16}, {"logicalType", "uuid"}};
    case TypeId::kDecimal:
      return {{"type", "fixed"},
              {"name", fmt::format("decimal_{}_{}", type.precision, type.scale)},
              {"size", DecimalBytes(type.precision)},
              {"logicalType", "decimal"},
              {"precision", type.precision},
              {"scale", type.scale}};
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      break;  // partition tuples hold primitives only
  }
  return "string";
}

}  // namespace k2::iceberg::manifest_avro
