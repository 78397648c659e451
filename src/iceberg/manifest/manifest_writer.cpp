#include "iceberg/manifest/manifest_writer.h"

#include <algorithm>
#include <cmath>

#include "iceberg/manifest/manifest_avro.h"

namespace k2::iceberg {

using avro::Datum;
using manifest_avro::FieldType;
using manifest_avro::IntBytesMap;
using manifest_avro::IntLongMap;
using manifest_avro::Json;
using manifest_avro::ManifestEntrySchema;
using manifest_avro::PartitionRecordJson;
using manifest_avro::ValueToDatum;

Result<std::unique_ptr<ManifestWriter>> ManifestWriter::Open(FileIO& io, const std::string& path,
                                                             const TableSchema& schema,
                                                             const PartitionSpec& spec,
                                                             ManifestContent content,
                                                             int64_t snapshot_id) {
  std::unique_ptr<ManifestWriter> w(new ManifestWriter());
  K2_ASSIGN_OR_RETURN(w->partition_type_, spec.PartitionType(schema.schema));
  w->spec_ = spec;
  Json partition = PartitionRecordJson(w->partition_type_);
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

}  // namespace k2::iceberg
