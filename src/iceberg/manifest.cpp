#include "iceberg/manifest.h"

#include "parquet/file_writer.h"

#include <algorithm>
#include <cmath>

namespace k2::iceberg {

namespace {

using Json = nlohmann::json;
using avro::Datum;

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

/// Reads an Iceberg int-keyed map written as array<record{key,value}> or an Avro map.
template <typename F>
void ForEachMapEntry(const Datum* d, F&& f) {
  if (d == nullptr || d->is_null()) return;
  if (d->type == avro::Type::kMap) {
    for (size_t i = 0; i < d->items.size(); ++i) {
      try {
        f(std::stoi(d->keys[i]), d->items[i]);
      } catch (const std::exception&) {
      }
    }
    return;
  }
  for (const Datum& kv : d->items) {
    if (kv.type != avro::Type::kRecord || kv.items.size() < 2) continue;
    f(static_cast<int>(kv.items[0].l), kv.items[1]);
  }
}

const avro::Node* FieldType(const avro::Node& record, std::string_view name) {
  auto idx = record.FieldIndex(name);
  return idx ? record.fields[*idx].type.get() : nullptr;
}

int64_t LongOr(const Datum* d, int64_t dflt) {
  return d == nullptr || d->is_null() ? dflt : d->l;
}

}  // namespace

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

Result<std::unique_ptr<ManifestWriter>> ManifestWriter::Open(FileIO& io, const std::string& path,
                                                             const TableSchema& schema,
                                                             const PartitionSpec& spec,
                                                             ManifestContent content,
                                                             int64_t snapshot_id) {
  std::unique_ptr<ManifestWriter> w(new ManifestWriter());
  K2_ASSIGN_OR_RETURN(w->partition_type_, spec.PartitionType(schema.schema));
  w->spec_ = spec;
  Json pfields = Json::array();
  for (const Field& f : w->partition_type_.fields) {
    pfields.push_back(FieldJson(f.name.c_str(), AvroTypeOf(f.type), f.id, true));
  }
  Json partition = {{"type", "record"}, {"name", "r102"}, {"fields", pfields}};
  std::map<std::string, std::string> meta = {
      {"schema", schema.ToJson().dump()},
      {"schema-id", std::to_string(schema.schema_id)},
      {"partition-spec", spec.FieldsJson().dump()},
      {"partition-spec-id", std::to_string(spec.spec_id)},
      {"format-version", "2"},
      {"content", content == ManifestContent::kData ? "data" : "deletes"},
      {"iceberg.schema", schema.ToJson().dump()},
  };
  K2_ASSIGN_OR_RETURN(auto out, io.OpenOutput(path));
  K2_ASSIGN_OR_RETURN(
      w->writer_, avro::ContainerWriter::Open(std::move(out), ManifestEntrySchema(partition), meta,
                                              avro::Codec::kDeflate));
  w->entry_node_ = &w->writer_->schema();
  w->info_.manifest_path = path;
  w->info_.partition_spec_id = spec.spec_id;
  w->info_.content = content;
  w->info_.added_snapshot_id = snapshot_id;
  w->info_.partitions.resize(spec.fields.size());
  return w;
}

Status ManifestWriter::Add(const ManifestEntry& e) {
  const DataFile& f = e.file;
  if (f.partition.size() != spec_.fields.size()) {
    return MakeError(ErrorKind::kInvalidInput,
                     "data file {}: partition has {} values, spec {} has {} fields", f.file_path,
                     f.partition.size(), spec_.spec_id, spec_.fields.size());
  }
  const avro::Node& entry = *entry_node_;
  const avro::Node& df_node = *FieldType(entry, "data_file");
  Datum rec = Datum::Record(&entry);
  rec.Set("status", Datum::Int(static_cast<int32_t>(e.status)));
  const bool added = e.status == EntryStatus::kAdded;
  rec.Set("snapshot_id", added ? Datum::Long(info_.added_snapshot_id)
                               : (e.snapshot_id ? Datum::Long(*e.snapshot_id) : Datum::Null()));
  rec.Set("sequence_number",
          added || !e.sequence_number ? Datum::Null() : Datum::Long(*e.sequence_number));
  rec.Set("file_sequence_number",
          added || !e.file_sequence_number ? Datum::Null() : Datum::Long(*e.file_sequence_number));
  if (!added && e.sequence_number) {
    min_seq_ = min_seq_ ? std::min(*min_seq_, *e.sequence_number) : *e.sequence_number;
  }
  Datum df = Datum::Record(&df_node);
  df.Set("content", Datum::Int(static_cast<int32_t>(f.content)));
  df.Set("file_path", Datum::String(f.file_path));
  df.Set("file_format", Datum::String(f.file_format));
  const avro::Node* part_node = FieldType(df_node, "partition");
  Datum part = Datum::Record(part_node);
  for (size_t i = 0; i < f.partition.size(); ++i) {
    const Value& v = f.partition[i];
    if (!v.is_null() && !(v.type == partition_type_.fields[i].type)) {
      return MakeError(ErrorKind::kInvalidInput,
                       "data file {}: partition field '{}' has type {}, spec wants {}", f.file_path,
                       partition_type_.fields[i].name, v.type.ToString(),
                       partition_type_.fields[i].type.ToString());
    }
    part.items[i] = ValueToDatum(v);
    PartitionFieldSummary& s = info_.partitions[i];
    if (v.is_null()) {
      s.contains_null = true;
      continue;
    }
    bool is_nan = (v.type.id == TypeId::kFloat && std::isnan(std::get<float>(v.data))) ||
                  (v.type.id == TypeId::kDouble && std::isnan(std::get<double>(v.data)));
    if (is_nan) {
      s.contains_nan = true;
      continue;
    }
    if (!s.contains_nan) s.contains_nan = false;
    std::string enc = EncodeSingleValue(v);
    if (!s.lower_bound || CompareValues(v, *DecodeSingleValue(v.type, *s.lower_bound)) ==
                              std::strong_ordering::less) {
      s.lower_bound = enc;
    }
    if (!s.upper_bound || CompareValues(v, *DecodeSingleValue(v.type, *s.upper_bound)) ==
                              std::strong_ordering::greater) {
      s.upper_bound = enc;
    }
  }
  df.Set("partition", std::move(part));
  df.Set("record_count", Datum::Long(f.record_count));
  df.Set("file_size_in_bytes", Datum::Long(f.file_size_in_bytes));
  df.Set("column_sizes", IntLongMap(*FieldType(df_node, "column_sizes"), f.column_sizes));
  df.Set("value_counts", IntLongMap(*FieldType(df_node, "value_counts"), f.value_counts));
  df.Set("null_value_counts",
         IntLongMap(*FieldType(df_node, "null_value_counts"), f.null_value_counts));
  df.Set("nan_value_counts",
         IntLongMap(*FieldType(df_node, "nan_value_counts"), f.nan_value_counts));
  df.Set("lower_bounds", IntBytesMap(*FieldType(df_node, "lower_bounds"), f.lower_bounds));
  df.Set("upper_bounds", IntBytesMap(*FieldType(df_node, "upper_bounds"), f.upper_bounds));
  if (!f.split_offsets.empty()) {
    std::vector<Datum> items;
    for (int64_t o : f.split_offsets) items.push_back(Datum::Long(o));
    df.Set("split_offsets", Datum::Array(std::move(items)));
  }
  if (!f.equality_ids.empty()) {
    std::vector<Datum> items;
    for (int id : f.equality_ids) items.push_back(Datum::Int(id));
    df.Set("equality_ids", Datum::Array(std::move(items)));
  }
  if (f.sort_order_id) df.Set("sort_order_id", Datum::Int(*f.sort_order_id));
  rec.Set("data_file", std::move(df));
  K2_RETURN_IF_ERROR(writer_->Append(rec));
  switch (e.status) {
    case EntryStatus::kAdded:
      ++info_.added_files_count;
      info_.added_rows_count += f.record_count;
      break;
    case EntryStatus::kExisting:
      ++info_.existing_files_count;
      info_.existing_rows_count += f.record_count;
      break;
    case EntryStatus::kDeleted:
      ++info_.deleted_files_count;
      info_.deleted_rows_count += f.record_count;
      break;
  }
  return OkStatus();
}

Result<ManifestFile> ManifestWriter::Finish() {
  K2_ASSIGN_OR_RETURN(info_.manifest_length, writer_->Finish());
  // A manifest with only carried-over entries records their minimum; one with
  // added entries gets the committing snapshot's number (set at commit).
  info_.min_sequence_number = min_seq_ ? *min_seq_ : -1;
  return info_;
}

void ManifestWriter::Abort() {
  if (writer_) writer_->Abort();
}

Result<std::map<std::string, std::string>> ReadManifestMetadata(FileIO& io,
                                                                const std::string& path) {
  K2_ASSIGN_OR_RETURN(auto in, io.OpenInput(path));
  K2_ASSIGN_OR_RETURN(auto reader, avro::ContainerReader::Open(std::move(in)));
  return reader->metadata();
}

Result<std::vector<ManifestEntry>> ReadManifest(FileIO& io, const ManifestFile& manifest) {
  const std::string& path = manifest.manifest_path;
  K2_ASSIGN_OR_RETURN(auto in, io.OpenInput(path));
  K2_ASSIGN_OR_RETURN(auto reader, avro::ContainerReader::Open(std::move(in)));
  const avro::Node& entry_schema = reader->schema();
  const avro::Node* df_schema = FieldType(entry_schema, "data_file");
  if (df_schema == nullptr || df_schema->type != avro::Type::kRecord) {
    return MakeError(ErrorKind::kCorrupt, "{}: not a manifest (no data_file record)", path);
  }
  std::vector<DataType> part_types;
  if (const avro::Node* p = FieldType(*df_schema, "partition");
      p && p->type == avro::Type::kRecord) {
    for (const auto& f : p->fields) {
      const avro::Node* t =
          f.type->type == avro::Type::kUnion ? f.type->NonNullBranch() : f.type.get();
      part_types.push_back(t ? TypeOfAvro(*t) : DataType::String());
    }
  }
  std::string content_meta = reader->Meta("content");
  int spec_id = manifest.partition_spec_id;
  std::string spec_meta = reader->Meta("partition-spec-id");
  if (!spec_meta.empty() && manifest.v1) {
    try {
      spec_id = std::stoi(spec_meta);
    } catch (const std::exception&) {
    }
  }
  std::vector<ManifestEntry> out;
  Datum d;
  while (true) {
    K2_ASSIGN_OR_RETURN(bool more, reader->Next(d));
    if (!more) break;
    ManifestEntry e;
    const Datum* status = d.Get("status");
    const Datum* df = d.Get("data_file");
    if (status == nullptr || df == nullptr) {
      return MakeError(ErrorKind::kCorrupt, "{}: entry {} lacks status or data_file", path,
                       out.size());
    }
    if (status->l < 0 || status->l > 2) {
      return MakeError(ErrorKind::kCorrupt, "{}: entry {} has status {}", path, out.size(),
                       status->l);
    }
    e.status = static_cast<EntryStatus>(status->l);
    if (const Datum* s = d.Get("snapshot_id"); s && !s->is_null()) e.snapshot_id = s->l;
    if (const Datum* s = d.Get("sequence_number"); s && !s->is_null()) e.sequence_number = s->l;
    if (const Datum* s = d.Get("file_sequence_number"); s && !s->is_null()) {
      e.file_sequence_number = s->l;
    }
    // Inheritance (spec "Sequence Number Inheritance"): null means "the
    // manifest's", which for ADDED entries is the snapshot that added it.
    if (!e.snapshot_id) e.snapshot_id = manifest.added_snapshot_id;
    if (!e.sequence_number) {
      if (manifest.v1) {
        e.sequence_number = 0;
      } else if (e.status == EntryStatus::kAdded) {
        e.sequence_number = manifest.sequence_number;
      }
    }
    if (!e.file_sequence_number) {
      if (manifest.v1) {
        e.file_sequence_number = 0;
      } else if (e.status == EntryStatus::kAdded) {
        e.file_sequence_number = manifest.sequence_number;
      }
    }
    DataFile& f = e.file;
    f.spec_id = spec_id;
    if (const Datum* c = df->Get("content"); c && !c->is_null()) {
      if (c->l < 0 || c->l > 2) {
        return MakeError(ErrorKind::kCorrupt, "{}: entry {} has content {}", path, out.size(),
                         c->l);
      }
      f.content = static_cast<FileContent>(c->l);
    } else if (content_meta == "deletes") {
      f.content = FileContent::kPositionDeletes;
    }
    const Datum* fp = df->Get("file_path");
    const Datum* rc = df->Get("record_count");
    if (fp == nullptr || rc == nullptr) {
      return MakeError(ErrorKind::kCorrupt, "{}: entry {} lacks file_path or record_count", path,
                       out.size());
    }
    f.file_path = fp->s;
    if (const Datum* ff = df->Get("file_format")) f.file_format = ff->s;
    f.record_count = rc->l;
    f.file_size_in_bytes = LongOr(df->Get("file_size_in_bytes"), 0);
    if (const Datum* p = df->Get("partition"); p && p->type == avro::Type::kRecord) {
      for (size_t i = 0; i < p->items.size() && i < part_types.size(); ++i) {
        K2_ASSIGN_OR_RETURN(Value v, DatumToValue(part_types[i], p->items[i], path));
        f.partition.push_back(std::move(v));
      }
    }
    ForEachMapEntry(df->Get("column_sizes"),
                    [&](int k, const Datum& v) { f.column_sizes[k] = v.l; });
    ForEachMapEntry(df->Get("value_counts"),
                    [&](int k, const Datum& v) { f.value_counts[k] = v.l; });
    ForEachMapEntry(df->Get("null_value_counts"),
                    [&](int k, const Datum& v) { f.null_value_counts[k] = v.l; });
    ForEachMapEntry(df->Get("nan_value_counts"),
                    [&](int k, const Datum& v) { f.nan_value_counts[k] = v.l; });
    ForEachMapEntry(df->Get("lower_bounds"),
                    [&](int k, const Datum& v) { f.lower_bounds[k] = v.s; });
    ForEachMapEntry(df->Get("upper_bounds"),
                    [&](int k, const Datum& v) { f.upper_bounds[k] = v.s; });
    if (const Datum* so = df->Get("split_offsets"); so && !so->is_null()) {
      for (const Datum& x : so->items) f.split_offsets.push_back(x.l);
    }
    if (const Datum* eq = df->Get("equality_ids"); eq && !eq->is_null()) {
      for (const Datum& x : eq->items) f.equality_ids.push_back(static_cast<int>(x.l));
    }
    if (const Datum* so = df->Get("sort_order_id"); so && !so->is_null()) {
      f.sort_order_id = static_cast<int>(so->l);
    }
    if (const Datum* r = df->Get("referenced_data_file"); r && !r->is_null()) {
      f.referenced_data_file = r->s;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Status WriteManifestList(FileIO& io, const std::string& path, int64_t snapshot_id,
                         std::optional<int64_t> parent_snapshot_id, int64_t sequence_number,
                         const std::vector<ManifestFile>& manifests) {
  std::map<std::string, std::string> meta = {
      {"snapshot-id", std::to_string(snapshot_id)},
      {"parent-snapshot-id", parent_snapshot_id ? std::to_string(*parent_snapshot_id) : "null"},
      {"sequence-number", std::to_string(sequence_number)},
      {"format-version", "2"},
  };
  K2_ASSIGN_OR_RETURN(auto out, io.OpenOutput(path));
  K2_ASSIGN_OR_RETURN(auto w, avro::ContainerWriter::Open(std::move(out), ManifestListSchema(),
                                                          meta, avro::Codec::kDeflate));
  const avro::Node& node = w->schema();
  const avro::Node* parts_node = FieldType(node, "partitions")->NonNullBranch();
  for (const ManifestFile& m : manifests) {
    Datum r = Datum::Record(&node);
    r.Set("manifest_path", Datum::String(m.manifest_path));
    r.Set("manifest_length", Datum::Long(m.manifest_length));
    r.Set("partition_spec_id", Datum::Int(m.partition_spec_id));
    r.Set("content", Datum::Int(static_cast<int32_t>(m.content)));
    r.Set("sequence_number", Datum::Long(m.sequence_number));
    r.Set("min_sequence_number", Datum::Long(m.min_sequence_number));
    r.Set("added_snapshot_id", Datum::Long(m.added_snapshot_id));
    r.Set("added_files_count", Datum::Int(m.added_files_count));
    r.Set("existing_files_count", Datum::Int(m.existing_files_count));
    r.Set("deleted_files_count", Datum::Int(m.deleted_files_count));
    r.Set("added_rows_count", Datum::Long(m.added_rows_count));
    r.Set("existing_rows_count", Datum::Long(m.existing_rows_count));
    r.Set("deleted_rows_count", Datum::Long(m.deleted_rows_count));
    std::vector<Datum> parts;
    for (const auto& s : m.partitions) {
      Datum sd = Datum::Record(parts_node->items.get());
      sd.Set("contains_null", Datum::Bool(s.contains_null));
      if (s.contains_nan) sd.Set("contains_nan", Datum::Bool(*s.contains_nan));
      if (s.lower_bound) sd.Set("lower_bound", Datum::Bytes(*s.lower_bound));
      if (s.upper_bound) sd.Set("upper_bound", Datum::Bytes(*s.upper_bound));
      parts.push_back(std::move(sd));
    }
    r.Set("partitions", Datum::Array(std::move(parts)));
    K2_RETURN_IF_ERROR(w->Append(r));
  }
  K2_RETURN_IF_ERROR(w->Finish());
  return OkStatus();
}

Result<std::vector<ManifestFile>> ReadManifestList(FileIO& io, const std::string& path) {
  K2_ASSIGN_OR_RETURN(auto in, io.OpenInput(path));
  K2_ASSIGN_OR_RETURN(auto reader, avro::ContainerReader::Open(std::move(in)));
  const bool v1 = reader->schema().FieldIndex("sequence_number") == std::nullopt;
  std::vector<ManifestFile> out;
  Datum d;
  while (true) {
    K2_ASSIGN_OR_RETURN(bool more, reader->Next(d));
    if (!more) break;
    ManifestFile m;
    m.v1 = v1;
    const Datum* p = d.Get("manifest_path");
    if (p == nullptr) {
      return MakeError(ErrorKind::kCorrupt, "{}: entry {} has no manifest_path", path, out.size());
    }
    m.manifest_path = p->s;
    m.manifest_length = LongOr(d.Get("manifest_length"), 0);
    m.partition_spec_id = static_cast<int>(LongOr(d.Get("partition_spec_id"), 0));
    int64_t content = LongOr(d.Get("content"), 0);
    m.content = content == 1 ? ManifestContent::kDeletes : ManifestContent::kData;
    m.sequence_number = LongOr(d.Get("sequence_number"), 0);
    m.min_sequence_number = LongOr(d.Get("min_sequence_number"), 0);
    m.added_snapshot_id = LongOr(d.Get("added_snapshot_id"), 0);
    auto count = [&](const char* v2, const char* v1name) {
      const Datum* x = d.Get(v2);
      if (x == nullptr) x = d.Get(v1name);
      return LongOr(x, 0);
    };
    m.added_files_count = static_cast<int>(count("added_files_count", "added_data_files_count"));
    m.existing_files_count =
        static_cast<int>(count("existing_files_count", "existing_data_files_count"));
    m.deleted_files_count =
        static_cast<int>(count("deleted_files_count", "deleted_data_files_count"));
    m.added_rows_count = LongOr(d.Get("added_rows_count"), 0);
    m.existing_rows_count = LongOr(d.Get("existing_rows_count"), 0);
    m.deleted_rows_count = LongOr(d.Get("deleted_rows_count"), 0);
    if (const Datum* parts = d.Get("partitions"); parts && !parts->is_null()) {
      for (const Datum& s : parts->items) {
        PartitionFieldSummary fs;
        if (const Datum* x = s.Get("contains_null")) fs.contains_null = x->b;
        if (const Datum* x = s.Get("contains_nan"); x && !x->is_null()) fs.contains_nan = x->b;
        if (const Datum* x = s.Get("lower_bound"); x && !x->is_null()) fs.lower_bound = x->s;
        if (const Datum* x = s.Get("upper_bound"); x && !x->is_null()) fs.upper_bound = x->s;
        m.partitions.push_back(std::move(fs));
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace k2::iceberg

namespace k2::iceberg {

DataFile MakeDataFile(const parquet::DataFileMetrics& metrics, std::string path, int spec_id,
                      PartitionValues partition) {
  DataFile f;
  f.content = FileContent::kData;
  f.file_path = std::move(path);
  f.file_format = "PARQUET";
  f.spec_id = spec_id;
  f.partition = std::move(partition);
  f.record_count = metrics.record_count;
  f.file_size_in_bytes = metrics.file_size_in_bytes;
  for (const auto& c : metrics.columns) {
    if (c.field_id <= 0) continue;
    f.column_sizes[c.field_id] = c.column_size;
    f.value_counts[c.field_id] = c.value_count;
    f.null_value_counts[c.field_id] = c.null_count;
    if (c.nan_count >= 0) f.nan_value_counts[c.field_id] = c.nan_count;
    if (c.lower_bound) f.lower_bounds[c.field_id] = *c.lower_bound;
    if (c.upper_bound) f.upper_bounds[c.field_id] = *c.upper_bound;
  }
  f.split_offsets = metrics.split_offsets;
  f.sort_order_id = 0;
  return f;
}

}  // namespace k2::iceberg
