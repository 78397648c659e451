#include "iceberg/manifest/manifest_reader.h"

#include <exception>

#include "iceberg/manifest/manifest_avro.h"

namespace k2::iceberg {

using avro::Datum;
using manifest_avro::DatumToValue;
using manifest_avro::FieldType;
using manifest_avro::ForEachMapEntry;
using manifest_avro::LongOr;
using manifest_avro::TypeOfAvro;

namespace {

/// The data_file record `df` of entry `index` of manifest `path` into `f`.
/// kCorrupt for a bad content value or a missing file_path/record_count.
Status ReadDataFile(const Datum& df, const std::vector<DataType>& part_types, int spec_id,
                    const std::string& content_meta, const std::string& path, size_t index,
                    DataFile& f) {
  f.spec_id = spec_id;
  if (const Datum* c = df.Get("content"); c && !c->is_null()) {
    if (c->l < 0 || c->l > 2) {
      return MakeError(ErrorKind::kCorrupt, "{}: entry {} has content {}", path, index, c->l);
    }
    f.content = static_cast<FileContent>(c->l);
  } else if (content_meta == "deletes") {
    f.content = FileContent::kPositionDeletes;
  }
  const Datum* fp = df.Get("file_path");
  const Datum* rc = df.Get("record_count");
  if (fp == nullptr || rc == nullptr) {
    return MakeError(ErrorKind::kCorrupt, "{}: entry {} lacks file_path or record_count", path,
                     index);
  }
  f.file_path = fp->s;
  if (const Datum* ff = df.Get("file_format")) f.file_format = ff->s;
  f.record_count = rc->l;
  f.file_size_in_bytes = LongOr(df.Get("file_size_in_bytes"), 0);
  if (const Datum* p = df.Get("partition"); p && p->type == avro::Type::kRecord) {
    for (size_t i = 0; i < p->items.size() && i < part_types.size(); ++i) {
      K2_ASSIGN_OR_RETURN(Value v, DatumToValue(part_types[i], p->items[i], path));
      f.partition.push_back(std::move(v));
    }
  }
  ForEachMapEntry(df.Get("column_sizes"), [&](int k, const Datum& v) { f.column_sizes[k] = v.l; });
  ForEachMapEntry(df.Get("value_counts"), [&](int k, const Datum& v) { f.value_counts[k] = v.l; });
  ForEachMapEntry(df.Get("null_value_counts"),
                  [&](int k, const Datum& v) { f.null_value_counts[k] = v.l; });
  ForEachMapEntry(df.Get("nan_value_counts"),
                  [&](int k, const Datum& v) { f.nan_value_counts[k] = v.l; });
  ForEachMapEntry(df.Get("lower_bounds"), [&](int k, const Datum& v) { f.lower_bounds[k] = v.s; });
  ForEachMapEntry(df.Get("upper_bounds"), [&](int k, const Datum& v) { f.upper_bounds[k] = v.s; });
  if (const Datum* so = df.Get("split_offsets"); so && !so->is_null()) {
    for (const Datum& x : so->items) f.split_offsets.push_back(x.l);
  }
  if (const Datum* eq = df.Get("equality_ids"); eq && !eq->is_null()) {
    for (const Datum& x : eq->items) f.equality_ids.push_back(static_cast<int>(x.l));
  }
  if (const Datum* so = df.Get("sort_order_id"); so && !so->is_null()) {
    f.sort_order_id = static_cast<int>(so->l);
  }
  if (const Datum* r = df.Get("referenced_data_file"); r && !r->is_null()) {
    f.referenced_data_file = r->s;
  }
  return OkStatus();
}

}  // namespace

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
    K2_RETURN_IF_ERROR(
        ReadDataFile(*df, part_types, spec_id, content_meta, path, out.size(), e.file));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace k2::iceberg
